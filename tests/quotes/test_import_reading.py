"""The bulk load reads Quotebank lines straight into COPY rows (quotebank_prepared); the rows must be
exactly those of the general path (quotebank_record, then prepare_rows), and a bad line must be
refused for the same reason."""

import json
import pickle
import re
from pathlib import Path

import orjson
import pytest

from archive.text import normalize_text, search_form
from quotes.importing.copyrows import ImportLayout, PreparedBatch, prepare_rows, source_row
from quotes.importing.pipeline import parsed_batches
from quotes.importing.quotebank import quotebank_prepared, quotebank_record
from quotes.importing.records import Rejected, url_facts
from tests.quotes.test_import_quotebank import BAD_LINES, sample_lines, write_sample

ODD_LINES = [
    # No date, no probas, no URLs, a URL given twice, a URL with a query and a port, text to escape.
    {"quotation": "Tab\there, back\\slash\nand a new line", "speaker": "Ann Example", "qids": []},
    {
        "quotation": "Twice",
        "speaker": "Ann Example",
        "qids": ["Q1"],
        "urls": ["https://a.org/x", "https://a.org/x"],
    },
    {
        "quotation": "Odd URL",
        "speaker": "Ann",
        "qids": ["Q2"],
        "urls": ["http://Ex.com:8080/a?utm_source=x&id=2"],
    },
    {"quotation": "Status note", "speaker": "Ann", "probas": [["Ann", "0.5"]], "quoteID": 12345},
    {"quotation": "No speaker", "speaker": None},
    {"quotation": "Bad probas", "speaker": "Ann", "probas": [["Ann"]]},
]


def outcome(read, *args, **kwargs):
    try:
        return read(*args, **kwargs)
    except Rejected as error:
        return f"rejected: {error}"


def general_path(line, raw, *, status, layout):
    return prepare_rows(quotebank_record(line, raw, status=status), layout)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [None, "draft", "published"])
def test_the_fast_quotebank_rows_are_the_rows_of_the_general_path(status):
    layout = ImportLayout.build(default_status="published")
    raws = [orjson.loads(line) for line in sample_lines() if line.endswith("}")] + ODD_LINES
    assert len(raws) > 60

    for line, raw in enumerate(raws, start=1):
        fast = outcome(quotebank_prepared, line, raw, status=status, layout=layout)
        general = outcome(general_path, line, raw, status=status, layout=layout)
        assert fast == general, json.dumps(raw)[:200]


@pytest.mark.django_db
def test_a_batch_travels_field_by_field_and_comes_back_whole():
    layout = ImportLayout.build(default_status="published")
    records = [
        quotebank_prepared(line, orjson.loads(raw), status=None, layout=layout)
        for line, raw in enumerate(sample_lines()[:6], start=1)
    ]
    assert {len(r.citations) for r in records} == {1, 2, 3}

    batch = pickle.loads(pickle.dumps(PreparedBatch.of(records)))  # noqa: S301 - our own bytes, as in pipeline.py

    assert len(batch) == 6 and batch.records() == records


@pytest.mark.django_db
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_reading_processes_give_the_file_back_in_order_with_every_reject(tmp_path, workers):
    lines = sample_lines()
    lines[9:9] = ["", "   "]  # blank lines are skipped, and still count as lines
    path = write_sample(tmp_path / "quotes.json", lines)
    layout = ImportLayout.build(default_status="published")

    batches = list(
        parsed_batches(path, "quotebank", status=None, batch_size=7, layout=layout, workers=workers)
    )

    accepted = [line for batch in batches for line in batch.prepared.lines]
    rejected = [line for batch in batches for line, _, _ in batch.rejected]
    assert sum(batch.read for batch in batches) == len(lines) - 2
    assert accepted == sorted(accepted) and len(accepted) == len(lines) - 2 - len(BAD_LINES)
    assert rejected == [n + 2 if n > 9 else n for n in BAD_LINES]  # line numbers of the file
    assert [len(batch.prepared) + len(batch.rejected) for batch in batches][:-1] == [7] * (len(batches) - 1)
    assert batches[-1].position == Path(path).stat().st_size


def copy_unescaped(row: str) -> list[str]:
    """A COPY text row's columns as PostgreSQL reads them back: a backslash escapes b f n r t v,
    octal and hex codes, and otherwise stands for the character after it."""
    controls = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}

    def unescape(match):
        code = match.group(1)
        if code in controls:
            return controls[code]
        if code[0] == "x" and len(code) > 1:
            return chr(int(code[1:], 16))
        if code[0] in "01234567":
            return chr(int(code, 8))
        return code

    pattern = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.DOTALL)
    return [pattern.sub(unescape, column) for column in row.split("\t")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    ["plain words", "tab\there\\there", "line\nbreak\r", "full-width ＼ backslash", "ＴＡＢ\u3000wide"],
)
def test_every_text_column_of_a_quote_row_reads_back_exactly(text):
    layout = ImportLayout.build(default_status="published")

    _, row = layout.quote_row(
        text, said_on=None, date_precision="unknown", language="en", status=None,
        attribution_probability=None, external_id="x\\1",
    )  # fmt: skip

    columns = dict(zip(layout.quotes.variable, copy_unescaped(row), strict=False))
    assert columns["text"] == text
    assert columns["text_normalized"] == normalize_text(text)
    assert columns["search_text"] == search_form(text)
    assert columns["external_id"] == "x\\1"


@pytest.mark.parametrize("url", ["https://ex.com/a\\b", "https://exämple.com/ä", "https://ex.com/plain"])
def test_every_column_of_a_source_row_reads_back_exactly(url):
    facts = url_facts(url)

    columns = copy_unescaped(source_row(url, facts, publisher="P\\ub"))

    assert columns[:4] == [url, facts[0], facts[1], facts[2]] and columns[5] == "P\\ub"


@pytest.mark.django_db
@pytest.mark.django_db
def test_a_csv_file_is_read_by_one_process_whatever_is_asked(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("text,speaker_name\nWords one,Ann Example\nWords two,Ann Example\n", encoding="utf-8")
    layout = ImportLayout.build(default_status="published")

    batches = list(parsed_batches(str(path), "csv", status=None, batch_size=1, layout=layout, workers=2))

    assert [batch.prepared.lines + [line for line, _, _ in batch.rejected] for batch in batches] == [[2], [3]]
