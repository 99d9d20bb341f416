from django.db.models import QuerySet

from quotes.search.query import SearchQuery


class SearchBackend:
    """What every vendor's search offers. Subclasses implement the SQL.

    `matching()` narrows a quote queryset to the quotes that satisfy a parsed query;
    `ranked()` finds the most recent `limit` matches among a (filtered, not yet searched)
    queryset and scores only those, so that ranking work stays bounded however common the words.
    """

    def __init__(self, using: str = "default") -> None:
        self.using = using

    def install(self) -> None:
        """Create the index structures if they are missing (safe to run again)."""

    def rebuild(self) -> None:
        """Re-index every quote (after a bulk load that bypassed the usual path)."""

    def matching(self, queryset: QuerySet, query: SearchQuery) -> QuerySet:
        raise NotImplementedError

    def matching_ids(self, query: SearchQuery):
        """The ids of every matching quote, as a subquery to use in `id__in` anywhere, including
        inside another subquery (where `matching()`'s SQL may not name the quote table right)."""
        from quotes.models import Quote

        return self.matching(Quote.objects.using(self.using), query).order_by().values("pk")

    def ranked(self, queryset: QuerySet, query: SearchQuery, *, limit: int) -> list[tuple[int, float]]:
        """(id, score) of the `limit` most recent matches; a higher score is more relevant.

        This unscored form (every score 0.0, so the matches stay newest first) is also what every
        backend answers for a query of exclusions only: with no word to look for, relevance has
        nothing to rank.
        """
        rows = self.matching(queryset, query).order_by("-id").values_list("id", flat=True)[:limit]
        return [(pk, 0.0) for pk in rows]
