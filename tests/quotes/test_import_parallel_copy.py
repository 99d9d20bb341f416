"""The bulk load copies two batches at once, on two connections (BulkWriter.write_all), and still
commits them one at a time, in file order: batch k+1 is laid out against batch k's keys, so it may
commit only after batch k has, and must roll back when batch k does. These tests run outside a
test transaction, as a real import does, so that each committing thread has a connection of its
own; they follow the batches by wrapping the writer's own steps, the database is real."""

import json
import re
import threading
import time

import pytest
from django.db import connection, transaction

from archive.models import Source
from quotes.importing import bulk, pipeline, service
from quotes.models import Citation, Quote, Speaker
from tests.quotes.test_import_bulk import _snapshot, commit_once_waited_on
from tests.quotes.test_import_pipelined import citing_a_known_source
from tests.quotes.test_import_quotebank import quotebank_line, run_import, sample_lines, write_sample

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk load is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]
BATCH = 10
REBUILD = ("--search-index", "rebuild", "--batch-size", str(BATCH))
QUOTE_ID = re.compile(r"\b2015-08-\d\d-\d{6}\b")
WAIT = 5  # seconds: long enough for a batch to be copied, short enough to fail fast without overlap


class Batches:
    """Follows the batches of a bulk import of `lines` (cut into batches of BATCH) through the
    committing threads: each time a batch's new quotes are copied (`copies`, `copied`), and each
    commit, in the order they land (`committed`: transaction.on_commit on the committing
    connection). `before_write(n)` runs in the committing thread just before the part of batch n
    that BulkWriter._write_batch writes."""

    def __init__(self, monkeypatch, lines: list[str]) -> None:
        self.batch_of: dict[str, int] = {}
        for index, line in enumerate(lines):
            self.batch_of.setdefault(json.loads(line)["quoteID"], index // BATCH + 1)
        batches = range(1, len(lines) // BATCH + 2)
        self.copied = {n: threading.Event() for n in batches}
        self.landed = {n: threading.Event() for n in batches}
        self.copies: list[int] = []
        self.committed: list[int] = []
        self.before_write = lambda n: None
        copy, write = bulk.BulkWriter._copy, bulk.BulkWriter._write_batch

        def copy_and_note(writer, cursor, layout, text):
            copy(writer, cursor, layout, text)
            if layout is writer.layout.quotes and text:
                n = self.number(text)
                self.copies.append(n)
                self.copied[n].set()

        def write_and_note(writer, cursor, staged):
            n = self.number(staged.quotes)
            self.before_write(n)
            transaction.on_commit(lambda: self._commit(n))
            return write(writer, cursor, staged)

        monkeypatch.setattr(bulk.BulkWriter, "_copy", copy_and_note)
        monkeypatch.setattr(bulk.BulkWriter, "_write_batch", write_and_note)

    def number(self, quotes_copy_text: str) -> int | None:
        """The batch whose new quotes these are (a quote is new in the batch it first appears in);
        None for a batch without any."""
        found = QUOTE_ID.search(quotes_copy_text)
        return self.batch_of[found.group()] if found else None

    def ids_of(self, *numbers: int) -> set[str]:
        """The quote ids of those batches."""
        return {quote_id for quote_id, batch in self.batch_of.items() if batch in numbers}

    def _commit(self, n: int) -> None:
        self.committed.append(n)
        self.landed[n].set()


def committed_quote_ids() -> set[str]:
    """What another session sees now: committed quotes' external ids."""
    seen: set[str] = set()

    def look():
        try:
            seen.update(Quote.objects.values_list("external_id", flat=True))
        finally:
            connection.close()

    reader = threading.Thread(target=look)
    reader.start()
    reader.join()
    return seen


def count_reads(monkeypatch) -> list:
    """An item each time the bulk load reads the archive's keys (at the start, and before a batch
    is written anew)."""
    original, reads = bulk.BulkWriter.preload, []

    def read(self):
        reads.append(1)
        original(self)

    monkeypatch.setattr(bulk.BulkWriter, "preload", read)
    return reads


def citations_of(lines) -> int:
    return len({(json.loads(line)["quotation"], url) for line in lines for url in json.loads(line)["urls"]})


def urls_of(lines) -> set[str]:
    return {url for line in lines for url in json.loads(line)["urls"]}


def other_sessions() -> int:
    """Sessions on the test database besides this one (closed ones may take a moment to go)."""
    with connection.cursor() as cursor:
        for _ in range(50):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            count = cursor.fetchone()[0]
            if not count:
                break
            time.sleep(0.1)
    return count


def in_another_session(write):
    """Run `write` on a connection of its own, committed before this returns."""
    done = []

    def run():
        try:
            done.append(write())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return done[0]


def test_two_batches_are_copied_at_once_and_commit_in_file_order(tmp_path, monkeypatch):
    lines = [quotebank_line(n) for n in range(1, 41)]
    five = json.loads(lines[4])
    # Batch 2 meets batch 1's quote of line 5 again, citing the source it cites in batch 1 and
    # another: rows the database matches against batch 1's, which must be committed by then.
    lines[14] = json.dumps(
        dict(five, quoteID="2015-08-01-000099", urls=[five["urls"][0], "https://ex.org/a"])
    )
    batches, seen = Batches(monkeypatch, lines), {}

    def hold_the_first(n):
        if n == 1:
            seen["second copied"] = batches.copied[2].wait(WAIT)
            seen["second committed"] = batches.landed[2].wait(1)  # it would have by now, unheld
            seen["visible"] = committed_quote_ids()

    batches.before_write = hold_the_first
    reads = count_reads(monkeypatch)

    summary, error = run_import(write_sample(tmp_path / "q.json", lines), tmp_path, *REBUILD)

    assert seen["second copied"], "batch 2 was not copied while batch 1 was in flight"
    assert not seen["second committed"] and not seen["visible"] & batches.ids_of(2)
    assert batches.committed == [1, 2, 3, 4]
    assert len(reads) == 1  # no clash between the two connections, nothing written anew
    assert error is None
    assert f"read 40, created 39, matched 1, rejected 0, citations added {citations_of(lines)}" in summary
    assert Quote.objects.count() == 39 and Source.objects.count() == len(urls_of(lines))
    assert Citation.objects.count() == citations_of(lines)


def test_a_batch_failing_in_flight_takes_the_next_one_down_with_it(tmp_path, monkeypatch):
    lines = [quotebank_line(n) for n in range(1, 41)]
    path = write_sample(tmp_path / "q.json", lines)
    batches, seen = Batches(monkeypatch, lines), {}

    def fail_the_second(n):
        if n == 2:
            seen["third copied"] = batches.copied[3].wait(WAIT)
            raise RuntimeError("the disk is full")

    batches.before_write = fail_the_second

    with pytest.raises(RuntimeError, match="the disk is full"):
        run_import(path, tmp_path, *REBUILD)

    assert seen["third copied"], "batch 3 was not copied while batch 2 was in flight"
    assert batches.committed == [1]
    assert set(Quote.objects.values_list("external_id", flat=True)) == batches.ids_of(1)
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("import-commit")]
    assert other_sessions() == 0
    monkeypatch.undo()

    summary, error = run_import(path, tmp_path, *REBUILD)  # resumes where the batches stopped

    assert error is None and "read 40, created 30, matched 10, rejected 0" in summary
    assert Quote.objects.count() == 40 and Citation.objects.count() == citations_of(lines)


def test_a_reading_failure_with_two_batches_in_flight_leaves_them_committed_and_nothing_running(
    tmp_path, monkeypatch
):
    lines = [quotebank_line(n) for n in range(1, 61)]
    batches = Batches(monkeypatch, lines)
    parsed_batches = service.parsed_batches

    def the_reading_fails_after_three(*args, **kwargs):
        read = parsed_batches(*args, **kwargs)
        try:
            for _ in range(3):
                yield next(read)
            raise pipeline.ParseFailed("the disk went away")
        finally:
            read.close()

    monkeypatch.setattr(service, "parsed_batches", the_reading_fails_after_three)

    with pytest.raises(pipeline.ParseFailed, match="the disk went away"):
        run_import(write_sample(tmp_path / "q.json", lines), tmp_path, *REBUILD)

    # What was sent off finished, whole and in order (a re-run takes it from there).
    assert batches.committed == [1, 2, 3]
    assert set(Quote.objects.values_list("external_id", flat=True)) == batches.ids_of(1, 2, 3)
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("import-commit")]
    assert other_sessions() == 0


