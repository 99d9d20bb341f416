"""The C accelerator of the Quotebank import (quotes/importing/_speedups.c) against the Python code.

For every record, everyday or odd, `quotebank_prepared` must give exactly what the Python path
gives: the same rows byte for byte, the same keys and speaker, or the same rejection. The C code
takes only the records it can prove everyday and hands the rest back, so the odd cases below check
that it hands them back (or gets them right), and the generated corpus checks the everyday ones.
"""

import datetime
import importlib.util
import json
import random
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest

from quotes.importing import quotebank
from quotes.importing.copyrows import ImportLayout, PreparedBatch
from quotes.importing.records import Rejected, today

try:
    from quotes.importing._speedups import quotebank_fast
except ImportError:  # no C compiler where the tests run
    quotebank_fast = None

ROOT = Path(__file__).resolve().parents[2]

EVERYDAY = {
    "quoteID": "2015-08-31-000271",
    "quotation": "We will not  accept `less` than the Truth, said the Minister.",
    "speaker": "Barack Obama",
    "qids": ["Q76", "Q1"],
    "date": "2015-08-31 11:29:36",
    "numOccurrences": 2,
    "probas": [["Barack Obama", "0.7615"], ["None", "0.2385"]],
    "urls": ["http://www.Example.com/2015/08/31/story", "https://news.example.co.uk/a/b.html"],
    "phase": "E",
}


