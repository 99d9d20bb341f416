"""One search interface, one implementation per database vendor.

`get_search_backend()` picks the implementation from the connection's vendor and imports it
lazily, so that neither backend's SQL is loaded where it cannot run.
"""

from django.db import connections

from quotes.search.base import SearchBackend


def get_search_backend(using: str = "default") -> SearchBackend:
    vendor = connections[using].vendor
    if vendor == "postgresql":
        from quotes.search.postgres import PostgresSearchBackend

        return PostgresSearchBackend(using)
    if vendor == "sqlite":
        from quotes.search.sqlite import SQLiteSearchBackend

        return SQLiteSearchBackend(using)
    from quotes.search.fallback import FallbackSearchBackend

    return FallbackSearchBackend(using)


def install_search_structures(using: str = "default") -> None:
    """Create (idempotently) the vendor's index structures: tsvector/trigram or FTS5."""
    get_search_backend(using).install()