def test_a_clash_in_flight_rolls_the_next_batch_back_and_writes_both_anew_in_order(tmp_path, monkeypatch):
    lines = [quotebank_line(n) for n in range(1, 31)]
    # Batch 1 cites line 2's source for line 1's quote (a citation the database matches), while
    # another session adds that very citation; batch 2 repeats batch 1's new quotes, and cites
    # their sources: ids batch 1 took, and loses when it rolls back.
    cited, quote, other = citing_a_known_source(tmp_path, lines[0], lines[1])
    file_lines = [cited, *lines[2:11], *lines[2:11], *lines[11:]]
    batches, seen = Batches(monkeypatch, file_lines), {}
    original, calls = bulk.BulkWriter._add_known_citations, []

    def another_writer_cites_it_too(self, cursor, rows):
        calls.append(len(rows))
        if len(calls) == 1:
            seen["second copied"] = batches.copied[2].wait(WAIT)
            commit_once_waited_on(cursor.connection.info.backend_pid, quote.pk, other.pk)
        return original(self, cursor, rows)

    monkeypatch.setattr(bulk.BulkWriter, "_add_known_citations", another_writer_cites_it_too)
    reads = count_reads(monkeypatch)

    summary, error = run_import(write_sample(tmp_path / "q.json", file_lines), tmp_path, *REBUILD)

    assert seen["second copied"], "batch 2 was not copied while batch 1 was in flight"
    assert batches.copies.count(1) == 2 and batches.copies.count(2) == 2  # in flight, then anew
    assert batches.committed == [1, 2, 3, 4]
    assert len(reads) >= 3  # at the start, before batch 1 and before batch 2 were written anew
    assert error is None  # the foreign keys came back validated: nothing points at a lost id
    assert "read 38, created 28, matched 10, rejected 0" in summary
    assert Quote.objects.count() == 30 and Source.objects.count() == len(urls_of(lines))
    assert Citation.objects.filter(quote=quote, source=other).count() == 1
    assert Citation.objects.count() == sum(1 + n % 3 for n in range(1, 31)) + 1


