"""Reads for the public pages: what may be shown, fetched in a fixed number of queries."""

import hashlib

from django.db.models import Count, Max, Prefetch
from django.http import Http404

from quotes.models import Citation, Quote, Speaker


def public_quotes():
    return Quote.objects.filter(status__in=Quote.PUBLIC_STATUSES)


def public_quote(*, pk: int) -> Quote:
    """A published or retracted quote with its speaker, venue and cited sources (two queries)."""
    citations = Prefetch(
        "citations", queryset=Citation.objects.select_related("source").order_by("role", "id")
    )
    quote = (
        public_quotes().select_related("speaker", "venue").prefetch_related(citations).filter(pk=pk).first()
    )
    if quote is None:
        raise Http404("No public quote has this number.")
    return quote


def quote_state_tag(*, pk: int, salt: str) -> str | None:
    """A strong ETag for everything a card or oEmbed answer shows, from one cheap query.

    None when the quote is not public. A change to the quote, its speaker, venue, citations or
    their sources changes the tag; `salt` carries what the request varies (theme, size, host).
    """
    rows = (
        public_quotes()
        .filter(pk=pk)
        .order_by()
        .values_list("status", "version", "updated_at", "speaker__updated_at", "venue__updated_at")
        .annotate(
            n=Count("citations"),
            cited=Max("citations__updated_at"),
            sourced=Max("citations__source__updated_at"),
        )[:1]
    )
    row = next(iter(rows), None)
    if row is None:
        return None
    digest = hashlib.sha256(f"{salt}|{row!r}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def speaker_public_quotes(*, speaker: Speaker):
    return public_quotes().filter(speaker=speaker).select_related("venue").order_by("-said_on", "-id")
