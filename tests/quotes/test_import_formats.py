"""Importing the other formats: an API page as JSON, a hand-made CSV, the CSV reject file."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from quotes.models import Citation, Quote, Speaker, Tag


def run(path, *args) -> str:
    out = io.StringIO()
    try:
        call_command("import_quotes", str(path), *args, stdout=out)
    except CommandError as error:
        return out.getvalue() + f"\nERROR {error}"
    return out.getvalue()


@pytest.mark.django_db
def test_an_api_page_saved_as_json_imports_into_another_archive(client, demo, tmp_path):
    page = client.get("/api/v1/quotes/").json()
    assert len(page["results"]) == 3
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page))
    Citation.objects.all().delete()
    Quote.objects.all().delete()

    summary = run(path, "--reject-file", str(tmp_path / "r.ndjson"))

    assert "read 3, created 3, matched 0, rejected 0, citations added 3" in summary
    trump = Quote.objects.get(speaker__slug="donald-trump")
    assert trump.citations.get().source.publisher == "Internewscast"
    assert sorted(trump.tags.values_list("slug", flat=True)) == ["cuba", "regime-change", "venezuela"]
    assert trump.status == Quote.Status.PUBLISHED


@pytest.mark.django_db
def test_a_hand_made_spreadsheet_imports_and_its_bad_rows_go_to_a_csv_reject_file(tmp_path):
    path = tmp_path / "sheet.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["text", "speaker_name", "speaker_qid", "said_on", "date_precision", "tags", "source_url"]
        )
        writer.writerow(["We choose to go to the Moon", "John F. Kennedy", "Q9696", "1962-09-12", "day",
                         "Space; Rice University", "https://er.jsc.nasa.gov/seh/ricetalk.htm"])  # fmt: skip
        writer.writerow(["Multi-line\nwords, kept as typed", "Jane Doe", "", "2020-01-01", "month", "", ""])
        writer.writerow(["Bad precision", "Jane Doe", "", "2020-01-15", "month", "", ""])
        writer.writerow(["", "Nobody", "", "", "", "", ""])
    rejects = tmp_path / "rejects.csv"

    summary = run(path, "--reject-file", str(rejects))

    assert "read 4, created 2, matched 0, rejected 2" in summary and "ERROR 2 record(s) rejected" in summary
    moon = Quote.objects.get(speaker__wikidata_qid="Q9696")
    assert moon.citations.get().source.domain == "er.jsc.nasa.gov"
    assert set(Tag.objects.values_list("name", flat=True)) == {"Space", "Rice University"}
    assert Quote.objects.filter(text="Multi-line\nwords, kept as typed").exists()
    assert Speaker.objects.filter(slug="jane-doe").count() == 1
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [(row["line"], row["reason"].split(":")[0]) for row in rows] == [
        ("5", "date"),
        ("6", "empty quotation"),
    ]
    assert json.loads(rows[0]["record"])["text"] == "Bad precision"
