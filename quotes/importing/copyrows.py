"""Rows in PostgreSQL's COPY text format, laid out once per import and filled per record.

The bulk loader (quotes/importing/bulk.py) writes quotes, sources and citations with `COPY`
straight into their tables. The parsing process formats everything it can (every column but
the ids and the speaker and venue, which only the database knows) so that the writing process
only prefixes ids and sends the text on.
"""

import datetime
import hashlib
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import NOT_PROVIDED
from django.utils import timezone

from archive.models import Source
from archive.text import _FOLD, normalize_text, strip_accents
from quotes.importing.records import QuoteRecord, SpeakerRef, VenueRef, compact_pickle, source_facts
from quotes.models import Citation, Quote

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"
_PUBLISHED = Quote.Status.PUBLISHED.value


def copy_text(value) -> str:
    """One value as COPY text: NULL, booleans, numbers, dates, and escaped strings."""
    if value is None:
        return NULL
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def derived_text(text: str) -> tuple[str, str]:
    """(normalize_text(text), search_form(text)), without the Unicode passes an ASCII text needs not:
    for ASCII, NFKC and accent stripping change nothing and casefold is lower; `_FOLD` touches only '`'.
    (str.split and the `\\s` of the archive's regex agree on what whitespace is.)"""
    if text.isascii():
        if "`" in text:
            text = text.translate(_FOLD)
        normalized = " ".join(text.split()).lower()
        return normalized, normalized
    normalized = normalize_text(text)
    return normalized, strip_accents(normalized) if not normalized.isascii() else normalized


def text_hash(normalized: str) -> str:
    return hashlib.sha256(normalized.encode()).hexdigest()


def hash_key(hex_digest: str) -> int:
    """A compact in-memory key for a SHA-256 hex digest: its first 128 bits."""
    try:
        return int(hex_digest[:32], 16)
    except ValueError:  # not a digest we wrote: a key no incoming record can have
        return -int.from_bytes(hashlib.sha256(hex_digest.encode()).digest()[:16], "big") - 1


@dataclass
class RowLayout:
    """A table's COPY columns: `leading` ones the writer fills (ids), `variable` ones formatted per
    record by the parsing process (in the order given), then constants shared by every row. Columns
    with a database default (`db_default`) are not sent: PostgreSQL fills them for less than it
    takes to parse them."""

    table: str
    leading: tuple[str, ...]
    variable: tuple[str, ...]  # column names
    constant_columns: tuple[str, ...]
    suffix: str  # the constants as COPY text, "" when there are none

    @property
    def columns(self) -> str:
        return ", ".join((*self.leading, *self.variable, *self.constant_columns))

    @property
    def end(self) -> str:
        """What follows the variable columns on every line: the constants, then the newline."""
        return f"\t{self.suffix}\n" if self.suffix else "\n"

    def lines(self, leading, variable) -> str:
        """The lines of many rows, as one text: `leading` and `variable` in step."""
        end = self.end
        return "".join([f"{first}\t{rest}{end}" for first, rest in zip(leading, variable, strict=True)])


def layout(model, leading: tuple[str, ...], variable: tuple[str, ...], using: str) -> RowLayout:
    connection = connections[using]
    now = timezone.now()
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    constants = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.column in leading or f.attname in variable:
            continue
        if f.db_default is not NOT_PROVIDED:
            continue  # left to the database (created_at, updated_at: now())
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            constants[f.column] = copy_text(now)
        else:
            constants[f.column] = copy_text(f.get_db_prep_save(f.get_default(), connection))
    return RowLayout(
        table=model._meta.db_table,
        leading=leading,
        variable=tuple(by_name[name].column for name in variable),
        constant_columns=tuple(constants),
        suffix="\t".join(constants.values()),
    )


