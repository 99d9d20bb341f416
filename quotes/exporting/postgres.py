"""The export on PostgreSQL: the database writes every line, Python only moves bytes.

One statement, built once per export: `COPY (SELECT block, string_agg(line ...)) TO STDOUT
(FORMAT binary)`, where `line` is a whole NDJSON line or CSV row assembled in SQL with the keys,
order and value formats of the Python path (`records.py` + `formats.py`, which stays the
reference and serves SQLite), and each COPY row carries BLOCK consecutive quotes' lines.
Citations, tags and "about" speakers are aggregated per quote in the same statement. COPY streams
rows as the server produces them (no cursor, nothing materialised): the worker holds a few blocks
at a time and writes chunks of about CHUNK_BYTES.

Building the lines is what costs (to_json per value, ~30 µs a quote with its citations), so
outside a transaction STREAMS sessions share the blocks (block % STREAMS) on one exported
REPEATABLE READ snapshot and their rows are merged back by block number: the export then uses
as many cores. JIT is switched off for the statement (compiling it cost more than it saved).

Byte-for-byte notes (each checked by tests/quotes/test_export_formats.py against the Python path):
- Strings go through `to_json(text)`, which escapes exactly as orjson does (`"`, `\\`, control
  characters; non-ASCII kept as UTF-8).
- Timestamps are written as Python's `isoformat()` writes an aware UTC datetime: microseconds
  only when there are any, `+00:00`.
- Floats: PostgreSQL's shortest round-trip digits, laid out as orjson (NDJSON) or `repr()` (CSV)
  lay them out: `1.0` not `1`, orjson's `0.00001` and `1.5e-7`, `repr()`'s `1e-05`, both write
  numbers below 1e16 in full; NaN and infinities are `null` in JSON and `nan`/`inf` in CSV.
  The export's transaction sets `extra_float_digits` to 1 (shortest exact digits, the default).
"""

import heapq
import logging
import queue
import re
import struct
import threading
from collections.abc import Iterator

import orjson
import psycopg
import psycopg.sql
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction

from archive.models import Source
from quotes.exporting.formats import CSV_COLUMNS
from quotes.models import Citation, Quote, Speaker, Tag, Venue

logger = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024

QUOTE = Quote._meta.db_table
SPEAKER = Speaker._meta.db_table
VENUE = Venue._meta.db_table
TAG = Tag._meta.db_table
SOURCE = Source._meta.db_table
CITATION = Citation._meta.db_table
QUOTE_TAGS = Quote.tags.through._meta.db_table
QUOTE_ABOUT = Quote.about.through._meta.db_table
assert all(
    re.fullmatch(r"[a-z_]+", value)
    for choices in (Quote.Status, Quote.Verification, Quote.Precision, Citation.Role, Citation.Match)
    for value in choices.values
), "choice values are written into the SQL as they are"
PUBLIC = ", ".join(f"'{status}'" for status in Quote.PUBLIC_STATUSES)
MISATTRIBUTED = Quote.Verification.MISATTRIBUTED.value


def j(expression: str) -> str:
    """A NOT NULL value as JSON text."""
    return f"to_json({expression})::text"


def jn(expression: str) -> str:
    """A nullable value as JSON text (`null` for NULL)."""
    return f"coalesce(to_json({expression})::text, 'null')"


def choice(expression: str, choices) -> str:
    """A field with choices as JSON text: its usual values as ready literals (a comparison costs
    less than to_json), anything else through to_json."""
    whens = " ".join(f"WHEN '{value}' THEN '\"{value}\"'" for value in choices.values)
    return f"CASE {expression} {whens} ELSE {j(expression)} END"


def obj(*pairs: tuple[str, str]) -> str:
    """A JSON object from (key, SQL expression giving the value's JSON text) pairs, in order."""
    parts = []
    for n, (key, value) in enumerate(pairs):
        parts.append(f"'{'{' if n == 0 else ','}\"{key}\":'")
        parts.append(value)
    parts.append("'}'")
    return " || ".join(parts)


def iso_timestamp(column: str) -> str:
    """`datetime.isoformat()` of an aware UTC datetime, as text (no quotes)."""
    local = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"mod(date_part('microseconds', {local})::bigint, 1000000) = 0 THEN '' "
        f"ELSE to_char({local}, '.US') END || '+00:00'"
    )


