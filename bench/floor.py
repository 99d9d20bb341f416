"""The floor: a bare WSGI app answering the benchmark's URLs with no framework at all.

It runs the same queries as Verbatim's API for each benchmark scenario and returns the same JSON
fields (psycopg or sqlite3 + orjson, hand-written SQL, no ORM, no middleware), so that the
benchmark can say how much of the floor's throughput the real project keeps. It is served by
the same gunicorn settings as the project:

    FLOOR_DATABASE_URL=postgres://postgres@127.0.0.1:5432/verbatim_bench \\
        gunicorn bench.floor:application

Routes (same paths and parameters as the project): /api/v1/quotes/ (speaker, said_after,
said_before, language, q, ordering=-said_on, page_size, cursor), /api/v1/quotes/{id}/,
/api/v1/quotes/export/?format=ndjson, /api/v1/lookup/?text=, /embed/q/{id}/, /oembed?url=.
"""

import base64
import hashlib
import html
import os
import re
import sqlite3
import threading
from urllib.parse import parse_qs, quote, urlencode

import orjson

DATABASE_URL = os.environ.get("FLOOR_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/verbatim_bench")
IS_SQLITE = DATABASE_URL.startswith("sqlite:")
PH = "?" if IS_SQLITE else "%s"
# Ranking work is bounded like the project's: the most recent matches are ranked, not all of them.
SEARCH_CANDIDATES = int(os.environ.get("FLOOR_SEARCH_CANDIDATES", "200"))
LOOKUP_LIMIT = 10
PUBLISHED = "'published'"
PUBLIC = "('published', 'retracted')"
_TOKEN = re.compile(r"[^\W_]+")
_QUOTE_PATH = re.compile(r"^/api/v1/quotes/(\d+)/$")
_EMBED_PATH = re.compile(r"^/embed/q/(\d+)/$")
_PERMALINK = re.compile(r"/q/(\d+)/?$")
_local = threading.local()

QUOTE_COLUMNS = """q.id, q.text, q.speaker_role, q.said_on, q.date_precision, q.language, q.context,
    q.verification, q.created_at, q.updated_at, s.slug, s.name, s.wikidata_qid,
    v.id, v.name, v.kind, v.location, v.url"""
QUOTE_FROM = """quotes_quote q JOIN quotes_speaker s ON s.id = q.speaker_id
    LEFT JOIN quotes_venue v ON v.id = q.venue_id"""


def connection():
    conn = getattr(_local, "conn", None)
    if conn is None:
        if IS_SQLITE:
            path = DATABASE_URL.removeprefix("sqlite:///")
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA query_only = 1")
        else:
            import psycopg

            conn = psycopg.connect(DATABASE_URL, autocommit=True)
            conn.execute("SET TIME ZONE 'UTC'")
        _local.conn = conn
    return conn


def fetch(sql: str, params=()) -> list[tuple]:
    cursor = connection().execute(sql, params)
    return cursor.fetchall()


def in_list(ids: list[int]) -> tuple[str, list]:
    """A membership condition: one array parameter on PostgreSQL (one prepared statement)."""
    if IS_SQLITE:
        return "IN (" + ",".join("?" * len(ids)) + ")", list(ids)
    return "= ANY(%s)", [list(ids)]


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):  # sqlite3 returns text
        return value.replace(" ", "T", 1)
    return value.isoformat()


