"""Public pages: quote permalinks and speaker pages."""

from django.shortcuts import get_object_or_404, render

from quotes.models import Quote, Speaker


def quote_permalink(request, pk: int):
    quote = get_object_or_404(
        Quote.objects.select_related("speaker", "venue"), pk=pk, status__in=Quote.PUBLIC_STATUSES
    )
    return render(request, "quotes/permalink.html", {"quote": quote})


def speaker_page(request, slug: str):
    speaker = get_object_or_404(Speaker, slug=slug)
    quotes = speaker.quotes.filter(status__in=Quote.PUBLIC_STATUSES).order_by("-said_on", "-id")
    return render(request, "quotes/speaker.html", {"speaker": speaker, "quotes": quotes})
