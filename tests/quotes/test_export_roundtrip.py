"""Export, empty the archive, import the export: every field of every record comes back."""

import datetime
import io
import json

import pytest
from django.core.management import call_command

from archive.models import Source
from quotes.models import Citation, Quote, Speaker, Tag, Venue
from tests.factories import cite, make_quote, make_source, make_speaker, make_venue

SPEAKER_FIELDS = ("name", "slug", "wikidata_qid", "aliases", "description", "search_names")
VENUE_FIELDS = ("name", "kind", "location", "url", "held_on")
SOURCE_FIELDS = (
    "url", "normalized_url", "url_hash", "domain", "title", "publisher", "author", "published_on", "language",
)  # fmt: skip
QUOTE_FIELDS = (
    "text", "text_normalized", "text_hash", "search_text", "speaker_role", "said_on", "date_precision",
    "language", "context", "status", "status_note", "verification", "verification_note",
    "attribution_probability", "external_id",
)  # fmt: skip
CITATION_FIELDS = ("role", "locator", "selector_exact", "selector_prefix", "selector_suffix", "note")


def fields(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names}


def archive_state() -> dict:
    """Everything an export promises to carry, keyed by natural keys (ids and timestamps are new)."""
    quotes = {}
    for quote in Quote.objects.select_related("speaker", "venue"):
        quotes[(quote.speaker.slug, quote.text)] = {
            **fields(quote, QUOTE_FIELDS),
            "speaker": fields(quote.speaker, SPEAKER_FIELDS),
            "venue": fields(quote.venue, VENUE_FIELDS) if quote.venue else None,
            "tags": sorted((t.slug, t.name) for t in quote.tags.all()),
            "about": sorted(fields(s, SPEAKER_FIELDS).items() for s in quote.about.all()),
            "citations": sorted(
                (
                    c.source.url,
                    tuple(fields(c, CITATION_FIELDS).items()),
                    tuple(fields(c.source, SOURCE_FIELDS).items()),
                )
                for c in quote.citations.select_related("source")
            ),
        }
    return {
        "quotes": quotes,
        "speakers": sorted(tuple(fields(s, SPEAKER_FIELDS).items()) for s in Speaker.objects.all()),
        "venues": sorted(tuple(map(str, fields(v, VENUE_FIELDS).values())) for v in Venue.objects.all()),
        "sources": sorted(tuple(map(str, fields(s, SOURCE_FIELDS).values())) for s in Source.objects.all()),
        "citations": Citation.objects.count(),
        "tags": sorted(Tag.objects.values_list("slug", "name")),
    }


def empty_archive() -> None:
    Citation.objects.all().delete()
    Quote.objects.all().delete()
    Source.objects.all().delete()
    Speaker.objects.all().delete()
    Venue.objects.all().delete()
    Tag.objects.all().delete()


