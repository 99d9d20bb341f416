"""GET /api/v1/quotes/export/: filtered, streamed, published quotes only for the public."""

import csv
import io
import json
import tracemalloc

import pytest
from django.core.management import call_command
from django.utils import timezone

from quotes.models import Quote
from tests.factories import make_quote, make_speaker

URL = "/api/v1/quotes/export/"


@pytest.fixture
def archive(demo):
    make_quote("Words still in draft", status=Quote.Status.DRAFT)
    make_quote("Published by someone else", speaker=make_speaker("Other Person", slug="other-person"))


@pytest.mark.django_db
def test_anonymous_csv_export_holds_published_quotes_only(client, archive):
    response = client.get(URL, {"format": "csv"})

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    filename = f"verbatim-quotes-{timezone.localdate():%Y-%m-%d}.csv"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["status"] for row in rows} == {"published"}
    assert len(rows) == 4
    assert "Words still in draft" not in {row["text"] for row in rows}
    trump = next(row for row in rows if row["speaker_slug"] == "donald-trump")
    assert trump["speaker_qid"] == "Q22686" and json.loads(trump["tags"]) == [
        "cuba",
        "regime-change",
        "venezuela",
    ]
    assert json.loads(trump["citations"])[0]["source"]["publisher"] == "Internewscast"


@pytest.mark.django_db
def test_ndjson_export_takes_the_list_filters(client, archive):
    response = client.get(URL, {"format": "ndjson", "speaker": "other-person"})

    assert response["Content-Type"] == "application/x-ndjson"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [json.loads(line)["text"] for line in lines] == ["Published by someone else"]
    searched = client.get(URL, {"format": "ndjson", "q": "capitulation"})
    assert len(b"".join(searched.streaming_content).splitlines()) == 1


@pytest.mark.django_db
def test_editors_export_drafts_too(client, archive, editor):
    client.force_login(editor)
    response = client.get(URL, {"format": "ndjson"})
    texts = [json.loads(line)["text"] for line in b"".join(response.streaming_content).splitlines()]
    assert "Words still in draft" in texts


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, field",
    [({"format": "xlsx"}, "format"), ({"format": "csv", "said_after": "yesterday"}, "said_after")],
)
def test_a_bad_parameter_is_a_400_naming_it(client, params, field):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert field in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_the_export_of_20000_quotes_is_streamed_in_constant_memory(client, tmp_path):
    speakers = [{"slug": f"speaker-{n}", "name": f"Speaker {n}"} for n in range(50)]
    path = tmp_path / "many.ndjson"
    with open(path, "w") as handle:
        for n in range(20_000):
            record = {
                "text": f"Statement number {n} about the budget, the harbour and the schools of the city",
                "speaker": speakers[n % 50],
                "said_on": f"20{10 + n % 15}-0{1 + n % 9}-1{n % 9}",
                "status": "published",
                "context": "Said at a council meeting; recorded by the clerk. " * 3,
                "citations": [
                    {"role": "secondary", "source": {"url": f"https://news.example.com/{n % 997}"}}
                ],
            }
            handle.write(json.dumps(record) + "\n")
    call_command(
        "import_quotes", str(path), "--reject-file", str(tmp_path / "r.ndjson"), stdout=io.StringIO()
    )
    assert Quote.objects.count() == 20_000

    response = client.get(URL, {"format": "ndjson"})
    assert response.streaming
    tracemalloc.start()
    total = lines = 0
    for chunk in response.streaming_content:
        total += len(chunk)
        lines += chunk.count(b"\n")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert lines == 20_000
    assert total > 10_000_000
    assert peak < total / 4, f"peak {peak:,} bytes for a {total:,}-byte export"