def quote_documents(rows: list[tuple], base: str) -> list[dict]:
    """The API's quote representation for a page of rows: two more queries, whatever the page size."""
    if not rows:
        return []
    ids = [row[0] for row in rows]
    condition, params = in_list(ids)
    citations: dict[int, list] = {}
    for quote_id, role, match, exact, prefix, suffix, url, title, publisher, published_on in fetch(
        "SELECT c.quote_id, c.role, c.match, c.selector_exact, c.selector_prefix, c.selector_suffix, "
        "src.url, src.title, src.publisher, src.published_on FROM quotes_citation c "
        f"JOIN archive_source src ON src.id = c.source_id WHERE c.quote_id {condition} "
        "ORDER BY c.role, c.id",
        params,
    ):
        selector = (
            {"type": "TextQuoteSelector", "exact": exact, "prefix": prefix, "suffix": suffix}
            if exact
            else None
        )
        citations.setdefault(quote_id, []).append(
            {
                "role": role,
                "source": {
                    "url": url,
                    "title": title,
                    "publisher": publisher,
                    "published_on": iso(published_on),
                },
                "selector": selector,
                "match": match,
            }
        )
    tags: dict[int, list] = {}
    for quote_id, name in fetch(
        "SELECT qt.quote_id, t.name FROM quotes_quote_tags qt JOIN quotes_tag t ON t.id = qt.tag_id "
        f"WHERE qt.quote_id {condition} ORDER BY t.name",
        params,
    ):
        tags.setdefault(quote_id, []).append(name)
    documents = []
    for row in rows:
        (pk, text, role, said_on, precision, language, context, verification, created, updated) = row[:10]
        slug, name, qid, venue_id, venue_name, venue_kind, venue_location, venue_url = row[10:18]
        documents.append(
            {
                "id": pk,
                "url": f"{base}/api/v1/quotes/{pk}/",
                "text": text,
                "speaker": {
                    "slug": slug,
                    "name": name,
                    "wikidata_qid": qid,
                    "url": f"{base}/api/v1/speakers/{slug}/",
                },
                "speaker_role": role,
                "said_on": iso(said_on),
                "date_precision": precision,
                "venue": None
                if venue_id is None
                else {"name": venue_name, "kind": venue_kind, "location": venue_location, "url": venue_url},
                "language": language,
                "context": context,
                "verification": verification,
                "tags": tags.get(pk, []),
                "citations": citations.get(pk, []),
                "created_at": iso(created),
                "updated_at": iso(updated),
                "permalink": f"{base}/q/{pk}/",
                "embed_url": f"{base}/embed/q/{pk}/",
            }
        )
    return documents


def search_match(terms: list[str]) -> tuple[str, list]:
    """The full-text condition for plain words (the benchmark's searches are single words)."""
    if IS_SQLITE:
        expression = " AND ".join(f'"{t}"' for t in terms)
        return "q.id IN (SELECT rowid FROM quotes_quote_fts WHERE quotes_quote_fts MATCH ?)", [expression]
    expression = " & ".join(f"'{t}'" for t in terms)
    return "q.search_vector @@ to_tsquery('simple'::regconfig, %s)", [expression]


def search_ids(terms: list[str], limit: int) -> list[int]:
    """The most recent matches, ranked; the page is the best `limit` of them."""
    condition, params = search_match(terms)
    if IS_SQLITE:
        expression = params[0]
        rows = fetch(
            "SELECT q.id, (SELECT -bm25(quotes_quote_fts) FROM quotes_quote_fts WHERE quotes_quote_fts "
            f"MATCH ? AND rowid = q.id) FROM quotes_quote q WHERE q.status = {PUBLISHED} AND {condition} "
            "ORDER BY q.id DESC LIMIT ?",
            [expression, *params, SEARCH_CANDIDATES],
        )
    else:
        rows = fetch(
            "SELECT q.id, ts_rank_cd(q.search_vector, to_tsquery('simple'::regconfig, %s)) "
            f"FROM quotes_quote q WHERE q.status = {PUBLISHED} AND {condition} ORDER BY q.id DESC LIMIT %s",
            [params[0], *params, SEARCH_CANDIDATES],
        )
    rows.sort(key=lambda row: (-row[1], -row[0]))
    return [row[0] for row in rows[:limit]]


def list_quotes(params: dict, base: str) -> tuple[str, dict, dict | None]:
    page_size = int(params.get("page_size", "20"))
    where = [f"q.status = {PUBLISHED}"]
    args: list = []
    if "speaker" in params:
        where.append(f"q.speaker_id = (SELECT id FROM quotes_speaker WHERE slug = {PH})")
        args.append(params["speaker"])
    if "said_after" in params:
        where.append(f"q.said_on >= {PH}")
        args.append(params["said_after"])
    if "said_before" in params:
        where.append(f"q.said_on <= {PH}")
        args.append(params["said_before"])
    if "language" in params:
        where.append(f"q.language = {PH}")
        args.append(params["language"])
    if params.get("q"):
        terms = _TOKEN.findall(params["q"].lower())
        ids = search_ids(terms, page_size)
        if not ids:
            return "200 OK", {"next": None, "previous": None, "results": []}, None
        condition, id_args = in_list(ids)
        rows = fetch(f"SELECT {QUOTE_COLUMNS} FROM {QUOTE_FROM} WHERE q.id {condition}", id_args)
        order = {pk: index for index, pk in enumerate(ids)}
        rows.sort(key=lambda row: order[row[0]])
        return "200 OK", {"next": None, "previous": None, "results": quote_documents(rows, base)}, None
    if "cursor" in params:
        said_on, pk = orjson.loads(base64.urlsafe_b64decode(params["cursor"]))
        where.append(f"(q.said_on < {PH} OR (q.said_on = {PH} AND q.id < {PH}))")
        args += [said_on, said_on, pk]
    rows = fetch(
        f"SELECT {QUOTE_COLUMNS} FROM {QUOTE_FROM} WHERE {' AND '.join(where)} "
        f"ORDER BY q.said_on DESC, q.id DESC LIMIT {PH}",
        [*args, page_size + 1],
    )
    next_url = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        last = rows[-1]
        cursor = base64.urlsafe_b64encode(orjson.dumps([iso(last[3]), last[0]])).decode()
        following = {k: v for k, v in params.items() if k != "cursor"} | {"cursor": cursor}
        next_url = f"{base}/api/v1/quotes/?{urlencode(following)}"
    return "200 OK", {"next": next_url, "previous": None, "results": quote_documents(rows, base)}, None


