"""Corrections: what changed in a quote after it was published, when, and the editor's reason.

Read from the edit history (django-simple-history). A correction is a save of the quote, after its
first publication, that changed its text, speaker, date (`said_on` or its precision) or venue, or a
change to its citations (a source added, removed or changed). The admin and the API save a quote
and then its citations, one after the other: citation changes made within `SAME_EDIT` of a save of
the quote belong to that save (and share its reason), so the citations recorded when the quote was
published are not corrections. Status, verification and editorial notes are not corrections of
what was said, so they are not listed.
"""

import datetime
from dataclasses import dataclass, field

from archive.models import Source
from quotes.dates import format_said_on
from quotes.models import Citation, Quote, Speaker, Venue

SAME_EDIT = datetime.timedelta(seconds=10)
TRACKED_CITATION_FIELDS = ("source_id", "role", "locator")


@dataclass
class Change:
    field: str  # text, speaker, date, venue or citations
    label: str
    old: str | None
    new: str | None


@dataclass
class Correction:
    corrected_at: datetime.datetime
    reason: str
    changes: list[Change] = field(default_factory=list)


def _quote_changes(previous, record, speakers: dict, venues: dict) -> list[Change]:
    changes = []
    if previous.text != record.text:
        changes.append(Change("text", "Text", previous.text, record.text))
    if previous.speaker_id != record.speaker_id:
        changes.append(
            Change("speaker", "Speaker", speakers.get(previous.speaker_id), speakers.get(record.speaker_id))
        )
    if (previous.said_on, previous.date_precision) != (record.said_on, record.date_precision):
        old = format_said_on(previous.said_on, previous.date_precision)
        new = format_said_on(record.said_on, record.date_precision)
        changes.append(Change("date", "Date", old, new))
    if previous.venue_id != record.venue_id:
        changes.append(Change("venue", "Venue", venues.get(previous.venue_id), venues.get(record.venue_id)))
    return changes


def _source_label(sources: dict, source_id) -> str:
    source = sources.get(source_id)
    return str(source) if source else f"source #{source_id}"


def _citation_change(previous, record, sources: dict) -> Change | None:
    label = "Sources"
    if record.history_type == "+":
        return Change("citations", label, None, _source_label(sources, record.source_id))
    if record.history_type == "-":
        return Change("citations", label, _source_label(sources, record.source_id), None)
    if previous is None or all(getattr(previous, f) == getattr(record, f) for f in TRACKED_CITATION_FIELDS):
        return None

    def describe(r) -> str:
        text = f"{_source_label(sources, r.source_id)} ({r.role})"
        return f"{text}, {r.locator}" if r.locator else text

    return Change("citations", label, describe(previous), describe(record))


def _publication_date(quote_records) -> datetime.datetime | None:
    for record in quote_records:
        if record.status == Quote.Status.PUBLISHED:
            return record.history_date
    return None


def corrections_for(*, quote: Quote) -> list[Correction]:
    """The quote's corrections, oldest first (a fixed handful of queries whatever the history)."""
    quote_records = list(quote.history.order_by("history_date", "history_id"))
    published_at = _publication_date(quote_records) or quote.first_published_at
    if published_at is None:
        return []
    citation_records = list(Citation.history.filter(quote_id=quote.pk).order_by("history_date", "history_id"))
    speakers = dict(
        Speaker.objects.filter(pk__in={r.speaker_id for r in quote_records}).values_list("pk", "name")
    )
    venue_ids = {r.venue_id for r in quote_records if r.venue_id}
    venues = dict(Venue.objects.filter(pk__in=venue_ids).values_list("pk", "name"))
    sources = Source.objects.in_bulk({r.source_id for r in citation_records})

    corrections: list[Correction] = []
    # Every save of the quote since publication: [saved_at, its correction, part of the publication?]
    edits: list[list] = []
    previous = None
    for record in quote_records:
        correction = None
        if previous is not None and record.history_date > published_at:
            changes = _quote_changes(previous, record, speakers, venues)
            if changes:
                correction = Correction(record.history_date, record.history_change_reason or "", changes)
                corrections.append(correction)
        if record.history_date >= published_at:
            # Saves that change nothing right after publishing (tags, "about") still publish.
            publishing = record.history_date == published_at or (
                correction is None and bool(edits) and edits[-1][2]
                and record.history_date - edits[-1][0] <= SAME_EDIT
            )  # fmt: skip
            edits.append([record.history_date, correction, publishing])
        previous = record

    last_state: dict[int, object] = {}
    for record in citation_records:
        before = last_state.get(record.id)
        last_state[record.id] = record
        if record.history_date < published_at:
            continue
        change = _citation_change(before, record, sources)
        if change is None:
            continue
        edit = _same_edit(edits, record.history_date)
        if edit is None:
            corrections.append(Correction(record.history_date, record.history_change_reason or "", [change]))
            continue
        saved_at, correction, publishing = edit
        if publishing:
            continue  # recorded with the publication itself
        if correction is None:
            correction = Correction(saved_at, _reason_at(quote_records, saved_at))
            corrections.append(correction)
            edit[1] = correction
        correction.changes.append(change)
    corrections.sort(key=lambda c: c.corrected_at)
    return corrections


def _same_edit(edits, when: datetime.datetime):
    """The latest save of the quote at or shortly before `when`, if the change belongs to it."""
    candidates = [e for e in edits if e[0] <= when <= e[0] + SAME_EDIT]
    return candidates[-1] if candidates else None


def _reason_at(quote_records, when) -> str:
    for record in quote_records:
        if record.history_date == when:
            return record.history_change_reason or ""
    return ""


def correction_as_dict(correction: Correction) -> dict:
    return {
        "corrected_at": correction.corrected_at.isoformat().replace("+00:00", "Z"),
        "reason": correction.reason,
        "changes": [
            {"field": c.field, "label": c.label, "old": c.old, "new": c.new} for c in correction.changes
        ],
    }
