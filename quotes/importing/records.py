"""What an import carries, once a row of any format has been read and checked.

Every reader (Quotebank, CSV, NDJSON, JSON) turns its rows into `QuoteRecord`s, or into a
`Rejected` with the reason a person can act on; the writer only ever sees valid records.
"""

import datetime
import hashlib
import re
import time
from dataclasses import dataclass, field, fields
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import slugify

from archive.models import Source, http_url_validator
from archive.urlnorm import normalize_url, url_host, url_problem
from quotes.models import QUOTE_MAX_LENGTH, Citation, Quote, Speaker
from quotes.models.quotes import LANGUAGE_TAG
from quotes.models.speakers import qid_validator

# The everyday news URL, checked without the URLValidator: a strict subset of what it accepts
# (ASCII host of dotted labels, an optional port, a path of printable ASCII without spaces).
# Anything else goes through the URLValidator itself. Split first, then the host checked once per
# host (a corpus cites a few thousand hosts millions of times): a third of the time one pattern
# for the whole URL took, and ASCII only (re.IGNORECASE let the Kelvin sign pass for a "k").
_PLAIN_PARTS = re.compile(r"([hH][tT][tT][pP][sS]?)://([^/?#:\s]+)(:[1-9][0-9]{0,3})?([/?#][!-~]*)?\Z")
_PLAIN_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z")


class PlainURL(NamedTuple):
    """An everyday URL's parts: scheme and host lower-cased, the port (":8080") and the rest
    (path, query, fragment) as written, or None."""

    scheme: str
    host: str
    domain: str  # the host without "www."
    port: str | None
    rest: str | None


_new_tuple = tuple.__new__


def plain_url(url: str) -> PlainURL | None:
    """The URL's parts if it is an everyday one (see _PLAIN_PARTS), else None."""
    parts = _PLAIN_PARTS.match(url)
    if parts is None:
        return None
    scheme, host, port, rest = parts.groups()
    checked = _plain_host(host)
    if checked is None:
        return None
    return _new_tuple(PlainURL, (scheme.lower(), *checked, port, rest))  # PlainURL(...), a third the cost


@lru_cache(maxsize=65_536)
def _plain_host(host: str) -> tuple[str, str] | None:
    """(lower-case host, without "www."), or None for a host that is not dotted ASCII labels."""
    if not host.isascii() or len(host) > 253:  # longer is no host name (RFC 1034), nor fits Source.domain
        return None
    host = host.lower()
    if not _PLAIN_HOST.match(host):
        return None
    return host, host[4:] if host.startswith("www.") else host


