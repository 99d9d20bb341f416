"""Building the search index once after a large import instead of row by row during it.

On PostgreSQL the two GIN indexes (tsvector and trigram) cost about 40% of a first import's
database time when kept up row by row; on SQLite the FTS5 triggers do the same work per row.
With `import_quotes --search-index rebuild` they are dropped before the first batch and rebuilt
at the end (always, even when the import fails), through the search backend's own idempotent
`install()`. Measured at 50,000 records the two ways cost about the same, so keeping the index
is the default; while an import runs with `rebuild`, searches answer correctly but slowly.
"""

from contextlib import contextmanager

from django.db import connections

from quotes.search import install_search_structures
from quotes.search.sqlite import TRIGGERS

POSTGRES_INDEXES = ("quote_search_vector_idx", "quote_search_trgm_idx")


@contextmanager
def search_index_deferred(enabled: bool, using: str = "default"):
    connection = connections[using]
    if not enabled or connection.vendor not in ("postgresql", "sqlite"):
        yield False
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in POSTGRES_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
        else:
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET maintenance_work_mem = '256MB'")
        install_search_structures(using)  # recreates indexes / triggers; SQLite rebuilds the FTS index