def iso_date(column: str) -> str:
    """`date.isoformat()` as text (no quotes); NULL stays NULL."""
    return f"to_char({column}, 'YYYY-MM-DD')"


def _digits(text: str) -> str:
    return f"replace(ltrim(split_part({text}, 'e', 1), '-'), '.', '')"


def _sign(text: str) -> str:
    return f"CASE WHEN left({text}, 1) = '-' THEN '-' ELSE '' END"


def _fixed_e15(text: str) -> str:
    """A number PostgreSQL writes as d.ddde+15, written out in full as orjson and repr() do."""
    digits = _digits(text)
    return (
        f"{_sign(text)} || CASE WHEN length({digits}) > 16 THEN left({digits}, 16) || '.' || "
        f"substr({digits}, 17) ELSE rpad({digits}, 16, '0') || '.0' END"
    )


def float_json(text: str) -> str:
    """orjson's layout of a float, from PostgreSQL's float8 text `text` (NULL → null)."""
    exponent = f"split_part({text}, 'e', 2)::int"
    return (
        f"CASE WHEN {text} IS NULL OR {text} IN ('NaN', 'Infinity', '-Infinity') THEN 'null' "
        f"WHEN strpos({text}, 'e') = 0 THEN "
        f"CASE WHEN strpos({text}, '.') = 0 THEN {text} || '.0' ELSE {text} END "
        f"WHEN {exponent} = -5 THEN {_sign(text)} || '0.0000' || {_digits(text)} "
        f"WHEN {exponent} = 15 THEN {_fixed_e15(text)} "
        f"WHEN {exponent} < 0 THEN split_part({text}, 'e', 1) || 'e' || {exponent} "
        f"ELSE split_part({text}, 'e', 1) || 'e+' || {exponent} END"
    )


def float_repr(text: str) -> str:
    """`repr(float)` (what the csv module writes), from PostgreSQL's float8 text (NULL → '')."""
    return (
        f"CASE WHEN {text} IS NULL THEN '' WHEN {text} = 'NaN' THEN 'nan' "
        f"WHEN {text} = 'Infinity' THEN 'inf' WHEN {text} = '-Infinity' THEN '-inf' "
        f"WHEN strpos({text}, 'e') = 0 THEN "
        f"CASE WHEN strpos({text}, '.') = 0 THEN {text} || '.0' ELSE {text} END "
        f"WHEN split_part({text}, 'e', 2)::int = 15 THEN {_fixed_e15(text)} "
        f"ELSE {text} END"
    )


def plain_float(column: str, otherwise: str) -> str:
    """The common case first: a number with a fraction, neither tiny nor huge, is written alike
    by PostgreSQL, orjson and repr(); `otherwise` (from the text form) handles the rest."""
    return (
        f"CASE WHEN abs({column}) >= 1e-4 AND abs({column}) < 1e15 AND {column} <> trunc({column}) "
        f"THEN {column}::text ELSE {otherwise} END"
    )


def csv_cell(text: str) -> str:
    """A cell as the csv module writes it with QUOTE_MINIMAL (NULL → empty)."""
    return (
        f"CASE WHEN {text} IS NULL THEN '' WHEN strpos({text}, '\"') > 0 OR strpos({text}, ',') > 0 "
        f"OR strpos({text}, E'\\n') > 0 OR strpos({text}, E'\\r') > 0 "
        f"THEN '\"' || replace({text}, '\"', '\"\"') || '\"' ELSE {text} END"
    )


def csv_choice(expression: str, choices) -> str:
    """A field with choices as a CSV cell: its usual values need no quoting."""
    whens = " ".join(f"WHEN '{value}' THEN '{value}'" for value in choices.values)
    return f"CASE {expression} {whens} ELSE {csv_cell(expression)} END"


def csv_json_cell(json_text: str) -> str:
    """A JSON array cell: empty for no items, else quoted (a JSON array always holds a `"`)."""
    return f"coalesce('\"' || replace({json_text}, '\"', '\"\"') || '\"', '')"


