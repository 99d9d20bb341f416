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
import unicodedata
from itertools import combinations
from urllib.parse import parse_qs, quote, urlencode

import orjson

DATABASE_URL = os.environ.get("FLOOR_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/verbatim_bench")
IS_SQLITE = DATABASE_URL.startswith("sqlite:")
PH = "?" if IS_SQLITE else "%s"
# Ranking work is bounded like the project's: the most recent matches are ranked, not all of them.
SEARCH_CANDIDATES = int(os.environ.get("FLOOR_SEARCH_CANDIDATES", "500"))
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
    v.id, v.name, v.kind, v.location, v.url, q.status, q.verification_note,
    q.correct_attribution_id, ca.status, cas.slug, cas.name"""
QUOTE_FROM = """quotes_quote q JOIN quotes_speaker s ON s.id = q.speaker_id
    LEFT JOIN quotes_venue v ON v.id = q.venue_id
    LEFT JOIN quotes_quote ca ON ca.id = q.correct_attribution_id
    LEFT JOIN quotes_speaker cas ON cas.id = ca.speaker_id"""


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
    if isinstance(value, str):  # sqlite3 returns text; Django stores aware datetimes in UTC
        return value.replace(" ", "T", 1) + ("+00:00" if len(value) > 10 else "")
    return value.isoformat()


EXPORT_COLUMNS = """, s.aliases, s.description, v.held_on, q.attribution_probability, q.external_id,
    q.status_note"""


def quote_documents(rows: list[tuple], base: str, *, export: bool = False) -> list[dict]:
    """The API's quote representation for a page of rows: two more queries, whatever the page size.

    With `export`, the rows carry EXPORT_COLUMNS too and the documents the export's extra fields
    (one more query, for the speakers a quote is about)."""
    if not rows:
        return []
    ids = [row[0] for row in rows]
    condition, params = in_list(ids)
    citations: dict[int, list] = {}
    for row in fetch(
        "SELECT c.id, c.quote_id, c.role, c.locator, c.selector_exact, c.selector_prefix, "
        "c.selector_suffix, c.match, src.id, src.url, src.title, src.publisher, src.published_on, "
        "c.note, src.author, src.language FROM quotes_citation c "
        "JOIN archive_source src ON src.id = c.source_id "
        f"WHERE c.quote_id {condition} ORDER BY c.role, c.id",
        params,
    ):
        pk, quote_id, role, locator, exact, prefix, suffix, match, source_id = row[:9]
        selector = (
            {"type": "TextQuoteSelector", "exact": exact, "prefix": prefix, "suffix": suffix}
            if exact
            else None
        )
        citation = {
            "id": pk,
            "role": role,
            "locator": locator,
            "source": {
                "id": source_id,
                "url": row[9],
                "title": row[10],
                "publisher": row[11],
                "published_on": iso(row[12]),
            },
            "selector": selector,
            "match": match,
        }
        if export:
            citation["note"] = row[13]
            citation["source"]["author"] = row[14]
            citation["source"]["language"] = row[15]
        citations.setdefault(quote_id, []).append(citation)
    tags: dict[int, list] = {}
    tag_names: dict[int, list] = {}
    for quote_id, slug, tag_name in fetch(
        "SELECT qt.quote_id, t.slug, t.name FROM quotes_quote_tags qt JOIN quotes_tag t ON t.id = qt.tag_id "
        f"WHERE qt.quote_id {condition} ORDER BY t.name",
        params,
    ):
        tags.setdefault(quote_id, []).append(slug)
        tag_names.setdefault(quote_id, []).append(tag_name)
    about: dict[int, list] = {}
    if export:
        for quote_id, *speaker in fetch(
            "SELECT qa.quote_id, s.slug, s.name, s.wikidata_qid, s.aliases, s.description "
            "FROM quotes_quote_about qa JOIN quotes_speaker s ON s.id = qa.speaker_id "
            f"WHERE qa.quote_id {condition} ORDER BY qa.quote_id, s.slug",
            params,
        ):
            keys = ("slug", "name", "wikidata_qid", "aliases", "description")
            about.setdefault(quote_id, []).append(dict(zip(keys, speaker, strict=True)))
    documents = []
    for row in rows:
        (pk, text, role, said_on, precision, language, context, verification, created, updated) = row[:10]
        slug, name, qid, venue_id, venue_name, venue_kind, venue_location, venue_url = row[10:18]
        status, verification_note, correct_id, correct_status, correct_slug, correct_name = row[18:24]
        misattribution = None
        if verification == "misattributed":
            correct = None
            if correct_id and correct_status in ("published", "retracted"):
                correct = {
                    "id": correct_id,
                    "url": f"{base}/api/v1/quotes/{correct_id}/",
                    "speaker": {"slug": correct_slug, "name": correct_name},
                }
            misattribution = {"note": verification_note, "correct_attribution": correct}
        document = {
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
            "status": status,
            "misattribution": misattribution,
            "tags": tags.get(pk, []),
            "citations": citations.get(pk, []),
            "created_at": iso(created),
            "updated_at": iso(updated),
            "permalink": f"{base}/q/{pk}/",
            "embed_url": f"{base}/embed/q/{pk}/",
        }
        if export:
            aliases, description, held_on, probability, external_id, status_note = row[24:30]
            document["speaker"]["aliases"] = aliases
            document["speaker"]["description"] = description
            if document["venue"] is not None:
                document["venue"]["held_on"] = iso(held_on)
            document["verification_note"] = verification_note
            document["status_note"] = status_note
            document["tag_names"] = tag_names.get(pk, [])
            document["about"] = about.get(pk, [])
            document["attribution_probability"] = probability
            document["external_id"] = external_id
        documents.append(document)
    return documents


def search_match(terms: list[str]) -> tuple[str, list]:
    """The full-text condition for plain words (the benchmark's searches are single words)."""
    if IS_SQLITE:
        expression = " AND ".join(f'"{t}"' for t in terms)
        return "q.id IN (SELECT rowid FROM quotes_quote_fts WHERE quotes_quote_fts MATCH ?)", [expression]
    expression = " & ".join(f"'{t}'" for t in terms)
    return "q.search_vector @@ to_tsquery('simple'::regconfig, %s)", [expression]


def search_ids(terms: list[str], limit: int) -> tuple[list[int], bool]:
    """The most recent matches, ranked; the page is the best `limit` of them."""
    condition, params = search_match(terms)
    if IS_SQLITE:
        # bm25() computed in the MATCH query itself, newest rowids first: FTS5 walks its doclist
        # backwards and scores only the rows it returns.
        rows = fetch(
            "SELECT f.rowid, -bm25(quotes_quote_fts) FROM quotes_quote_fts f JOIN quotes_quote q "
            f"ON q.id = f.rowid WHERE quotes_quote_fts MATCH ? AND q.status = {PUBLISHED} "
            "ORDER BY f.rowid DESC LIMIT ?",
            [params[0], SEARCH_CANDIDATES],
        )
    else:
        rows = fetch(
            "SELECT q.id, ts_rank_cd(q.search_vector, to_tsquery('simple'::regconfig, %s)) "
            f"FROM quotes_quote q WHERE q.status = {PUBLISHED} AND {condition} ORDER BY q.id DESC LIMIT %s",
            [params[0], *params, SEARCH_CANDIDATES],
        )
    rows.sort(key=lambda row: (-row[1], -row[0]))
    return [row[0] for row in rows[:limit]], len(rows) > limit


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
        ids, more = search_ids(terms, page_size)
        if not ids:
            return "200 OK", {"next": None, "previous": None, "results": []}, None
        condition, id_args = in_list(ids)
        rows = fetch(f"SELECT {QUOTE_COLUMNS} FROM {QUOTE_FROM} WHERE q.id {condition}", id_args)
        order = {pk: index for index, pk in enumerate(ids)}
        rows.sort(key=lambda row: order[row[0]])
        next_url = None
        if more:
            cursor = base64.urlsafe_b64encode(orjson.dumps({"p": 1, "i": ids[-1]})).decode()
            next_url = f"{base}/api/v1/quotes/?{urlencode(params | {'cursor': cursor})}"
        return "200 OK", {"next": next_url, "previous": None, "results": quote_documents(rows, base)}, None
    if "cursor" in params:
        said_on, pk = orjson.loads(base64.urlsafe_b64decode(params["cursor"]))
        where.append(f"(q.said_on < {PH} OR (q.said_on = {PH} AND q.id < {PH}))")
        args += [said_on, said_on, pk]
    # Newest first, undated quotes last, as the API orders them. Dated and undated rows are read
    # apart so that the (status, said_on, id) index serves the dated part in its own order.
    rows = fetch(
        f"SELECT {QUOTE_COLUMNS} FROM {QUOTE_FROM} WHERE {' AND '.join(where)} AND q.said_on IS NOT NULL "
        f"ORDER BY q.said_on DESC, q.id DESC LIMIT {PH}",
        [*args, page_size + 1],
    )
    if len(rows) <= page_size and "cursor" not in params:
        rows += fetch(
            f"SELECT {QUOTE_COLUMNS} FROM {QUOTE_FROM} WHERE {' AND '.join(where)} AND q.said_on IS NULL "
            f"ORDER BY q.id DESC LIMIT {PH}",
            [*args, page_size + 1 - len(rows)],
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
    rows = fetch(f"SELECT {QUOTE_COLUMNS} FROM {QUOTE_FROM} WHERE q.id = {PH} AND q.status IN {PUBLIC}", [pk])
    if not rows:
        return "404 Not Found", {"detail": "Not found.", "code": "not_found"}, None
    return "200 OK", quote_documents(rows, base)[0], None


def search_form(text: str) -> str:
    """Case-folded, accent-free, whitespace collapsed: the form the archive indexes."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def fuzzy_score(fragment: str, text: str) -> float:
    from rapidfuzz import fuzz

    return max(fuzz.partial_ratio(fragment, text), 0.9 * fuzz.token_set_ratio(fragment, text)) / 100


# Words so common that matching them would make almost every quote a candidate (as the API).
COMMON_WORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "that",
        "this",
        "with",
        "you",
        "are",
        "was",
        "were",
        "not",
        "but",
        "have",
        "has",
        "had",
        "they",
        "their",
        "its",
        "our",
        "his",
        "her",
        "she",
        "him",
        "them",
        "from",
        "what",
        "which",
        "who",
        "will",
        "would",
        "there",
        "been",
        "all",
        "can",
        "any",
        "one",
    ]
)


_WORD_FREQUENCIES: dict[str, float] | None = None


def word_frequencies() -> dict[str, float]:
    """Share of quotes holding each of the commonest words (pg_stats), read once per process."""
    global _WORD_FREQUENCIES
    if _WORD_FREQUENCIES is None:
        rows = fetch(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE tablename = 'quotes_quote' AND attname = 'search_vector'",
            [],
        )
        _WORD_FREQUENCIES = dict(zip(rows[0][0], rows[0][1], strict=False)) if rows and rows[0][0] else {}
    return _WORD_FREQUENCIES


def at_least(words: list[str], count: int) -> str:
    """A tsquery true for a text holding at least `count` of `words`."""
    quoted = [f"'{w}'" for w in words]
    if count >= len(words):
        return " & ".join(quoted)
    if count <= 1:
        return " | ".join(quoted)
    return " | ".join("(" + " & ".join(c) + ")" for c in combinations(quoted, count))


FLOOR_LOOKUP_SQL = (
    "SELECT id, word_similarity(%s, search_text) AS score, similarity(%s, search_text) AS whole "
    "FROM (SELECT id, search_text FROM quotes_quote WHERE search_vector @@ %s::tsquery "
    f"AND status = {PUBLISHED} LIMIT 200) AS candidates "
    "ORDER BY score DESC, whole DESC, id LIMIT %s"
)


def lookup_hits(fragment: str) -> list[tuple[int, float]]:
    """(id, score), best first. PostgreSQL: candidates from the tsvector index holding all but one
    (then two, three) of the fragment's rarest words, ranked by pg_trgm word_similarity (the API's
    algorithm in quotes/lookup/postgres.py, without its phrase fallback and statement timeout).
    SQLite: FTS5 candidates re-ranked with rapidfuzz."""
    if not IS_SQLITE:
        frequencies = word_frequencies()
        words = list(dict.fromkeys(_TOKEN.findall(fragment)))
        words.sort(key=lambda w: (frequencies.get(w, 0.0), -len(w)))
        words = words[:6]
        while len(words) > 4 and frequencies.get(words[-1], 0.0) > 0.05:
            words.pop()
        found: dict[int, tuple] = {}
        for missing in (1, 2, 3):
            if not words:
                break
            required = max(len(words) - missing, min(2, len(words)))
            rows = fetch(FLOOR_LOOKUP_SQL, [fragment, fragment, at_least(words, required), LOOKUP_LIMIT])
            found.update((pk, (-score, -whole, pk)) for pk, score, whole in rows if score >= 0.5)
            if found:
                break
        best = sorted(found.values())[:LOOKUP_LIMIT]
        return [(pk, round(float(-score), 4)) for score, _, pk in best]
    from rapidfuzz import fuzz

    words = list(dict.fromkeys(re.findall(r"\w+", fragment)))
    words = ([w for w in words if len(w) > 2 and w not in COMMON_WORDS] or words)[:24]
    if not words:
        return []
    candidates = fetch(
        "SELECT q.id, q.search_text FROM quotes_quote_fts f JOIN quotes_quote q ON q.id = f.rowid "
        f"WHERE quotes_quote_fts MATCH ? AND q.status = {PUBLISHED} ORDER BY f.rank LIMIT 200",
        [" OR ".join(f'"{w}"' for w in words)],
    )
    scored = []
    for pk, text in candidates:
        score = round(fuzzy_score(fragment, text), 4)
        if score >= 0.65:
            scored.append((-score, -fuzz.ratio(fragment, text), pk))
    scored.sort()
    return [(pk, -score) for score, _, pk in scored[:LOOKUP_LIMIT]]


def lookup(params: dict, base: str):
    hits = lookup_hits(search_form(params.get("text", "")))
    if not hits:
        return "200 OK", {"results": []}, None
    condition, id_args = in_list([pk for pk, _ in hits])
    by_id = {
        row[0]: row
        for row in fetch(f"SELECT {QUOTE_COLUMNS} FROM {QUOTE_FROM} WHERE q.id {condition}", id_args)
    }
    documents = quote_documents([by_id[pk] for pk, _ in hits if pk in by_id], base)
    scores = dict(hits)
    for document in documents:
        document["score"] = scores[document["id"]]
        citations = document["citations"]
        document["earliest_citation"] = (
            min(
                citations,
                key=lambda c: (
                    c["source"]["published_on"] is None,
                    c["source"]["published_on"] or "",
                    c["id"],
                ),
            )
            if citations
            else None
        )
    return "200 OK", {"results": documents}, None


STATE_SQL = f"""SELECT q.status, q.version, q.updated_at, s.updated_at, v.updated_at, count(c.id),
    max(c.updated_at), max(src.updated_at)
    FROM quotes_quote q JOIN quotes_speaker s ON s.id = q.speaker_id
    LEFT JOIN quotes_venue v ON v.id = q.venue_id
    LEFT JOIN quotes_citation c ON c.quote_id = q.id
    LEFT JOIN archive_source src ON src.id = c.source_id
    WHERE q.id = {PH} AND q.status IN {PUBLIC}
    GROUP BY q.status, q.version, q.updated_at, s.updated_at, v.updated_at"""
CARD_CSS_PATH = os.path.join(os.path.dirname(__file__), "..", "quotes", "static", "quotes", "embed.css")
CARD_CSS = open(CARD_CSS_PATH).read() if os.path.exists(CARD_CSS_PATH) else "body{margin:0}"  # noqa: SIM115


def state_tag(pk: int, salt: str) -> str | None:
    """What a card shows, as one ETag from one query (as the project computes it)."""
    rows = fetch(STATE_SQL, [pk])
    if not rows:
        return None
    return '"' + hashlib.sha256(f"{salt}|{rows[0]!r}".encode()).hexdigest()[:32] + '"'


def embed_card(pk: int, environ: dict, base: str):
    etag = state_tag(pk, f"embed|{environ.get('HTTP_HOST')}")
    if etag is None:
        return "404 Not Found", b"Not found", [("Content-Type", "text/plain")]
    headers = [("ETag", etag), ("Cache-Control", "public, max-age=300")]
    if environ.get("HTTP_IF_NONE_MATCH") == etag:
        return "304 Not Modified", b"", headers
    row = fetch(f"SELECT {QUOTE_COLUMNS} FROM {QUOTE_FROM} WHERE q.id = {PH}", [pk])[0]
    sources = fetch(
        "SELECT c.role, src.url, src.publisher, src.title FROM quotes_citation c "
        f"JOIN archive_source src ON src.id = c.source_id WHERE c.quote_id = {PH} ORDER BY c.role, c.id",
        [pk],
    )
    best = next((s for s in sources if s[0] == "primary"), sources[0] if sources else None)
    text, said_on, name = html.escape(row[1]), iso(row[3]), html.escape(row[11])
    permalink = f"{base}/q/{pk}/"
    source = ""
    if best:
        more = f" and {len(sources) - 1} more" if len(sources) > 1 else ""
        source = (
            f'<p class="source">Source: <a href="{html.escape(best[1])}" target="_blank" '
            f'rel="noopener nofollow">{html.escape(best[2] or best[3])}</a>{more}</p>'
        )
    body = (
        f'<!doctype html><html lang="{html.escape(row[5])}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" '
        f'content="noindex"><title>{name}: “{html.escape(row[1][:60])}”</title><style>{CARD_CSS}</style>'
        f'</head><body><figure><blockquote cite="{html.escape(best[1]) if best else permalink}"><p>{text}'
        f'</p></blockquote><figcaption><p class="meta">— <span class="speaker">{name}</span></p>'
        f'<p class="meta">{said_on}</p>{source}<p class="record"><a href="{permalink}" target="_blank" '
        'rel="noopener">Verbatim record: sources, corrections and how to cite</a></p></figcaption>'
        "</figure></body></html>"
    ).encode()
    return "200 OK", body, [*headers, ("Content-Type", "text/html; charset=utf-8")]


def oembed(params: dict, environ: dict, base: str):
    match = _PERMALINK.search(params.get("url", ""))
    pk = int(match.group(1)) if match else 0
    width = min(int(params.get("maxwidth", 600)), 600)
    height = min(int(params.get("maxheight", 300)), 300)
    etag = state_tag(pk, f"oembed|{width}|{height}|{environ.get('HTTP_HOST')}") if pk else None
    if etag is None:
        return "404 Not Found", {"detail": "Not found.", "code": "not_found"}, None
    rows = fetch(
        f"SELECT q.text, s.name, s.slug FROM quotes_quote q JOIN quotes_speaker s ON s.id = q.speaker_id "
        f"WHERE q.id = {PH}",
        [pk],
    )
    text, name, slug = rows[0]
    document = {
        "version": "1.0",
        "type": "rich",
        "html": f'<iframe src="{base}/embed/q/{pk}/" width="{width}" height="{height}" '
        f'style="border:0" title="Quote by {html.escape(name)}"></iframe>',
        "width": width,
        "height": height,
        "title": text[:100],
        "author_name": name,
        "author_url": f"{base}/s/{slug}/",
        "provider_name": "Verbatim",
        "provider_url": f"{base}/",
        "cache_age": 3600,
    }
    return "200 OK", document, [("Cache-Control", "public, max-age=3600"), ("ETag", etag)]


def export_ndjson(params: dict, base: str):
    """Streamed: rows come from a server-side cursor in batches, one JSON line per quote."""
    where = [f"q.status = {PUBLISHED}"]
    args: list = []
    if "said_after" in params:
        where.append(f"q.said_on >= {PH}")
        args.append(params["said_after"])
    sql = (
        f"SELECT {QUOTE_COLUMNS}{EXPORT_COLUMNS} FROM {QUOTE_FROM} WHERE {' AND '.join(where)} ORDER BY q.id"
    )

    def lines():
        if IS_SQLITE:
            cursor = connection().execute(sql, args)
            while batch := cursor.fetchmany(2000):
                yield b"".join(orjson.dumps(d) + b"\n" for d in quote_documents(batch, base, export=True))
            return
        with connection().transaction(), connection().cursor(name="floor_export") as cursor:
            cursor.itersize = 2000
            cursor.execute(sql, args)
            while batch := cursor.fetchmany(2000):
                yield b"".join(orjson.dumps(d) + b"\n" for d in quote_documents(batch, base, export=True))

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
            status, document, extra = oembed(params, environ, base)
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
