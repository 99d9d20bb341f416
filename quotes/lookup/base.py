import re
from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz

from archive.text import search_form

TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class LookupHit:
    """One published quote that resembles the fragment, with how closely (0 to 1)."""

    quote_id: int
    score: float


def has_repeated_words(fragment: str) -> bool:
    words = TOKEN.findall(fragment)
    return len(set(words)) < len(words)


def repeats_found(fragment: str, text: str) -> float:
    """The share of the fragment's words that `text` accounts for when a word typed n times
    must be found n times: "the the the the" against a quote holding "the" once is 1/4.

    The similarities (pg_trgm's trigram sets, rapidfuzz's token sets) see a word once however
    often it is typed, so without this a fragment of one repeated word scores 1.0 against any
    quote that merely holds it. A word the text lacks altogether (misspelt, misremembered)
    counts as found once here: the similarity already prices it.
    """
    words = Counter(TOKEN.findall(fragment))
    repeated = {word: n for word, n in words.items() if n > 1}
    if not repeated:
        return 1.0
    found = Counter(word for word in TOKEN.findall(text) if word in repeated)
    missing = sum(max(0, n - max(found[word], 1)) for word, n in repeated.items())
    return 1 - missing / words.total()


def fuzzy_score(fragment: str, text: str) -> float:
    """How well `fragment` (search form) matches somewhere in `text` (search form), 0 to 1.

    partial_ratio rewards the fragment appearing as a passage (typos cost a little); the
    token-set ratio rewards its words appearing with a few left out or reordered, and is
    discounted so that a scatter of common words never beats a real passage. Both are scaled
    by the share of the fragment's repeated words the text holds as often (`repeats_found`).
    """
    if not fragment or not text:
        return 0.0
    similarity = max(fuzz.partial_ratio(fragment, text), 0.9 * fuzz.token_set_ratio(fragment, text)) / 100
    return similarity * repeats_found(fragment, text)


class LookupBackend:
    """What every vendor's lookup offers. Subclasses find candidates and score them."""

    #: fuzzy_score below which a candidate is not shown (SQLite and fallback).
    MIN_SCORE = 0.65
    #: candidates re-ranked in Python, at most.
    MAX_CANDIDATES = 200

    def __init__(self, using: str = "default") -> None:
        self.using = using

    def lookup(self, text: str, *, limit: int) -> list[LookupHit]:
        fragment = search_form(text)
        if not TOKEN.search(fragment):
            return []
        return self.find(fragment, limit=limit)

    def find(self, fragment: str, *, limit: int) -> list[LookupHit]:
        raise NotImplementedError

    def rerank(self, fragment: str, candidates, *, limit: int) -> list[LookupHit]:
        """(id, search_text) pairs → the best `limit` hits above MIN_SCORE."""
        scored = []
        for pk, text in candidates:
            score = round(fuzzy_score(fragment, text), 4)
            if score >= self.MIN_SCORE:
                # Equal scores: the quote closest to the fragment as a whole comes first.
                scored.append((-score, -fuzz.ratio(fragment, text), pk))
        scored.sort()
        return [LookupHit(pk, -score) for score, _, pk in scored[:limit]]
