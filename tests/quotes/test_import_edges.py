"""Importing at the edges: fields past the csv module's limit, keys longer than their columns,
bytes that are not UTF-8, a reject file that cannot be written, a CSV without its columns, tag
spellings, speaker aliases as a list. Each way of writing is tried: row by row, and the rebuild
(on PostgreSQL the bulk load, whose reading process reads the file again by itself)."""

import codecs
import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from archive.models import Source
from quotes.importing import readers
from quotes.importing.copyrows import ImportLayout
from quotes.importing.pipeline import parsed_batches
from quotes.importing.readers import READERS, InputFile
from quotes.models import Quote, Speaker, Tag
from tests.factories import make_quote, make_speaker
from tests.quotes.test_export_roundtrip import archive_state, empty_archive
from tests.quotes.test_import_quotebank import quotebank_line

WAYS = pytest.mark.parametrize(
    "way", [("--search-index", "keep"), ("--search-index", "rebuild")], ids=["row-by-row", "rebuild"]
)


@pytest.fixture(autouse=True)
def _csv_limit_restored():
    """csv.field_size_limit is the process's: leave it as found for the other tests."""
    limit = csv.field_size_limit()
    yield
    csv.field_size_limit(limit)


def run(path, tmp_path, *args) -> tuple[str, str | None, list[dict]]:
    """(summary, the CommandError's message or None, the rejects)."""
    out, reject = io.StringIO(), tmp_path / "rejects.ndjson"
    error = None
    try:
        call_command("import_quotes", str(path), "--reject-file", str(reject), *args, stdout=out)
    except CommandError as raised:
        error = str(raised)
    rejects = [json.loads(line) for line in reject.read_text().splitlines()] if reject.exists() else []
    return out.getvalue(), error, rejects


def ndjson_line(text: str, **speaker) -> str:
    return json.dumps({"text": text, "speaker": {"name": "Ann Example", **speaker}, "said_on": "2020-01-02"})