CITATION_JSON = obj(
    ("id", "ci.id::text"),
    ("role", choice("ci.role", Citation.Role)),
    ("locator", j("ci.locator")),
    (
        "source",
        obj(
            ("id", "so.id::text"),
            ("url", j("so.url")),
            ("title", j("so.title")),
            ("publisher", j("so.publisher")),
            ("published_on", jn("so.published_on")),
            ("author", j("so.author")),
            ("language", j("so.language")),
        ),
    ),
    (
        "selector",
        "CASE WHEN ci.selector_exact = '' THEN 'null' ELSE "
        + obj(
            ("type", "'\"TextQuoteSelector\"'"),
            ("exact", j("ci.selector_exact")),
            ("prefix", j("ci.selector_prefix")),
            ("suffix", j("ci.selector_suffix")),
        )
        + " END",
    ),
    ("match", choice("ci.match", Citation.Match)),
    ("note", j("ci.note")),
)
ABOUT_JSON = obj(
    ("slug", j("sp.slug")),
    ("name", j("sp.name")),
    ("wikidata_qid", jn("nullif(sp.wikidata_qid, '')")),
    ("aliases", j("sp.aliases")),
    ("description", j("sp.description")),
)

#: Per quote, as JSON arrays or NULL when there are none: tag slugs and names (by tag name),
#: citations (by role, id), "about" speakers (by slug). Scalar subqueries in the select list, so
#: that they run once per exported quote, after the filter, whatever plan the joins get.
TAGS = f"""(SELECT '[' || string_agg(to_json(tg.{{column}})::text, ',' ORDER BY tg.name) || ']'
    FROM {QUOTE_TAGS} qt JOIN {TAG} tg ON tg.id = qt.tag_id WHERE qt.quote_id = q.id)"""  # noqa: S608 (table names are constants)
TAG_SLUGS, TAG_NAMES = TAGS.format(column="slug"), TAGS.format(column="name")
CITATIONS = f"""(SELECT '[' || string_agg({CITATION_JSON}, ',' ORDER BY ci.role, ci.id) || ']'
    FROM {CITATION} ci JOIN {SOURCE} so ON so.id = ci.source_id WHERE ci.quote_id = q.id)"""  # noqa: S608
ABOUT = f"""(SELECT '[' || string_agg({ABOUT_JSON}, ',' ORDER BY sp.slug) || ']'
    FROM {QUOTE_ABOUT} qa JOIN {SPEAKER} sp ON sp.id = qa.speaker_id WHERE qa.quote_id = q.id)"""  # noqa: S608


def _when_any(table: str, subquery: str) -> str:
    """`subquery` only for quotes that have rows in `table`: PostgreSQL can answer the EXISTS from
    one hash of the table's quote ids (a hashed alternative subplan), so that the many quotes
    without tags or "about" speakers cost no lookup of their own."""
    return f"(CASE WHEN EXISTS (SELECT FROM {table} g WHERE g.quote_id = q.id) THEN {subquery} END)"  # noqa: S608


TAG_SLUGS, TAG_NAMES = _when_any(QUOTE_TAGS, TAG_SLUGS), _when_any(QUOTE_TAGS, TAG_NAMES)
ABOUT = _when_any(QUOTE_ABOUT, ABOUT)

#: The filtered ids, numbered in id order into blocks of BLOCK quotes, and those of one share of
#: the blocks (block % shares = share), come sorted from behind an optimisation fence (OFFSET 0):
#: the quotes are then looked up by primary key in that order, nothing is computed for quotes
#: left out, and each block's lines are aggregated as they come (no sort of the lines).
FROM = f"""
FROM (
    SELECT numbered.id, numbered.block FROM (
        SELECT selected.id, (row_number() OVER (ORDER BY selected.id) - 1) / %(block)s AS block
        FROM (<ids>) selected
    ) numbered
    WHERE mod(numbered.block, %(shares)s) = %(share)s
    ORDER BY numbered.block, numbered.id OFFSET 0
) sel
JOIN {QUOTE} q ON q.id = sel.id
JOIN {SPEAKER} s ON s.id = q.speaker_id
LEFT JOIN {VENUE} v ON v.id = q.venue_id
LEFT JOIN {QUOTE} ca ON ca.id = q.correct_attribution_id
LEFT JOIN {SPEAKER} cas ON cas.id = ca.speaker_id
CROSS JOIN LATERAL (
    SELECT q.attribution_probability::text AS probability,
           {iso_timestamp("q.created_at")} AS created_at,
           {iso_timestamp("q.updated_at")} AS updated_at
) f"""  # noqa: S608

