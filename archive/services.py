"""Writes to the evidence archive: preserved copies of sources, fetched or given by an editor."""

import datetime
import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from archive.extract import content_type_for, extract_text
from archive.fetch import fetch_url
from archive.models import Snapshot, Source

# Sent (inside the transaction) whenever a source gains a new successful copy, with
# `snapshot=`. The quotes app listens to re-check the citations of that source: the archive
# must not know about quotes, so this is the one way the news travels upward.
snapshot_added = Signal()

REASON_MAX = 500


def _stored(value: str, limit: int) -> str:
    """Text from a server (a header, a redirect address, an error quoting one) as a column takes it:
    PostgreSQL refuses a NUL character in text, and a hostile server may send one."""
    return value.replace("\x00", "")[:limit]


def wayback_url(*, url: str, when: datetime.datetime) -> str:
    return f"https://web.archive.org/web/{when.astimezone(datetime.UTC):%Y%m%d%H%M%S}/{url}"


def latest_successful_snapshot(*, source: Source) -> Snapshot | None:
    """The newest copy that holds text: the one quotes are checked against."""
    return (
        Snapshot.objects.filter(source=source, failure_reason="")
        .exclude(text="")
        .order_by("-fetched_at", "-id")
        .first()
    )


def _unchanged(source: Source, digest: str) -> Snapshot | None:
    latest = Snapshot.objects.filter(source=source, failure_reason="").order_by("-fetched_at", "-id").first()
    return latest if latest is not None and latest.sha256 == digest else None


def snapshot_source(*, source: Source) -> Snapshot:
    """Fetch a fresh copy of `source`.

    Returns the new snapshot; when the page has not changed since the latest successful copy,
    returns that copy instead with `snapshot.unchanged = True` and stores nothing. A failure is
    stored as a snapshot with its reason (so the attempt is visible to editors).

    The network and the text extraction happen outside any transaction (a slow site must not
    hold a database write lock); only the writes are atomic.
    """
    fetched_at = timezone.now()
    result = fetch_url(source.url)
    extraction = None
    if result.ok:
        previous = _unchanged(source, hashlib.sha256(result.body).hexdigest())
        if previous is not None:  # skip extracting a page we already hold
            previous.unchanged = True
            return previous
        # Read as what the bytes are when the server does not say (application/octet-stream) or
        # calls binary data text; the snapshot still records the Content-Type the server sent.
        path = urlsplit(result.final_url or source.url).path
        extraction = extract_text(result.body, content_type_for(result.body, result.content_type, path))
    return _store_fetched(source=source, fetched_at=fetched_at, result=result, extraction=extraction)


@transaction.atomic
def _store_fetched(*, source: Source, fetched_at, result, extraction) -> Snapshot:
    snapshot = Snapshot(
        source=source,
        method=Snapshot.Method.FETCHED,
        fetched_at=fetched_at,
        requested_url=source.url[:2000],
        final_url=_stored(result.final_url or source.url, 2000),
        http_status=result.status,
        content_type=_stored(result.content_type, 255),
        wayback_url=wayback_url(url=source.url, when=fetched_at)[:2100],
    )
    if not result.ok:
        snapshot.failure_reason = _stored(result.failure_reason, REASON_MAX)
        snapshot.save()
        snapshot.unchanged = False
        return snapshot
    snapshot.sha256 = hashlib.sha256(result.body).hexdigest()
    previous = _unchanged(source, snapshot.sha256)
    if previous is not None:
        previous.unchanged = True
        return previous
    snapshot.size = len(result.body)
    snapshot.body = result.body
    snapshot.text = extraction.text
    snapshot.failure_reason = extraction.failure_reason[:REASON_MAX]
    snapshot.save()
    snapshot.unchanged = False
    if snapshot.succeeded:
        snapshot_added.send(sender=Snapshot, snapshot=snapshot)
    return snapshot


def add_manual_copy(*, source: Source, text: str | None = None, file=None, user=None) -> Snapshot:
    """Keep a copy an editor gives by hand: pasted text, or an uploaded HTML, PDF or text file.

    For offline material such as transcripts. An identical copy to the latest one is not stored
    twice (the existing snapshot is returned with `unchanged = True`).
    """
    if file is not None:
        body = file.read(settings.FETCH_MAX_BYTES + 1)
        if len(body) > settings.FETCH_MAX_BYTES:
            raise ValueError(f"The file is larger than {settings.FETCH_MAX_BYTES} bytes.")
        # Browsers send an unknown file as application/octet-stream and guess text/plain from a
        # ".txt" name: what the bytes show decides (binary data is filed as unsupported).
        declared = getattr(file, "content_type", "") or ""
        content_type = content_type_for(body, declared, getattr(file, "name", "") or "")
    elif text and text.strip():
        body = text.encode("utf-8")
        content_type = "text/plain; charset=utf-8"
    else:
        raise ValueError("Paste the text of the source or upload a file.")
    extraction = extract_text(body, content_type)
    return _store_manual(
        source=source, body=body, content_type=content_type, extraction=extraction, user=user
    )


@transaction.atomic
def _store_manual(*, source: Source, body: bytes, content_type: str, extraction, user) -> Snapshot:
    digest = hashlib.sha256(body).hexdigest()
    previous = _unchanged(source, digest)
    if previous is not None:
        previous.unchanged = True
        return previous
    now = timezone.now()
    snapshot = Snapshot.objects.create(
        source=source,
        method=Snapshot.Method.MANUAL,
        fetched_at=now,
        requested_url=source.url[:2000],
        content_type=_stored(content_type, 255),
        sha256=digest,
        size=len(body),
        body=body,
        text=extraction.text,
        failure_reason=extraction.failure_reason[:REASON_MAX],
        wayback_url=wayback_url(url=source.url, when=now)[:2100],
        created_by=user if user is not None and user.is_authenticated else None,
    )
    snapshot.unchanged = False
    if snapshot.succeeded:
        snapshot_added.send(sender=Snapshot, snapshot=snapshot)
    return snapshot


def stale_sources(*, stale_days: int | None = None, source_id: int | None = None):
    """Sources due a fresh copy: none yet, or none successful within `stale_days` days."""
    sources = Source.objects.all().order_by("id")
    if source_id is not None:
        return sources.filter(pk=source_id)
    if stale_days is None:
        return sources
    cutoff = timezone.now() - datetime.timedelta(days=stale_days)
    fresh = Snapshot.objects.filter(failure_reason="", fetched_at__gte=cutoff).values("source_id")
    return sources.exclude(pk__in=fresh)