def quote_detail(pk: int, base: str):
    rows = fetch(
        f"SELECT {QUOTE_COLUMNS} FROM {QUOTE_FROM} WHERE q.id = {PH} AND q.status = {PUBLISHED}", [pk]
    )
    if not rows:
        return "404 Not Found", {"detail": "Not found.", "code": "not_found"}, None
    return "200 OK", quote_documents(rows, base)[0], None


def lookup(params: dict, base: str):
    text = params.get("text", "")
    folded = " ".join(_TOKEN.findall(text.lower()))
    if IS_SQLITE:
        from rapidfuzz import fuzz

        words = [w for w in folded.split() if len(w) > 2]
        if not words:
            return "200 OK", {"results": []}, None
        expression = " OR ".join(f'"{w}"' for w in words)
        candidates = fetch(
            "SELECT q.id, q.search_text FROM quotes_quote_fts f JOIN quotes_quote q ON q.id = f.rowid "
            f"WHERE quotes_quote_fts MATCH ? AND q.status = {PUBLISHED} ORDER BY f.rank LIMIT 200",
            [expression],
        )
        scored = sorted(
            ((fuzz.partial_ratio(folded, row[1]) / 100, row[0]) for row in candidates), reverse=True
        )[:LOOKUP_LIMIT]
    else:
        scored = [
            (row[1], row[0])
            for row in fetch(
                "SELECT q.id, word_similarity(%s, q.search_text) AS score FROM quotes_quote q "
                f"WHERE %s <%% q.search_text AND q.status = {PUBLISHED} ORDER BY score DESC LIMIT %s",
                [folded, folded, LOOKUP_LIMIT],
            )
        ]
    if not scored:
        return "200 OK", {"results": []}, None
    ids = [pk for _, pk in scored]
    condition, id_args = in_list(ids)
    rows = {
        row[0]: row
        for row in fetch(
            "SELECT q.id, q.text, q.said_on, q.date_precision, q.verification, s.slug, s.name, "
            "s.wikidata_qid FROM quotes_quote q JOIN quotes_speaker s ON s.id = q.speaker_id "
            f"WHERE q.id {condition}",
            id_args,
        )
    }
    earliest: dict[int, dict] = {}
    for quote_id, url, title, publisher, published_on in fetch(
        "SELECT c.quote_id, src.url, src.title, src.publisher, src.published_on FROM quotes_citation c "
        f"JOIN archive_source src ON src.id = c.source_id WHERE c.quote_id {condition} "
        "ORDER BY src.published_on, c.id",
        id_args,
    ):
        earliest.setdefault(
            quote_id, {"url": url, "title": title, "publisher": publisher, "published_on": iso(published_on)}
        )
    results = []
    for score, pk in scored:
        _, text, said_on, precision, verification, slug, name, qid = rows[pk]
        results.append(
            {
                "id": pk,
                "url": f"{base}/api/v1/quotes/{pk}/",
                "text": text,
                "score": round(score, 4),
                "speaker": {"slug": slug, "name": name, "wikidata_qid": qid},
                "said_on": iso(said_on),
                "date_precision": precision,
                "verification": verification,
                "earliest_citation": earliest.get(pk),
                "permalink": f"{base}/q/{pk}/",
            }
        )
    return "200 OK", {"results": results}, None


def card_row(pk: int):
    rows = fetch(
        "SELECT q.id, q.text, q.said_on, q.date_precision, q.status, q.version, q.updated_at, s.name, "
        f"s.slug FROM quotes_quote q JOIN quotes_speaker s ON s.id = q.speaker_id WHERE q.id = {PH} "
        f"AND q.status IN {PUBLIC}",
        [pk],
    )
    return rows[0] if rows else None