NDJSON_LINE = obj(
    ("id", "q.id::text"),
    ("url", "'\"' || %(quote_url)s || q.id || '/\"'"),
    ("text", j("q.text")),
    (
        "speaker",
        obj(
            ("slug", j("s.slug")),
            ("name", j("s.name")),
            ("wikidata_qid", jn("s.wikidata_qid")),
            ("url", j("%(speaker_url)s || s.slug || '/'")),
            ("aliases", j("s.aliases")),
            ("description", j("s.description")),
        ),
    ),
    ("speaker_role", j("q.speaker_role")),
    ("said_on", jn("q.said_on")),
    ("date_precision", choice("q.date_precision", Quote.Precision)),
    (
        "venue",
        "CASE WHEN v.id IS NULL THEN 'null' ELSE "
        + obj(
            ("name", j("v.name")),
            ("kind", j("v.kind")),
            ("location", j("v.location")),
            ("url", j("v.url")),
            ("held_on", jn("v.held_on")),
        )
        + " END",
    ),
    ("language", j("q.language")),
    ("context", j("q.context")),
    ("verification", choice("q.verification", Quote.Verification)),
    ("status", choice("q.status", Quote.Status)),
    (
        "misattribution",
        f"CASE WHEN q.verification <> '{MISATTRIBUTED}' THEN 'null' ELSE "
        + obj(
            ("note", j("q.verification_note")),
            (
                "correct_attribution",
                f"CASE WHEN ca.id IS NULL OR ca.status NOT IN ({PUBLIC}) THEN 'null' ELSE "
                + obj(
                    ("id", "ca.id::text"),
                    ("url", "'\"' || %(quote_url)s || ca.id || '/\"'"),
                    ("speaker", obj(("slug", j("cas.slug")), ("name", j("cas.name")))),
                )
                + " END",
            ),
        )
        + " END",
    ),
    ("tags", f"coalesce({TAG_SLUGS}, '[]')"),
    ("citations", f"coalesce({CITATIONS}, '[]')"),
    ("created_at", "'\"' || f.created_at || '\"'"),
    ("updated_at", "'\"' || f.updated_at || '\"'"),
    ("permalink", "'\"' || %(permalink)s || q.id || '/\"'"),
    ("embed_url", "'\"' || %(embed_url)s || q.id || '/\"'"),
    ("verification_note", j("q.verification_note")),
    ("status_note", j("q.status_note")),
    ("tag_names", f"coalesce({TAG_NAMES}, '[]')"),
    ("about", f"coalesce({ABOUT}, '[]')"),
    ("attribution_probability", plain_float("q.attribution_probability", float_json("f.probability"))),
    ("external_id", j("q.external_id")),
)

CSV_CELLS = {
    "id": "q.id::text",
    "text": csv_cell("q.text"),
    "speaker_slug": csv_cell("s.slug"),
    "speaker_name": csv_cell("s.name"),
    "speaker_qid": csv_cell("s.wikidata_qid"),
    "speaker_aliases": csv_cell("s.aliases"),
    "speaker_description": csv_cell("s.description"),
    "speaker_role": csv_cell("q.speaker_role"),
    "said_on": f"coalesce({iso_date('q.said_on')}, '')",
    "date_precision": csv_choice("q.date_precision", Quote.Precision),
    "venue_name": csv_cell("v.name"),
    "venue_kind": csv_cell("v.kind"),
    "venue_location": csv_cell("v.location"),
    "venue_url": csv_cell("v.url"),
    "venue_held_on": f"coalesce({iso_date('v.held_on')}, '')",
    "language": csv_cell("q.language"),
    "context": csv_cell("q.context"),
    "status": csv_choice("q.status", Quote.Status),
    "verification": csv_choice("q.verification", Quote.Verification),
    "verification_note": csv_cell("q.verification_note"),
    "status_note": csv_cell("q.status_note"),
    "tags": csv_json_cell(TAG_SLUGS),
    "tag_names": csv_json_cell(TAG_NAMES),
    "about": csv_json_cell(ABOUT),
    "citations": csv_json_cell(CITATIONS),
    "attribution_probability": plain_float("q.attribution_probability", float_repr("f.probability")),
    "external_id": csv_cell("q.external_id"),
    "created_at": "f.created_at",
    "updated_at": "f.updated_at",
    "url": csv_cell("%(quote_url_text)s || q.id || '/'"),
    "permalink": csv_cell("%(permalink_text)s || q.id || '/'"),
}
assert tuple(CSV_CELLS) == CSV_COLUMNS
CSV_LINE = " || ',' || ".join(f"({cell})" for cell in CSV_CELLS.values()) + " || E'\\r'"

