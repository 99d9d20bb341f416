"""Importing Quotebank files: counts, rejects with line numbers, idempotence, compression, stdin."""

import bz2
import gzip
import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command

from archive.models import Source
from quotes.models import Citation, Quote, Speaker

SPEAKERS = [
    ("Barack Obama", "Q76"),
    ("Angela Merkel", "Q567"),
    ("Jacinda Ardern", "Q6386"),
    ("Emmanuel Macron", "Q3052772"),
    ("Narendra Modi", "Q1058"),
]
OUTLETS = ["www.nytimes.com", "www.theguardian.com", "edition.cnn.com", "www.reuters.com", "www.bbc.co.uk"]

# Line number (1-based) -> (what is wrong, the reason the reject file must give)
BAD_LINES = {
    7: ("none_speaker", "speaker is None"),
    13: ("bad_date", "malformed date"),
    19: ("bad_qid", "invalid Wikidata QID"),
    23: ("empty", "empty quotation"),
    29: ("bad_url", "invalid URL"),
    31: ("too_long", "quotation longer than 10,000 characters"),
    37: ("future", "is in the future"),
    41: ("malformed_json", "malformed JSON"),
    47: ("none_speaker", "speaker is None"),
}
TOTAL = 60


def quotebank_line(n: int, defect: str | None = None) -> str:
    name, qid = SPEAKERS[n % len(SPEAKERS)]
    urls = [
        f"https://{OUTLETS[(n + k) % len(OUTLETS)]}/2015/08/{n:02d}/story-{n}-{k}.html"
        for k in range(1 + n % 3)
    ]
    record = {
        "quoteID": f"2015-08-{n % 28 + 1:02d}-{n:06d}",
        "quotation": f"we will keep working on issue number {n} with everyone who wants to help",
        "speaker": name,
        "qids": [qid],
        "date": f"2015-08-{n % 28 + 1:02d} 11:29:36",
        "numOccurrences": len(urls),
        "probas": [[name, "0.8123"], ["None", "0.1877"]],
        "urls": urls,
        "phase": "E",
    }
    if defect == "none_speaker":
        record.update(speaker="None", qids=[], probas=[["None", "0.6"], [name, "0.4"]])
    elif defect == "bad_date":
        record["date"] = "2015-02-30 25:61:00"
    elif defect == "bad_qid":
        record["qids"] = ["Q0123"]
    elif defect == "empty":
        record["quotation"] = "   "
    elif defect == "bad_url":
        record["urls"] = ["javascript:alert(1)"]
    elif defect == "too_long":
        record["quotation"] = "word " * 2_100
    elif defect == "future":
        record["date"] = "2999-01-01 00:00:00"
    elif defect == "malformed_json":
        return json.dumps(record)[:-5]
    return json.dumps(record)


def sample_lines() -> list[str]:
    return [quotebank_line(n, BAD_LINES.get(n, (None,))[0]) for n in range(1, TOTAL + 1)]


def write_sample(path, lines=None, opener=open) -> str:
    with opener(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines or sample_lines()) + "\n")
    return str(path)


def run_import(path, tmp_path, *args) -> tuple[str, str | None]:
    out = io.StringIO()
    reject = tmp_path / "rejects.ndjson"
    try:
        call_command("import_quotes", path, "--reject-file", str(reject), *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), None


def expected_citations() -> int:
    return sum(1 + n % 3 for n in range(1, TOTAL + 1) if n not in BAD_LINES)


@pytest.mark.django_db
def test_quotebank_sample_imports_with_the_right_counts_and_rejects(tmp_path):
    path = write_sample(tmp_path / "quotes-2015.json")
    summary, error = run_import(path, tmp_path)

    good = TOTAL - len(BAD_LINES)
    assert f"read {TOTAL}, created {good}, matched 0, rejected {len(BAD_LINES)}" in summary
    assert error and "9 record(s) rejected" in error
    assert Quote.objects.count() == good
    assert Citation.objects.count() == expected_citations()
    assert Speaker.objects.count() == len(SPEAKERS)
    rejects = [json.loads(line) for line in (tmp_path / "rejects.ndjson").read_text().splitlines()]
    assert [r["line"] for r in rejects] == sorted(BAD_LINES)
    for reject in rejects:
        assert BAD_LINES[reject["line"]][1] in reject["reason"]
        assert reject["record"]  # the raw record, kept for a second attempt


