import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from archive.text import search_form

TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class LookupHit:
    """One published quote that resembles the fragment, with how closely (0 to 1)."""

    quote_id: int
    score: float


def fuzzy_score(fragment: str, text: str) -> float:
    """How well `fragment` (search form) matches somewhere in `text` (search form), 0 to 1.

    partial_ratio rewards the fragment appearing as a passage (typos cost a little); the
    token-set ratio rewards its words appearing with a few left out or reordered, and is
    discounted so that a scatter of common words never beats a real passage.
    """
    if not fragment or not text:
        return 0.0
    return max(fuzz.partial_ratio(fragment, text), 0.9 * fuzz.token_set_ratio(fragment, text)) / 100


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
