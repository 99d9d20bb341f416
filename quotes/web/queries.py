"""Reads for the public pages: what may be shown, fetched in a fixed number of queries."""

import hashlib
import threading
import time
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Prefetch
from django.http import Http404

from archive.db import MAX_ID, prepared_statements
from archive.models import Source
from quotes.models import Citation, Quote, Speaker, Venue


def public_quotes():
    return Quote.objects.filter(status__in=Quote.PUBLIC_STATUSES)


def public_quote(*, pk: int) -> Quote:
    """A published or retracted quote with its speaker, venue and cited sources (two queries)."""
    citations = Prefetch(
        "citations", queryset=Citation.objects.select_related("source").order_by("role", "id")
    )
    quote = (
        public_quotes().select_related("speaker", "venue").prefetch_related(citations).filter(pk=pk).first()
    )
    if quote is None:
        raise Http404("No public quote has this number.")
    return quote


@cache
def _state_sql() -> str:
    """The state query, written once from the models' tables: embeds ask it on every view."""
    q, s, v = Quote._meta, Speaker._meta, Venue._meta
    c, src = Citation._meta, Source._meta

    def col(meta, name):
        return connection.ops.quote_name(meta.get_field(name).column)

    def table(meta):
        return connection.ops.quote_name(meta.db_table)

    state = (
        f"q.{col(q, 'status')}, q.{col(q, 'version')}, q.{col(q, 'updated_at')}, s.{col(s, 'updated_at')}, "
    )
    state += f"v.{col(v, 'updated_at')}, "
    # A misattributed quote's card names the public record of who said it (attribution_doubt).
    state += f"ca.{col(q, 'status')}, ca.{col(q, 'updated_at')}"
    # Names come from the models' metadata; the values are parameters.
    return (
        f"SELECT {state}, COUNT(c.{col(c, 'id')}), MAX(c.{col(c, 'updated_at')}), "  # noqa: S608
        f"MAX(src.{col(src, 'updated_at')}) "
        f"FROM {table(q)} q "
        f"INNER JOIN {table(s)} s ON s.{col(s, 'id')} = q.{col(q, 'speaker')} "
        f"LEFT JOIN {table(v)} v ON v.{col(v, 'id')} = q.{col(q, 'venue')} "
        f"LEFT JOIN {table(q)} ca ON ca.{col(q, 'id')} = q.{col(q, 'correct_attribution')} "
        f"LEFT JOIN {table(c)} c ON c.{col(c, 'quote')} = q.{col(q, 'id')} "
        f"LEFT JOIN {table(src)} src ON src.{col(src, 'id')} = c.{col(c, 'source')} "
        f"WHERE q.{col(q, 'id')} = %s AND q.{col(q, 'status')} IN (%s, %s) "
        f"GROUP BY {state}"
    )


class RecentStates:
    """What the state query answered in the last few seconds, per process.

    An embedded card is asked for on every view of every page that carries it, so a card on a
    busy page is asked for many times a second; within `EMBED_STATE_SECONDS` the answer is reused
    instead of asking the database again. A save in this process forgets everything at once
    (see forget_quote_states); other processes see the change within the window, which is well
    inside the five minutes browsers may keep a card anyway.
    """

    def __init__(self, *, max_entries: int = 20_000):
        self.max_entries = max_entries
        self._states: dict[int, tuple[float, tuple | None]] = {}
        self._lock = threading.Lock()

    def get(self, pk: int, now: float):
        found = self._states.get(pk)
        if found is None or found[0] < now:
            return None
        return found

    def put(self, pk: int, row: tuple | None, expires: float) -> None:
        with self._lock:
            if len(self._states) >= self.max_entries:
                self._states.clear()
            self._states[pk] = (expires, row)

    def clear(self) -> None:
        with self._lock:
            self._states.clear()


recent_states = RecentStates()


def forget_quote_states(**kwargs) -> None:
    """Receiver for saves and deletes of anything a card shows: forget now, and again when the
    transaction commits (a request reading in between still saw the old row and kept it)."""
    recent_states.clear()
    transaction.on_commit(recent_states.clear)


def _state_row(pk: int) -> tuple | None:
    window = settings.EMBED_STATE_SECONDS
    now = time.monotonic()
    if window > 0:
        found = recent_states.get(pk, now)
        if found is not None:
            return found[1]
    with connection.cursor() as cursor, prepared_statements(connection):
        cursor.execute(_state_sql(), [pk, *Quote.PUBLIC_STATUSES])
        row = cursor.fetchone()
    if window > 0:
        recent_states.put(pk, row, now + window)
    return row


def quote_state_tag(*, pk: int, salt: str) -> str | None:
    """A strong ETag for everything a card or oEmbed answer shows, from one cheap query (or none,
    when the same quote was asked for in the last EMBED_STATE_SECONDS).

    None when the quote is not public. A change to the quote, its speaker, venue, citations or
    their sources changes the tag; `salt` carries what the request varies (theme, size, host).
    """
    if not 0 < pk <= MAX_ID:
        return None
    row = _state_row(pk)
    if row is None:
        return None
    digest = hashlib.sha256(f"{salt}|{row!r}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def attribution_doubt(quote: Quote) -> dict | None:
    """What a misattributed or disputed quote must say wherever it is shown (the API gives the same
    as `misattribution`): the verdict, the editors' note and, for a misattribution, the public record
    of who said the words, if there is one. None for any other quote."""
    if quote.verification not in Quote.DOUBTFUL_VERIFICATIONS:
        return None
    misattributed = quote.verification == Quote.Verification.MISATTRIBUTED
    correct = None
    if misattributed and quote.correct_attribution_id:
        correct = public_quotes().select_related("speaker").filter(pk=quote.correct_attribution_id).first()
    return {
        "label": quote.get_verification_display(),
        "misattributed": misattributed,
        "note": quote.verification_note,
        "correct": correct,
    }


def speaker_public_quotes(*, speaker: Speaker):
    return public_quotes().filter(speaker=speaker).select_related("venue").order_by("-said_on", "-id")
