"""Cursor pages over quotes: stable under every ordering, no COUNT(*), no OFFSET.

A cursor is an opaque token holding the ordering and the position (sort value and id) of the
row a page starts after (or, going back, before). Ties are broken by id, in the direction of the
ordering, and undated quotes come last, so walking every page meets each quote exactly once.

Relevance is bounded: the search backend scores only the RELEVANCE_CANDIDATES most recent
matches; those come first, by score then id, and every older match follows, newest first. The
order is still total, so relevance pages also walk the whole result without loss or repetition.
"""

import base64
import binascii
import datetime
from dataclasses import dataclass

import orjson
from django.db.models import F
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination

from quotes.api.rows import quote_rows_by_id
from quotes.filtersets import ORDERINGS, SEARCH_ORDERING
from quotes.models import Quote
from quotes.search import get_search_backend
from quotes.selectors import QuoteSelection, keyset_after

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
#: How many of the most recent matches a relevance search scores (bounds the ranking work).
RELEVANCE_CANDIDATES = 500


@dataclass
class QuotePage:
    """One page of quote rows (quotes.api.rows.QUOTE_COLUMNS) and the cursors to its neighbours."""

    rows: list[dict]
    next_cursor: str | None
    previous_cursor: str | None


def page_size_from(params) -> int:
    raw = params.get("page_size")
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({"page_size": ["Enter a whole number."]}) from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [f"Enter a number from 1 to {MAX_PAGE_SIZE}."]})
    return size


def encode_cursor(payload: dict) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_cursor(token: str, ordering: str) -> dict:
    """The position in a cursor made for `ordering`; a 400 on anything else."""
    invalid = ValidationError({"cursor": ["Invalid cursor: start again from the first page."]})
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if payload["o"] != ordering:
            raise ValidationError({"cursor": ["This cursor belongs to another ordering."]})
        if payload["d"] not in ("next", "prev") or not isinstance(payload["i"], int):
            raise invalid
        column = ORDERINGS[ordering][0]
        if column == "said_on" and payload["v"] is not None:
            payload["v"] = datetime.date.fromisoformat(payload["v"])
        elif column == "created_at":
            payload["v"] = datetime.datetime.fromisoformat(payload["v"])
        elif column is None and payload.get("p") == 1:
            payload["s"] = float(payload["s"])
    except ValidationError:
        raise
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError, orjson.JSONDecodeError):
        raise invalid from None
    return payload


def paginate_quotes(selection: QuoteSelection, *, cursor: str | None, page_size: int) -> QuotePage:
    position = decode_cursor(cursor, selection.ordering) if cursor else None
    if selection.ordering == SEARCH_ORDERING:
        return _relevance_page(selection, position, page_size)
    return _keyset_page(selection, position, page_size)


def _keyset_page(selection: QuoteSelection, position: dict | None, size: int) -> QuotePage:
    """Dated quotes in (column, id) order, then undated ones by id: two index-ordered parts.

    Each part is a separate query whose ORDER BY matches a (status, column, id) index, so a
    page costs one short index range scan (two where the parts meet) however deep it is.
    """
    ordering, queryset = selection.ordering, selection.queryset
    column, descending = ORDERINGS[ordering]
    backwards = bool(position) and position["d"] == "prev"
    forward = descending != backwards  # direction of this query's scan
    by_id = "-id" if forward else "id"
    dated = queryset.filter(**{f"{column}__isnull": False}).order_by(
        F(column).desc() if forward else F(column).asc(), by_id
    )
    undated = queryset.filter(**{f"{column}__isnull": True}).order_by(by_id)
    # In the forward direction dated quotes come first; going back, undated ones do.
    parts = [dated, undated] if not backwards else [undated, dated]
    if not Quote._meta.get_field(column).null:
        parts.remove(undated)
        undated = None
    if position:
        in_undated = position["v"] is None
        id_beyond = {"id__lt" if forward else "id__gt": position["i"]}
        if in_undated and undated is not None:
            parts[parts.index(undated)] = undated.filter(**id_beyond)
            if not backwards:
                parts.remove(dated)
        else:
            parts[parts.index(dated)] = dated.filter(
                keyset_after(column, position["v"], position["i"], descending=forward)
            )
            if backwards and undated is not None:
                parts.remove(undated)
    rows: list[dict] = []
    for part in parts:
        # The part picks the page's ids in index order (a short, single-table statement); their
        # columns come from the fixed, prepared statement of quotes/api/rows.py.
        ids = list(part.values_list("id", flat=True)[: size + 1 - len(rows)])
        rows += quote_rows_by_id(ids, using=queryset.db)
        if len(rows) > size:
            break
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    has_next, has_previous = (True, more) if backwards else (more, position is not None)

    def cursor(row: dict, direction: str) -> str:
        value = row[column]
        return encode_cursor(
            {"o": ordering, "d": direction, "v": value.isoformat() if value else None, "i": row["id"]}
        )

    return QuotePage(
        rows=rows,
        next_cursor=cursor(rows[-1], "next") if rows and has_next else None,
        previous_cursor=cursor(rows[0], "prev") if rows and has_previous else None,
    )