@pytest.mark.django_db
def test_quotebank_fields_map_to_the_quote(tmp_path):
    run_import(write_sample(tmp_path / "quotes.json"), tmp_path)
    quote = Quote.objects.get(external_id="2015-08-03-000002")
    assert quote.speaker.name == "Jacinda Ardern" and quote.speaker.wikidata_qid == "Q6386"
    assert quote.said_on.isoformat() == "2015-08-03" and quote.date_precision == "day"
    assert quote.attribution_probability == pytest.approx(0.8123)
    assert quote.status == Quote.Status.DRAFT
    assert quote.text_hash and quote.search_text  # derived although written in bulk
    sources = Source.objects.filter(citations__quote=quote).order_by("url")
    assert sorted(s.publisher for s in sources) == ["bbc.co.uk", "edition.cnn.com", "reuters.com"]
    assert all(c.role == Citation.Role.SECONDARY for c in quote.citations.all())


@pytest.mark.django_db
def test_reimporting_the_same_file_creates_nothing(tmp_path):
    path = write_sample(tmp_path / "quotes.json")
    run_import(path, tmp_path)
    counts = [model.objects.count() for model in (Quote, Citation, Source, Speaker)]

    summary, _ = run_import(path, tmp_path)

    assert f"created 0, matched {TOTAL - len(BAD_LINES)}" in summary
    assert "citations added 0" in summary
    assert [model.objects.count() for model in (Quote, Citation, Source, Speaker)] == counts


@pytest.mark.django_db
def test_a_second_file_adds_only_the_new_citation(tmp_path):
    first = json.loads(quotebank_line(4))
    run_import(write_sample(tmp_path / "a.ndjson", [json.dumps(first)]), tmp_path)
    second = dict(first, urls=[*first["urls"], "https://www.lemonde.fr/2015/08/04/article.html"])

    summary, error = run_import(write_sample(tmp_path / "b.ndjson", [json.dumps(second)]), tmp_path)

    assert error is None
    assert "created 0, matched 1, rejected 0, citations added 1" in summary
    quote = Quote.objects.get()
    assert quote.citations.count() == len(first["urls"]) + 1


@pytest.mark.django_db
def test_an_interrupted_import_finishes_when_run_again(tmp_path):
    lines = sample_lines()
    run_import(write_sample(tmp_path / "part.json", lines[:25]), tmp_path, "--batch-size", "10")

    summary, _ = run_import(write_sample(tmp_path / "all.json", lines), tmp_path, "--batch-size", "10")

    good_in_part = sum(1 for n in range(1, 26) if n not in BAD_LINES)
    assert f"created {TOTAL - len(BAD_LINES) - good_in_part}, matched {good_in_part}" in summary
    assert Quote.objects.count() == TOTAL - len(BAD_LINES)


@pytest.mark.django_db
def test_dry_run_counts_but_writes_nothing(tmp_path):
    summary, _ = run_import(write_sample(tmp_path / "quotes.json"), tmp_path, "--dry-run")
    assert "Dry run" in summary and f"created {TOTAL - len(BAD_LINES)}" in summary
    assert not Quote.objects.exists() and not Source.objects.exists() and not Speaker.objects.exists()


@pytest.mark.django_db
def test_status_option_publishes_the_imported_quotes(tmp_path):
    run_import(write_sample(tmp_path / "quotes.json"), tmp_path, "--status", "published")
    assert set(Quote.objects.values_list("status", flat=True)) == {"published"}
    assert not Quote.objects.filter(first_published_at__isnull=True).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name, opener", [("quotes.json.gz", gzip.open), ("quotes.ndjson.bz2", bz2.open)])
def test_compressed_files_are_read_transparently(tmp_path, name, opener):
    summary, _ = run_import(write_sample(tmp_path / name, opener=opener), tmp_path)
    assert f"created {TOTAL - len(BAD_LINES)}" in summary


@pytest.mark.django_db
def test_standard_input_is_read_with_a_dash(tmp_path, monkeypatch):
    data = ("\n".join(sample_lines()) + "\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
    summary, _ = run_import("-", tmp_path)
    assert f"read {TOTAL}, created {TOTAL - len(BAD_LINES)}" in summary


@pytest.mark.django_db
def test_a_none_speaker_is_rejected_even_when_it_is_the_only_record(tmp_path):
    line = quotebank_line(7, "none_speaker")
    summary, error = run_import(write_sample(tmp_path / "one.json", [line]), tmp_path)
    assert "rejected 1" in summary and error
    assert not Speaker.objects.filter(name="None").exists()


def test_an_unknown_extension_needs_a_format(tmp_path):
    path = tmp_path / "quotes.txt"
    path.write_text("hello\n")
    with pytest.raises(CommandError, match="--format"):
        call_command("import_quotes", str(path), stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_rebuilding_the_search_index_at_the_end_leaves_quotes_searchable(tmp_path):
    from quotes.selectors import select_quotes

    run_import(
        write_sample(tmp_path / "quotes.json"), tmp_path, "--search-index", "rebuild", "--status", "published"
    )

    found = select_quotes({"q": '"issue number 17"'}).queryset
    assert [quote.external_id for quote in found] == ["2015-08-18-000017"]