@dataclass
class ImportLayout:
    quotes: RowLayout
    sources: RowLayout
    citations: RowLayout
    default_status: str
    published_at: str
    _shared_columns: dict = field(default_factory=dict, repr=False, compare=False)

    def quote_row(
        self,
        text: str,
        *,
        said_on,
        date_precision: str,
        language: str,
        status: str | None,
        attribution_probability: float | None,
        external_id: str,
        speaker_role: str = "",
        context: str = "",
        verification: str = Quote.Verification.UNVERIFIED,
        verification_note: str = "",
        status_note: str = "",
    ) -> tuple[int, str]:
        """(the quote's matching key without its speaker, its COPY row without the ids), in the
        order of `quotes` below; the derived columns computed as Quote.save() would."""
        normalized, search_text = derived_text(text)
        digest = text_hash(normalized)
        status = status or self.default_status
        if needs_escape(text) or not text.isascii():  # NFKC makes "＼" a backslash
            text, normalized, search_text = esc(text), esc(normalized), esc(search_text)
        # else an ASCII text's derived forms only fold case and whitespace: nothing to escape
        row = "\t".join(
            [
                text,
                normalized,
                digest,
                search_text,
                esc(speaker_role) if speaker_role else "",
                _date(said_on),
                date_precision,
                esc(language),
                esc(context) if context else "",
                status,
                verification,
                esc(verification_note) if verification_note else "",
                esc(status_note) if status_note else "",
                NULL if attribution_probability is None else repr(attribution_probability),
                esc(external_id),
                self.published_at if status == _PUBLISHED else NULL,
            ]
        )
        return hash_key(digest), row

    def shared_quote_columns(self, status: str | None) -> tuple[str, str]:
        """What `quote_row` writes alike for every record of a Quotebank file (language "en", no
        context, the status, unverified, no notes), from the language to the probability, and
        the first-published column: for the C accelerator (quotebank.py), which writes the rest."""
        shared = self._shared_columns.get(status)
        if shared is None:
            effective = status or self.default_status
            middle = "\t".join(["en", "", effective, Quote.Verification.UNVERIFIED.value, "", "", ""])
            shared = self._shared_columns[status] = (
                middle,
                "\t" + (self.published_at if effective == _PUBLISHED else NULL),
            )
        return shared

    @classmethod
    def build(cls, *, default_status: str, using: str = "default") -> "ImportLayout":
        # The variable columns, in the order quote_row() and source_row() format them.
        return cls(
            quotes=layout(
                Quote,
                ("id", "speaker_id", "venue_id"),
                (
                    "text",
                    "text_normalized",
                    "text_hash",
                    "search_text",
                    "speaker_role",
                    "said_on",
                    "date_precision",
                    "language",
                    "context",
                    "status",
                    "verification",
                    "verification_note",
                    "status_note",
                    "attribution_probability",
                    "external_id",
                    "first_published_at",
                ),
                using,
            ),  # fmt: skip
            sources=layout(
                Source,
                ("id",),
                (
                    "url",
                    "normalized_url",
                    "url_hash",
                    "domain",
                    "title",
                    "publisher",
                    "author",
                    "published_on",
                    "language",
                ),
                using,
            ),  # fmt: skip
            citations=layout(
                Citation,
                ("quote_id", "source_id"),
                ("role", "locator", "selector_exact", "selector_prefix", "selector_suffix", "note"),
                using,
            ),
            default_status=default_status,
            published_at=copy_text(timezone.now()),
        )


def needs_escape(value: str) -> bool:
    return "\\" in value or "\t" in value or "\n" in value or "\r" in value


def esc(value: str) -> str:
    """A string as COPY text (most need no escaping: four scans are cheaper than a translation)."""
    return value.translate(_ESCAPES) if needs_escape(value) else value


def _citation_row(citation) -> str:
    c = citation
    if not (c.locator or c.selector_exact or c.selector_prefix or c.selector_suffix or c.note):
        return BARE_CITATION[c.role]  # a Quotebank URL: the role, nothing else
    return "\t".join(
        [
            citation.role,
            esc(citation.locator),
            esc(citation.selector_exact),
            esc(citation.selector_prefix),
            esc(citation.selector_suffix),
            esc(citation.note),
        ]
    )


BARE_CITATION = {role: "\t".join([role, "", "", "", "", ""]) for role in Citation.Role.values}


def _date(value) -> str:
    return NULL if value is None else value.isoformat()