def write_csv(path, header, *rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


# --- 1. Fields larger than the csv module's default limit (131,072 characters) ---------------------


@pytest.mark.django_db
@WAYS
def test_an_exported_csv_with_fields_past_the_csv_default_limit_imports_back(tmp_path, way):
    make_quote(
        "Words with a very long context",
        speaker=make_speaker("Ann Example", slug="ann-example"),
        context=('A long, long context, with "quotes" and\nnewlines. ' * 20_000)[:1_000_000],
        status_note="n" * 200_000,
    )
    before = archive_state()
    out = tmp_path / "archive.csv"
    call_command("export_quotes", "--format", "csv", str(out))
    empty_archive()

    summary, error, rejects = run(out, tmp_path, *way)

    assert error is None and rejects == []
    assert "read 1, created 1, matched 0, rejected 0" in summary
    assert archive_state() == before


@pytest.mark.django_db
@WAYS
def test_a_row_the_csv_reader_refuses_is_rejected_with_its_line_and_the_next_rows_still_read(
    tmp_path, monkeypatch, way
):
    monkeypatch.setattr(readers, "CSV_FIELD_LIMIT", 1_000)
    path = tmp_path / "sheet.csv"
    write_csv(
        path,
        ["text", "speaker_name", "context"],
        ["Words before", "Ann Example", ""],
        ["Words with a huge context", "Ann Example", 'a "quoted", multi-line\n' * 100],  # lines 3-103
        ["Words after", "Ann Example", 'short, "quoted"\ncontext'],  # lines 104-105
        ["Words last", "Ann Example", ""],
    )

    summary, error, rejects = run(path, tmp_path, *way)

    assert "read 4, created 3, matched 0, rejected 1" in summary and "1 record(s) rejected" in error
    assert [(r["line"], r["reason"]) for r in rejects] == [(3, "field larger than field limit (1000)")]
    assert rejects[0]["record"].startswith("Words with a huge context,")
    assert sorted(Quote.objects.values_list("text", "context")) == [
        ("Words after", 'short, "quoted"\ncontext'),
        ("Words before", ""),
        ("Words last", ""),
    ]


# --- 2. Values longer than the database's columns -------------------------------------------------


LONG_QID = "Q" + "9" * 30


@pytest.mark.django_db
@WAYS
def test_an_overlong_wikidata_qid_or_host_is_rejected_and_the_rest_imported(tmp_path, way):
    long_qid = dict(json.loads(quotebank_line(2)), qids=[LONG_QID])
    long_host = dict(json.loads(quotebank_line(3)), urls=["https://" + "a" * 60 + ".b" * 100 + ".com/x"])
    # Short enough, but normalizing percent-encodes the query past the 2,000 characters of the column.
    long_query = dict(json.loads(quotebank_line(4)), urls=["https://ex.com/p?q=" + "é" * 1_900])
    path = tmp_path / "quotes.json"
    lines = [quotebank_line(1), json.dumps(long_qid), json.dumps(long_host), json.dumps(long_query)]
    path.write_text("\n".join([*lines, quotebank_line(5)]) + "\n", encoding="utf-8")

    summary, error, rejects = run(path, tmp_path, *way)

    assert "read 5, created 2, matched 0, rejected 3" in summary, (summary, error)
    assert [r["line"] for r in rejects] == [2, 3, 4]
    assert rejects[0]["reason"] == f"invalid Wikidata QID {LONG_QID!r}"
    assert rejects[1]["reason"].startswith("invalid URL 'https://aaaa")
    assert rejects[2]["reason"].startswith(
        "normalized URL longer than 2,000 characters 'https://ex.com/p?q=é"
    )
    assert not Speaker.objects.filter(wikidata_qid=LONG_QID).exists()
    assert max(len(url) for url in Source.objects.values_list("normalized_url", flat=True)) < 100


@pytest.mark.django_db
@WAYS
def test_an_overlong_wikidata_qid_in_an_export_is_rejected(tmp_path, way):
    path = tmp_path / "quotes.ndjson"
    path.write_text(f"{ndjson_line('Fine words')}\n{ndjson_line('Other words', wikidata_qid=LONG_QID)}\n")

    summary, error, rejects = run(path, tmp_path, *way)

    assert "read 2, created 1, matched 0, rejected 1" in summary
    assert [(r["line"], r["reason"]) for r in rejects] == [(2, f"invalid Wikidata QID {LONG_QID!r}")]


# --- 3. Bytes that are not UTF-8 ------------------------------------------------------------------


@pytest.mark.django_db
@WAYS
@pytest.mark.parametrize("fmt", ["quotebank", "ndjson"])
def test_a_line_that_is_not_utf8_is_rejected_never_imported_altered(tmp_path, way, fmt):
    def line(n: int) -> bytes:
        if fmt == "quotebank":
            record = dict(json.loads(quotebank_line(n)), quotation=f"Invalid BAD utf8 words number {n}.")
            return json.dumps(record).encode()
        return ndjson_line(f"Invalid BAD utf8 words number {n}.").encode()

    broken = [line(n).replace(b"BAD", b"\xff\xfe") for n in (1, 3)]
    path = tmp_path / "quotes.json"  # the format guessed from the first line, itself broken
    path.write_bytes(b"\n".join([broken[0], line(2), broken[1], line(4)]) + b"\n")

    summary, error, rejects = run(path, tmp_path, *way)

    assert "read 4, created 2, matched 0, rejected 2" in summary, (summary, error)
    assert [r["line"] for r in rejects] == [1, 3]
    column = broken[0].index(b"\xff") + 1
    assert rejects[0]["reason"] == f"not valid UTF-8 (byte 0xff at column {column})"
    assert "Invalid \\xff\\xfe utf8 words number 1." in rejects[0]["record"]
    assert sorted(Quote.objects.values_list("text", flat=True)) == [
        "Invalid BAD utf8 words number 2.",
        "Invalid BAD utf8 words number 4.",
    ]


@pytest.mark.django_db
@WAYS
def test_a_csv_row_that_is_not_utf8_is_rejected_and_the_other_rows_imported(tmp_path, way):
    path = tmp_path / "sheet.csv"
    path.write_bytes(
        b"text,speaker_name,context\r\n"
        b"Good words,Ann Example,\r\n"
        b'Bad \xff words,Ann Example,"two\r\nlines"\r\n'
        b'More words,Ann Example,"bad \xe9 context\r\non its second line"\r\n'
        b"Last words,Ann Example,\r\n"
    )

    summary, error, rejects = run(path, tmp_path, *way)

    assert "read 4, created 2, matched 0, rejected 2" in summary, (summary, error)
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (3, "not valid UTF-8 (byte 0xff at line 3, column 5)"),
        (5, "not valid UTF-8 (byte 0xe9 at line 5, column 29)"),
    ]
    assert rejects[0]["record"] == 'Bad \\xff words,Ann Example,"two\r\nlines"'
    assert sorted(Quote.objects.values_list("text", flat=True)) == ["Good words", "Last words"]


