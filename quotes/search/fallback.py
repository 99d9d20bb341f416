from django.db.models import Q, QuerySet

from quotes.search.base import SearchBackend
from quotes.search.query import SearchQuery


def _contains(phrase: tuple[str, ...]) -> Q:
    condition = Q()
    for token in phrase:
        condition &= Q(search_text__contains=token)
    return condition


class FallbackSearchBackend(SearchBackend):
    """For other databases: no index structures; searching falls back to substring matching."""

    def matching(self, queryset: QuerySet, query: SearchQuery) -> QuerySet:
        for group in query.groups:
            any_of = Q()
            for phrase in group:
                any_of |= _contains(phrase)
            queryset = queryset.filter(any_of)
        for phrase in query.excluded:
            queryset = queryset.exclude(_contains(phrase))
        return queryset
