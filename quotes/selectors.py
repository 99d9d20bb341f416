"""Reads of the quote archive: which quotes the public sees, filtered and ordered.

The API, the export and the public pages share these, so that a draft can never leak through
one door that another keeps shut. Lists show published quotes only; a retracted quote keeps its
permalink and its API detail (marked `status: retracted`) but leaves every list and search.
`editor_search` is the admin's: every status, found through the same search backend.
"""

import hashlib
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.utils.text import smart_split, unescape_string_literal
from django_filters.utils import translate_validation

from archive.models import Source
from archive.text import search_form
from archive.urlnorm import normalize_url
from quotes.filtersets import ORDERINGS, QuoteFilterSet
from quotes.models import Citation, Quote, Speaker
from quotes.search import get_search_backend
from quotes.search.query import Phrase, SearchQuery


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


def editor_search(queryset: QuerySet, search_term: str) -> QuerySet:
    """The admin's search box (the quote list and every quote autocomplete): each word, or "quoted
    phrase", must be found in the quote's text (through the search index, as the API finds it), in
    its speaker's name or aliases (any part of them), or as the full URL, publisher or host of a
    source it cites. Each alternative is an index lookup; the `icontains` on text, URL and publisher
    it replaces read the whole quote and source tables for every word (seconds at 1M quotes).

    A NUL byte finds nothing: no stored text holds one, and PostgreSQL refuses it in a query."""
    if "\x00" in search_term:
        return queryset.none()
    for term in search_terms(search_term):
        queryset = queryset.filter(pk__in=_quotes_matching(term, using=queryset.db))
    return queryset


def search_terms(search_term: str) -> list[str]:
    """The words and quoted phrases of a search box, as Django's admin splits them."""
    terms = []
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1] and len(bit) > 1:
            bit = unescape_string_literal(bit)
        if bit.strip():
            terms.append(bit.strip())
    return terms


SPEAKERS_LISTED = 500  # more speakers share the word: matched by a subquery instead


def _quotes_matching(term: str, *, using: str) -> QuerySet:
    """The ids of quotes whose text, speaker or a cited source matches one search term."""
    matches = []
    # Names and aliases in their search form (accents and case folded, as the API's speaker search
    # compares them): "diaz" and "DÍAZ-CANEL" find Díaz-Canel on either database.
    needle = search_form(term)
    if needle:
        speakers = Speaker.objects.using(using).filter(search_names__contains=needle)
        # The speakers first (a scan of the speaker table, not of the quotes): a word in nobody's
        # name then costs the quotes nothing, and a few speakers are looked up by the speaker index.
        speaker_ids = list(speakers.values_list("pk", flat=True)[: SPEAKERS_LISTED + 1])
        if len(speaker_ids) > SPEAKERS_LISTED:
            speaker_ids = speakers.values("pk")
        matches.append(Quote.objects.using(using).filter(speaker__in=speaker_ids).values("pk"))
    phrase = Phrase(needle)
    if phrase:
        query = SearchQuery(groups=((phrase,),))
        text = get_search_backend(using).matching_ids(query)
        matches.append(Quote.objects.using(using).filter(pk__in=text).values("pk"))
    sources = _sources_named(term, using=using)
    if sources is not None:
        matches.append(
            Citation.objects.using(using).filter(source__in=sources.values("pk")).values("quote_id")
        )
    if not matches:
        return Quote.objects.none().values("pk")
    return matches[0].order_by().union(*(match.order_by() for match in matches[1:]))


def _sources_named(term: str, *, using: str) -> QuerySet | None:
    """Sources a search term names in full: their URL (any spelling that normalizes the same), or
    their publisher (any case) or host (subdomains not included)."""
    sources = Source.objects.using(using)
    if term.lower().startswith(("http://", "https://")):
        try:
            normalized = normalize_url(term)
        except ValueError:  # a port out of range: no source has it
            return None
        return sources.filter(url_hash=hashlib.sha256(normalized.encode()).hexdigest())
    host = term.lower().removeprefix("www.")
    return sources.filter(Q(publisher__iexact=term) | Q(domain=host))
