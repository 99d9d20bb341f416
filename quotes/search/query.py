"""The web-search syntax researchers type: words, "exact phrases", OR, and -exclusions.

`parse_query()` turns the raw input into a `SearchQuery` of plain tokens. Input goes through
`archive.text.search_form` first, the same folding the index uses, so accents and typographic
quotes never stop a match ("Diaz-Canel" finds "Díaz-Canel", “quoted” works like "quoted").
Each word is split into the runs of letters and digits a database tokenizer would index, and a
word that splits in several ("diaz-canel", "don't") becomes a phrase of its parts.
"""

import re
from dataclasses import dataclass, field

from archive.text import search_form

#: One index token: a run of letters or digits (underscore separates, as in the tokenizers).
TOKEN = re.compile(r"[^\W_]+")
#: A quoted phrase (straight or typographic quotes, optionally excluded), or a bare word.
_QUOTES = '"\u201c\u201d\u201e\u201f\u00ab\u00bb'
_PART = re.compile(rf"(-?)[{_QUOTES}]([^{_QUOTES}]*)[{_QUOTES}]?|(\S+)")


class Phrase(tuple):
    """The index tokens of a word or quoted phrase; `text` keeps its folded form for databases
    whose own parser should tokenize it (PostgreSQL keeps "1.5" or "diaz-canel" whole)."""

    text: str

    def __new__(cls, text: str) -> "Phrase":
        phrase = super().__new__(cls, TOKEN.findall(text))
        phrase.text = text
        return phrase


@dataclass(frozen=True)
class SearchQuery:
    """All `groups` must match (each group is satisfied by any of its phrases); no `excluded` may."""

    groups: tuple[tuple[Phrase, ...], ...] = ()
    excluded: tuple[Phrase, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.groups or self.excluded)

    @property
    def phrases(self) -> list[Phrase]:
        return [phrase for group in self.groups for phrase in group]


def parse_query(raw: str) -> SearchQuery:
    """Parse `raw` as a web search box would; returns an empty query for blank input."""
    groups: list[list[Phrase]] = []
    excluded: list[Phrase] = []
    join_next = False
    for match in _PART.finditer(raw or ""):
        negated, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            if bare == "OR" and groups:  # only the capitalised word is the operator
                join_next = True
                continue
            negated = "-" if bare.startswith(("-", "\u2212", "\u2013")) and len(bare) > 1 else ""
            phrase = Phrase(search_form(bare[1:] if negated else bare))
        else:
            phrase = Phrase(search_form(quoted))
        if not phrase:
            continue
        if negated:
            excluded.append(phrase)
        elif join_next:
            groups[-1].append(phrase)
        else:
            groups.append([phrase])
        join_next = False
    return SearchQuery(groups=tuple(tuple(g) for g in groups), excluded=tuple(excluded))