def _compiler_available() -> bool:
    """A C compiler and Python's headers: what setup.py needs to build the accelerator."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    return shutil.which(compiler) is not None and headers.exists()


def test_the_accelerator_is_built_wherever_a_compiler_is():
    """`make install` builds it (setup.py); a build that silently failed would leave the import
    at less than half its speed."""
    if quotebank_fast is None and not _compiler_available():
        pytest.skip("no C compiler here: the import runs in pure Python, as designed")
    assert quotebank_fast is not None
    assert importlib.util.find_spec("quotes.importing._speedups") is not None


needs_speedups = pytest.mark.skipif(quotebank_fast is None, reason="the C accelerator is not built")


def outcome(function, raw, layout, status):
    try:
        return ("prepared", function(7, raw, status=status, layout=layout))
    except Rejected as error:
        return ("rejected", str(error))


def assert_same(raw, status="published", layout=None):
    layout = layout or ImportLayout.build(default_status="draft")
    fast = outcome(quotebank.quotebank_prepared, raw, layout, status)
    python = outcome(quotebank.python_prepared, raw, layout, status)
    assert fast == python, raw
    return fast


def variant(**changes):
    raw = json.loads(json.dumps(EVERYDAY))
    for key, value in changes.items():
        if value is ...:
            raw.pop(key)
        else:
            raw[key] = value
    return raw


@needs_speedups
def test_an_everyday_record_is_prepared_by_the_accelerator_exactly_as_in_python():
    kind, prepared = assert_same(EVERYDAY)
    assert kind == "prepared"
    assert quotebank_fast(*_fast_args(EVERYDAY)) is not None  # it did take the C path
    text, normalized, digest, search_text = prepared.quote_row.split("\t")[:4]
    assert text == EVERYDAY["quotation"]  # verbatim: never altered
    assert normalized == search_text == "we will not accept 'less' than the truth, said the minister."
    sources = [row.split("\t") for _, row, _ in prepared.citations]
    assert [s[1] for s in sources] == [
        "http://www.example.com/2015/08/31/story",
        "https://news.example.co.uk/a/b.html",
    ]
    assert [s[3] for s in sources] == ["example.com", "news.example.co.uk"]


def _fast_args(raw, status="published"):
    layout = ImportLayout.build(default_status="draft")
    middle, end = layout.shared_quote_columns(status)
    return (raw, today().isoformat(), 10_000, 2000, 100, middle, end, "secondary\t\t\t\t\t")


TOMORROW = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
TODAY = datetime.date.today().isoformat()

ODD = {
    "quotation": [
        "Ünïcode quotation",
        "curly \u2019quote\u2019",
        "tab\there",
        "new\nline",
        "back\\slash",
        "carriage\rreturn",
        "  leading and trailing  ",
        "   ",
        "",
        None,
        42,
        "x" * 10_000,
        "x" * 10_001,
        "NUL\x00byte",
        "file\x1cseparator",
        "delete\x7fchar",
        "ALL CAPS `BACKTICKS`",
    ],
    "speaker": [None, "None", " None ", "none", "", "  ", 12, ["A"], "Ünïcode Speaker", "x" * 300],
    "qids": [None, [], "Q76", [None], [12], ["Q0"], ["X1"], ["Q" + "1" * 40], {}, [" Q76 "]],
    "date": [
        None,
        "",
        "2015-08-31",
        "2015-08-31T11:29:36",
        "2015-02-29 10:00:00",
        "2016-02-29 10:00:00",
        "2000-02-29",
        "1900-02-29",
        "2015-13-01",
        "2015-00-10",
        "2015-04-31",
        "0000-01-01",
        "0001-01-01 00:00:00",
        TODAY,
        f"{TODAY} 23:59:59",
        TOMORROW,
        "9999-12-31",
        "2015-08-31 24:00:00",
        "2015-08-31 23:59:60",
        "2015-08-31 23:60:00",
        " 2015-08-31",
        "2015-8-31",
        "2015-08-31 1:00:00",
        "2015-08-31 11:29:36.5",
        20150831,
        "２０１５-08-31",
    ],
    "probas": [
        None,
        [],
        [["x", "0.5"]],
        [["x", "1"]],
        [["x", "0"]],
        [["x", "-0"]],
        [["x", "1.0000001"]],
        [["x", "nan"]],
        [["x", "inf"]],
        [["x", " 0.5 "]],
        [["x", "0_5"]],
        [["x", "1e-5"]],
        [["x", 0.5]],
        [["x", ""]],
        [["x", None]],
        [["x"]],
        ["x"],
        "0.5",
        {},
        [["x", "0.1"], ["y", "0.9"]],
    ],
    "urls": [
        None,
        [],
        "http://example.com/",
        [None],
        [""],
        [" http://example.com/x "],
        ["http://example.com/a", "http://example.com/a"],
        ["http://example.com/a", "HTTP://EXAMPLE.COM/a"],
        ["HTTP://WWW.Example.COM/Path"],
        ["https://example.com"],
        ["http://www.com/"],
        ["http://example.com:8080/x"],
        ["http://example.com:0/x"],
        ["http://example.com/x?a=1"],
        ["http://example.com/x#f"],
        ["http://example.com?a"],
        ["ftp://example.com/"],
        ["http://localhost/"],
        ["http://a.b-.com/"],
        ["http://-a.com/"],
        ["http://a..com/"],
        ["http://1.2.3.4/"],
        ["http://example.c0m/"],
        ["http://exämple.com/"],
        ["http://example.com/a b"],
        ["http://example.com/a\\b"],
        ["http://example.com/ü"],
        ["http://example.com/" + "p" * 2000],
        ["http://example.com/" + "p" * 1970],
        ["http://" + "a" * 63 + ".com/"],
        ["http://" + "a" * 64 + ".com/"],
        ["http://example." + "a" * 63 + "/"],
        ["http://example." + "a" * 64 + "/"],
        ["http://" + ".".join(["abcdefghi"] * 26) + ".com/"],
        ["http://user@example.com/"],
        ["http://[::1]/"],
        ["http:///path"],
        [12],
        ["http://example.com/%41"],
    ],
    "quoteID": [None, "", "x" * 100, "x" * 101, "tab\tid", "back\\slash", "ünï", 12345, "a\x00b"],
}


@needs_speedups
@pytest.mark.parametrize(
    ("field", "value"), [(field, value) for field, values in ODD.items() for value in values], ids=repr
)
def test_odd_records_get_the_python_answer(field, value):
    assert_same(variant(**{field: value}))


@needs_speedups
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quotation", "ALL CAPS `BACKTICKS`  and   spaces "),
        ("quotation", "x" * 10_000),
        ("date", "2015-08-31"),
        ("date", TODAY),
        ("date", "2016-02-29 23:59:59"),
        ("date", None),
        ("probas", [["x", "1"]]),
        ("probas", [["x", "1e-5"]]),
        ("probas", []),
        ("urls", ["HTTP://WWW.Example.COM/Path"]),
        ("urls", ["https://example.com"]),
        ("urls", ["http://www.com/"]),
        ("urls", ["http://example.com/a", "HTTP://EXAMPLE.COM/a", "http://example.com/a"]),
        ("urls", []),
        ("quoteID", None),
        ("qids", []),
    ],
    ids=repr,
)
def test_everyday_variants_are_taken_by_the_accelerator(field, value):
    """Not only the same answer as Python: these are the C code's own to give."""
    raw = variant(**{field: value})
    assert quotebank_fast(*_fast_args(raw)) is not None
    assert assert_same(raw)[0] == "prepared"


