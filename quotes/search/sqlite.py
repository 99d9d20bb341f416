from django.db import connections
from django.db.models import FloatField, QuerySet
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
RANK_SQL = (
    f"(SELECT -bm25({FTS_TABLE}) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid = quotes_quote.id)"
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
        rows = (
            queryset.annotate(search_rank=RawSQL(RANK_SQL, [fts5_match(query)], output_field=FloatField()))  # noqa: S611 (parameters are bound)
            .order_by("-id")
            .values_list("id", "search_rank")[:limit]
        )
        return list(rows)

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
