"""The bulk load (`--search-index rebuild` on PostgreSQL: COPY into the tables, matching in memory)
keeps every promise of the row-by-row import: same records, idempotent, resumable, lossless."""

import io
import json
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction

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


@pytest.mark.django_db
def test_a_speaker_spelt_several_ways_in_a_batch_is_named_as_the_row_by_row_import_names_it(tmp_path):
    """Quotebank spells one QID several ways; within a batch the last record's spelling names a new
    speaker (BatchWriter's rule), and the bulk path, which looks each spelling up once, agrees."""
    spellings = [
        ("Barack Obama", ["Q76"]),
        ("President Barack Obama", ["Q76"]),
        ("Barack Obama", ["Q76"]),
        ("Jane Doe", []),
        ("JANE DOE", []),
    ]
    lines = [
        json.dumps(
            {
                "quoteID": f"2015-08-31-00000{n}",
                "quotation": f"Quotation number {n} of the spellings.",
                "speaker": name,
                "qids": qids,
                "date": "2015-08-31 11:29:36",
                "probas": [[name, "0.9"]],
                "urls": [f"http://example.com/{n}"],
            }
        )
        for n, (name, qids) in enumerate(spellings)
    ]
    path = write_sample(tmp_path / "spellings.json", lines)
    run_import(path, tmp_path, "--search-index", "keep")
    row_by_row = sorted(Speaker.objects.values_list("name", "slug", "wikidata_qid"))
    Citation.objects.all().delete()
    Quote.objects.all().delete()
    Source.objects.all().delete()
    Speaker.objects.all().delete()

    run_import(path, tmp_path, *REBUILD)

    assert sorted(Speaker.objects.values_list("name", "slug", "wikidata_qid")) == row_by_row
    assert ("Barack Obama", "barack-obama", "Q76") in row_by_row  # the last spelling of Q76


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


def an_editor_saves(n: int, *, citing: bool = True) -> Quote:
    """What an editor's save in the admin writes (history rows included): line n's quote, citing
    its first URL."""
    record = json.loads(quotebank_line(n))
    speaker = Speaker.objects.get(wikidata_qid=record["qids"][0])
    quote = Quote.objects.create(text=record["quotation"], speaker=speaker)
    if citing:
        Citation.objects.create(quote=quote, source=Source.objects.create(url=record["urls"][0]))
    return quote


def while_loading(monkeypatch, write) -> list:
    """Run `write` once the bulk load has read the archive's keys, as if another writer saved
    meanwhile; the list returned gets an item each time the keys are read."""
    original, reads = bulk.BulkWriter.preload, []

    def then_another_writer(self):
        original(self)
        reads.append(1)
        if len(reads) == 1:
            write()

    monkeypatch.setattr(bulk.BulkWriter, "preload", then_another_writer)
    return reads


@postgres_only
@pytest.mark.django_db
def test_rows_another_writer_added_meanwhile_are_matched_not_duplicated(tmp_path, monkeypatch):
    lines = [quotebank_line(n) for n in range(1, 21)]
    run_import(write_sample(tmp_path / "half.json", lines[:10]), tmp_path)  # the speakers, half the quotes
    theirs = []
    while_loading(monkeypatch, lambda: theirs.append(an_editor_saves(16)))  # line 16 cites two URLs

    summary, _ = run_import(write_sample(tmp_path / "all.json", lines), tmp_path, *REBUILD)

    # The import's copy of line 16 (and of its first source) was folded into the editor's.
    citations = sum(1 + n % 3 for n in range(11, 21)) - 1  # the editor's citation was there first
    assert f"created 9, matched 11, rejected 0, citations added {citations}" in summary
    assert Quote.objects.count() == 20
    record = json.loads(lines[15])
    quote = Quote.objects.get(text=record["quotation"])
    assert quote.pk == theirs[0].pk and quote.history.count() == 1
    assert sorted(quote.citations.values_list("source__url", flat=True)) == sorted(record["urls"])
    assert Source.objects.filter(url=record["urls"][0]).count() == 1
    assert Citation.objects.count() == sum(1 + n % 3 for n in range(1, 21))