@compact_pickle
@dataclass(slots=True)
class PreparedRecord:
    """A checked record as the bulk writer needs it: what only the database can resolve (speaker,
    venue, tags, about), keys for matching, and its rows as COPY text (ids left to the writer)."""

    line: int
    speaker: SpeakerRef
    venue: VenueRef | None
    tags: list[tuple[str, str]]
    about: list[SpeakerRef]
    quote_key: int  # hash_key(text_hash); the speaker's id completes it
    quote_row: str
    citations: list[tuple[int, str, str]]  # (hash_key(url_hash), source row, citation row)


class PreparedBatch:
    """PreparedRecords field by field: the form a batch travels in from the parsing process to the
    writer (pipeline.py). Lists of numbers and strings pickle several times faster than as many
    objects, on both sides; citations are flattened, `citation_counts` saying how many are whose."""

    def __init__(self) -> None:
        self.lines: list[int] = []
        self.speakers: list[SpeakerRef] = []
        self.venues: list[VenueRef | None] = []
        self.tags: list[list[tuple[str, str]]] = []
        self.about: list[list[SpeakerRef]] = []
        self.quote_keys: list[int] = []
        self.quote_rows: list[str] = []
        self.citation_counts: list[int] = []
        self.url_keys: list[int] = []
        self.source_rows: list[str] = []
        self.citation_rows: list[str] = []

    def __len__(self) -> int:
        return len(self.quote_keys)

    def append(self, record: PreparedRecord) -> None:
        self.lines.append(record.line)
        self.speakers.append(record.speaker)
        self.venues.append(record.venue)
        self.tags.append(record.tags)
        self.about.append(record.about)
        self.quote_keys.append(record.quote_key)
        self.quote_rows.append(record.quote_row)
        self.citation_counts.append(len(record.citations))
        for url_key, source_row, citation_row in record.citations:
            self.url_keys.append(url_key)
            self.source_rows.append(source_row)
            self.citation_rows.append(citation_row)

    @classmethod
    def of(cls, records: list[PreparedRecord]) -> "PreparedBatch":
        batch = cls()
        for record in records:
            batch.append(record)
        return batch

    def records(self) -> list[PreparedRecord]:
        """The batch as PreparedRecords again."""
        citations = list(zip(self.url_keys, self.source_rows, self.citation_rows, strict=True))
        records, start = [], 0
        for i, count in enumerate(self.citation_counts):
            records.append(
                PreparedRecord(
                    self.lines[i],
                    self.speakers[i],
                    self.venues[i],
                    self.tags[i],
                    self.about[i],
                    self.quote_keys[i],
                    self.quote_rows[i],
                    citations[start : start + count],
                )
            )
            start += count
        return records


def prepare_rows(record: QuoteRecord, layout: ImportLayout) -> PreparedRecord:
    quote_key, quote_row = layout.quote_row(
        record.text,
        speaker_role=record.speaker_role,
        said_on=record.said_on,
        date_precision=record.date_precision,
        language=record.language,
        context=record.context,
        status=record.status,
        verification=record.verification,
        verification_note=record.verification_note,
        status_note=record.status_note,
        attribution_probability=record.attribution_probability,
        external_id=record.external_id,
    )
    citations = []
    for citation in record.citations:
        source = citation.source
        facts = source_facts(source)
        row = source_row(
            source.url,
            facts,
            title=source.title,
            publisher=source.publisher,
            author=source.author,
            published_on=source.published_on,
            language=source.language,
        )
        citations.append((hash_key(facts[1]), row, _citation_row(citation)))
    return PreparedRecord(
        record.line, record.speaker, record.venue, record.tags, record.about, quote_key, quote_row, citations
    )


def source_row(url, facts, *, title="", publisher="", author="", published_on=None, language="") -> str:
    """A source's COPY row (no id), in the order of ImportLayout.sources; `facts` from url_facts()."""
    normalized_url, url_hash, domain = facts
    if needs_escape(url) or not url.isascii():
        url, normalized_url, domain = esc(url), esc(normalized_url), esc(domain)
    # else neither its normalized form nor its host can hold what COPY would misread
    return "\t".join(
        [
            url,
            normalized_url,
            url_hash,
            domain[:255],
            esc(title) if title else "",
            esc(publisher) if publisher else "",
            esc(author) if author else "",
            _date(published_on),
            esc(language) if language else "",
        ]
    )
