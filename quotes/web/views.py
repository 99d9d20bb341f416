"""Public pages: quote permalinks, speaker pages, embed cards and the oEmbed provider."""

import base64
import hashlib
import json
from pathlib import Path

from csp.decorators import csp_replace
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from quotes.citing import STYLE_LABELS, STYLES, citable_quote, format_citation
from quotes.corrections import corrections_for
from quotes.dates import format_said_on
from quotes.models import Quote, Speaker
from quotes.web import caching, oembed
from quotes.web.jsonld import quotation, script_safe_json
from quotes.web.queries import attribution_doubt, public_quote, quote_state_tag, speaker_public_quotes
from quotes.web.urls_abs import absolute_url, is_http_url

# The card's stylesheet is inlined (an embed loads nothing else) and allowed by its hash alone.
EMBED_CSS = (Path(__file__).resolve().parent.parent / "static" / "quotes" / "embed.css").read_text()
EMBED_CSS_HASH = base64.b64encode(hashlib.sha256(EMBED_CSS.encode()).digest()).decode()
EMBED_TEMPLATE_VERSION = "2"  # 2: misattributed and disputed quotes say so
THEMES = oembed.THEMES
TEXT_STYLES = ("apa", "mla", "chicago")
SPEAKER_PAGE_SIZE = 50
# Rendered cards by ETag: the tag hashes everything the card shows, so a hit is always current.
rendered_cards = caching.BoundedCache(max_entries=2048)
oembed_answers = caching.BoundedCache(max_entries=2048)


def _sources(quote: Quote) -> list[dict]:
    return [
        {"citation": c, "source": c.source, "href": c.source.url if is_http_url(c.source.url) else ""}
        for c in quote.citations.all()
    ]


def _facts(quote: Quote) -> dict:
    return {
        "said": format_said_on(quote.said_on, quote.date_precision),
        "retracted": quote.status == Quote.Status.RETRACTED,
        "doubt": attribution_doubt(quote),
    }


@require_safe
def quote_permalink(request, pk: int):
    quote = public_quote(pk=pk)
    permalink = absolute_url(request, quote.get_absolute_url())
    record = citable_quote(quote=quote, permalink=permalink, accessed_on=timezone.localdate())
    cite_path = reverse("quote-cite", kwargs={"pk": quote.pk})
    citations = [
        {
            "style": style,
            "label": STYLE_LABELS[style],
            "text": format_citation(record, style) if style in TEXT_STYLES else "",
            "href": f"{cite_path}?{urlencode({'style': style})}",
        }
        for style in STYLES
    ]
    oembed_href = reverse("oembed") + "?" + urlencode({"url": permalink, "format": "json"})
    context = {
        "quote": quote,
        "permalink": permalink,
        "sources": _sources(quote),
        "jsonld": script_safe_json(quotation(request=request, quote=quote)),
        "oembed_json": absolute_url(request, oembed_href),
        "oembed_xml": absolute_url(request, oembed_href.replace("format=json", "format=xml")),
        "embed_url": absolute_url(request, reverse("quote-embed", kwargs={"pk": quote.pk})),
        "citations": citations,
        "corrections": corrections_for(quote=quote),
        "venue_href": quote.venue.url if quote.venue and is_http_url(quote.venue.url) else "",
        "corrections_api": reverse("quote-corrections", kwargs={"pk": quote.pk}),
        **_facts(quote),
    }
    return render(request, "quotes/permalink.html", context)


@require_safe
def speaker_page(request, slug: str):
    speaker = get_object_or_404(Speaker, slug=slug)
    paginator = Paginator(speaker_public_quotes(speaker=speaker), SPEAKER_PAGE_SIZE)
    if paginator.count == 0:
        # Nothing public yet: a speaker entered for a draft is not announced.
        raise Http404("No public quotes by this speaker.")
    page = paginator.get_page(request.GET.get("page"))
    quotes = [
        {
            "quote": q,
            "said": format_said_on(q.said_on, q.date_precision),
            "doubt": q.get_verification_display() if q.verification in Quote.DOUBTFUL_VERIFICATIONS else "",
        }
        for q in page
    ]
    return render(request, "quotes/speaker.html", {"speaker": speaker, "page": page, "quotes": quotes})


