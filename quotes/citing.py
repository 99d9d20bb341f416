"""How to cite a quote from the archive: APA, MLA, Chicago, BibTeX, RIS and CSL-JSON.

What is cited is the speaker's words as recorded by the quote's best source: the speaker is the
author, the date is when the words were said (at its real precision: "2026, January" is never
"2026, January 1"), the venue says where, and the best source (a primary source, the speaker's own
record, before a secondary report of it) is where the words are found ("In …" for a primary source,
"Quoted in …" for a secondary one). The archive's permalink is given last as the record the reader
consulted, with the access date, because a record can be corrected (see quotes/corrections.py).
Machine formats (BibTeX, RIS, CSL-JSON) carry the permalink as the URL with its access date and the
source as the container.

The formatters are pure functions of a `CitableQuote`; `citable_quote()` builds one from a quote.
"""

import datetime
import json
import re
import unicodedata
from dataclasses import dataclass

from quotes.models import Citation, Quote

STYLES = ("apa", "mla", "chicago", "bibtex", "ris", "csl-json")
CONTENT_TYPES = {
    "apa": "text/plain; charset=utf-8",
    "mla": "text/plain; charset=utf-8",
    "chicago": "text/plain; charset=utf-8",
    "bibtex": "application/x-bibtex; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "csl-json": "application/vnd.citationstyles.csl+json",
}
STYLE_LABELS = {
    "apa": "APA (7th ed.)",
    "mla": "MLA (9th ed.)",
    "chicago": "Chicago (17th ed., bibliography)",
    "bibtex": "BibTeX",
    "ris": "RIS",
    "csl-json": "CSL-JSON",
}
ARCHIVE_NAME = "Verbatim"
TITLE_WORDS = 20  # APA's rule for untitled works: the first twenty words stand as the title

# Words that make a speaker's name an organisation's ("Government of Cuba"), never inverted.
_ORGANISATION_WORDS = {
    "of", "the", "for", "and", "&", "government", "ministry", "department", "office", "council",
    "committee", "party", "agency", "association", "university", "company", "inc", "inc.", "ltd",
    "corporation", "commission", "senate", "parliament", "union", "news",
}  # fmt: skip
# Organisation words that are also family names (Margaret Court, Edward House, Bill Press): they make an
# organisation only after a word nobody is named ("Supreme Court", "White House", "Associated Press"); "of"
# and "the" already mark the longer forms ("Supreme Court of the United States", "The White House").
_SURNAME_ORGANISATION_WORDS = {"court", "house", "press"}
_ORGANISATION_QUALIFIERS = {
    "supreme", "high", "federal", "constitutional", "district", "circuit", "crown", "international",
    "white", "opera", "associated", "university", "state", "national",
}  # fmt: skip
# Generational suffixes as written in citations ("King, M. L., Jr.").
_SUFFIXES = {"jr": "Jr.", "jr.": "Jr.", "sr": "Sr.", "sr.": "Sr.", "ii": "II", "iii": "III", "iv": "IV"}
# Particles that open a family name ("de Gaulle", "von der Leyen", "bin Salman"); matched case-insensitively,
# so "Le Pen" and "Van Buren" are family names too. "al-Assad" is one word and needs no entry.
_PARTICLES = {
    "de", "du", "des", "del", "della", "delle", "dei", "degli", "di", "da", "das", "do", "dos", "la", "le",
    "las", "los", "van", "von", "vom", "der", "den", "dem", "ter", "ten", "zu", "bin", "ibn", "bint", "al",
    "el",
}  # fmt: skip
# Double quotation marks inside a title that is itself in double quotation marks become single (MLA, Chicago).
_INNER_QUOTES = str.maketrans({"“": "‘", "”": "’", "„": "‚", '"': "'"})
# CSL item types for the kinds of venue; anything else was spoken, so a speech.
_CSL_TYPES = {
    "social_media_post": "post",
    "interview": "interview",
    "broadcast": "broadcast",
    "article": "article-newspaper",
    "book": "book",
}
_MLA_MONTHS = ["Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."]
_BIBTEX_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


@dataclass(frozen=True)
class CitableSource:
    title: str
    publisher: str
    author: str
    url: str
    published_on: datetime.date | None
    primary: bool


@dataclass(frozen=True)
class CitableQuote:
    """Everything a citation needs, detached from the database."""

    pk: int
    text: str
    speaker: str
    said_on: datetime.date | None
    precision: str
    venue: str
    venue_kind: str
    location: str
    language: str
    source: CitableSource | None
    permalink: str
    accessed_on: datetime.date
    retracted: bool = False


