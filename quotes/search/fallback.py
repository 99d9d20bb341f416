from quotes.search.base import SearchBackend


class FallbackSearchBackend(SearchBackend):
    """For other databases: no index structures; searching falls back to substring matching."""
