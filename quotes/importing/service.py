"""The import run: read, check, write in atomic batches, report."""

import contextlib
import gc
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connections, transaction

from archive.cached_values import forget_values
from archive.models import Source
from quotes.importing.bulk import BulkWriter
from quotes.importing.copyrows import ImportLayout
from quotes.importing.pipeline import parsed_batches
from quotes.importing.quotebank import quotebank_record
from quotes.importing.readers import READERS, InputFile, Undecodable, guess_format
from quotes.importing.records import Rejected
from quotes.importing.rejects import RejectFile
from quotes.importing.representation import representation_record, unflatten_csv_row
from quotes.importing.search_index import BuildStep, search_index_deferred, should_rebuild
from quotes.importing.writer import BatchResult, BatchWriter, prepare
from quotes.models import Quote

DEFAULT_BATCH_SIZE = 5_000


@dataclass
class ImportSummary:
    format: str = ""
    read: int = 0
    created: int = 0
    matched: int = 0
    rejected: int = 0
    citations_added: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    reject_path: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    search_index_rebuilt: bool = False
    phases: dict[str, float] = field(default_factory=dict)  # seconds, in order (-v 2 prints them)
    build_steps: list[BuildStep] = field(default_factory=list)  # the index build's steps (-v 3 prints them)

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        prefix = "Dry run (nothing written): " if self.dry_run else ""
        return (
            f"{prefix}read {self.read:,}, created {self.created:,}, matched {self.matched:,}, "
            f"rejected {self.rejected:,}, citations added {self.citations_added:,} "
            f"in {self.seconds:.1f} s ({self.rate:,.0f} records/s)"
            + (", indexes rebuilt" if self.search_index_rebuilt else "")
        )


def to_record(fmt: str, line: int, raw, *, status: str | None):
    if isinstance(raw, Undecodable):
        raise Rejected(raw.reason)
    if fmt == "quotebank":
        return quotebank_record(line, raw, status=status)
    if fmt == "csv":
        raw = unflatten_csv_row(raw)
    return representation_record(line, raw, status=status)


def import_quotes(
    *,
    path: str,
    fmt: str | None = None,
    status: str | None = None,
    dry_run: bool = False,
    reject_path: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    search_index: str = "auto",
    progress: Callable[[ImportSummary, int], None] | None = None,
) -> ImportSummary:
    """Import a file; each batch commits on its own, so a re-run after an interruption finishes the job.

    `status` (draft or published) overrides the records' own; without it a record keeps the status it
    carries (CSV/NDJSON exports do) or becomes a draft. A dry run writes nothing: the whole run happens
    in one transaction that is rolled back, so its counts are exactly those of a real run.
    `search_index` (keep, rebuild, auto) says whether the indexes are kept up row by row or built
    once at the end; auto rebuilds for a large file next to the archive (quotes/importing/search_index.py).
    """
    started = time.monotonic()
    source = InputFile(path)
    rejects = RejectFile(reject_path)
    summary = ImportSummary(dry_run=dry_run)
    writer = BatchWriter()
    try:
        summary.format, first = guess_format(source, fmt)
        rows = READERS[summary.format](source.text, first)
        if dry_run:
            with transaction.atomic():
                _run(rows, summary, rejects, writer, status, batch_size, progress, source)
                transaction.set_rollback(True)
        else:
            writer.relax_commit_durability()
            rebuild = should_rebuild(search_index, path=path, fmt=summary.format)
            bulk = (
                BulkWriter(ImportLayout.build(default_status=Quote.Status.DRAFT))
                if (rebuild and bulk_possible(path))
                else None
            )
            folds = []  # duplicates another writer added during a bulk load, folded at its end
            with search_index_deferred(
                rebuild,
                drop_uniques=bulk is not None,
                on_fold=folds.append,
                on_step=summary.build_steps.append,
            ) as summary.search_index_rebuilt:
                mark = _phase(summary, "indexes dropped" if rebuild else "indexes checked", started)
                if bulk:
                    mark = _run_bulk(bulk, path, summary, rejects, status, batch_size, progress, mark)
                else:
                    _run(rows, summary, rejects, writer, status, batch_size, progress, source)
                    mark = _phase(summary, "records written", mark)
            for folded in folds if bulk else ():
                _count(summary, bulk.fold_correction(folded))
            if rebuild:
                _phase(summary, "indexes rebuilt (PostgreSQL: and foreign keys, statistics)", mark)
    finally:
        rejects.close()
        source.close()
        if not dry_run:
            forget_values(Quote, Source)  # the admin's filters: bulk writes send no signals
    summary.rejected = rejects.count
    summary.reject_path = reject_path if rejects.count else None
    summary.seconds = time.monotonic() - started
    return summary


