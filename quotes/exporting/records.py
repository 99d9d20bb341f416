"""Quotes as export records, built from `.values()` in keyset batches: memory stays constant.

A record is the API's quote representation (`quotes.api.representation.quote_dicts`) plus what
makes an export lossless: speaker `aliases` and `description`, venue `held_on`, source `author`
and `language`, citation `note`, `verification_note`, `tag_names` (beside the API's tag slugs),
`about`, `attribution_probability` and `external_id`. `import_quotes` reads it back.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator

from quotes.api.representation import quote_dicts
from quotes.models import Citation, Quote

BATCH_SIZE = 500

SPEAKER_FIELDS = ("slug", "name", "wikidata_qid", "aliases", "description")


def iter_quote_ids(queryset, *, batch_size: int = BATCH_SIZE) -> Iterator[list[int]]:
    """Keyset pagination by id: each batch is one indexed query, however deep the export goes."""
    ids = queryset.order_by().values_list("id", flat=True)
    last = 0
    while True:
        batch = list(ids.filter(id__gt=last).order_by("id")[:batch_size])
        if not batch:
            return
        last = batch[-1]
        yield batch


def iter_quote_records(queryset, *, batch_size: int = BATCH_SIZE) -> Iterator[dict]:
    for ids in iter_quote_ids(queryset, batch_size=batch_size):
        yield from quote_records(ids)


def _iso(value):
    return value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else value


def quote_records(ids: list[int]) -> list[dict]:
    """The API's representation (`quote_dicts`, three queries) plus the export's extras (three more)."""
    records = quote_dicts(ids)
    extras = {
        row["id"]: row
        for row in Quote.objects.filter(id__in=ids).values(
            "id", "speaker__aliases", "speaker__description", "venue__held_on",
            "attribution_probability", "external_id", "verification_note", "status_note",
        )
    }  # fmt: skip
    citation_extras = {
        row[0]: row[1:]
        for row in Citation.objects.filter(quote_id__in=ids).values_list(
            "id", "note", "source__author", "source__language"
        )
    }
    tag_names = defaultdict(dict)
    for quote_id, slug, name in Quote.tags.through.objects.filter(quote_id__in=ids).values_list(
        "quote_id", "tag__slug", "tag__name"
    ):
        tag_names[quote_id][slug] = name
    about = defaultdict(list)
    for row in (
        Quote.about.through.objects.filter(quote_id__in=ids)
        .order_by("quote_id", "speaker__slug")
        .values("quote_id", *(f"speaker__{f}" for f in SPEAKER_FIELDS))
    ):
        about[row["quote_id"]].append(_speaker(row, "speaker__"))
    for record in records:
        extra = extras[record["id"]]
        record["speaker"]["aliases"] = extra["speaker__aliases"]
        record["speaker"]["description"] = extra["speaker__description"]
        if record["venue"] is not None:
            record["venue"]["held_on"] = _iso(extra["venue__held_on"])
        record["verification_note"] = extra["verification_note"]
        record["status_note"] = extra["status_note"]
        record["tag_names"] = [tag_names[record["id"]][slug] for slug in record["tags"]]
        record["about"] = about.get(record["id"], [])
        record["attribution_probability"] = extra["attribution_probability"]
        record["external_id"] = extra["external_id"]
        for citation in record["citations"]:
            note, author, language = citation_extras[citation["id"]]
            citation["note"] = note
            citation["source"]["author"] = author
            citation["source"]["language"] = language
    return records


def _speaker(row: dict, prefix: str) -> dict:
    speaker = {f: row[f"{prefix}{f}"] for f in SPEAKER_FIELDS}
    speaker["wikidata_qid"] = speaker["wikidata_qid"] or None
    return speaker