def best_citation(citations) -> Citation | None:
    """A primary source (the speaker's own record) before a secondary report; the oldest first."""
    ranked = sorted(citations, key=lambda c: (c.role != Citation.Role.PRIMARY, c.pk))
    return ranked[0] if ranked else None


def citable_quote(*, quote: Quote, permalink: str, accessed_on: datetime.date) -> CitableQuote:
    """Uses quote.speaker, quote.venue and quote.citations (select/prefetch them)."""
    best = best_citation(quote.citations.all())
    source = None
    if best is not None:
        s = best.source
        source = CitableSource(
            title=s.title,
            publisher=s.publisher,
            author=s.author,
            url=s.url,
            published_on=s.published_on,
            primary=best.role == Citation.Role.PRIMARY,
        )
    venue = quote.venue
    return CitableQuote(
        pk=quote.pk,
        text=quote.text,
        speaker=quote.speaker.name,
        said_on=quote.said_on,
        precision=quote.date_precision,
        venue=venue.name if venue else "",
        venue_kind=venue.kind if venue else "",
        location=venue.location if venue else "",
        language=quote.language,
        source=source,
        permalink=permalink,
        accessed_on=accessed_on,
        retracted=quote.status == Quote.Status.RETRACTED,
    )


def format_citation(record: CitableQuote, style: str) -> str:
    if style not in STYLES:
        raise ValueError(f"Unknown citation style {style!r}; known: {', '.join(STYLES)}")
    return _FORMATTERS[style](record)


# --- names, titles, dates -------------------------------------------------------------------


@dataclass(frozen=True)
class PersonName:
    """A person's name in its parts. `particle` is a lowercase one, kept apart as CSL's non-dropping particle;
    a capitalised one ("Le Pen") is spelled as part of `family`."""

    given: str
    family: str
    particle: str = ""
    suffix: str = ""

    @property
    def family_with_particle(self) -> str:
        return f"{self.particle} {self.family}" if self.particle else self.family


def is_organisation(name: str) -> bool:
    words = [w.strip(",").lower() for w in name.split()]
    if any(w in _ORGANISATION_WORDS for w in words):
        return True
    return any(
        w in _SURNAME_ORGANISATION_WORDS and words[i - 1] in _ORGANISATION_QUALIFIERS
        for i, w in enumerate(words)
        if i > 0
    )


def _is_particle(word: str) -> bool:
    return word.lower() in _PARTICLES


def _person_from_inverted(family: str, given: str, suffix: str) -> PersonName | None:
    """A name written family first ("de Gaulle, Charles", "Gaulle, Charles de"); particles join the family."""
    family_words, given_words = family.split(), given.split()
    particle = []
    while len(family_words) > 1 and _is_particle(family_words[0]):
        particle.append(family_words.pop(0))
    while len(given_words) > 1 and given_words[-1].islower() and _is_particle(given_words[-1]):
        particle.insert(0, given_words.pop())
    # A lowercase word after the comma is a description ("Smith, spokesman"), not a given name.
    if not family_words or not given_words or any(w[0].islower() for w in given_words):
        return None
    return _person(given_words, particle, family_words, suffix)


def _person(given: list[str], particle: list[str], family: list[str], suffix: str) -> PersonName:
    if not all(p.islower() for p in particle):
        family, particle = particle + family, []
    return PersonName(
        given=" ".join(given), family=" ".join(family), particle=" ".join(particle), suffix=suffix
    )


def parse_person(name: str) -> PersonName | None:
    """A person's name in its parts; None for an organisation or anything else cited as written."""
    name = " ".join(name.split())
    if is_organisation(name):
        return None
    parts = [p.strip() for p in name.split(",")]
    suffix = ""
    # "Martin Luther King, Jr.", "King, Martin Luther, Jr." and BibTeX's "King, Jr., Martin Luther".
    if len(parts) > 1 and parts[-1].lower() in _SUFFIXES:
        suffix = _SUFFIXES[parts.pop().lower()]
    elif len(parts) == 3 and parts[1].lower() in _SUFFIXES:
        suffix = _SUFFIXES[parts.pop(1).lower()]
    if len(parts) == 2:
        return _person_from_inverted(parts[0], parts[1], suffix)
    if len(parts) > 2:
        return None
    words = parts[0].split()
    if not suffix and len(words) > 1 and words[-1].lower() in _SUFFIXES:
        suffix = _SUFFIXES[words.pop().lower()]
    # One word ("Madonna") or more than four is not a name we can safely invert.
    if not 2 <= len(words) <= 4:
        return None
    start = len(words) - 1
    while start > 1 and _is_particle(words[start - 1]):  # someone is always named before the family
        start -= 1
    given, particle = words[:start], words[start:-1]
    if all(w.islower() and _is_particle(w) for w in given):  # "de Gaulle": no given name to invert around
        return None
    return _person(given, particle, words[-1:], suffix)


