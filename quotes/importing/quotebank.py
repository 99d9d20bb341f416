"""Quotebank quotation-centric records (Vaucher et al., 2021) mapped to quotes.

A line looks like: {"quoteID": "2015-08-31-000271", "quotation": "...", "speaker": "Barack Obama",
"qids": ["Q76"], "date": "2015-08-31 11:29:36", "numOccurrences": 2,
"probas": [["Barack Obama", "0.7615"], ["None", "0.2385"]], "urls": ["http://..."], "phase": "E"}.
"""

from archive.models import Source
from archive.urlnorm import url_host
from quotes.importing.copyrows import (
    BARE_CITATION,
    ImportLayout,
    PreparedBatch,
    PreparedRecord,
    hash_key,
    source_row,
)
from quotes.importing.records import (
    CitationRef,
    QuoteRecord,
    Rejected,
    SourceRef,
    checked_url,
    clean_date,
    clean_probability,
    clean_str,
    clean_text,
    max_length,
    quotebank_speaker,
    speaker_ref,
    today_iso,
    url_facts_of,
)
from quotes.models import QUOTE_MAX_LENGTH, Citation, Quote

try:  # the optional C accelerator (setup.py); without it every record takes the Python path
    from quotes.importing._speedups import quotebank_append
except ImportError:  # pragma: no cover - depends on the install
    quotebank_append = None

# The quote columns Quotebank has no field for: what every record gets.
_DAY, _UNKNOWN = Quote.Precision.DAY.value, Quote.Precision.UNKNOWN.value
_EXTERNAL_ID_LIMIT = max_length(Quote, "external_id")
_URL_LIMIT = max_length(Source, "url")


def checked_fields(raw: dict) -> tuple:
    """A Quotebank line checked and mapped, as plain values: (text, speaker, said_on, attribution
    probability, quoteID, [(url, publisher, url facts), ...]). Raises Rejected with the reason.

    Both ways of writing take it from here: `quotebank_record` (row by row, SQLite) and
    `python_prepared` (the PostgreSQL bulk load, straight to COPY rows, no record objects, for every
    record the C accelerator leaves to Python: see EverydayAppender)."""
    get = raw.get
    text = clean_text(get("quotation"))
    name = get("speaker")
    if name is None or (isinstance(name, str) and name.strip() == "None"):
        raise Rejected("speaker is None: Quotebank could not attribute the quotation")
    qids = get("qids") or []
    if not isinstance(qids, list):
        raise Rejected("qids must be a list")
    qid = qids[0] if qids else None
    if isinstance(name, str) and (qid is None or isinstance(qid, str)):
        speaker = quotebank_speaker(name, qid)
    else:
        speaker = speaker_ref(name=name, qid=qid)

    said_on = clean_date(get("date"), "date")
    probability = None
    probas = get("probas") or []
    if probas:
        try:
            probability = clean_probability(probas[0][1])
        except (TypeError, IndexError, KeyError):
            raise Rejected("malformed probas: expected [[speaker, probability], ...]") from None

    urls = get("urls") or []
    if not isinstance(urls, list):
        raise Rejected("urls must be a list")
    sources, seen = [], set()
    for value in urls:
        url, plain = checked_url(value, "urls")
        if url and url not in seen:
            seen.add(url)
            facts = url_facts_of(url, plain)  # worked out once: the rows need them too
            # Quotebank names no publisher: the host without www. stands for it.
            sources.append((url, plain.domain[:255] if plain else url_host(url)[:255], facts))
    external_id = clean_str(get("quoteID"), "quoteID", limit=_EXTERNAL_ID_LIMIT)
    return text, speaker, said_on, probability, external_id, sources


def quotebank_record(line: int, raw: dict, *, status: str | None) -> QuoteRecord:
    text, speaker, said_on, probability, external_id, sources = checked_fields(raw)
    return QuoteRecord(
        line=line,
        text=text,
        speaker=speaker,
        said_on=said_on,
        date_precision=_DAY if said_on else _UNKNOWN,
        language="en",
        status=status,
        citations=[
            CitationRef(source=SourceRef(url=url, publisher=publisher, facts=facts))
            for url, publisher, facts in sources
        ],
        attribution_probability=probability,
        external_id=external_id,
    )


def quotebank_prepared(line: int, raw: dict, *, status: str | None, layout: ImportLayout) -> PreparedRecord:
    """One record as the reading process prepares it (pipeline.py): through the C accelerator when
    it is an everyday one, else `python_prepared`. What `prepare_rows(quotebank_record(...))` returns."""
    appender = everyday_appender(status, layout)
    if appender is not None:
        batch = PreparedBatch()
        if appender.append(line, raw, batch):
            return batch.records()[0]
    return python_prepared(line, raw, status=status, layout=layout)


class EverydayAppender:
    """The reading process's way to the C accelerator: an everyday record goes straight onto the
    batch's lists (`append` says True); any other is the Python code's (`python_prepared`)."""

    def __init__(self, status: str | None, layout: ImportLayout) -> None:
        middle, end = layout.shared_quote_columns(status)
        secondary = BARE_CITATION[Citation.Role.SECONDARY]
        self.constants = (QUOTE_MAX_LENGTH, _URL_LIMIT, _EXTERNAL_ID_LIMIT, middle, end, secondary)
        self._context, self._batch = None, None

    def append(self, line: int, raw: dict, batch: PreparedBatch) -> bool:
        """Raises Rejected (nothing appended) for an everyday record whose speaker is refused."""
        if batch is not self._batch:  # laid out once a batch (today's date with it)
            self._batch = batch
            self._context = (
                today_iso(),
                *self.constants,
                quotebank_speaker,
                batch.lines,
                batch.speakers,
                batch.venues,
                batch.tags,
                batch.about,
                batch.quote_keys,
                batch.quote_rows,
                batch.citation_counts,
                batch.url_keys,
                batch.source_rows,
                batch.citation_rows,
            )
        return quotebank_append(raw, line, self._context)


def everyday_appender(status: str | None, layout: ImportLayout) -> EverydayAppender | None:
    return EverydayAppender(status, layout) if quotebank_append is not None else None


def python_prepared(line: int, raw: dict, *, status: str | None, layout: ImportLayout) -> PreparedRecord:
    """One record laid out as COPY rows by Python alone, everyday or odd: what the C accelerator
    does for everyday records (the differential tests hold the two to the same rows)."""
    text, speaker, said_on, probability, external_id, sources = checked_fields(raw)
    quote_key, quote_row = layout.quote_row(
        text,
        said_on=said_on,
        date_precision=_DAY if said_on else _UNKNOWN,
        language="en",
        status=status,
        attribution_probability=probability,
        external_id=external_id,
    )
    citation_row = BARE_CITATION[Citation.Role.SECONDARY]
    citations = [
        (hash_key(facts[1]), source_row(url, facts, publisher=publisher), citation_row)
        for url, publisher, facts in sources
    ]
    return PreparedRecord(line, speaker, None, [], [], quote_key, quote_row, citations)