@pytest.mark.django_db
def test_a_json_document_that_is_not_utf8_is_rejected_whole(tmp_path):
    path = tmp_path / "page.json"
    records = [json.loads(ndjson_line("Fine words")), json.loads(ndjson_line("Invalid BAD words"))]
    path.write_bytes(json.dumps(records, indent=1).encode().replace(b"BAD", b"\xff"))

    summary, error, rejects = run(path, tmp_path)

    assert "read 1, created 0, matched 0, rejected 1" in summary
    assert rejects[0]["reason"] == "not valid UTF-8 (byte 0xff at line 10, column 20)"
    assert not Quote.objects.exists()


@pytest.mark.django_db
def test_the_reading_process_refuses_the_lines_the_text_reader_refuses(tmp_path):
    good = quotebank_line(1).encode()
    broken = quotebank_line(2).encode().replace(b"issue number", b"issue n\xffumber")
    path = tmp_path / "q.json"
    path.write_bytes(codecs.BOM_UTF8 + good + b"\r\n\r\n" + broken + b"\n[1, 2]\n{oops\n")
    layout = ImportLayout.build(default_status="published")

    batches = list(parsed_batches(str(path), "quotebank", status=None, batch_size=10, layout=layout))
    source = InputFile(str(path))
    expected = list(READERS["quotebank"](source.text, None))
    source.close()

    column = broken.index(b"\xff") + 1
    reason = f"not valid UTF-8 (byte 0xff at column {column})"
    assert [(line, raw.reason) for line, raw in expected[1:2]] == [(3, reason)]
    assert batches[0].prepared.lines == [1] and batches[0].read == 4
    assert [(line, why[:26]) for line, why, _ in batches[0].rejected] == [
        (3, reason[:26]),
        (4, "not a JSON object"),
        (5, "malformed JSON (unexpected"),
    ]
    assert batches[0].rejected[0][1] == reason
    assert batches[0].rejected[0][2].text == expected[1][1].text  # the same \\xff in the reject file


# --- 4. A reject file that cannot be written ------------------------------------------------------


@pytest.mark.django_db
def test_a_reject_file_in_a_missing_directory_stops_the_import_before_it_starts(tmp_path):
    path = tmp_path / "quotes.ndjson"
    path.write_text(f"{ndjson_line('Fine words')}\n{ndjson_line('')}\n")
    out = io.StringIO()

    missing = tmp_path / "missing" / "r.ndjson"
    with pytest.raises(CommandError, match=r"cannot write the reject file .*/missing/r.ndjson"):
        call_command("import_quotes", str(path), "--reject-file", str(missing), stdout=out)

    assert out.getvalue() == "" and not Quote.objects.exists()


# --- 5. A CSV without the columns a quote needs ---------------------------------------------------