@needs_speedups
@pytest.mark.parametrize("field", ["quotation", "speaker", "qids", "date", "probas", "urls", "quoteID"])
def test_records_missing_a_field_get_the_python_answer(field):
    assert_same(variant(**{field: ...}))


@needs_speedups
@pytest.mark.parametrize("status", ["published", "draft", "in_review", None])
def test_every_status_lays_out_the_same_row(status):
    assert_same(EVERYDAY, status=status)
    assert_same(EVERYDAY, status=status, layout=ImportLayout.build(default_status="published"))


def benchmark_corpus(tmp_path, n: int) -> list[dict]:
    """n records of the benchmark's generator (bench/generate.py, deterministic)."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    path = tmp_path / "corpus.jsonl"
    generate.generate(path, n)
    return [json.loads(line) for line in path.read_text().splitlines()]


@needs_speedups
def test_the_benchmark_corpus_is_prepared_identically(tmp_path):
    """2,000 records of the benchmark's generator (bench/generate.py): realistic text, speakers,
    hosts and dates, plus random damage, each prepared both ways."""
    rng = random.Random(6)
    layout = ImportLayout.build(default_status="draft")
    taken = 0
    for raw in benchmark_corpus(tmp_path, 2000):
        if rng.random() < 0.2:  # damage one field in five records
            field = rng.choice(list(ODD))
            raw[field] = rng.choice(ODD[field])
        kind, _ = assert_same(raw, layout=layout)
        taken += quotebank_fast(*_fast_args(raw)) is not None
    assert taken > 1000  # most records are everyday ones: the C path was exercised


@needs_speedups
def test_the_reading_process_appends_everyday_records_as_python_would(tmp_path):
    """The reading process (pipeline.py) hands each record to EverydayAppender, which appends an
    everyday one to the batch's lists in C and leaves the others to `python_prepared`: the batch,
    field by field, and the rejections are those of the Python code alone."""
    rng = random.Random(9)
    raws = benchmark_corpus(tmp_path, 1000)
    for raw in raws:
        if rng.random() < 0.2:
            field = rng.choice(list(ODD))
            raw[field] = rng.choice(ODD[field])
    layout = ImportLayout.build(default_status="draft")
    appender = quotebank.everyday_appender("published", layout)
    fast, python = PreparedBatch(), PreparedBatch()
    fast_rejected, python_rejected, taken = [], [], 0
    for line, raw in enumerate(raws, start=1):
        try:
            if appender.append(line, raw, fast):
                taken += 1
            else:
                fast.append(quotebank.python_prepared(line, raw, status="published", layout=layout))
        except Rejected as error:
            fast_rejected.append((line, str(error)))
        try:
            python.append(quotebank.python_prepared(line, raw, status="published", layout=layout))
        except Rejected as error:
            python_rejected.append((line, str(error)))
    assert vars(fast) == vars(python)
    assert fast_rejected == python_rejected and python_rejected  # some damage was rejected
    assert taken > 500  # most went through the C code
