"""Reading and checking in processes of their own, beside the process that writes.

Parsing, checking, normalizing, hashing and formatting COPY rows is pure Python and takes as
long as the database takes to store the rows: in another process (forked, so it shares the
settings and the import's layout) it runs on another core instead of contending for the GIL.
With cores to spare, several processes share a line format out by blocks of a batch
(`reading_processes`). Batches come back through bounded queues, in file order, with the rejected
rows and the file position for the progress bar. The children never touch the database.
"""

import gc
import itertools
import multiprocessing
import os
import queue
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field

from quotes.importing.copyrows import ImportLayout, PreparedBatch, prepare_rows
from quotes.importing.readers import READERS, InputFile, Undecodable, decode_line, iter_line_bytes
from quotes.importing.records import Rejected

QUEUE_DEPTH = 3
LINE_FORMATS = ("quotebank", "ndjson")  # one record a line: shared out between reading processes


@dataclass
class ParsedBatch:
    prepared: PreparedBatch = field(default_factory=PreparedBatch)
    rejected: list[tuple[int, str, object]] = field(default_factory=list)  # (line, reason, raw)
    read: int = 0
    position: int = 0


class ParseFailed(Exception):
    """The reading process failed: its traceback, for the user."""


def _blocks(source: InputFile, fmt: str, batch_size: int, worker: int, workers: int):
    """(block number, line number, raw record) for this worker's share of the file: the records
    are numbered in file order and cut into blocks of `batch_size`; block b is worker b % workers's.
    Line formats are read as bytes, and another worker's lines skipped without being decoded."""
    if fmt not in LINE_FORMATS:
        for index, (line, raw) in enumerate(READERS[fmt](source.text, None)):
            yield index // batch_size, line, raw
        return
    for index, (number, line) in enumerate(iter_line_bytes(source)):
        block = index // batch_size
        if block % workers == worker:
            yield block, number, decode_line(line)


def _parse(path, fmt, status, batch_size, layout, out, worker=0, workers=1) -> None:
    from quotes.importing.quotebank import everyday_appender, python_prepared
    from quotes.importing.service import to_record

    # Quotebank: an everyday record goes straight onto the batch's lists (the C accelerator).
    appender = everyday_appender(status, layout) if fmt == "quotebank" else None

    def prepared(line, raw):
        if fmt == "quotebank" and not isinstance(raw, Undecodable):
            return python_prepared(line, raw, status=status, layout=layout)
        return prepare_rows(to_record(fmt, line, raw, status=status), layout)

    gc.disable()  # millions of short-lived containers and no cycles: collections would cost a third
    try:
        source = InputFile(path)
        batch, current = ParsedBatch(), None
        for block, line, raw in _blocks(source, fmt, batch_size, worker, workers):
            if block != current and current is not None:
                batch.position = source.position()
                out.put(batch)
                batch = ParsedBatch()
            current = block
            batch.read += 1
            try:
                if (
                    appender is None
                    or type(raw) is not dict
                    or not appender.append(line, raw, batch.prepared)
                ):
                    batch.prepared.append(prepared(line, raw))
            except Rejected as error:
                batch.rejected.append((line, str(error), raw))
        if current is not None or worker == 0:  # an empty file still gives one (empty) batch
            batch.position = source.position()
            out.put(batch)
        out.put(None)
        source.close()
    except BaseException:
        out.put(ParseFailed(traceback.format_exc()))


def reading_processes(path: str, fmt: str) -> int:
    """A reading process per core beyond the two the writer and PostgreSQL keep busy (up to four),
    for a line format: each process reads the whole file and decodes only its share. On two cores
    one: a second made the 1M import no faster (load 42.9 s vs 41.9 s: the cores were already
    busy). bzip2 would be decompressed by each, slowly: one."""
    if fmt not in LINE_FORMATS or path == "-" or path.endswith(".bz2"):
        return 1
    return min(4, max(1, (os.cpu_count() or 1) - 2))


def parsed_batches(
    path: str,
    fmt: str,
    *,
    status: str | None,
    batch_size: int,
    layout: ImportLayout,
    workers: int | None = None,
) -> Iterator[ParsedBatch]:
    """Batches read and prepared by forked processes, in file order; stopping the iteration stops them.

    Block b of the file comes from process b % workers, so taking one batch from each process's
    queue in turn gives the file's order back; a process's None says the file is done."""
    workers = (workers or reading_processes(path, fmt)) if fmt in LINE_FORMATS else 1  # see _blocks
    context = multiprocessing.get_context("fork")
    queues = [context.Queue(maxsize=QUEUE_DEPTH) for _ in range(workers)]
    processes = [
        context.Process(
            target=_parse,
            args=(path, fmt, status, batch_size, layout, out, worker, workers),
            name=f"import-parse-{worker}",
            daemon=True,
        )
        for worker, out in enumerate(queues)
    ]
    for process in processes:
        process.start()
    try:
        for block in itertools.count():
            item = _next_item(queues[block % workers], processes[block % workers])
            if item is None:
                break
            yield item
        for process in processes:
            process.join(timeout=5)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
        for out in queues:
            out.close()


def _next_item(out, process) -> ParsedBatch | None:
    while True:
        try:
            item = out.get(timeout=1)
        except queue.Empty:
            if not process.is_alive():  # killed (out of memory, a signal): never wait for it
                raise ParseFailed(f"the reading process ended (exit code {process.exitcode})") from None
            continue
        if isinstance(item, ParseFailed):
            raise item
        return item