def embed_card(pk: int, environ: dict, base: str):
    row = card_row(pk)
    if row is None:
        return "404 Not Found", b"Not found", [("Content-Type", "text/plain")]
    etag = '"' + hashlib.sha256(f"{row[0]}:{row[5]}:{row[6]}".encode()).hexdigest()[:32] + '"'
    headers = [("ETag", etag), ("Cache-Control", "public, max-age=300")]
    if environ.get("HTTP_IF_NONE_MATCH") == etag:
        return "304 Not Modified", b"", headers
    text, said_on, name = html.escape(row[1]), iso(row[2]), html.escape(row[7])
    permalink = f"{base}/q/{pk}/"
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        f"<title>{name}</title><style>body{{font:16px/1.5 Georgia,serif;margin:0;padding:1rem}}"
        "blockquote{margin:0}@media(prefers-color-scheme:dark){body{background:#111;color:#eee}}</style>"
        f'</head><body><figure><blockquote cite="{permalink}"><p>{text}</p></blockquote>'
        f'<figcaption>— {name}, <time datetime="{said_on}">{said_on}</time> · '
        f'<a href="{permalink}" target="_blank" rel="noopener">Verbatim</a></figcaption></figure>'
        "</body></html>"
    ).encode()
    return "200 OK", body, [*headers, ("Content-Type", "text/html; charset=utf-8")]


def oembed(params: dict, base: str):
    match = _PERMALINK.search(params.get("url", ""))
    row = card_row(int(match.group(1))) if match else None
    if row is None:
        return "404 Not Found", {"detail": "Not found.", "code": "not_found"}, None
    pk = row[0]
    width = min(int(params.get("maxwidth", 600)), 600)
    height = min(int(params.get("maxheight", 300)), 300)
    document = {
        "version": "1.0",
        "type": "rich",
        "html": f'<iframe src="{base}/embed/q/{pk}/" width="{width}" height="{height}" '
        f'style="border:0" title="Quote by {html.escape(row[7])}"></iframe>',
        "width": width,
        "height": height,
        "title": row[1][:100],
        "author_name": row[7],
        "author_url": f"{base}/s/{row[8]}/",
        "provider_name": "Verbatim",
        "provider_url": f"{base}/",
        "cache_age": 3600,
    }
    return "200 OK", document, [("Cache-Control", "public, max-age=3600")]


def export_ndjson(params: dict, base: str):
    """Streamed: rows come from a server-side cursor in batches, one JSON line per quote."""
    where = [f"q.status = {PUBLISHED}"]
    args: list = []
    if "said_after" in params:
        where.append(f"q.said_on >= {PH}")
        args.append(params["said_after"])
    sql = f"SELECT {QUOTE_COLUMNS} FROM {QUOTE_FROM} WHERE {' AND '.join(where)} ORDER BY q.id"

    def lines():
        if IS_SQLITE:
            cursor = connection().execute(sql, args)
            while batch := cursor.fetchmany(2000):
                yield b"".join(orjson.dumps(d) + b"\n" for d in quote_documents(batch, base))
            return
        with connection().transaction(), connection().cursor(name="floor_export") as cursor:
            cursor.itersize = 2000
            cursor.execute(sql, args)
            while batch := cursor.fetchmany(2000):
                yield b"".join(orjson.dumps(d) + b"\n" for d in quote_documents(batch, base))

    return lines()


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    params = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    base = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '127.0.0.1')}"
    try:
        if path == "/api/v1/quotes/":
            status, document, extra = list_quotes(params, base)
        elif path == "/api/v1/quotes/export/":
            start_response(
                "200 OK",
                [
                    ("Content-Type", "application/x-ndjson"),
                    ("Content-Disposition", 'attachment; filename="quotes.ndjson"'),
                ],
            )
            return export_ndjson(params, base)
        elif path == "/api/v1/lookup/":
            status, document, extra = lookup(params, base)
        elif path == "/oembed":
            status, document, extra = oembed(params, base)
        elif match := _QUOTE_PATH.match(path):
            status, document, extra = quote_detail(int(match.group(1)), base)
        elif match := _EMBED_PATH.match(path):
            status, body, headers = embed_card(int(match.group(1)), environ, base)
            start_response(status, headers)
            return [body]
        else:
            status, document, extra = "404 Not Found", {"detail": f"No route {quote(path)}"}, None
    except (ValueError, KeyError) as exc:
        status, document, extra = "400 Bad Request", {"detail": str(exc), "code": "invalid"}, None
    body = orjson.dumps(document)
    start_response(status, [("Content-Type", "application/json"), *(extra or [])])
    return [body]
