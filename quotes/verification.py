"""Verbatim verification: is the quote really in the preserved copy of each source citing it?

For each citation the quote is looked for in the source's latest successful copy, in three
steps: exactly; after normalization (typographic quotes, dashes, whitespace, case: see
`archive.text.normalize_text`); and finally with elisions ("…" or "..." in the quote stands for
words the source has in between). Where it is found, the passage is stored as a
TextQuoteSelector taken from the source itself (exact text, 32 characters either side).

A quote is verified when a primary citation supports it, or two secondary citations from
different publishers do. Disputed and misattributed quotes, and quotes an editor set by hand,
are never changed here.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from archive.services import latest_successful_snapshot
from archive.text import normalize_text
from quotes.models import Citation, Quote

CONTEXT = 32
# The most source text an elision may stand for, between two quoted pieces.
MAX_ELIDED_GAP = 2000
ELLIPSIS = re.compile(r"\s*\.\.\.+\s*")
Match = Citation.Match


@dataclass
class Found:
    """Where the quote was found in the copy's text (offsets into the original text)."""

    match: str
    start: int = 0
    end: int = 0


def normalize_with_offsets(text: str) -> tuple[str, list[int], list[int]]:
    """`normalize_text` applied piece by piece, remembering where each output character came from.

    Returns the normalized text and, for each of its characters, the start and end offset of
    the original characters it was made from, so that a match found in the normalized text
    can be cut out of the original verbatim.
    """
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):  # keep a letter with its accents
            j += 1
        piece = " " if text[i:j].isspace() else normalize_text(text[i:j])
        for char in piece:
            if char.isspace():
                if not out or out[-1] == " ":
                    continue
                char = " "
            out.append(char)
            starts.append(i)
            ends.append(j)
        i = j
    if out and out[-1] == " ":
        out.pop(), starts.pop(), ends.pop()
    return "".join(out), starts, ends


def _normalized(text: str) -> str:
    return normalize_with_offsets(text)[0]


def find_quote(quote_text: str, source_text: str) -> Found:
    """The best kind of match of `quote_text` in `source_text` (never `no_copy`)."""
    quote_text = quote_text.strip()
    if not quote_text:
        return Found(Match.NOT_FOUND)
    at = source_text.find(quote_text)
    if at >= 0:
        return Found(Match.VERBATIM, at, at + len(quote_text))
    norm_source, starts, ends = normalize_with_offsets(source_text)
    norm_quote = _normalized(quote_text)
    at = norm_source.find(norm_quote) if norm_quote else -1
    if at >= 0:
        return Found(Match.NORMALIZED, starts[at], ends[at + len(norm_quote) - 1])
    pieces = [p for p in ELLIPSIS.split(norm_quote) if p.strip()]
    if ELLIPSIS.search(norm_quote) and pieces:
        span = _find_in_order(pieces, norm_source)
        if span is not None:
            return Found(Match.ELIDED, starts[span[0]], ends[span[1] - 1])
    return Found(Match.NOT_FOUND)


def _find_in_order(pieces: list[str], text: str) -> tuple[int, int] | None:
    """Each piece after the previous one (within MAX_ELIDED_GAP); the span from first to last."""
    first = text.find(pieces[0])
    while first >= 0:
        end = first + len(pieces[0])
        for piece in pieces[1:]:
            at = text.find(piece, end, end + MAX_ELIDED_GAP + len(piece))
            if at < 0:
                break
            end = at + len(piece)
        else:
            return first, end
        first = text.find(pieces[0], first + 1)
    return None


def verify_citation(*, citation: Citation, save: bool = True) -> Citation:
    """Check one citation against its source's latest successful copy and store the result."""
    snapshot = latest_successful_snapshot(source=citation.source)
    before = _result_of(citation)
    citation.checked_at = timezone.now()
    citation.checked_snapshot = snapshot
    found = Found(Match.NO_COPY) if snapshot is None else find_quote(citation.quote.text, snapshot.text)
    citation.match = found.match
    if found.match in Citation.SUPPORTING_MATCHES:
        text = snapshot.text
        citation.selector_exact = text[found.start : found.end]
        citation.selector_prefix = text[max(0, found.start - CONTEXT) : found.start]
        citation.selector_suffix = text[found.end : found.end + CONTEXT]
    else:
        citation.selector_exact = citation.selector_prefix = citation.selector_suffix = ""
    if save and _result_of(citation) == before:
        # Same result: note the check without adding a history entry.
        Citation.objects.filter(pk=citation.pk).update(checked_at=citation.checked_at)
    elif save:
        citation._change_reason = f"Automatic verification: {found.match}"
        citation.save()
    return citation


def _result_of(citation: Citation) -> tuple:
    return (
        citation.match,
        citation.checked_snapshot_id,
        citation.selector_exact,
        citation.selector_prefix,
        citation.selector_suffix,
    )


def _publisher_key(source) -> str:
    return (source.publisher or "").strip().casefold() or source.domain


def verification_from_citations(citations) -> str:
    """The rule: a supporting primary citation, or supporting secondaries from two publishers."""
    supporting = [c for c in citations if c.match in Citation.SUPPORTING_MATCHES]
    if any(c.role == Citation.Role.PRIMARY for c in supporting):
        return Quote.Verification.VERIFIED
    publishers = {_publisher_key(c.source) for c in supporting if c.role == Citation.Role.SECONDARY}
    return Quote.Verification.VERIFIED if len(publishers) >= 2 else Quote.Verification.UNVERIFIED


def update_quote_verification(*, quote: Quote) -> str:
    """Set `quote.verification` from its citations' results, unless an editor decided it."""
    if quote.verification_overridden or quote.verification in (
        Quote.Verification.DISPUTED,
        Quote.Verification.MISATTRIBUTED,
    ):
        return quote.verification
    citations = list(quote.citations.select_related("source"))
    verdict = verification_from_citations(citations)
    if verdict != quote.verification:
        quote.verification = verdict
        quote.version = (quote.version or 0) + 1
        quote._change_reason = f"Automatic verification: {verdict}"
        quote.save(update_fields=["verification", "version", "updated_at"])
    return verdict


@transaction.atomic
def verify_quote(*, quote: Quote) -> str:
    """Check every citation of `quote`, then its verification status."""
    for citation in quote.citations.select_related("source"):
        citation.quote = quote
        verify_citation(citation=citation)
    return update_quote_verification(quote=quote)


def verify_quotes(*, quotes) -> dict[str, int]:
    """Verify several quotes; returns how many ended in each verification status."""
    counts: dict[str, int] = {}
    for quote in quotes:
        verdict = verify_quote(quote=quote)
        counts[verdict] = counts.get(verdict, 0) + 1
    return counts


@transaction.atomic
def verify_source_citations(*, source) -> int:
    """Re-check every citation of `source` (it has a new copy) and the quotes they support."""
    quotes = Quote.objects.filter(citations__source=source).distinct()
    for quote in quotes:
        verify_quote(quote=quote)
    return quotes.count()
