"""Export records as CSV or NDJSON chunks, for a streamed response or a file.

`export_chunks()` is the entry point: on PostgreSQL the database writes the lines
(`postgres.py`); elsewhere they are built here from `records.py`, which is the reference for
the format either way.

CSV flattens the record: objects become prefixed columns (`speaker_name`, `venue_kind`, ...);
the list-valued fields `tags`, `about` and `citations` are JSON arrays in one cell each, so a
row round-trips without loss (see README "Import and export").
"""

import csv
import io
from collections.abc import Iterable, Iterator

import orjson
from django.db import connections

CSV_COLUMNS = (
    "id", "text", "speaker_slug", "speaker_name", "speaker_qid", "speaker_aliases",
    "speaker_description", "speaker_role", "said_on", "date_precision", "venue_name", "venue_kind",
    "venue_location", "venue_url", "venue_held_on", "language", "context", "status", "verification",
    "verification_note", "status_note", "tags", "tag_names", "about", "citations",
    "attribution_probability", "external_id", "created_at", "updated_at", "url", "permalink",
)  # fmt: skip
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
ROWS_PER_CHUNK = 200


def export_chunks(queryset, fmt: str) -> Iterator[bytes]:
    """The quotes of `queryset` in id order as `fmt` ("csv" or "ndjson"), in byte chunks."""
    if connections[queryset.db].vendor == "postgresql":
        from quotes.exporting.postgres import pg_chunks

        return pg_chunks(queryset, fmt)
    from quotes.exporting.records import iter_quote_records

    return _encoded(CHUNKERS[fmt](iter_quote_records(queryset)))


def _encoded(chunks: Iterable[str | bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode() if isinstance(chunk, str) else chunk


def flatten(record: dict) -> dict:
    """One CSV row from an export record."""
    row = {key: value for key, value in record.items() if key not in ("speaker", "venue")}
    speaker = record["speaker"]
    row.update(
        speaker_slug=speaker["slug"],
        speaker_name=speaker["name"],
        speaker_qid=speaker["wikidata_qid"],
        speaker_aliases=speaker["aliases"],
        speaker_description=speaker["description"],
    )
    for key, value in (record["venue"] or {}).items():
        row[f"venue_{key}"] = value
    for key in ("tags", "tag_names", "about", "citations"):
        row[key] = orjson.dumps(record[key]).decode() if record[key] else ""
    return row


def csv_chunks(records: Iterable[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for count, record in enumerate(records, start=1):
        writer.writerow(flatten(record))
        if count % ROWS_PER_CHUNK == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def ndjson_chunks(records: Iterable[dict]) -> Iterator[bytes]:
    lines = []
    for record in records:
        lines.append(orjson.dumps(record))
        if len(lines) == ROWS_PER_CHUNK:
            yield b"\n".join(lines) + b"\n"
            lines = []
    if lines:
        yield b"\n".join(lines) + b"\n"


def _drain(buffer: io.StringIO) -> str:
    value = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return value


CHUNKERS = {"csv": csv_chunks, "ndjson": ndjson_chunks}
