"""Records in the API's quote representation (NDJSON, JSON) and its flattened CSV form.

The names are the API's (`text`, `speaker` {`slug`, `name`, `wikidata_qid`}, `said_on`,
`citations` [{`role`, `source` {`url`, ...}, `selector`}], ...) plus the fields an export
needs to be lossless (`status`, speaker `aliases`, venue `held_on`, source `author`, ...).
CSV flattens objects into prefixed columns and holds lists (`tags`, `about`, `citations`)
as JSON; see README "Import and export".
"""

import orjson
from django.utils.text import slugify

from quotes.importing.records import (
    CitationRef,
    QuoteRecord,
    Rejected,
    VenueRef,
    clean_choice,
    clean_date,
    clean_language,
    clean_probability,
    clean_str,
    clean_text,
    clean_url,
    max_length,
    source_ref,
    speaker_ref,
)
from quotes.models import Citation, Quote, Tag, Venue
from quotes.models.quotes import date_errors


def representation_record(line: int, raw: dict, *, status: str | None) -> QuoteRecord:
    text = clean_text(raw.get("text"))
    speaker = _speaker(raw.get("speaker"))
    precision = clean_choice(raw.get("date_precision"), Quote.Precision, "date precision", "")
    said_on = clean_date(raw.get("said_on"), "date")
    precision = precision or (Quote.Precision.DAY if said_on else Quote.Precision.UNKNOWN)
    problems = date_errors(said_on, precision)
    if problems:
        raise Rejected(f"date: {problems['said_on']}")
    record_status = clean_choice(raw.get("status"), Quote.Status, "status", "") or None
    return QuoteRecord(
        line=line,
        text=text,
        speaker=speaker,
        speaker_role=clean_str(
            raw.get("speaker_role"), "speaker role", limit=max_length(Quote, "speaker_role")
        ),
        said_on=said_on,
        date_precision=precision,
        venue=_venue(raw.get("venue")),
        language=clean_language(raw.get("language")),
        context=clean_str(raw.get("context"), "context"),
        status=status or record_status,
        verification=clean_choice(
            raw.get("verification"), Quote.Verification, "verification", Quote.Verification.UNVERIFIED
        ),
        verification_note=clean_str(raw.get("verification_note"), "verification note"),
        status_note=clean_str(raw.get("status_note"), "status note"),
        tags=_tags(raw.get("tags"), raw.get("tag_names")),
        about=[_speaker(value) for value in _list(raw.get("about"), "about")],
        citations=_citations(raw.get("citations")),
        attribution_probability=clean_probability(raw.get("attribution_probability")),
        external_id=clean_str(raw.get("external_id"), "external id", limit=max_length(Quote, "external_id")),
    )


def unflatten_csv_row(row: dict) -> dict:
    """A CSV row back into the nested representation."""
    value = {key: (cell if cell != "" else None) for key, cell in row.items() if key}
    record = {
        key: value.get(key)
        for key in (
            "text", "speaker_role", "said_on", "date_precision", "language", "context", "status",
            "verification", "verification_note", "status_note", "attribution_probability", "external_id",
        )
    }  # fmt: skip
    record["speaker"] = {
        "slug": value.get("speaker_slug"),
        "name": value.get("speaker_name"),
        "wikidata_qid": value.get("speaker_qid"),
        "aliases": value.get("speaker_aliases"),
        "description": value.get("speaker_description"),
    }
    venue_keys = ("name", "kind", "location", "url", "held_on")
    if any(value.get(f"venue_{key}") for key in venue_keys):
        record["venue"] = {key: value.get(f"venue_{key}") for key in venue_keys}
    record["tags"] = _json_or_split(value.get("tags"), "tags")
    record["tag_names"] = _json_or_split(value.get("tag_names"), "tag_names")
    record["about"] = _json_or_split(value.get("about"), "about")
    citations = _json_or_split(value.get("citations"), "citations")
    if value.get("source_url"):  # a hand-made spreadsheet: one source in plain columns
        citations.append(
            {
                "role": value.get("citation_role"),
                "source": {
                    "url": value.get("source_url"),
                    "title": value.get("source_title"),
                    "publisher": value.get("source_publisher"),
                    "published_on": value.get("source_published_on"),
                },
            }
        )
    record["citations"] = citations
    return record