def _relevance_page(selection: QuoteSelection, position: dict | None, size: int) -> QuotePage:
    queryset = selection.queryset
    scored = get_search_backend(queryset.db).ranked(
        selection.unsearched, selection.search, limit=RELEVANCE_CANDIDATES
    )
    scored.sort(key=lambda item: (-item[1], -item[0]))
    ranked = [{"p": 1, "s": score, "i": pk} for pk, score in scored]
    has_older = len(scored) == RELEVANCE_CANDIDATES
    floor = min((pk for pk, _ in scored), default=None)

    def older(*, below: int | None = None, above: int | None = None, limit: int) -> list[dict]:
        """Matches older than every ranked one (phase 2), newest first (or oldest first with `above`)."""
        if not has_older or limit <= 0:
            return []
        rows = queryset.filter(id__lt=floor)
        if below is not None:
            rows = rows.filter(id__lt=below)
        rows = rows.filter(id__gt=above).order_by("id") if above is not None else rows.order_by("-id")
        return [{"p": 2, "i": pk} for pk in rows.values_list("id", flat=True)[:limit]]

    def index_of(pos: dict) -> int:
        """Where `pos` sits in the ranked list (the first entry at or after it)."""
        key = (-pos["s"], -pos["i"])
        return next((n for n, e in enumerate(ranked) if (-e["s"], -e["i"]) >= key), len(ranked))

    if position is None or position["d"] == "next":
        if position is None:
            start, below = 0, None
        elif position.get("p") == 1:
            start = index_of(position)
            start += start < len(ranked) and ranked[start]["i"] == position["i"]
            below = None
        else:
            start, below = len(ranked), position["i"]
        entries = ranked[start : start + size + 1]
        entries += older(below=below, limit=size + 1 - len(entries))
        has_next, has_previous = len(entries) > size, position is not None
        entries = entries[:size]
    else:
        if position.get("p") == 1:
            end = index_of(position)
            entries = ranked[max(0, end - size - 1) : end]
        else:
            newer = older(above=position["i"], limit=size + 1)[::-1]
            missing = size + 1 - len(newer)
            entries = (ranked[-missing:] if missing else []) + newer
        has_next, has_previous = True, len(entries) > size
        entries = entries[-size:]

    # The entries are known matches: fetch them without re-running the search.
    page = quote_rows_by_id([e["i"] for e in entries], using=queryset.db, statuses={Quote.Status.PUBLISHED})
    by_id = {row["id"]: row for row in page}
    entries = [e for e in entries if e["i"] in by_id]

    def cursor(entry: dict, direction: str) -> str:
        return encode_cursor({"o": SEARCH_ORDERING, "d": direction, **entry})

    return QuotePage(
        rows=[by_id[e["i"]] for e in entries],
        next_cursor=cursor(entries[-1], "next") if entries and has_next else None,
        previous_cursor=cursor(entries[0], "prev") if entries and has_previous else None,
    )


class QuoteCursorPagination(BasePagination):
    """How the OpenAPI document describes quote pages (paginate_quotes() does the work)."""

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Opaque cursor from `next` or `previous`; omit for the first page.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "description": f"Quotes per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