def _initial(part: str) -> str:
    return "-".join(f"{p[0]}." for p in part.split("-") if p)


def apa_author(name: str) -> str:
    person = parse_person(name)
    if person is None:
        return " ".join(name.split())
    initials = " ".join(_initial(p) for p in person.given.split())
    return ", ".join(p for p in (person.family_with_particle, initials, person.suffix) if p)


def inverted_author(name: str) -> str:
    """MLA and Chicago: "King, Martin Luther, Jr.", "de Gaulle, Charles"."""
    person = parse_person(name)
    if person is None:
        return " ".join(name.split())
    return ", ".join(p for p in (person.family_with_particle, person.given, person.suffix) if p)


def title_from_text(text: str) -> str:
    words = text.split()
    title = " ".join(words[:TITLE_WORDS])
    return title + "…" if len(words) > TITLE_WORDS else title


def _end(text: str, mark: str = ".") -> str:
    """Add closing punctuation unless the text already ends with some."""
    return text if text.endswith((".", "?", "!", "…")) else text + mark


def _known(said_on, precision) -> bool:
    return said_on is not None and precision != Quote.Precision.UNKNOWN


def apa_date(said_on, precision) -> str:
    if not _known(said_on, precision):
        return "n.d."
    if precision == Quote.Precision.YEAR:
        return f"{said_on.year}"
    if precision == Quote.Precision.MONTH:
        return f"{said_on.year}, {said_on:%B}"
    return f"{said_on.year}, {said_on:%B} {said_on.day}"


def mla_date(said_on, precision=Quote.Precision.DAY) -> str:
    if not _known(said_on, precision):
        return ""
    if precision == Quote.Precision.YEAR:
        return f"{said_on.year}"
    month = _MLA_MONTHS[said_on.month - 1]
    if precision == Quote.Precision.MONTH:
        return f"{month} {said_on.year}"
    return f"{said_on.day} {month} {said_on.year}"


def chicago_date(said_on, precision=Quote.Precision.DAY) -> str:
    if not _known(said_on, precision):
        return ""
    if precision == Quote.Precision.YEAR:
        return f"{said_on.year}"
    if precision == Quote.Precision.MONTH:
        return f"{said_on:%B} {said_on.year}"
    return f"{said_on:%B} {said_on.day}, {said_on.year}"


def _date_parts(said_on, precision) -> list[int]:
    if not _known(said_on, precision):
        return []
    if precision == Quote.Precision.YEAR:
        return [said_on.year]
    if precision == Quote.Precision.MONTH:
        return [said_on.year, said_on.month]
    return [said_on.year, said_on.month, said_on.day]


def _where(r: CitableQuote) -> str:
    """The venue and its location, or what kind of words these are when no venue is recorded."""
    return ", ".join(p for p in (r.venue, r.location) if p) or "Statement"


@dataclass(frozen=True)
class _Title:
    """A title to be set in quotation marks, whose punctuation depends on what follows it."""

    text: str


def in_quotes(text: str, mark: str = ".") -> str:
    """American style: the text in double quotation marks, its own double quotes made single, and the
    punctuation that follows it (`mark`) inside the quotation marks, inside its own closing one too."""
    closing = text[-1] if len(text) > 1 and text.endswith(("”", "“", '"')) else ""
    body = text.removesuffix(closing) if closing else text
    if not body.endswith(("?", "!", "…")) and not (mark == "." and body.endswith(".")):
        body += mark
    return f"“{(body + closing).translate(_INNER_QUOTES)}”"


def _join_american(bits, end: str = ".") -> str:
    """Join with commas, the last ended with `end`; a title's comma goes inside its quotation marks."""
    bits = [b for b in bits if b]
    joined = []
    for i, bit in enumerate(bits):
        mark = "," if i < len(bits) - 1 else end
        if isinstance(bit, _Title):
            joined.append(in_quotes(bit.text, mark))
        else:
            joined.append(bit + mark if mark == "," else _end(bit, mark))
    return " ".join(joined)