LINES = {"ndjson": NDJSON_LINE, "csv": CSV_LINE}
HEADERS = {"ndjson": b"", "csv": (",".join(CSV_COLUMNS) + "\r\n").encode()}
_ROW = struct.Struct("!hiqi")  # fields (2), 8, the block's number, the length of its lines
_SIGNATURE_LENGTH = 19  # PGCOPY\n\377\r\n\0, flags, header extension length
_TRAILER = -1
#: Database sessions that write one export together, each every STREAMS-th block of quotes.
STREAMS = 2
#: Quotes a COPY row carries (their lines joined): Python handles blocks, never single lines.
BLOCK = 100


def export_statement(
    queryset, fmt: str, *, share: int = 0, shares: int = 1, base_url: str | None = None
) -> tuple[str, dict]:
    """COPY (block number, its lines) TO STDOUT for the quotes of `queryset` in id order, BLOCK
    quotes a block (the blocks whose number % shares == share): the statement and its parameters."""
    base = (settings.SITE_URL if base_url is None else base_url).rstrip("/")
    escaped = orjson.dumps(base).decode()[1:-1]
    ids_sql, ids_params = queryset.order_by().values("id").query.sql_with_params()
    params = {
        "quote_url": f"{escaped}/api/v1/quotes/",
        "speaker_url": f"{base}/api/v1/speakers/",
        "permalink": f"{escaped}/q/",
        "embed_url": f"{escaped}/embed/q/",
        "quote_url_text": f"{base}/api/v1/quotes/",
        "permalink_text": f"{base}/q/",
        "share": share,
        "shares": shares,
        "block": BLOCK,
    }
    # The filter's SQL has positional placeholders: give them names that cannot collide with ours.
    names = [f"ids_{n}" for n in range(len(ids_params))]
    params.update(zip(names, ids_params, strict=True))
    ids_sql = ids_sql.replace("%%", "\0") % tuple(f"%({name})s" for name in names)
    lines = f"string_agg({LINES[fmt]}, E'\\n' ORDER BY q.id)"
    source = FROM.replace("<ids>", ids_sql.replace("\0", "%%"))
    select = f"SELECT sel.block, {lines} {source} GROUP BY sel.block ORDER BY sel.block"  # noqa: S608
    return f"COPY ({select}) TO STDOUT (FORMAT binary)", params


def pg_chunks(queryset, fmt: str, *, using: str | None = None, streams: int = STREAMS) -> Iterator[bytes]:
    """The export as byte chunks of about CHUNK_BYTES, straight from the server's COPY stream.

    Outside a transaction, `streams` sessions share the work (block n goes to session
    n % streams) on one exported snapshot, and their blocks are merged back into order here: the
    database's line building is what costs, and it then runs on as many cores. Inside a
    transaction (whose uncommitted rows another session could not see), or when a second session
    cannot be opened, one session does it all.
    """
    connection = connections[using or queryset.db]
    header = HEADERS[fmt]
    if header:
        yield header
    try:
        export_statement(queryset, fmt)
    except EmptyResultSet:  # e.g. `.none()`: Django knows there is nothing to select
        return
    parallel = streams > 1 and not connection.in_atomic_block
    helpers: list[_Helper] = []
    with transaction.atomic(using=connection.alias), _client_cursor(connection) as cursor:
        try:
            if parallel:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                snapshot = cursor.execute("SELECT pg_export_snapshot()").fetchone()[0]
                helpers = _open_helpers(connection, cursor, snapshot, queryset, fmt, streams)
            _configure(cursor)
            shares = len(helpers) + 1
            statement = _mogrify(cursor, export_statement(queryset, fmt, share=0, shares=shares))
            for helper in helpers:
                helper.start()
            with cursor.copy(statement) as copy:
                blocks = _rows(copy)
                if helpers:  # block n comes from session n % shares: merge by number
                    blocks = heapq.merge(blocks, *(helper.blocks() for helper in helpers))
                yield from _chunks(blocks)
        finally:
            for helper in helpers:
                helper.stop()


