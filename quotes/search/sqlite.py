from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from quotes.search.base import SearchBackend
from quotes.search.query import SearchQuery

FTS_TABLE = "quotes_quote_fts"

# An external-content FTS5 table over quotes_quote.search_text, kept in step by triggers.
# Django rebuilds a SQLite table when a migration alters it, which drops its triggers: the
# post_migrate hook runs install() again, and rebuilds the index if triggers were missing.
TRIGGERS = {
    "quotes_quote_fts_ai": f"""
        CREATE TRIGGER IF NOT EXISTS quotes_quote_fts_ai AFTER INSERT ON quotes_quote BEGIN
          INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    "quotes_quote_fts_ad": f"""
        CREATE TRIGGER IF NOT EXISTS quotes_quote_fts_ad AFTER DELETE ON quotes_quote BEGIN
          INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        END""",
    "quotes_quote_fts_au": f"""
        CREATE TRIGGER IF NOT EXISTS quotes_quote_fts_au AFTER UPDATE OF search_text ON quotes_quote BEGIN
          INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
          INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
}


def fts5_any(phrases) -> str:
    # Tokens are runs of letters and digits only, so wrapping them in quotes is safe.
    return "(" + " OR ".join('"' + " ".join(tokens) + '"' for tokens in phrases) + ")"


def fts5_match(query: SearchQuery) -> str:
    """The positive part in FTS5 syntax: each group an OR of phrases, all groups ANDed."""
    return " AND ".join(fts5_any(group) for group in query.groups)


MATCH_IDS = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
# Driven by the FTS table in descending rowid order (which FTS5 streams), each row checked
# against the filtered quotes by primary key, stopping at the limit: bm25 is computed only for
# the rows returned. (Asking FTS5 for the score of given rowids re-runs the query for each.)
RANKED_SQL = (
    f"SELECT {FTS_TABLE}.rowid, -bm25({FTS_TABLE}) FROM {FTS_TABLE} "
    f"WHERE {FTS_TABLE} MATCH %s AND EXISTS ({{quotes}}) ORDER BY {FTS_TABLE}.rowid DESC LIMIT %s"
)


class SQLiteSearchBackend(SearchBackend):
    """An external-content FTS5 table (unicode61, diacritics removed) kept in step by triggers."""

    def matching(self, queryset: QuerySet, query: SearchQuery) -> QuerySet:
        if query.groups:
            queryset = queryset.filter(id__in=RawSQL(MATCH_IDS, [fts5_match(query)]))  # noqa: S611 (parameters are bound)
        if query.excluded:
            # FTS5 has no unary NOT: an exclusion is a separate "not among these" condition.
            queryset = queryset.exclude(id__in=RawSQL(MATCH_IDS, [fts5_any(query.excluded)]))  # noqa: S611 (parameters are bound)
        return queryset

    def ranked(self, queryset: QuerySet, query: SearchQuery, *, limit: int) -> list[tuple[int, float]]:
        if not query.groups:
            return super().ranked(queryset, query, limit=limit)
        if query.excluded:
            queryset = self.matching(queryset, SearchQuery(excluded=query.excluded))
        same_row = queryset.filter(id=RawSQL(f"{FTS_TABLE}.rowid", [])).order_by().values("id")  # noqa: S611
        quotes_sql, quotes_params = same_row.query.sql_with_params()
        with connections[self.using].cursor() as cursor:
            cursor.execute(RANKED_SQL.format(quotes=quotes_sql), [fts5_match(query), *quotes_params, limit])
            return [(pk, float(score)) for pk, score in cursor.fetchall()]

    def install(self) -> None:
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
                "search_text, content='quotes_quote', content_rowid='id', "
                "tokenize='unicode61 remove_diacritics 2')"
            )
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'quotes_quote_fts_%'"
            )
            present = {row[0] for row in cursor.fetchall()}
            for sql in TRIGGERS.values():
                cursor.execute(sql)
            if present != set(TRIGGERS):
                self.rebuild()

    def rebuild(self) -> None:
        with connections[self.using].cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
