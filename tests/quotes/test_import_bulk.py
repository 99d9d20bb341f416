"""The bulk load (`--search-index rebuild` on PostgreSQL: COPY into the tables, matching in memory)
keeps every promise of the row-by-row import: same records, idempotent, resumable, lossless."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from archive.models import Source
from archive.text import normalize_text, search_form
from quotes.importing import bulk
from quotes.importing.copyrows import copy_text, derived_text
from quotes.models import Citation, Quote, Speaker
from tests.quotes.test_export_roundtrip import archive_state, empty_archive, rich_archive  # noqa: F401
from tests.quotes.test_import_quotebank import BAD_LINES, TOTAL, quotebank_line, run_import, write_sample

REBUILD = ("--search-index", "rebuild")
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk load is PostgreSQL's")


def counts() -> list[int]:
    return [model.objects.count() for model in (Quote, Citation, Source, Speaker)]


@pytest.mark.parametrize(
    "text",
    [
        "Plain words,  twice\tspaced\nand `quoted`.",
        "Tabs\x1cand\x1funit separators\x0b count as spaces",
        "“Curly” — dashes… and Díaz-Canel’s accents",
        "ＦＵＬＬ width and ﬁ ligatures",
        "  ",
        "İstanbul ß ǅ",
    ],
)
def test_the_fast_text_derivation_agrees_with_the_archive(text):
    assert derived_text(text) == (normalize_text(text), search_form(text))


def test_copy_text_escapes_what_copy_would_misread():
    assert copy_text("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re"
    assert copy_text(None) == "\\N" and copy_text(True) == "t" and copy_text(0.25) == "0.25"


@pytest.mark.django_db
def test_a_bulk_import_writes_what_the_row_by_row_import_writes(tmp_path):
    path = write_sample(tmp_path / "quotes.json")
    run_import(path, tmp_path, "--search-index", "keep", "--status", "published")
    keep = _snapshot()
    Citation.objects.all().delete()
    Quote.objects.all().delete()
    Source.objects.all().delete()
    Speaker.objects.all().delete()

    summary, error = run_import(path, tmp_path, *REBUILD, "--status", "published")

    good = TOTAL - len(BAD_LINES)
    assert f"read {TOTAL}, created {good}, matched 0, rejected {len(BAD_LINES)}" in summary
    assert error and "9 record(s) rejected" in error
    rejects = [json.loads(line) for line in (tmp_path / "rejects.ndjson").read_text().splitlines()]
    assert [r["line"] for r in rejects] == sorted(BAD_LINES)
    assert _snapshot() == keep


def _snapshot() -> dict:
    quote_fields = (
        "text", "text_normalized", "text_hash", "search_text", "said_on", "date_precision", "language",
        "status", "verification", "attribution_probability", "external_id",
    )  # fmt: skip
    return {
        "quotes": sorted(
            (
                q.speaker.wikidata_qid,
                q.speaker.slug,
                *(getattr(q, f) for f in quote_fields),
                q.first_published_at is not None,
            )
            for q in Quote.objects.select_related("speaker")
        ),  # fmt: skip
        "sources": sorted(
            Source.objects.values_list("url", "normalized_url", "url_hash", "domain", "publisher", "title")
        ),
        "citations": sorted(
            Citation.objects.values_list("quote__external_id", "source__url", "role", "match")
        ),
        "speakers": sorted(Speaker.objects.values_list("name", "slug", "wikidata_qid", "search_names")),
    }


@pytest.mark.django_db
def test_a_bulk_reimport_creates_nothing_and_a_second_file_adds_only_the_new_citation(tmp_path):
    path = write_sample(tmp_path / "quotes.json")
    run_import(path, tmp_path, *REBUILD)
    before = counts()

    summary, _ = run_import(path, tmp_path, *REBUILD)

    assert f"created 0, matched {TOTAL - len(BAD_LINES)}" in summary and "citations added 0" in summary
    assert counts() == before
    first = json.loads(quotebank_line(4))
    second = dict(first, urls=[*first["urls"], "https://www.lemonde.fr/2015/08/04/article.html"])
    summary, _ = run_import(write_sample(tmp_path / "b.ndjson", [json.dumps(second)]), tmp_path, *REBUILD)
    assert "created 0, matched 1, rejected 0, citations added 1" in summary
    assert counts() == [before[0], before[1] + 1, before[2] + 1, before[3]]


@pytest.mark.django_db
def test_the_same_quote_twice_in_a_file_is_one_quote_citing_every_source(tmp_path):
    first = json.loads(quotebank_line(2))
    again = dict(first, quoteID="again", urls=[first["urls"][0], "https://example.org/other"])
    lines = [json.dumps(first), quotebank_line(5), json.dumps(again)]

    summary, _ = run_import(
        write_sample(tmp_path / "dup.ndjson", lines), tmp_path, *REBUILD, "--batch-size", "2"
    )

    assert "created 2, matched 1" in summary
    quote = Quote.objects.get(external_id=first["quoteID"])
    assert sorted(quote.citations.values_list("source__url", flat=True)) == sorted(
        [*first["urls"], "https://example.org/other"]
    )


@postgres_only
@pytest.mark.django_db
def test_an_interrupted_bulk_import_finishes_when_run_again(tmp_path, monkeypatch):
    lines = [quotebank_line(n) for n in range(1, 31)]
    path = write_sample(tmp_path / "all.json", lines)
    original, calls = bulk.BulkWriter._write_batch, []

    def fail_on_the_third_batch(self, cursor, batch):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, cursor, batch)

    monkeypatch.setattr(bulk.BulkWriter, "_write_batch", fail_on_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        run_import(path, tmp_path, *REBUILD, "--batch-size", "10")
    assert Quote.objects.count() == 20  # two batches committed, the third rolled back whole
    monkeypatch.setattr(bulk.BulkWriter, "_write_batch", original)

    summary, _ = run_import(path, tmp_path, *REBUILD, "--batch-size", "10")

    assert "created 10, matched 20" in summary
    assert Citation.objects.count() == sum(1 + n % 3 for n in range(1, 31))


@postgres_only
@pytest.mark.django_db
def test_rows_another_writer_added_meanwhile_are_matched_not_duplicated(tmp_path, monkeypatch):
    lines = [quotebank_line(n) for n in range(1, 21)]
    run_import(write_sample(tmp_path / "half.json", lines[:10]), tmp_path)  # "another writer"
    original, reads = bulk.BulkWriter.preload, []

    def stale_first_read(self):
        original(self)
        reads.append(1)
        if len(reads) == 1:  # as if those rows were written after the keys were read
            self.quote_ids.clear()
            self.source_ids.clear()

    monkeypatch.setattr(bulk.BulkWriter, "preload", stale_first_read)

    summary, _ = run_import(write_sample(tmp_path / "all.json", lines), tmp_path, *REBUILD)

    assert len(reads) == 2  # the clash was noticed, the keys read again
    assert "created 10, matched 10" in summary
    assert Quote.objects.count() == 20


@pytest.mark.django_db
def test_export_then_bulk_import_reproduces_every_field(rich_archive, tmp_path):  # noqa: F811
    before = archive_state()
    out = tmp_path / "archive.ndjson"
    call_command("export_quotes", "--format", "ndjson", str(out))
    empty_archive()

    call_command(
        "import_quotes", str(out), "--reject-file", str(tmp_path / "r.ndjson"), *REBUILD, stdout=io.StringIO()
    )

    assert archive_state() == before


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_foreign_keys_come_back_validated(tmp_path):
    run_import(write_sample(tmp_path / "quotes.json"), tmp_path, *REBUILD)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid::regclass::text IN ('quotes_quote', 'quotes_citation')"
        )
        keys = dict(cursor.fetchall())
    assert len(keys) == 9 and all(keys.values())


@postgres_only
@pytest.mark.django_db
def test_a_reading_process_that_dies_fails_the_import_instead_of_hanging(tmp_path, monkeypatch):
    import os

    from quotes.importing import pipeline

    monkeypatch.setattr(pipeline, "_parse", lambda *args: os._exit(9))

    with pytest.raises(pipeline.ParseFailed, match="exit code 9"):
        run_import(write_sample(tmp_path / "quotes.json"), tmp_path, *REBUILD)
