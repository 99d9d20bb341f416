"""Small builders for test data: each returns a saved, valid object."""

import datetime
import itertools

from archive.models import Source
from quotes.models import Citation, Quote, Speaker, Venue

_counter = itertools.count(1)


def make_speaker(name: str | None = None, **fields) -> Speaker:
    n = next(_counter)
    name = name or f"Speaker {n}"
    fields.setdefault("slug", f"speaker-{n}")
    return Speaker.objects.create(name=name, **fields)


def make_source(url: str | None = None, **fields) -> Source:
    n = next(_counter)
    return Source.objects.create(url=url or f"https://news.example.com/story-{n}", **fields)


def make_venue(**fields) -> Venue:
    fields.setdefault("name", f"Venue {next(_counter)}")
    fields.setdefault("kind", Venue.Kind.SPEECH)
    return Venue.objects.create(**fields)


def make_quote(text: str | None = None, speaker: Speaker | None = None, **fields) -> Quote:
    fields.setdefault("said_on", datetime.date(2024, 5, 17))
    fields.setdefault("date_precision", Quote.Precision.DAY)
    fields.setdefault("status", Quote.Status.PUBLISHED)
    quote = Quote(text=text or f"Words number {next(_counter)}", speaker=speaker or make_speaker(), **fields)
    quote.full_clean()
    quote.save()
    return quote


def cite(quote: Quote, source: Source | None = None, **fields) -> Citation:
    return Citation.objects.create(quote=quote, source=source or make_source(), **fields)
