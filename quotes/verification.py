"""Verbatim verification: is the quote really in the preserved copy of each source citing it?

For each citation the quote is looked for in the source's latest successful copy, in three
steps: exactly; after normalization (typographic quotes, dashes, whitespace, case: see
`archive.text.normalize_text`); and finally with elisions ("…" or "..." in the quote stands for
words the source has in between). Where it is found, the passage is stored as a
TextQuoteSelector taken from the source itself (exact text, 32 characters either side).

A match must begin and end on word edges of the source: a quote is never found inside a
longer word ("I support the war" in "I support the warming of relations").

A quote is verified when a primary citation supports it, or two secondary citations from
different publishers do: on different sites, under different publisher names. Disputed and
misattributed quotes, and quotes an editor set by hand, are never changed here.
"""

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from tld import get_fld

from archive.services import latest_successful_snapshot
from archive.text import normalize_text
from quotes.models import Citation, Quote

CONTEXT = 32
# The most source text an elision may stand for, between two quoted pieces.
MAX_ELIDED_GAP = 2000
ELLIPSIS = re.compile(r"\s*\.\.\.+\s*")
# Characters that do not end a word when it goes on after them: "won't", "won\u2019t", "well-known".
WORD_JOINERS = "'\u2019-\u2010\u2011"
# ... and those that do not end a number: "3.5", "1,000", "10:30", "1/2", "2019\u20132020".
NUMBER_JOINERS = ".,:/\u2013"
# Scripts written without spaces between words (by the Unicode names of their characters).
UNSPACED_SCRIPTS = (
    "CJK ",
    "HIRAGANA ",
    "KATAKANA ",
    "HALFWIDTH KATAKANA ",
    "THAI ",
    "LAO ",
    "KHMER ",
    "MYANMAR ",
)
Match = Citation.Match
# Whether a match from one offset to another, in the text searched, is made of whole words.
WholeWords = Callable[[int, int], bool]


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
    """The best kind of match of `quote_text` in `source_text` (never `no_copy`).

    Only whole words count: a match, and each piece of an elided quote, must begin and end on
    word edges of the source (`on_word_edges`), so "I support the war" is not found in "I support
    the warming of relations" but is in "... the warming of relations, but the war is over".
    """
    quote_text = quote_text.strip()
    if not quote_text:
        return Found(Match.NOT_FOUND)
    at = _find_words(quote_text, source_text, lambda start, end: on_word_edges(source_text, start, end))
    if at >= 0:
        return Found(Match.VERBATIM, at, at + len(quote_text))
    norm_source, starts, ends = normalize_with_offsets(source_text)

    def whole(start: int, end: int) -> bool:  # offsets into the normalized text
        return on_word_edges(source_text, starts[start], ends[end - 1])

    norm_quote = _normalized(quote_text)
    at = _find_words(norm_quote, norm_source, whole) if norm_quote else -1
    if at >= 0:
        return Found(Match.NORMALIZED, starts[at], ends[at + len(norm_quote) - 1])
    pieces = [p for p in ELLIPSIS.split(norm_quote) if p.strip()]
    if ELLIPSIS.search(norm_quote) and pieces:
        span = _find_in_order(pieces, norm_source, whole)
        if span is not None:
            return Found(Match.ELIDED, starts[span[0]], ends[span[1] - 1])
    return Found(Match.NOT_FOUND)


def _find_in_order(pieces: list[str], text: str, whole: WholeWords) -> tuple[int, int] | None:
    """Each piece after the previous one (within MAX_ELIDED_GAP); the span from first to last."""
    first = _find_words(pieces[0], text, whole)
    while first >= 0:
        end = first + len(pieces[0])
        for piece in pieces[1:]:
            at = _find_words(piece, text, whole, end, end + MAX_ELIDED_GAP + len(piece))
            if at < 0:
                break
            end = at + len(piece)
        else:
            return first, end
        first = _find_words(pieces[0], text, whole, first + 1)
    return None


