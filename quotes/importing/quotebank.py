"""Quotebank quotation-centric records (Vaucher et al., 2021) mapped to quotes.

A line looks like: {"quoteID": "2015-08-31-000271", "quotation": "...", "speaker": "Barack Obama",
"qids": ["Q76"], "date": "2015-08-31 11:29:36", "numOccurrences": 2,
"probas": [["Barack Obama", "0.7615"], ["None", "0.2385"]], "urls": ["http://..."], "phase": "E"}.
"""

from archive.urlnorm import url_host
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
    url_facts_from_match,
)
from quotes.models import Quote


def quotebank_record(line: int, raw: dict, *, status: str | None) -> QuoteRecord:
    text = clean_text(raw.get("quotation"))
    name = raw.get("speaker")
    if name is None or (isinstance(name, str) and name.strip() == "None"):
        raise Rejected("speaker is None: Quotebank could not attribute the quotation")
    qids = raw.get("qids") or []
    if not isinstance(qids, list):
        raise Rejected("qids must be a list")
    qid = qids[0] if qids else None
    if isinstance(name, str) and (qid is None or isinstance(qid, str)):
        speaker = quotebank_speaker(name, qid)
    else:
        speaker = speaker_ref(name=name, qid=qid)

    said_on = clean_date(raw.get("date"), "date")
    probability = None
    probas = raw.get("probas") or []
    if probas:
        try:
            probability = clean_probability(probas[0][1])
        except (TypeError, IndexError, KeyError):
            raise Rejected("malformed probas: expected [[speaker, probability], ...]") from None

    urls = raw.get("urls") or []
    if not isinstance(urls, list):
        raise Rejected("urls must be a list")
    citations, seen = [], set()
    for value in urls:
        url, plain = checked_url(value, "urls")
        if url and url not in seen:
            seen.add(url)
            facts = url_facts_from_match(url, plain)  # worked out once: prepare_rows needs them too
            # Quotebank names no publisher: the host without www. stands for it.
            publisher = facts[2][:255] if plain else url_host(url)[:255]
            citations.append(CitationRef(source=SourceRef(url=url, publisher=publisher, facts=facts)))

    return QuoteRecord(
        line=line,
        text=text,
        speaker=speaker,
        said_on=said_on,
        date_precision=Quote.Precision.DAY if said_on else Quote.Precision.UNKNOWN,
        language="en",
        status=status,
        citations=citations,
        attribution_probability=probability,
        external_id=clean_str(raw.get("quoteID"), "quoteID", limit=max_length(Quote, "external_id")),
    )
