"""The oEmbed 1.0 provider: turns one of our quote URLs into an iframe of its embed card.

The `url` parameter is only ever parsed and matched against our own routes, never fetched.
"""

import math
import re
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape as xml_escape

from django.urls import Resolver404, resolve, reverse
from django.utils.html import format_html

from quotes.models import Quote
from quotes.web.caching import OEMBED_CACHE_AGE
from quotes.web.urls_abs import absolute_url, own_hosts

PROVIDER_NAME = "Verbatim"
FORMATS = ("json", "xml")
DEFAULT_WIDTH = 550
MIN_HEIGHT = 180
MAX_DIMENSION = 10_000
QUOTE_ROUTES = {"quote-permalink", "quote-embed"}
THEMES = ("light", "dark")


class OEmbedError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def quote_id_from_url(*, request, url: str) -> int:
    """The quote number in one of our permalink or embed URLs, or a 404 error."""
    try:
        parts = urlsplit(url.strip())
        netloc = parts.netloc.lower()
    except ValueError:
        raise OEmbedError(404, "Not a Verbatim quote URL.") from None
    if parts.scheme.lower() not in ("http", "https") or "@" in netloc or netloc not in own_hosts(request):
        raise OEmbedError(404, "Not a Verbatim quote URL.")
    path = parts.path or "/"
    try:
        match = resolve(path)
    except Resolver404:
        try:  # the permalink without its final slash, which the site itself redirects
            match = resolve(path + "/")
        except Resolver404:
            raise OEmbedError(404, "Not a Verbatim quote URL.") from None
    if match.url_name not in QUOTE_ROUTES:
        raise OEmbedError(404, "Not a Verbatim quote URL.")
    return int(match.kwargs["pk"])


def dimension(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int()
    if not (value.isascii() and value.isdigit()) or len(value) > 9 or not 0 < int(value) <= MAX_DIMENSION:
        raise OEmbedError(400, f"{name} must be a whole number of pixels between 1 and {MAX_DIMENSION}.")
    return int(value)


def response_format(value: str | None) -> str:
    fmt = (value or "json").lower()
    if fmt not in FORMATS:
        raise OEmbedError(501, f"Format {fmt!r} is not served; use json or xml.")
    return fmt


def card_size(quote: Quote, maxwidth: int | None, maxheight: int | None) -> tuple[int, int]:
    """A width within maxwidth and a height that fits the text at that width, within maxheight."""
    width = min(DEFAULT_WIDTH, maxwidth) if maxwidth else DEFAULT_WIDTH
    chars_per_line = max(12, (width - 40) // 11)
    lines = sum(max(1, math.ceil(len(line) / chars_per_line)) for line in quote.text.splitlines() or [""])
    height = max(MIN_HEIGHT, 150 + lines * 31 + (60 if quote.status == Quote.Status.RETRACTED else 0))
    if maxheight:
        height = min(height, maxheight)
    return width, height


def requested_theme(*, request, url: str) -> str:
    """`theme=dark|light` on the oEmbed request, or on the embed URL asked about; else none."""
    theme = request.GET.get("theme") or dict(parse_qsl(urlsplit(url).query)).get("theme", "")
    return theme if theme in THEMES else ""


def oembed_payload(
    *, request, quote: Quote, maxwidth: int | None, maxheight: int | None, theme: str = ""
) -> dict:
    width, height = card_size(quote, maxwidth, maxheight)
    speaker = quote.speaker
    excerpt = quote.text if len(quote.text) <= 80 else quote.text[:79] + "…"
    title = f"{speaker.name}: “{excerpt}”"
    if quote.verification in Quote.DOUBTFUL_VERIFICATIONS:
        title = f"[{quote.get_verification_display()}] {title}"
    if quote.status == Quote.Status.RETRACTED:
        title = f"[Retracted] {title}"
    embed_url = absolute_url(request, reverse("quote-embed", kwargs={"pk": quote.pk}))
    if theme:
        embed_url += f"?theme={theme}"
    html = format_html(
        '<iframe src="{}" width="{}" height="{}" title="{}" style="border:0;max-width:100%" '
        'loading="lazy" referrerpolicy="strict-origin-when-cross-origin" '
        'sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>',
        embed_url,
        width,
        height,
        f"Quote by {speaker.name}",
    )
    return {
        "version": "1.0",
        "type": "rich",
        "html": str(html),
        "width": width,
        "height": height,
        "title": title,
        "author_name": speaker.name,
        "author_url": absolute_url(request, speaker.get_absolute_url()),
        "provider_name": PROVIDER_NAME,
        "provider_url": absolute_url(request, "/"),
        "cache_age": OEMBED_CACHE_AGE,
    }


# What XML 1.0 cannot carry at all, even as a character reference: C0 controls but tab, newline
# and carriage return, lone surrogates, U+FFFE and U+FFFF. Shown as U+FFFD in the XML answer only.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def as_xml(payload: dict) -> str:
    def text(value) -> str:
        return xml_escape(_NOT_XML.sub("\ufffd", str(value)))

    body = "".join(f"<{key}>{text(value)}</{key}>" for key, value in payload.items())
    return f'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<oembed>{body}</oembed>\n'