def bulk_possible(path: str, using: str = "default") -> bool:
    """The COPY fast path: PostgreSQL, and a file the parsing process can open by name."""
    return connections[using].vendor == "postgresql" and path != "-"


def _phase(summary: ImportSummary, name: str, since: float) -> float:
    now = time.monotonic()
    summary.phases[name] = now - since
    return now


def _run_bulk(bulk, path, summary, rejects, status, batch_size, progress, mark) -> float:
    """Parse in another process, match here, COPY on two more connections from threads of their own,
    two batches at once, committed in order (quotes/importing/pipeline.py, bulk.py)."""
    bulk.preload()
    mark = _phase(summary, "archive keys read", mark)
    collecting = gc.isenabled()
    gc.disable()  # see pipeline._parse; the in-memory keys hold no containers
    waiting = 0.0  # for the reading process: which side of the pipeline is the slower one

    def parsed():
        nonlocal waiting
        batches = parsed_batches(
            path, summary.format, status=status, batch_size=batch_size, layout=bulk.layout
        )
        while True:
            asked = time.monotonic()
            batch = next(batches, None)
            waiting += time.monotonic() - asked
            if batch is None:
                return
            summary.read += batch.read
            for line, reason, raw in batch.rejected:
                _reject(summary, rejects, line, reason, raw)
            yield batch.prepared, batch.position

    try:
        for result, position in bulk.write_all(parsed()):
            _count(summary, result)
            if progress:
                progress(summary, position)
    finally:
        if collecting:
            gc.enable()
    return _phase(summary, f"records copied ({waiting:.1f} s of it waiting for the reading process)", mark)


def _reject(summary, rejects, line, reason, raw) -> None:
    rejects.add(line, reason, raw)
    key = reason.split(" '")[0].split(" (")[0]  # by kind: "malformed JSON", "not valid UTF-8"
    summary.reasons[key] = summary.reasons.get(key, 0) + 1


_DONE = object()


def _run(rows, summary, rejects, writer, status, batch_size, progress, source) -> None:
    """Reading and checking run in a thread beside the writer, so that Python prepares the next
    batch while the database stores the last one (the GIL is released while waiting on it)."""
    batches: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce():
        try:
            batch = []
            for line, raw in rows:
                if stop.is_set():
                    return
                summary.read += 1
                try:
                    batch.append(prepare(to_record(summary.format, line, raw, status=status)))
                except Rejected as error:
                    _reject(summary, rejects, line, str(error), raw)
                if len(batch) >= batch_size:
                    batches.put((batch, source.position()))
                    batch = []
            batches.put((batch, source.position()))
            batches.put((_DONE, None))
        except BaseException as error:  # handed to the writer's thread, which re-raises it
            batches.put((error, None))

    reader = threading.Thread(target=produce, name="import-reader", daemon=True)
    collecting = gc.isenabled()
    gc.disable()  # a batch holds thousands of fresh containers: collections would cost a third of the run
    reader.start()
    try:
        while True:
            batch, position = batches.get()
            if batch is _DONE:
                break
            if isinstance(batch, BaseException):
                raise batch
            _write(batch, summary, writer)
            if progress:
                progress(summary, position)
    finally:
        stop.set()
        while reader.is_alive():  # let a reader blocked on a full queue finish
            with contextlib.suppress(queue.Empty):
                batches.get(timeout=0.1)
        reader.join()
        if collecting:
            gc.enable()


def _write(batch, summary, writer) -> None:
    if not batch:
        return
    with transaction.atomic():
        _count(summary, writer.write(batch, default_status=Quote.Status.DRAFT))


def _count(summary: ImportSummary, result: BatchResult) -> None:
    summary.created += result.created
    summary.matched += result.matched
    summary.citations_added += result.citations_added