def _retraction(r: CitableQuote) -> str:
    return " Retracted by the archive." if r.retracted else ""


# --- styles ---------------------------------------------------------------------------------


def format_apa(r: CitableQuote) -> str:
    parts = [f"{_end(apa_author(r.speaker))} ({apa_date(r.said_on, r.precision)}). "]
    parts.append(f"{title_from_text(r.text)} [{_where(r)}].")
    if r.source:
        s = r.source
        lead = "In" if s.primary else "Quoted in"
        published = f" ({apa_date(s.published_on, Quote.Precision.DAY)})" if s.published_on else ""
        container = ". ".join(p for p in (s.title, s.publisher) if p)
        parts.append(f" {lead} {_end(container + published)} {s.url}")
    parts.append(_retraction(r))
    parts.append(
        f" Retrieved {r.accessed_on:%B} {r.accessed_on.day}, {r.accessed_on.year}, "
        f"from {ARCHIVE_NAME}: {r.permalink}"
    )
    return "".join(parts)


def _bare_url(url: str) -> str:
    return re.sub(r"^https?://", "", url)


def format_mla(r: CitableQuote) -> str:
    parts = [f"{_end(inverted_author(r.speaker))} {in_quotes(title_from_text(r.text))}"]
    said = ", ".join(p for p in (r.venue, mla_date(r.said_on, r.precision), r.location) if p)
    parts.append(f" {_end(said)}" if said else "")
    if r.source:
        s = r.source
        lead = "In" if s.primary else "Quoted in"
        bits = [s.title and _Title(s.title), s.author and f"by {s.author}", s.publisher]
        bits += [mla_date(s.published_on), _bare_url(s.url)]
        parts.append(f" {lead} {_join_american(bits)}")
    parts.append(_retraction(r))
    parts.append(f" {ARCHIVE_NAME}, {_bare_url(r.permalink)}. Accessed {mla_date(r.accessed_on)}.")
    return "".join(parts)


def format_chicago(r: CitableQuote) -> str:
    parts = [f"{_end(inverted_author(r.speaker))} {in_quotes(title_from_text(r.text))}"]
    said = ", ".join(p for p in (r.venue, r.location, chicago_date(r.said_on, r.precision)) if p)
    parts.append(f" {_end(said)}" if said else "")
    if r.source:
        s = r.source
        lead = "In" if s.primary else "Quoted in"
        bits = [s.author, s.title and _Title(s.title), s.publisher, chicago_date(s.published_on)]
        container = _join_american(bits)
        parts.append(f" {lead} {container + ' ' if container else ''}{_end(s.url)}")
    parts.append(_retraction(r))
    a = r.accessed_on
    parts.append(f" {ARCHIVE_NAME}. Accessed {a:%B} {a.day}, {a.year}. {r.permalink}.")
    return "".join(parts)


_BIBTEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def bibtex_escape(text: str) -> str:
    return "".join(_BIBTEX_SPECIALS.get(ch, ch) for ch in text)


def _bibtex_url(url: str) -> str:
    return url.replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def bibtex_key(r: CitableQuote) -> str:
    person = parse_person(r.speaker)
    name = person.family_with_particle if person else r.speaker
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    ascii_name = re.sub(r"[^a-z0-9]", "", ascii_name) or "anon"
    year = str(r.said_on.year) if _known(r.said_on, r.precision) else "nd"
    return f"{ascii_name}{year}q{r.pk}"


