"""What PostgreSQL's statistics say about the words of the archive, cached in the process.

ANALYZE keeps, for the tsvector column, its most common elements (about the 1,000 most frequent
words) with the share of quotes holding each: free to read, and enough to tell a rare word from
a common one (a word not listed is rarer than every listed one) or to guess how many quotes a
search will match. Read once per process every few minutes.
"""

import threading
import time

from django.db import connections

WORD_STATS_SQL = """
    SELECT most_common_elems::text::text[], most_common_elem_freqs
    FROM pg_stats
    WHERE schemaname = current_schema() AND tablename = 'quotes_quote' AND attname = 'search_vector'
"""


class WordFrequencies:
    """Share of quotes holding each of the most common words, from pg_stats, cached a while."""

    TTL_SECONDS = 600
    _cache: dict[str, tuple[float, dict[str, float]]] = {}
    _max_ids: dict[str, tuple[float, int]] = {}
    _lock = threading.Lock()

    @classmethod
    def get(cls, using: str) -> dict[str, float]:
        now = time.monotonic()
        cached = cls._cache.get(using)
        if cached and cached[0] > now:
            return cached[1]
        with connections[using].cursor() as cursor:
            cursor.execute(WORD_STATS_SQL)
            row = cursor.fetchone()
        # The frequencies list ends with the minimum, the maximum and the null share: zip stops
        # at the last word. No statistics yet (never analysed): every word counts as rare.
        frequencies = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
        with cls._lock:
            cls._cache[using] = (now + cls.TTL_SECONDS, frequencies)
        return frequencies

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls._cache.clear()
            cls._max_ids.clear()

    @classmethod
    def max_id(cls, using: str) -> int:
        """The highest quote id, cached as long (a stale value only widens a window)."""
        now = time.monotonic()
        cached = cls._max_ids.get(using)
        if cached and cached[0] > now:
            return cached[1]
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM quotes_quote")
            value = cursor.fetchone()[0]
        with cls._lock:
            cls._max_ids[using] = (now + cls.TTL_SECONDS, value)
        return value
