from django.db import connections

from quotes.search.base import SearchBackend

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


class SQLiteSearchBackend(SearchBackend):
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