@pytest.mark.django_db
@WAYS
def test_a_csv_without_a_text_column_stops_naming_it_and_the_columns_found(tmp_path, way):
    path = tmp_path / "sheet.csv"
    write_csv(path, ["quotation", "speaker_name"], ["Words", "Ann Example"])

    summary, error, rejects = run(path, tmp_path, *way)

    assert error == (
        "the CSV file has no column text (it needs text, speaker_name); its columns: quotation, speaker_name"
    )
    assert summary == "" and rejects == [] and not Quote.objects.exists()


@pytest.mark.django_db
def test_a_json_file_read_as_csv_stops_at_once(tmp_path):
    path = tmp_path / "quotes.json"
    path.write_text(quotebank_line(1) + "\n" + quotebank_line(2) + "\n")

    summary, error, rejects = run(path, tmp_path, "--format", "csv")

    assert error.startswith("the CSV file has no column text, speaker_name (it needs text, speaker_name); ")
    assert '{"quoteID": "2015-08-02-000001"' in error
    assert summary == "" and rejects == []


@pytest.mark.django_db
def test_a_csv_header_that_is_not_utf8_stops_at_once(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_bytes(b"text,speaker_name,n\xffote\nWords,Ann Example,x\n")

    summary, error, rejects = run(path, tmp_path)

    assert error == "the CSV file's header row is not valid UTF-8 (byte 0xff at line 1, column 20)"
    assert summary == "" and rejects == []


# --- 6. Tag spellings -----------------------------------------------------------------------------


@pytest.mark.django_db
@WAYS
def test_a_tag_keeps_the_first_spelling_seen_and_an_existing_tag_its_own(tmp_path, way):
    Tag.objects.create(name="VENEZUELA", slug="venezuela")
    path = tmp_path / "sheet.csv"
    write_csv(
        path,
        ["text", "speaker_name", "tags"],
        ["Words one", "Ann Example", "Cuba; Venezuela"],
        ["Words two", "Ann Example", '["cuba", "venezuela"]'],
    )

    summary, error, _ = run(path, tmp_path, *way)

    assert error is None and "created 2" in summary
    assert sorted(Tag.objects.values_list("slug", "name")) == [("cuba", "Cuba"), ("venezuela", "VENEZUELA")]
    assert Quote.objects.get(text="Words two").tags.count() == 2


@pytest.mark.django_db
@WAYS
def test_two_tags_given_the_same_name_in_one_batch_are_one_tag(tmp_path, way):
    path = tmp_path / "quotes.ndjson"
    record = json.loads(ndjson_line("Words one"))
    path.write_text(json.dumps(dict(record, tags=["x", "y"], tag_names=["Same", "Same"])) + "\n")

    summary, error, _ = run(path, tmp_path, *way)

    assert error is None and "created 1" in summary
    assert list(Tag.objects.values_list("slug", "name")) == [("x", "Same")]
    assert list(Quote.objects.get().tags.values_list("slug", flat=True)) == ["x"]


# --- 7. Speaker aliases as the API gives them -----------------------------------------------------


@pytest.mark.django_db
@WAYS
def test_speaker_aliases_given_as_a_list_are_kept_one_a_line(tmp_path, way):
    path = tmp_path / "quotes.ndjson"
    lines = [
        ndjson_line("Words one", slug="ann-example", aliases=["Ann", " A. Example ", ""]),
        ndjson_line("Words two", slug="bob-example", name="Bob Example", aliases="Bob\nRob"),
        ndjson_line("Words three", slug="cy-example", name="Cy Example", aliases=["Cy", 3]),
    ]
    path.write_text("\n".join(lines) + "\n")

    summary, error, rejects = run(path, tmp_path, *way)

    assert "read 3, created 2, matched 0, rejected 1" in summary
    assert [(r["line"], r["reason"]) for r in rejects] == [(3, "speaker aliases must be text")]
    assert Speaker.objects.get(slug="ann-example").alias_list == ["Ann", "A. Example"]
    assert Speaker.objects.get(slug="bob-example").alias_list == ["Bob", "Rob"]