@postgres_only
@pytest.mark.django_db
def test_a_quote_two_people_saved_twice_meanwhile_stops_the_rebuild_naming_them(tmp_path, monkeypatch):
    lines = [quotebank_line(n) for n in range(1, 21)]
    run_import(write_sample(tmp_path / "half.json", lines[:10]), tmp_path)
    theirs = []
    while_loading(
        monkeypatch, lambda: theirs.extend([an_editor_saves(12), an_editor_saves(12, citing=False)])
    )

    _, error = run_import(write_sample(tmp_path / "all.json", lines), tmp_path, *REBUILD)

    twins = Quote.objects.filter(text=theirs[0].text).order_by("pk")  # both editors', the import's
    first, second = twins[0].pk, twins[1].pk
    assert (
        f"ids {first}, {second}." in error and 'unique_normalized_quote_per_speaker" stays missing' in error
    )
    assert twins.count() == 3  # nobody's work deleted, not even the import's copy
    constraints = unique_constraint_names()
    assert "unique_normalized_quote_per_speaker" not in constraints
    assert "archive_source_url_hash_key" in constraints  # the sources' duplicates were folded all the same
    assert Source.objects.filter(url=json.loads(lines[11])["urls"][0]).count() == 1
    Citation.objects.filter(quote_id=second).delete()
    Quote.objects.filter(pk=second).delete()  # an editor merges them

    summary, error = run_import(write_sample(tmp_path / "all.json", lines), tmp_path)  # the next import

    assert error is None and "created 0, matched 20" in summary
    assert "unique_normalized_quote_per_speaker" in unique_constraint_names()
    assert list(Quote.objects.filter(text=theirs[0].text).values_list("pk", flat=True)) == [first]


def unique_constraint_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'u'")
        return {row[0] for row in cursor.fetchall()}


@postgres_only
@pytest.mark.django_db
def test_a_bulk_import_finishing_meanwhile_brings_the_uniques_back_and_this_one_matches_its_rows(
    tmp_path, monkeypatch
):
    lines = [quotebank_line(n) for n in range(1, 21)]
    other = write_sample(tmp_path / "other.json", lines[5:15])
    # The other import runs from start to end (constraints restored) after this one read its keys.
    reads = while_loading(monkeypatch, lambda: run_import(other, tmp_path))

    summary, error = run_import(write_sample(tmp_path / "all.json", lines), tmp_path, *REBUILD)

    assert error is None and len(reads) == 2  # a clash on the restored constraint: keys read again
    assert "created 10, matched 10" in summary
    assert Quote.objects.count() == 20 and Source.objects.count() == len(
        {url for line in lines for url in json.loads(line)["urls"]}
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_citation_another_writer_adds_meanwhile_rolls_the_batch_back_and_retries_it(tmp_path, monkeypatch):
    run_import(write_sample(tmp_path / "quotes.json"), tmp_path, *REBUILD)
    record, other = json.loads(quotebank_line(4)), json.loads(quotebank_line(5))["urls"][0]
    quote, source = Quote.objects.get(external_id=record["quoteID"]), Source.objects.get(url=other)
    original, calls = bulk.BulkWriter._add_known_citations, []

    def another_writer_cites_it_too(self, cursor, rows):
        calls.append(rows)
        if len(calls) == 1:  # their insert commits while ours waits on it: a real clash
            commit_once_waited_on(cursor.connection.info.backend_pid, quote.pk, source.pk)
        return original(self, cursor, rows)

    monkeypatch.setattr(bulk.BulkWriter, "_add_known_citations", another_writer_cites_it_too)
    cited = dict(record, urls=[*record["urls"], other])

    summary, _ = run_import(write_sample(tmp_path / "b.ndjson", [json.dumps(cited)]), tmp_path, *REBUILD)

    assert len(calls) == 2  # rolled back, then written again
    assert "created 0, matched 1, rejected 0, citations added 0" in summary
    assert Citation.objects.filter(quote=quote, source=source).count() == 1


def commit_once_waited_on(pid: int, quote_id: int, source_id: int) -> None:
    """Another session (this thread's own connection) saves the citation now, and commits once
    session `pid` waits for it."""
    inserted = threading.Event()

    def another_session():
        try:
            with transaction.atomic():
                Citation.objects.create(quote_id=quote_id, source_id=source_id)
                inserted.set()
                with connection.cursor() as cursor:
                    for _ in range(200):
                        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
                        if cursor.fetchone()[0] == "Lock":
                            break
                        time.sleep(0.05)
        finally:
            inserted.set()
            connection.close()

    threading.Thread(target=another_session).start()
    inserted.wait(10)


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