def _json_or_split(cell: str | None, label: str) -> list:
    if not cell:
        return []
    if cell.lstrip().startswith("["):
        try:
            return orjson.loads(cell)
        except orjson.JSONDecodeError:
            raise Rejected(f"malformed JSON in the {label} column") from None
    return [part.strip() for part in cell.split(";") if part.strip()]


def _list(value, label: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Rejected(f"{label} must be a list")
    return value


def _object(value, label: str) -> dict:
    if not isinstance(value, dict):
        raise Rejected(f"{label} must be an object")
    return value


def _speaker(value):
    if value is None or value == "":
        raise Rejected("no speaker")
    data = _object(value, "speaker")
    return speaker_ref(
        name=data.get("name"),
        slug=data.get("slug"),
        qid=data.get("wikidata_qid"),
        aliases=_aliases(data.get("aliases")),
        description=data.get("description"),
    )


def _aliases(value):
    """The API lists aliases; the export (and the model) holds them one a line: either is read."""
    if not isinstance(value, list):
        return value
    if not all(isinstance(alias, str) for alias in value):
        raise Rejected("speaker aliases must be text")
    return "\n".join(alias.strip() for alias in value if alias.strip())


def _venue(value) -> VenueRef | None:
    if value is None:
        return None
    data = _object(value, "venue")
    name = clean_str(data.get("name"), "venue name", limit=max_length(Venue, "name")).strip()
    if not name:
        raise Rejected("venue without a name")
    return VenueRef(
        name=name,
        kind=clean_choice(data.get("kind"), Venue.Kind, "venue kind", Venue.Kind.OTHER),
        location=clean_str(data.get("location"), "venue location", limit=max_length(Venue, "location")),
        url=clean_url(data.get("url"), "venue URL"),
        held_on=clean_date(data.get("held_on"), "venue date"),
    )


def _tags(value, names) -> list[tuple[str, str]]:
    """(slug, name) pairs. The API lists tag slugs; exports add `tag_names` beside them; a plain
    name ("Regime change") is accepted too and gets its slug from it."""
    items = _list(value, "tags")
    names = _list(names, "tag_names")
    if names and len(names) != len(items):
        raise Rejected("tags and tag_names differ in length")
    tags, seen = [], set()
    for position, item in enumerate(items):
        label = item.get("name") or item.get("slug") if isinstance(item, dict) else item
        label = clean_str(label, "tag", limit=max_length(Tag, "name")).strip()
        name = clean_str(names[position], "tag name", limit=max_length(Tag, "name")).strip() if names else ""
        slug = slugify(label)[: max_length(Tag, "slug")]
        if not slug:
            raise Rejected(f"tag {label[:40]!r} has no letters or digits to make a slug from")
        if slug not in seen:
            seen.add(slug)
            tags.append((slug, name or label))
    return tags


def _citations(value) -> list[CitationRef]:
    citations, seen = [], set()
    for item in _list(value, "citations"):
        data = _object(item, "citation")
        source = _object(data.get("source"), "citation source")
        selector = data.get("selector") or {}
        selector = _object(selector, "selector")
        citation = CitationRef(
            source=source_ref(
                url=source.get("url"),
                title=source.get("title"),
                publisher=source.get("publisher"),
                author=source.get("author"),
                published_on=source.get("published_on"),
                language=source.get("language"),
            ),
            role=clean_choice(data.get("role"), Citation.Role, "citation role", Citation.Role.SECONDARY),
            locator=clean_str(data.get("locator"), "locator", limit=max_length(Citation, "locator")),
            note=clean_str(data.get("note"), "citation note"),
            selector_exact=clean_str(selector.get("exact"), "selector"),
            selector_prefix=clean_str(
                selector.get("prefix"), "selector prefix", limit=max_length(Citation, "selector_prefix")
            ),
            selector_suffix=clean_str(
                selector.get("suffix"), "selector suffix", limit=max_length(Citation, "selector_suffix")
            ),
        )
        if citation.source.url not in seen:
            seen.add(citation.source.url)
            citations.append(citation)
    return citations
