"""The bulk load commits batches on connections of its own while it lays out the next
(BulkWriter.write_all). These tests run outside a test transaction, as a real import does, so that
the committing threads have connections of their own."""

import json

import pytest
from django.db import connection

from archive.models import Source
from quotes.importing import bulk
from quotes.models import Citation, Quote
from tests.quotes.test_import_bulk import commit_once_waited_on
from tests.quotes.test_import_quotebank import quotebank_line, run_import, write_sample

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk load is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]
REBUILD = ("--search-index", "rebuild", "--batch-size", "10")


def urls_of(lines) -> set[str]:
    return {url for line in lines for url in json.loads(line)["urls"]}


def citing_a_known_source(tmp_path, line: str, other_line: str) -> tuple[str, Quote, Source]:
    """Imports both lines first, then gives `line` citing `other_line`'s first source too, with its
    quote and that source: a known quote citing a known source, a citation the database matches."""
    run_import(write_sample(tmp_path / "before.json", [line, other_line]), tmp_path)
    record = json.loads(line)
    quote = Quote.objects.get(external_id=record["quoteID"])
    other = Source.objects.get(url=json.loads(other_line)["urls"][0])
    return json.dumps(dict(record, urls=[*record["urls"], other.url])), quote, other


def test_a_quote_met_again_in_a_later_batch_is_matched_while_its_first_batch_commits(tmp_path):
    first = [quotebank_line(n) for n in range(1, 31)]
    again = [quotebank_line(n) for n in range(5, 15)]  # in batch 4, the quotes of batches 1 and 2

    summary, error = run_import(write_sample(tmp_path / "q.json", first + again), tmp_path, *REBUILD)

    citations = sum(1 + n % 3 for n in range(1, 31))
    assert error is None
    assert f"read 40, created 30, matched 10, rejected 0, citations added {citations}" in summary
    assert Quote.objects.count() == 30 and Source.objects.count() == len(urls_of(first))
    assert Citation.objects.count() == citations


def test_a_batch_that_clashes_in_flight_is_written_again_and_the_next_laid_out_anew(tmp_path, monkeypatch):
    lines = [quotebank_line(n) for n in range(1, 31)]
    # Batch 1 cites line 2's source for line 1's quote (a citation the database matches), while
    # another session adds that very citation; batch 2 repeats batch 1's new quotes.
    cited, quote, other = citing_a_known_source(tmp_path, lines[0], lines[1])
    file_lines = [cited, *lines[2:11], *lines[2:11], *lines[11:]]
    original, calls = bulk.BulkWriter._add_known_citations, []

    def another_writer_cites_it_too(self, cursor, rows):
        calls.append(len(rows))
        if len(calls) == 1:
            commit_once_waited_on(cursor.connection.info.backend_pid, quote.pk, other.pk)
        return original(self, cursor, rows)

    monkeypatch.setattr(bulk.BulkWriter, "_add_known_citations", another_writer_cites_it_too)

    summary, error = run_import(write_sample(tmp_path / "q.json", file_lines), tmp_path, *REBUILD)

    assert error is None and len(calls) >= 3  # batch 1 twice (rolled back, written again), batch 2
    assert "read 38, created 28, matched 10, rejected 0" in summary
    assert Quote.objects.count() == 30 and Source.objects.count() == len(urls_of(lines))
    assert Citation.objects.filter(quote=quote, source=other).count() == 1
    # Every citation points at a quote and a source that exist: batch 2 was not committed with
    # the ids batch 1 had before it was rolled back (the foreign keys were validated at the end).
    assert Citation.objects.count() == sum(1 + n % 3 for n in range(1, 31)) + 1