@require_safe
@xframe_options_exempt
@csp_replace(
    {
        "default-src": ["'none'"],
        "style-src": [f"'sha256-{EMBED_CSS_HASH}'"],
        "img-src": ["'none'"],
        "script-src": ["'none'"],
        "frame-ancestors": ["*"],
        "form-action": ["'none'"],
    }
)
def quote_embed(request, pk: int):
    """The card other sites frame: one query when unchanged (304) or already rendered by this
    process, three when rendered afresh."""
    theme = request.GET.get("theme", "")
    theme = theme if theme in THEMES else ""
    salt = f"embed{EMBED_TEMPLATE_VERSION}|{theme}|{request.scheme}://{request.get_host()}"
    etag = quote_state_tag(pk=pk, salt=salt)
    if etag is None:
        raise Http404("No public quote has this number.")
    if caching.matches(request, etag):
        return caching.not_modified(etag, caching.EMBED_MAX_AGE)
    body = rendered_cards.get(etag)
    if body is None:
        body = render_card(request, pk=pk, theme=theme)
        rendered_cards.put(etag, body)
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    return caching.stamp(response, etag, caching.EMBED_MAX_AGE)


def render_card(request, *, pk: int, theme: str) -> bytes:
    quote = public_quote(pk=pk)
    sources = _sources(quote)
    best = next((s for s in sources if s["href"] and s["citation"].role == "primary"), None)
    best = best or next((s for s in sources if s["href"]), None)
    permalink = absolute_url(request, quote.get_absolute_url())
    context = {
        "quote": quote,
        "theme": theme,
        "css": mark_safe(EMBED_CSS),  # noqa: S308 - our own file, hashed into the CSP
        "permalink": permalink,
        "best": best,
        "cite_url": best["href"] if best else permalink,
        "source_count": len(sources),
        "embedded": True,
        **_facts(quote),
    }
    return render_to_string("quotes/embed.html", context, request=request).encode()


@require_safe
def oembed_view(request):
    """oEmbed 1.0 for our permalinks: 404 for other URLs, 501 for other formats, 400 for bad sizes."""
    try:
        fmt = oembed.response_format(request.GET.get("format"))
        url = request.GET.get("url", "")
        if not url:
            raise oembed.OEmbedError(400, "The url parameter is required.")
        pk = oembed.quote_id_from_url(request=request, url=url)
        maxwidth = oembed.dimension(request.GET.get("maxwidth"), "maxwidth")
        maxheight = oembed.dimension(request.GET.get("maxheight"), "maxheight")
        theme = oembed.requested_theme(request=request, url=url)
    except oembed.OEmbedError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    origin = f"{request.scheme}://{request.get_host()}"
    salt = f"oembed{EMBED_TEMPLATE_VERSION}|{fmt}|{maxwidth}|{maxheight}|{theme}|{origin}"
    etag = quote_state_tag(pk=pk, salt=salt)
    if etag is None:
        return HttpResponse(
            "No public quote at this URL.", status=404, content_type="text/plain; charset=utf-8"
        )
    if caching.matches(request, etag):
        return caching.not_modified(etag, oembed.OEMBED_CACHE_AGE)
    body = oembed_answers.get(etag)
    if body is None:
        quote = Quote.objects.select_related("speaker").get(pk=pk)
        payload = oembed.oembed_payload(
            request=request, quote=quote, maxwidth=maxwidth, maxheight=maxheight, theme=theme
        )
        body = oembed.as_xml(payload) if fmt == "xml" else json.dumps(payload, ensure_ascii=False)
        body = body.encode()
        oembed_answers.put(etag, body)
    content_type = "text/xml; charset=utf-8" if fmt == "xml" else "application/json"
    return caching.stamp(HttpResponse(body, content_type=content_type), etag, oembed.OEMBED_CACHE_AGE)
