"""schema.org Quotation markup for a permalink, safe to place inside a <script> element."""

import json

from django.utils.safestring import SafeString, mark_safe

from quotes.citing import best_citation
from quotes.models import Quote
from quotes.web.urls_abs import absolute_url, is_http_url

# The characters that could close the <script> element or open a comment, as JSON escapes.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _date_created(quote: Quote) -> str | None:
    if quote.said_on is None or quote.date_precision == Quote.Precision.UNKNOWN:
        return None
    if quote.date_precision == Quote.Precision.YEAR:
        return f"{quote.said_on.year:04d}"
    if quote.date_precision == Quote.Precision.MONTH:
        return f"{quote.said_on:%Y-%m}"
    return quote.said_on.isoformat()


def quotation(*, request, quote: Quote) -> dict:
    speaker = quote.speaker
    person = {
        "@type": "Person",
        "name": speaker.name,
        "url": absolute_url(request, speaker.get_absolute_url()),
    }
    if speaker.wikidata_url:
        person["sameAs"] = speaker.wikidata_url
    if quote.speaker_role:
        person["jobTitle"] = quote.speaker_role
    data = {
        "@context": "https://schema.org",
        "@type": "Quotation",
        "@id": absolute_url(request, quote.get_absolute_url()),
        "url": absolute_url(request, quote.get_absolute_url()),
        "text": quote.text,
        "inLanguage": quote.language,
        "creator": person,
        "spokenByCharacter": person,
    }
    if date := _date_created(quote):
        data["dateCreated"] = date
    if quote.venue and quote.venue.location:
        data["locationCreated"] = {"@type": "Place", "name": quote.venue.location}
    best = best_citation(quote.citations.all())
    ranked = [best] + [c for c in quote.citations.all() if c != best] if best else []
    sources = []
    for citation in ranked:
        source = citation.source
        work = {"@type": "CreativeWork", "name": source.title or source.url}
        if is_http_url(source.url):
            work["url"] = source.url
        if source.publisher:
            work["publisher"] = {"@type": "Organization", "name": source.publisher}
        if source.published_on:
            work["datePublished"] = source.published_on.isoformat()
        sources.append(work)
    if sources:
        data["isBasedOn"] = sources
    if quote.verification == Quote.Verification.MISATTRIBUTED:
        # Not this speaker's words: no creator is claimed for them.
        del data["creator"], data["spokenByCharacter"]
        data["creativeWorkStatus"] = "Misattributed"
        data["correction"] = quote.verification_note or f"Misattributed to {speaker.name}."
    elif quote.verification == Quote.Verification.DISPUTED:
        data["creativeWorkStatus"] = "Disputed"
    if quote.status == Quote.Status.RETRACTED:
        data["creativeWorkStatus"] = "Retracted"
    return data


def script_safe_json(data: dict) -> SafeString:
    """JSON that cannot end the <script> element it sits in (no `</script>`, no `<!--`)."""
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES))  # noqa: S308