def format_bibtex(r: CitableQuote) -> str:
    person = parse_person(r.speaker)
    if person is None:  # braced, so that BibTeX takes the whole name as a family name and never splits it
        author = f"{{{bibtex_escape(' '.join(r.speaker.split()))}}}"
    else:  # BibTeX's "von Last, Jr, First"
        parts = (person.family_with_particle, person.suffix, person.given)
        author = ", ".join(bibtex_escape(p) for p in parts if p)
    fields = [
        ("author", f"{{{author}}}"),
        ("title", f"{{{{{bibtex_escape(title_from_text(r.text))}}}}}"),
    ]
    parts = _date_parts(r.said_on, r.precision)
    if parts:
        fields.append(("year", f"{{{parts[0]}}}"))
        if len(parts) > 1:
            fields.append(("month", _BIBTEX_MONTHS[parts[1] - 1]))
        fields.append(("date", "{" + "-".join(f"{p:02d}" for p in parts) + "}"))
    fields.append(("howpublished", f"{{{bibtex_escape(_where(r))}}}"))
    note = []
    if r.source:
        s = r.source
        lead = "In" if s.primary else "Quoted in"
        bits = [s.title and f"``{s.title}''", s.publisher, s.published_on and s.published_on.isoformat()]
        note.append(f"{lead} {bibtex_escape(', '.join(b for b in bits if b))}, \\url{{{_bibtex_url(s.url)}}}")
    if r.retracted:
        note.append("Retracted by the archive")
    if note:
        fields.append(("note", "{" + ". ".join(note) + "}"))
    fields += [
        ("organization", f"{{{ARCHIVE_NAME}}}"),
        ("url", f"{{{_bibtex_url(r.permalink)}}}"),
        ("urldate", f"{{{r.accessed_on.isoformat()}}}"),
        ("language", f"{{{bibtex_escape(r.language)}}}"),
    ]
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@misc{{{bibtex_key(r)},\n{body}\n}}\n"


def _ris_line(tag: str, value: str) -> str:
    return f"{tag}  - {' '.join(value.split())}"


def format_ris(r: CitableQuote) -> str:
    lines = [_ris_line("TY", "GEN")]
    # RIS's "Lastname, Firstname, Suffix"; inverted_author() writes exactly that.
    lines.append(_ris_line("AU", inverted_author(r.speaker)))
    lines.append(_ris_line("TI", title_from_text(r.text)))
    parts = _date_parts(r.said_on, r.precision)
    if parts:
        lines.append(_ris_line("PY", str(parts[0])))
        padded = [f"{p:02d}" for p in parts[1:]] + [""] * (3 - len(parts))
        # RIS dates are YYYY/MM/DD/other, with the parts we do not know left empty.
        lines.append(_ris_line("DA", "/".join([str(parts[0]), *padded, ""])))
    lines.append(_ris_line("M3", _where(r)))
    if r.source:
        s = r.source
        if s.title:
            lines.append(_ris_line("T2", s.title))
        if s.publisher:
            lines.append(_ris_line("PB", s.publisher))
        lines.append(_ris_line("N1", f"{'In' if s.primary else 'Quoted in'} {s.url}"))
    if r.retracted:
        lines.append(_ris_line("N1", "Retracted by the archive"))
    lines.append(_ris_line("DB", ARCHIVE_NAME))
    lines.append(_ris_line("UR", r.permalink))
    lines.append(_ris_line("Y2", f"{r.accessed_on:%Y/%m/%d}"))
    lines.append(_ris_line("LA", r.language))
    lines.append(_ris_line("ER", ""))
    return "\r\n".join(lines) + "\r\n"


def csl_name(name: str) -> dict:
    person = parse_person(name)
    if person is None:
        return {"literal": " ".join(name.split())}
    csl = {"family": person.family, "given": person.given}
    if person.particle:
        csl["non-dropping-particle"] = person.particle
    if person.suffix:
        csl["suffix"] = person.suffix
    return csl


def csl_item(r: CitableQuote) -> dict:
    item: dict = {
        "id": f"verbatim-q{r.pk}",
        "type": _CSL_TYPES.get(r.venue_kind, "speech"),
        "title": title_from_text(r.text),
        "author": [csl_name(r.speaker)],
        "genre": _where(r),
        "archive": ARCHIVE_NAME,
        "URL": r.permalink,
        "accessed": {"date-parts": [[r.accessed_on.year, r.accessed_on.month, r.accessed_on.day]]},
        "language": r.language,
    }
    parts = _date_parts(r.said_on, r.precision)
    if parts:
        item["issued"] = {"date-parts": [parts]}
    if r.venue:
        item["event-title"] = r.venue
    if r.location:
        item["event-place"] = r.location
    if r.source:
        s = r.source
        if s.title:
            item["container-title"] = s.title
        if s.publisher:
            item["publisher"] = s.publisher
        item["note"] = f"{'In' if s.primary else 'Quoted in'} {s.url}"
    if r.retracted:
        item["status"] = "retracted"
    return item


def format_csl_json(r: CitableQuote) -> str:
    return json.dumps([csl_item(r)], ensure_ascii=False, indent=2)


_FORMATTERS = {
    "apa": format_apa,
    "mla": format_mla,
    "chicago": format_chicago,
    "bibtex": format_bibtex,
    "ris": format_ris,
    "csl-json": format_csl_json,
}
