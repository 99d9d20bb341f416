"""Conditional GET for embeds and oEmbed answers: other sites' pages ask for them on every view."""

from collections import OrderedDict

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


class BoundedCache:
    """A small per-process store of rendered bodies, oldest dropped first (thread-safe enough:
    a lost race only renders a card twice)."""

    def __init__(self, *, max_entries: int):
        self.max_entries = max_entries
        self._items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        return self._items.get(key)

    def put(self, key: str, value: bytes) -> None:
        self._items[key] = value
        while len(self._items) > self.max_entries:
            try:
                self._items.popitem(last=False)
            except KeyError:
                break

    def clear(self) -> None:
        self._items.clear()