def _open_helpers(connection, cursor, snapshot: str, queryset, fmt: str, streams: int) -> list["_Helper"]:
    """Sessions 1 .. streams-1 on `snapshot`, or none if one cannot be opened (e.g. too many
    connections): the first session then exports it all."""
    helpers = []
    try:
        for share in range(1, streams):
            statement = export_statement(queryset, fmt, share=share, shares=streams)
            helpers.append(_Helper(connection, snapshot, _mogrify(cursor, statement)))
    except psycopg.Error:
        logger.warning("export: a helper session could not be opened", exc_info=True)
        for helper in helpers:
            helper.stop()
        return []
    return helpers


def _configure(cursor) -> None:
    """Settings of an export's transaction."""
    # JIT compiling this long expression costs more than it saves on any export size.
    cursor.execute("SET LOCAL jit = off")
    # Shortest exact float digits (PostgreSQL's default), which the float layouts start from.
    cursor.execute("SET LOCAL extra_float_digits = 1")


def _client_cursor(connection) -> psycopg.ClientCursor:
    # Client-side binding whatever the settings: COPY takes no server-side parameters.
    connection.ensure_connection()
    return psycopg.ClientCursor(connection.connection)


def _mogrify(cursor, statement_and_params) -> str:
    statement, params = statement_and_params
    return cursor.mogrify(statement, params)


def _rows(copy) -> Iterator[tuple[int, bytes]]:
    """(block number, lines) from a binary COPY of (bigint, text) rows, as they arrive."""
    pending = b""
    skip = _SIGNATURE_LENGTH
    unpack = _ROW.unpack_from
    for block in copy:
        data = pending + bytes(block) if pending else bytes(block)
        if len(data) < skip:
            pending = data
            continue
        pos, end = skip, len(data)
        skip = 0
        while end - pos >= 18:
            fields, _, number, length = unpack(data, pos)
            if fields == _TRAILER:
                pos = end
                break
            stop = pos + 18 + length
            if stop > end:
                break
            yield number, data[pos + 18 : stop]
            pos = stop
        pending = data[pos:]


def _chunks(blocks: Iterator[tuple[int, bytes]]) -> Iterator[bytes]:
    """The blocks' lines, newline-terminated, gathered into chunks of about CHUNK_BYTES."""
    out: list[bytes] = []
    size = 0
    for _, lines in blocks:
        out.append(lines)
        size += len(lines) + 1
        if size >= CHUNK_BYTES:
            out.append(b"")
            yield b"\n".join(out)
            out, size = [], 0
    if out:
        out.append(b"")
        yield b"\n".join(out)


class _Helper(threading.Thread):
    """A second database session writing its share of the export on the same snapshot."""

    def __init__(self, connection, snapshot: str, statement: str) -> None:
        super().__init__(daemon=True, name="export-helper")
        params = connection.get_connection_params()
        for django_only in ("server_side_binding", "assume_role", "pool"):
            params.pop(django_only, None)
        self.session = psycopg.connect(**params)
        try:
            self.session.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            self.session.execute(psycopg.sql.SQL("SET TRANSACTION SNAPSHOT {}").format(snapshot))
            with self.session.cursor() as cursor:
                _configure(cursor)
        except BaseException:
            self.session.close()
            raise
        self.statement = statement
        self.queue: queue.Queue = queue.Queue(maxsize=8)  # blocks of about 150 kB
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            with self.session.cursor() as cursor, cursor.copy(self.statement) as copy:
                for block in _rows(copy):
                    if not self._put(block):
                        return
            self._put(None)
        except BaseException as error:  # handed to the consumer, which raises it
            self._put(error)

    def _put(self, item) -> bool:
        while not self.stopping.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def blocks(self) -> Iterator[tuple[int, bytes]]:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def stop(self) -> None:
        """Stop early (the client went away) or after the end: the session is closed either way."""
        self.stopping.set()
        if self.is_alive():
            self.session.cancel_safe()
            self.join(timeout=10)
        self.session.close()
