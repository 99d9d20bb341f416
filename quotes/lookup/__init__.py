""" "Who said this?": published quotes ranked by similarity to a remembered fragment.

One interface, one implementation per database vendor (chosen by `connection.vendor`, imported
lazily): candidates from the tsvector index on the fragment's rarest words, ranked by pg_trgm
`word_similarity`, on PostgreSQL; FTS5 candidates re-ranked with rapidfuzz on SQLite; and a
bounded substring scan elsewhere. Every backend looks at a bounded number of candidates, so the
cost does not grow with the archive.
"""

from django.db import connections

from quotes.lookup.base import LookupBackend, LookupHit

MIN_LENGTH = 5
MAX_LENGTH = 500
MAX_RESULTS = 10


def get_lookup_backend(using: str = "default") -> LookupBackend:
    vendor = connections[using].vendor
    if vendor == "postgresql":
        from quotes.lookup.postgres import PostgresLookupBackend

        return PostgresLookupBackend(using)
    if vendor == "sqlite":
        from quotes.lookup.sqlite import SQLiteLookupBackend

        return SQLiteLookupBackend(using)
    from quotes.lookup.fallback import FallbackLookupBackend

    return FallbackLookupBackend(using)


def lookup_quotes(*, text: str, limit: int = MAX_RESULTS, using: str = "default") -> list[LookupHit]:
    """Up to `limit` published quotes most like `text`, best first (empty when nothing is close)."""
    return get_lookup_backend(using).lookup(text, limit=limit)


__all__ = ["MAX_LENGTH", "MAX_RESULTS", "MIN_LENGTH", "LookupHit", "get_lookup_backend", "lookup_quotes"]