def test_a_clash_while_laying_out_a_third_batch_lands_the_two_in_flight_first(tmp_path, monkeypatch):
    lines = [quotebank_line(n) for n in range(1, 41)]
    newcomer = dict(json.loads(lines[24]), speaker="Jane Newcomer", qids=["Q999001"])
    lines[24] = json.dumps(newcomer)  # in batch 3: a speaker another writer creates meanwhile
    batches = Batches(monkeypatch, lines)
    original, theirs = bulk.BulkWriter._resolve_speakers, []

    def another_writer_creates_the_speaker(self, refs):
        if not theirs and any(ref.qid == "Q999001" for ref in refs):
            theirs.append(
                in_another_session(
                    lambda: Speaker.objects.create(
                        name="J. Newcomer", slug="j-newcomer", wikidata_qid="Q999001"
                    )
                )
            )
        return original(self, refs)

    monkeypatch.setattr(bulk.BulkWriter, "_resolve_speakers", another_writer_creates_the_speaker)
    reads = count_reads(monkeypatch)

    summary, error = run_import(write_sample(tmp_path / "q.json", lines), tmp_path, *REBUILD)

    assert error is None and "read 40, created 40, matched 0, rejected 0" in summary
    assert len(reads) == 2 and batches.committed == [1, 2, 3, 4]
    assert Quote.objects.get(external_id=newcomer["quoteID"]).speaker_id == theirs[0].pk
    assert Quote.objects.count() == 40 and Citation.objects.count() == citations_of(lines)


