from django.db import connections

from quotes.search.base import SearchBackend

# The vector is a generated column over the accent-free `search_text`, with the 'simple'
# configuration: no stemming or stop words, so phrases and short words ("no", "not") are kept.
INSTALL_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                     WHERE table_name = 'quotes_quote' AND column_name = 'search_vector') THEN
        ALTER TABLE quotes_quote ADD COLUMN search_vector tsvector
          GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED;
      END IF;
    END $$
    """,
    "CREATE INDEX IF NOT EXISTS quote_search_vector_idx ON quotes_quote USING GIN (search_vector)",
    "CREATE INDEX IF NOT EXISTS quote_search_trgm_idx ON quotes_quote USING GIN (search_text gin_trgm_ops)",
]


class PostgresSearchBackend(SearchBackend):
    def install(self) -> None:
        with connections[self.using].cursor() as cursor:
            for statement in INSTALL_SQL:
                cursor.execute(statement)
