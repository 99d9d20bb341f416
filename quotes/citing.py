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
    "corporation", "commission", "house", "court", "senate", "parliament", "union", "news", "press",
}  # fmt: skip
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


def is_organisation(name: str) -> bool:
    words = name.split()
    return len(words) == 1 or len(words) > 4 or any(w.lower() in _ORGANISATION_WORDS for w in words)


def split_name(name: str) -> tuple[str, str]:
    """(family, given) for a person; ("", name) for an organisation."""
    name = " ".join(name.split())
    if is_organisation(name):
        return "", name
    given, _, family = name.rpartition(" ")
    return family, given


def _initial(part: str) -> str:
    return "-".join(f"{p[0]}." for p in part.split("-") if p)


def apa_author(name: str) -> str:
    family, given = split_name(name)
    if not family:
        return given
    return f"{family}, {' '.join(_initial(p) for p in given.split())}"


def inverted_author(name: str) -> str:
    family, given = split_name(name)
    return f"{family}, {given}" if family else given


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


def _join_american(bits) -> str:
    """Join with commas, a comma after a quoted title going inside the closing quotation mark."""
    return ", ".join(b for b in bits if b).replace("”, ", ",” ")


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
    parts = [f"{_end(inverted_author(r.speaker))} “{_end(title_from_text(r.text))}”"]
    said = ", ".join(p for p in (r.venue, mla_date(r.said_on, r.precision), r.location) if p)
    parts.append(f" {_end(said)}" if said else "")
    if r.source:
        s = r.source
        lead = "In" if s.primary else "Quoted in"
        bits = [s.title and f"“{s.title}”", s.author and f"by {s.author}", s.publisher]
        bits += [mla_date(s.published_on), _bare_url(s.url)]
        parts.append(f" {lead} {_end(_join_american(bits))}")
    parts.append(_retraction(r))
    parts.append(f" {ARCHIVE_NAME}, {_bare_url(r.permalink)}. Accessed {mla_date(r.accessed_on)}.")
    return "".join(parts)


def format_chicago(r: CitableQuote) -> str:
    parts = [f"{_end(inverted_author(r.speaker))} “{_end(title_from_text(r.text))}”"]
    said = ", ".join(p for p in (r.venue, r.location, chicago_date(r.said_on, r.precision)) if p)
    parts.append(f" {_end(said)}" if said else "")
    if r.source:
        s = r.source
        lead = "In" if s.primary else "Quoted in"
        bits = [s.author, s.title and f"“{s.title}”", s.publisher, chicago_date(s.published_on)]
        parts.append(f" {lead} {_end(_join_american(bits))} {_end(s.url)}")
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
    family, given = split_name(r.speaker)
    name = family or given
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    ascii_name = re.sub(r"[^a-z0-9]", "", ascii_name) or "anon"
    year = str(r.said_on.year) if _known(r.said_on, r.precision) else "nd"
    return f"{ascii_name}{year}q{r.pk}"


def format_bibtex(r: CitableQuote) -> str:
    family, given = split_name(r.speaker)
    author = f"{bibtex_escape(family)}, {bibtex_escape(given)}" if family else f"{{{bibtex_escape(given)}}}"
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
    family, given = split_name(r.speaker)
    lines = [_ris_line("TY", "GEN")]
    lines.append(_ris_line("AU", f"{family}, {given}" if family else given))
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


def csl_item(r: CitableQuote) -> dict:
    family, given = split_name(r.speaker)
    item: dict = {
        "id": f"verbatim-q{r.pk}",
        "type": _CSL_TYPES.get(r.venue_kind, "speech"),
        "title": title_from_text(r.text),
        "author": [{"family": family, "given": given} if family else {"literal": given}],
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
