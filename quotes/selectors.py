"""Reads of the quote archive: which quotes the public sees, filtered and ordered.

The API, the export and the public pages share these, so that a draft can never leak through
one door that another keeps shut. Lists show published quotes only; a retracted quote keeps its
permalink and its API detail (marked `status: retracted`) but leaves every list and search.
"""

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django_filters.utils import translate_validation

from quotes.filtersets import ORDERINGS, QuoteFilterSet
from quotes.models import Quote
from quotes.search.query import SearchQuery


def public_quotes() -> QuerySet:
    """Quotes anyone may list or search: published ones."""
    return Quote.objects.filter(status=Quote.Status.PUBLISHED)


def viewable_quotes() -> QuerySet:
    """Quotes anyone may open by id: published, and retracted ones (marked as such)."""
    return Quote.objects.filter(status__in=Quote.PUBLIC_STATUSES)


@dataclass(frozen=True)
class QuoteSelection:
    """A validated request for quotes: the filtered rows, how to order them, what was searched."""

    queryset: QuerySet
    ordering: str
    search: SearchQuery
    #: The same filters without the search: what ranking starts from (it applies the search itself).
    unsearched: QuerySet


def select_quotes(params, *, user=None) -> QuoteSelection:
    """Validate `params` (a QueryDict or dict) and filter the public quotes by them.

    Raises rest_framework.exceptions.ValidationError naming each bad parameter. `user` is
    accepted for the day editors may list drafts; today everyone sees published quotes only.
    """
    filterset = QuoteFilterSet(data=params, queryset=public_quotes())
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    data = filterset.form.cleaned_data
    # One pass over the filters: everything but the search, then the search on top of it.
    unsearched = filterset.queryset.all()
    for name, value in data.items():
        if name not in ("q", "ordering"):
            unsearched = filterset.filters[name].filter(unsearched, value)
    searched = filterset.filters["q"].filter(unsearched, data.get("q"))
    return QuoteSelection(
        queryset=searched,
        ordering=filterset.ordering_key,
        search=filterset.search_query,
        unsearched=unsearched,
    )


def order_by_for(ordering: str, *, reverse: bool = False) -> list:
    """ORDER BY for an `ordering` key, with an id tie-break and undated quotes always last.

    "relevance" has no column: outside the API's ranked pages it falls back to newest first.
    """
    column, descending = ORDERINGS[ordering]
    descending = descending != reverse
    nulls_last = not reverse
    tie = "-id" if descending else "id"
    if column is None:
        return [tie]
    field = F(column).desc if descending else F(column).asc
    return [field(nulls_last=True) if nulls_last else field(nulls_first=True), tie]


def filter_quotes(params, *, user=None) -> QuerySet:
    """Public quotes filtered and ordered as `params` ask (the export's entry point)."""
    selection = select_quotes(params, user=user)
    return selection.queryset.order_by(*order_by_for(selection.ordering))


def keyset_after(column: str, value, pk: int, *, descending: bool) -> Q:
    """Rows strictly after (value, pk) in (column, id) order, among rows where `column` is set.

    The redundant `column <= value` (or >=) lets the database start its index range scan at
    the cursor instead of filtering every row before it.
    """
    if descending:
        return Q(**{f"{column}__lte": value}) & (
            Q(**{f"{column}__lt": value}) | Q(**{column: value, "id__lt": pk})
        )
    return Q(**{f"{column}__gte": value}) & (
        Q(**{f"{column}__gt": value}) | Q(**{column: value, "id__gt": pk})
    )