def test_a_bulk_import_in_many_batches_writes_what_the_row_by_row_import_writes(tmp_path):
    lines = sample_lines()
    path = write_sample(tmp_path / "q.json", lines + lines[::3])  # quotes met again, batches later
    keep, _ = run_import(path, tmp_path, "--search-index", "keep", "--status", "published")
    row_by_row = _snapshot()
    for model in (Citation, Quote, Source, Speaker):
        model.objects.all().delete()

    summary, _ = run_import(
        path, tmp_path, "--status", "published", "--search-index", "rebuild", "--batch-size", "7"
    )

    assert summary.split(" in ")[0] == keep.split(" in ")[0]  # read, created, matched, rejected, citations
    assert _snapshot() == row_by_row


def test_a_lock_held_past_the_timeout_stops_the_import_with_a_clear_error_instead_of_hanging(
    tmp_path, monkeypatch
):
    """Batch k+1 waits for batch k's commit in Python, holding its rows: a wait PostgreSQL cannot see,
    so a cycle through another writer would never be reported as a deadlock. A committing connection
    gives up on a lock after LANE_LOCK_TIMEOUT; the batch is written anew, and when the lock never
    comes the import stops, naming the cause, with the batches before it committed."""
    lines = [quotebank_line(n) for n in range(1, 41)]
    # In batch 2, a known quote citing a known source: matched by the database.
    lines[14], quote, source = citing_a_known_source(tmp_path, lines[14], lines[15])
    monkeypatch.setattr(bulk, "LANE_LOCK_TIMEOUT", "300ms")
    batches = Batches(monkeypatch, lines)
    held, release = threading.Event(), threading.Event()

    def another_writer():  # adds that citation and keeps its transaction open while the import runs
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(
                "INSERT INTO quotes_citation (quote_id, source_id, role, locator, selector_exact, "
                "selector_prefix, selector_suffix, note, match) "
                "VALUES (%s, %s, 'secondary', '', '', '', '', '', 'unchecked')",
                [quote.pk, source.pk],
            )
            held.set()
            release.wait(60)
            cursor.execute("ROLLBACK")
        connection.close()

    def start_the_other_writer(n):
        if n == 2 and not held.is_set():
            threading.Thread(target=another_writer, daemon=True).start()
            held.wait(WAIT)

    batches.before_write = start_the_other_writer
    retry = bulk.BulkWriter._retry

    def retry_then_let_go(writer, batch, commit):  # the writer ends once the import has given up
        try:
            return retry(writer, batch, commit)
        except bulk.BulkConflict:
            release.set()  # (so that the index rebuild, which waits for locks as long as it takes, runs)
            raise

    monkeypatch.setattr(bulk.BulkWriter, "_retry", retry_then_let_go)
    started = time.monotonic()
    try:
        summary, error = run_import(write_sample(tmp_path / "q.json", lines), tmp_path, *REBUILD)
    finally:
        release.set()

    assert held.is_set()
    assert error and "could not be written after 3 attempts" in error and "lock was not granted" in error
    assert time.monotonic() - started < WAIT * 4
    assert batches.committed == [1]
    imported = set(Quote.objects.values_list("external_id", flat=True))
    assert imported == batches.ids_of(1) | {quote.external_id, json.loads(quotebank_line(16))["quoteID"]}
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("import-commit")]
