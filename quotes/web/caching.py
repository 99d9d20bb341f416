"""Conditional GET for embeds and oEmbed answers: other sites' pages ask for them on every view."""

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags

EMBED_MAX_AGE = 300  # a correction reaches embeds within five minutes
OEMBED_CACHE_AGE = 3600


def matches(request, etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = parse_etags(header)
    # Weak comparison, as RFC 9110 asks for If-None-Match.
    return "*" in tags or etag.removeprefix("W/") in {t.removeprefix("W/") for t in tags}


def not_modified(etag: str, max_age: int) -> HttpResponseNotModified:
    return stamp(HttpResponseNotModified(), etag, max_age)


def stamp(response: HttpResponse, etag: str, max_age: int) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response