@pytest.fixture
def rich_archive(demo):
    """The demo plus quotes that use every field: drafts, QIDs, venues with dates, selectors, notes."""
    speaker = make_speaker(
        "Jacinda Ardern",
        slug="jacinda-ardern",
        wikidata_qid="Q6386",
        aliases="Ardern\nJacinda",
        description="PM",
    )
    venue = make_venue(
        name="Post-Cabinet press conference", kind=Venue.Kind.PRESS_CONFERENCE, location="Wellington",
        held_on=datetime.date(2019, 3, 18), url="https://www.beehive.govt.nz/pressers",
    )  # fmt: skip
    quote = make_quote(
        "They are us. The person who has perpetuated this violence against us is not.\nLine two “curly”.",
        speaker=speaker, speaker_role="Prime Minister of New Zealand", venue=venue, language="en-NZ",
        context="After the Christchurch attacks.", verification=Quote.Verification.VERIFIED,
        verification_note="Checked against the video.", attribution_probability=0.93, external_id="qb-1",
        said_on=datetime.date(2019, 3, 15),
    )  # fmt: skip
    primary = make_source(
        "https://www.beehive.govt.nz/speech/pm-statement?utm_source=feed", title="PM statement",
        publisher="Beehive", author="Office of the PM", published_on=datetime.date(2019, 3, 16),
        language="en",
    )  # fmt: skip
    cite(
        quote, primary, role=Citation.Role.PRIMARY, locator="para 4", selector_exact="They are us.",
        selector_prefix="said: ", selector_suffix=" The person", note="Transcript",
    )  # fmt: skip
    cite(quote, make_source("https://www.nzherald.co.nz/a/b", publisher="NZ Herald"))
    quote.tags.add(Tag.objects.create(name="Christchurch; 2019", slug="christchurch-2019"))
    quote.about.add(make_speaker("Brenton T", slug="brenton-t"))
    make_quote(
        "A draft nobody has published yet, from 2019",
        speaker=speaker, status=Quote.Status.DRAFT, said_on=datetime.date(2019, 1, 1), date_precision="year",
    )  # fmt: skip
    make_quote(
        "Retracted words", speaker=make_speaker("Anon Y", slug="anon-y"), status=Quote.Status.RETRACTED,
        status_note="Misheard", said_on=None, date_precision="unknown",
    )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_export_then_import_into_an_empty_archive_reproduces_every_field(rich_archive, tmp_path, fmt):
    before = archive_state()
    assert len(before["quotes"]) == 6
    out = tmp_path / f"archive.{fmt}"
    call_command("export_quotes", "--format", fmt, str(out))
    empty_archive()

    call_command("import_quotes", str(out), "--reject-file", str(tmp_path / "r.ndjson"), stdout=io.StringIO())

    after = archive_state()
    for key in before["quotes"]:
        for field in before["quotes"][key]:
            assert after["quotes"][key][field] == before["quotes"][key][field], (key, field)
    assert after == before
    again = tmp_path / f"again.{fmt}"
    call_command("export_quotes", "--format", fmt, str(again))
    strip = {"id", "url", "permalink", "embed_url", "created_at", "updated_at"}
    first, second = _without(out.read_text(), strip, fmt), _without(again.read_text(), strip, fmt)
    assert first == second


def _without(text: str, keys: set[str], fmt: str) -> list:
    """Export contents minus what is new in every archive (ids, timestamps, URLs built from ids)
    and the citations' `match`, a verification result that the receiving archive re-derives."""
    import csv

    rows = (
        list(csv.DictReader(io.StringIO(text)))
        if fmt == "csv"
        else [json.loads(x) for x in text.splitlines()]
    )
    cleaned = []
    for row in rows:
        row = {k: v for k, v in row.items() if k not in keys}
        citations = json.loads(row["citations"] or "[]") if fmt == "csv" else row["citations"]
        for citation in citations:
            for key in ("id", "match"):
                citation.pop(key)
            citation["source"].pop("id")
        row["citations"] = citations
        if fmt == "ndjson":
            row["speaker"].pop("url")
        cleaned.append(json.dumps(row, sort_keys=True))
    return sorted(cleaned)


@pytest.mark.django_db
def test_the_export_re_imports_unchanged(rich_archive, tmp_path):
    out = tmp_path / "archive.ndjson"
    call_command("export_quotes", "--format", "ndjson", str(out))
    summary = io.StringIO()
    call_command("import_quotes", str(out), "--reject-file", str(tmp_path / "r.ndjson"), stdout=summary)
    assert "created 0, matched 6, rejected 0, citations added 0" in summary.getvalue()


@pytest.mark.django_db
def test_export_filters_narrow_the_file(rich_archive, tmp_path):
    out = tmp_path / "ardern.csv"
    call_command(
        "export_quotes", "--format", "csv", "--speaker", "jacinda-ardern", "--status", "published", str(out)
    )
    text = out.read_text()
    assert "They are us." in text and "A draft nobody" not in text and "BEFORE IT IS TOO LATE" not in text