def today() -> datetime.date:
    """Today in the archive's time zone, looked up once a minute rather than once a row."""
    return _today(int(time.monotonic() // 60))


@lru_cache(maxsize=2)
def _today(minute: int) -> datetime.date:
    return timezone.localdate()


def today_iso() -> str:
    """`today()` as "YYYY-MM-DD"."""
    return _today_iso(int(time.monotonic() // 60))


@lru_cache(maxsize=2)
def _today_iso(minute: int) -> str:
    return _today(minute).isoformat()


def compact_pickle(cls):
    """Pickle a slotted dataclass as a constructor call with its field values: the default pickling
    of slotted dataclasses looks its fields up for every object, which costs the parsing process's
    batches more to send than to build (see pipeline.py)."""
    values = attrgetter(*(f.name for f in fields(cls)))  # one C call for every field

    def __reduce__(self):  # noqa: N807
        return (cls, values(self))

    cls.__reduce__ = __reduce__
    return cls


class Rejected(Exception):  # noqa: N818 - a verdict on a row, not a programming error
    """A row that cannot be imported, with the reason written to the reject file."""


@compact_pickle
@dataclass(frozen=True, slots=True)
class SpeakerRef:
    name: str
    slug: str
    qid: str | None = None
    aliases: str = ""
    description: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return ("qid", self.qid) if self.qid else ("slug", self.slug)


@compact_pickle
@dataclass(frozen=True, slots=True)
class VenueRef:
    name: str
    kind: str
    location: str = ""
    url: str = ""
    held_on: datetime.date | None = None


@compact_pickle
@dataclass(slots=True)
class SourceRef:
    """Not frozen, as CitationRef: a frozen dataclass sets each field through object.__setattr__,
    which made these two a tenth of a Quotebank record's reading time."""

    url: str
    title: str = ""
    publisher: str = ""
    author: str = ""
    published_on: datetime.date | None = None
    language: str = ""
    # (normalized URL, its hash, its host without www.) when the reader already worked them out
    facts: tuple[str, str, str] | None = None


@compact_pickle
@dataclass(slots=True)
class CitationRef:
    source: SourceRef
    role: str = Citation.Role.SECONDARY
    locator: str = ""
    note: str = ""
    selector_exact: str = ""
    selector_prefix: str = ""
    selector_suffix: str = ""


@compact_pickle
@dataclass(slots=True)
class QuoteRecord:
    line: int
    text: str
    speaker: SpeakerRef
    speaker_role: str = ""
    said_on: datetime.date | None = None
    date_precision: str = Quote.Precision.DAY
    venue: VenueRef | None = None
    language: str = "en"
    context: str = ""
    status: str | None = None
    verification: str = Quote.Verification.UNVERIFIED
    verification_note: str = ""
    status_note: str = ""
    tags: list[tuple[str, str]] = field(default_factory=list)  # (slug, name)
    about: list[SpeakerRef] = field(default_factory=list)
    citations: list[CitationRef] = field(default_factory=list)
    attribution_probability: float | None = None
    external_id: str = ""
    # (text_normalized, text_hash, search_text), set by prepare() (which also fills each source's facts)
    derived: tuple | None = None


def fast_url_host(url: str) -> str:
    """`url_host` (lower-case host without www.), without parsing the everyday URL."""
    plain = plain_url(url)
    return url_host(url) if plain is None else plain.domain


def url_facts(url: str) -> tuple[str, str, str]:
    """(normalized URL, its hash, its host without www.): what `Source.save()` derives, from the
    parts of the everyday URL (no query, fragment or port) and `normalize_url` for any other."""
    return url_facts_of(url, plain_url(url))


def source_facts(source: SourceRef) -> tuple[str, str, str]:
    """`url_facts` of a source's URL, worked out once and kept on it (a reader may have done it)."""
    if source.facts is None:
        source.facts = url_facts(source.url)
    return source.facts


def url_facts_of(url: str, plain: PlainURL | None) -> tuple[str, str, str]:
    """`url_facts` for a URL whose `plain_url` parts (or None) the reader already has."""
    if plain is not None and not plain.port and "?" not in url and "#" not in url:
        normalized = f"{plain.scheme}://{plain.host}{plain.rest or '/'}"
        return normalized, hashlib.sha256(normalized.encode()).hexdigest(), plain.domain
    normalized = normalize_url(url)
    if len(normalized) > _URL_LIMIT:  # percent-encoding a query can make it longer than the URL
        raise Rejected(f"normalized URL longer than {_URL_LIMIT:,} characters {url[:200]!r}")
    return normalized, hashlib.sha256(normalized.encode()).hexdigest(), fast_url_host(normalized)


# --- Checks shared by every format ----------------------------------------------------------------


def max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def clean_str(value, label: str, *, limit: int | None = None) -> str:
    """A text value: None is empty, anything but a string is refused, NUL bytes are refused."""
    if type(value) is str and "\x00" not in value and (limit is None or len(value) <= limit):
        return value  # the everyday case, checked in one go
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise Rejected(f"{label} must be text")
    if "\x00" in value:
        raise Rejected(f"{label} contains a NUL character")
    if limit is not None and len(value) > limit:
        raise Rejected(f"{label} is longer than {limit:,} characters")
    return value


def clean_text(value) -> str:
    text = clean_str(value, "quotation")
    if not text.strip():
        raise Rejected("empty quotation")
    if len(text) > QUOTE_MAX_LENGTH:
        raise Rejected(f"quotation longer than {QUOTE_MAX_LENGTH:,} characters")
    return text


def clean_qid(value) -> str | None:
    qid = clean_str(value, "Wikidata QID").strip()
    if not qid:
        return None
    try:
        qid_validator(qid)
    except ValidationError:
        raise Rejected(f"invalid Wikidata QID {qid[:40]!r}") from None
    if len(qid) > _QID_LIMIT:  # the pattern sets no length; the column does
        raise Rejected(f"invalid Wikidata QID {qid[:40]!r}")
    return qid


_QID_LIMIT = max_length(Speaker, "wikidata_qid")


def clean_url(value, label: str) -> str:
    return checked_url(value, label)[0]


def checked_url(value, label: str) -> tuple[str, PlainURL | None]:
    """(the URL, or "" when none was given; its `plain_url` parts, None for any other URL)."""
    url = clean_str(value, label).strip()
    if not url:
        return "", None
    plain = plain_url(url)
    if not plain:
        try:
            http_url_validator(url)
        except ValidationError:
            raise Rejected(f"invalid URL {url[:200]!r} in {label}") from None
        if problem := url_problem(url):  # what Source.clean() refuses too (a port out of range, ...)
            raise Rejected(f"invalid URL {url[:200]!r} in {label}: {problem}")
    if len(url) > _URL_LIMIT:
        raise Rejected(f"{label} is longer than {_URL_LIMIT} characters")
    return url, plain


_URL_LIMIT = max_length(Source, "url")


def clean_date(value, label: str) -> datetime.date | None:
    """An ISO date ('2015-08-31'), or the date part of a timestamp ('2015-08-31 11:29:36')."""
    text = clean_str(value, label).strip()
    if not text:
        return None
    day = _PAST_DAYS.get(text[:10])
    plain_time = len(text) == 19 and text[10] == " " and _TIME.match(text, 11)
    if day is not None and (len(text) == 10 or plain_time):
        return day  # a day seen before, alone or with a plain time: nothing more to check
    try:
        day = datetime.date.fromisoformat(text[:10])
        if len(text) > 10:
            datetime.datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise Rejected(f"malformed {label} {text[:40]!r}") from None
    if day > today():
        raise Rejected(f"{label} {day.isoformat()} is in the future")
    if len(_PAST_DAYS) < 100_000 and _ISO_DAY.match(text):
        _PAST_DAYS[text[:10]] = day  # a past day stays past
    return day


# Days already read and found valid and not in the future, by their "YYYY-MM-DD" text: a corpus
# spans a few thousand days. With them, the time of a "YYYY-MM-DD HH:MM:SS" stamp is all to check.
_PAST_DAYS: dict[str, datetime.date] = {}
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\Z")


def clean_choice(value, choices, label: str, default: str) -> str:
    text = clean_str(value, label).strip()
    if not text:
        return default
    if text not in choices.values:
        raise Rejected(f"unknown {label} {text[:40]!r}")
    return text


def clean_language(value, label: str = "language", default: str = "en") -> str:
    text = clean_str(value, label, limit=35).strip()
    if not text:
        return default
    if not LANGUAGE_TAG.match(text):
        raise Rejected(f"invalid {label} {text[:40]!r}")
    return text


def clean_probability(value) -> float | None:
    if value is None or value == "":
        return None
    try:
        probability = float(value)
    except (TypeError, ValueError):
        raise Rejected(f"malformed attribution probability {str(value)[:40]!r}") from None
    if not 0.0 <= probability <= 1.0:
        raise Rejected(f"attribution probability {probability} is not between 0 and 1")
    return probability


@lru_cache(maxsize=100_000)
def quotebank_speaker(name: str, qid: str | None) -> SpeakerRef:
    """Quotebank names a few speakers millions of times: check and slugify each once."""
    return speaker_ref(name=name, qid=qid)


def speaker_ref(*, name, slug=None, qid=None, aliases=None, description=None) -> SpeakerRef:
    name = clean_str(name, "speaker name", limit=max_length(Speaker, "name")).strip()
    if not name:
        raise Rejected("no speaker")
    qid = clean_qid(qid)
    slug = clean_str(slug, "speaker slug", limit=max_length(Speaker, "slug")).strip()
    if slug and slugify(slug) != slug:
        raise Rejected(f"invalid speaker slug {slug[:40]!r}")
    if not slug:
        # A name with no Latin letters still needs a stable slug: the same name, the same slug.
        fallback = (qid or "").lower() or hashlib.sha256(name.encode()).hexdigest()[:10]
        slug = slugify(name)[:200] or f"speaker-{fallback}"
    return SpeakerRef(
        name=name,
        slug=slug,
        qid=qid,
        aliases=clean_str(aliases, "speaker aliases"),
        description=clean_str(description, "speaker description", limit=max_length(Speaker, "description")),
    )


def source_ref(*, url, title=None, publisher=None, author=None, published_on=None, language=None):
    url = clean_url(url, "source URL")
    if not url:
        raise Rejected("citation without a source URL")
    return SourceRef(
        url=url,
        title=clean_str(title, "source title", limit=max_length(Source, "title")),
        publisher=clean_str(publisher, "source publisher", limit=max_length(Source, "publisher")),
        author=clean_str(author, "source author", limit=max_length(Source, "author")),
        published_on=clean_date(published_on, "source published date"),
        language=clean_language(language, "source language", default=""),
    )