def _find_words(words: str, text: str, whole: WholeWords, start: int = 0, stop: int | None = None) -> int:
    """Where `words` first occurs in `text[start:stop]` as `whole` words; -1 if it does not."""
    at = text.find(words, start, stop)
    while at >= 0 and not whole(at, at + len(words)):
        at = text.find(words, at + 1, stop)
    return at


def on_word_edges(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` begins and ends between words of `text`, not inside one."""
    return _is_word_edge(text, start) and _is_word_edge(text, end)


def _is_word_edge(text: str, at: int) -> bool:
    """Whether offset `at` falls between two words of `text` (or at either end of it).

    Letters, digits and accents of any script make up words; what joins two of them is inside a
    word: an apostrophe or hyphen ("won't", "well-known"), a point or comma between digits
    ("3.5", "1,000"), an invisible soft hyphen. Anything else, such as a space, a dash or a
    quotation mark, is an edge, which is why a quote may begin or end with punctuation. In
    scripts written without spaces every character edge counts.
    """
    before, after = _visible(text, at - 1, -1), _visible(text, at, 1)
    b1, b2, a1, a2 = before[:1], before[1:2], after[:1], after[1:2]
    return not (_in_one_word(b1, a1) or _joined(b1, a1, a2) or _joined(b2, b1, a1))


def _visible(text: str, at: int, step: int) -> str:
    """Up to two characters from offset `at` on, in the direction of `step`, skipping invisible ones."""
    found = ""
    while 0 <= at < len(text) and len(found) < 2:
        if unicodedata.category(text[at]) != "Cf":  # soft hyphen, zero-width space, BOM
            found += text[at]
        at += step
    return found


def _in_one_word(left: str, right: str) -> bool:
    return _is_word_char(left) and _is_word_char(right)


def _joined(left: str, joiner: str, right: str) -> bool:
    if joiner and joiner in WORD_JOINERS:
        return _in_one_word(left, right)
    if joiner and joiner in NUMBER_JOINERS:
        return left.isdecimal() and right.isdecimal()
    return False


@functools.lru_cache(maxsize=4096)  # called for every candidate match; texts use few characters
def _is_word_char(char: str) -> bool:
    return (
        bool(char)
        and unicodedata.category(char)[0] in "LNM"
        and not unicodedata.name(char, "").startswith(UNSPACED_SCRIPTS)
    )


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


def verification_from_citations(citations) -> str:
    """The rule: a supporting primary citation, or supporting secondaries from two publishers."""
    supporting = [c for c in citations if c.match in Citation.SUPPORTING_MATCHES]
    if any(c.role == Citation.Role.PRIMARY for c in supporting):
        return Quote.Verification.VERIFIED
    secondaries = [c.source for c in supporting if c.role == Citation.Role.SECONDARY]
    if count_publishers(sources=secondaries) >= 2:
        return Quote.Verification.VERIFIED
    return Quote.Verification.UNVERIFIED


def count_publishers(*, sources) -> int:
    """How many independent publishers `sources` come from.

    Two sources have one publisher when they are on the same site, whatever their publisher
    fields say (a blank field, or "Internewscast" on one page and "Internewscast.com" on another),
    or when they give the same publisher name, on whatever site. Sources linked by a chain of
    such pairs have one publisher too.
    """
    publishers: list[set[tuple[str, str]]] = []  # each publisher's sites and names
    for source in sources:
        marks = _publisher_marks(source)
        for known in [p for p in publishers if p & marks]:
            publishers.remove(known)
            marks |= known
        publishers.append(marks)
    return len(publishers)


def _publisher_marks(source) -> set[tuple[str, str]]:
    """What a source's publisher is recognized by: the site, and the publisher name if one is given."""
    marks = {("site", site_of(source))}
    if name := normalize_text(source.publisher):
        marks.add(("name", name))
    return marks


def site_of(source) -> str:
    """The site a source is on: its registrable domain (www.bbc.co.uk and news.bbc.co.uk are
    bbc.co.uk, by the public suffix list), or its host where there is none (localhost, an IP)."""
    return get_fld(source.domain, fix_protocol=True, fail_silently=True) or source.domain


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
