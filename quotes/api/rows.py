"""The API's read path in plain SQL: quote rows, their tags and their citations, by id.

Building these three statements through the ORM cost more than running them (a list request
spent ~1 ms of Python per statement compiling 26 joined columns), so their text is written once
here and only the ids change. Which quotes a page holds is still decided by the ORM (selectors,
filtersets, pagination); this module only fetches what the representation shows.

On PostgreSQL the by-id statements are prepared once per connection (archive/db.py): planning
them cost several times more than running them.

Rows are dicts keyed as `QUOTE_COLUMNS` / `CITATION_COLUMNS`, with dates and datetimes as Python
objects on every database, datetimes aware (SQLite hands back naive values or text: fixed here).
"""

import datetime
import functools

from django.conf import settings
from django.db import connections
from django.utils.dateparse import parse_date, parse_datetime

from archive.db import MAX_ID, prepared_statements

QUOTE_COLUMNS = (
    "id",
    "text",
    "speaker__slug",
    "speaker__name",
    "speaker__wikidata_qid",
    "speaker_role",
    "said_on",
    "date_precision",
    "venue_id",
    "venue__name",
    "venue__kind",
    "venue__location",
    "venue__url",
    "language",
    "context",
    "status",
    "status_note",
    "verification",
    "verification_note",
    "version",
    "created_at",
    "updated_at",
    "correct_attribution_id",
    "correct_attribution__status",
    "correct_attribution__speaker__slug",
    "correct_attribution__speaker__name",
)
CITATION_COLUMNS = (
    "id",
    "quote_id",
    "role",
    "locator",
    "selector_exact",
    "selector_prefix",
    "selector_suffix",
    "match",
    "source_id",
    "source__url",
    "source__title",
    "source__publisher",
    "source__published_on",
)

QUOTES_SQL = """
SELECT q.id, q.text, s.slug, s.name, s.wikidata_qid, q.speaker_role, q.said_on, q.date_precision,
       q.venue_id, v.name, v.kind, v.location, v.url, q.language, q.context, q.status, q.status_note,
       q.verification, q.verification_note, q.version, q.created_at, q.updated_at,
       q.correct_attribution_id, ca.status, cas.slug, cas.name
FROM quotes_quote q
JOIN quotes_speaker s ON s.id = q.speaker_id
LEFT JOIN quotes_venue v ON v.id = q.venue_id
LEFT JOIN quotes_quote ca ON ca.id = q.correct_attribution_id
LEFT JOIN quotes_speaker cas ON cas.id = ca.speaker_id
WHERE q.id {ids}"""
TAGS_SQL = """
SELECT qt.quote_id, t.slug
FROM quotes_quote_tags qt JOIN quotes_tag t ON t.id = qt.tag_id
WHERE qt.quote_id {ids}
ORDER BY t.name, t.id"""
CITATIONS_SQL = """
SELECT c.id, c.quote_id, c.role, c.locator, c.selector_exact, c.selector_prefix, c.selector_suffix,
       c.match, c.source_id, src.url, src.title, src.publisher, src.published_on
FROM quotes_citation c JOIN archive_source src ON src.id = c.source_id
WHERE c.quote_id {ids}
ORDER BY c.role, c.id"""

_QUOTE_DATES = {"said_on"}
_QUOTE_DATETIMES = {"created_at", "updated_at"}
_CITATION_DATES = {"source__published_on"}


def _id_condition(connection, ids: list[int]) -> tuple[str, list]:
    """`= ANY(%s::bigint[])` on PostgreSQL (one statement text whatever the count: psycopg prepares
    it; the array is sent as its text, which psycopg passes as is where it would adapt a list item by
    item), `IN (%s, ...)` elsewhere."""
    if connection.vendor == "postgresql":
        return "= ANY(%s::bigint[])", ["{" + ",".join(str(int(pk)) for pk in ids) + "}"]
    return f"IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _converter(connection, dates: set[str], datetimes: set[str], columns: tuple[str, ...]):
    """A function fixing one row's date and datetime values, or None when the driver already does."""
    if connection.vendor == "postgresql":
        return None
    date_positions = [n for n, name in enumerate(columns) if name in dates]
    datetime_positions = [n for n, name in enumerate(columns) if name in datetimes]

    def convert(row: list) -> list:
        for n in date_positions:
            if isinstance(row[n], str):
                row[n] = parse_date(row[n])
        for n in datetime_positions:
            value = parse_datetime(row[n]) if isinstance(row[n], str) else row[n]
            if value is not None and value.tzinfo is None:
                value = value.replace(tzinfo=datetime.UTC)  # stored in UTC (USE_TZ)
            row[n] = value
        return row

    return convert


@functools.cache
def _fast_timestamptz_loader():
    """psycopg's C loader for timestamptz. Django registers a Python subclass of psycopg's pure-Python
    loader on its connections (to choose the time zone); at 100 timestamps a page it was the largest
    single cost of building one. The session's time zone is UTC (USE_TZ), so the C loader's values
    are the same aware UTC datetimes."""
    from psycopg import adapters, postgres, pq

    return adapters.get_loader(postgres.types["timestamptz"].oid, pq.Format.TEXT)


def _fetch(using: str, sql: str, ids: list[int], columns, dates=frozenset(), datetimes=frozenset()):
    """Run one of the statements above for `ids` (prepared on PostgreSQL) and return dict rows."""
    if not ids:
        return []
    connection = connections[using]
    condition, params = _id_condition(connection, ids)
    convert = _converter(connection, dates, datetimes, columns)
    with connection.cursor() as cursor, prepared_statements(connection):
        if datetimes and connection.vendor == "postgresql" and settings.USE_TZ:
            cursor.cursor.adapters.register_loader("timestamptz", _fast_timestamptz_loader())
        cursor.execute(sql.format(ids=condition), params)
        rows = cursor.fetchall()
    if convert is not None:
        rows = [convert(list(row)) for row in rows]
    return [dict(zip(columns, row, strict=True)) for row in rows]


def quote_rows_by_id(ids, *, using: str = "default", statuses=None) -> list[dict]:
    """The quotes with these ids (those that exist, and have one of `statuses` when given), in
    the order of `ids`."""
    ids = [pk for pk in ids if 0 < pk <= MAX_ID]
    if not ids:
        return []
    rows = _fetch(using, QUOTES_SQL, ids, QUOTE_COLUMNS, _QUOTE_DATES, _QUOTE_DATETIMES)
    if statuses is not None:
        rows = [row for row in rows if row["status"] in statuses]
    by_id = {row["id"]: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def tag_slugs_by_quote(ids, *, using: str = "default") -> dict[int, list[str]]:
    """Each quote's tag slugs, by tag name."""
    tags: dict[int, list[str]] = {}
    for row in _fetch(using, TAGS_SQL, list(ids), ("quote_id", "slug")):
        tags.setdefault(row["quote_id"], []).append(row["slug"])
    return tags


def citation_rows_by_quote(ids, *, using: str = "default") -> dict[int, list[dict]]:
    """Each quote's citations with their sources, primary ones first, then by id."""
    citations: dict[int, list[dict]] = {}
    for row in _fetch(using, CITATIONS_SQL, list(ids), CITATION_COLUMNS, _CITATION_DATES):
        citations.setdefault(row["quote_id"], []).append(row)
    return citations
