"""Reading and checking in a process of its own, beside the process that writes.

Parsing, checking, normalizing, hashing and formatting COPY rows is pure Python and takes as
long as the database takes to store the rows: in a second process (forked, so it shares the
settings and the import's layout) it runs on the other core instead of contending for the GIL.
Batches come back through a bounded queue, in file order, with the rejected rows and the file
position for the progress bar. The child never touches the database.
"""

import gc
import multiprocessing
import queue
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field

from quotes.importing.copyrows import ImportLayout, PreparedBatch, prepare_rows
from quotes.importing.readers import READERS, InputFile, Undecodable
from quotes.importing.records import Rejected

QUEUE_DEPTH = 3


@dataclass
class ParsedBatch:
    prepared: PreparedBatch = field(default_factory=PreparedBatch)
    rejected: list[tuple[int, str, object]] = field(default_factory=list)  # (line, reason, raw)
    read: int = 0
    position: int = 0


class ParseFailed(Exception):
    """The reading process failed: its traceback, for the user."""


def _parse(path, fmt, status, batch_size, layout, out) -> None:
    from quotes.importing.quotebank import quotebank_prepared
    from quotes.importing.service import to_record

    def prepared(line, raw):
        if fmt == "quotebank" and not isinstance(raw, Undecodable):
            return quotebank_prepared(line, raw, status=status, layout=layout)
        return prepare_rows(to_record(fmt, line, raw, status=status), layout)

    gc.disable()  # millions of short-lived containers and no cycles: collections would cost a third
    try:
        source = InputFile(path)
        batch = ParsedBatch()
        for line, raw in READERS[fmt](source.text, None):
            batch.read += 1
            try:
                batch.prepared.append(prepared(line, raw))
            except Rejected as error:
                batch.rejected.append((line, str(error), raw))
            if len(batch.prepared) >= batch_size:
                batch.position = source.position()
                out.put(batch)
                batch = ParsedBatch()
        batch.position = source.position()
        out.put(batch)
        out.put(None)
        source.close()
    except BaseException:
        out.put(ParseFailed(traceback.format_exc()))


def parsed_batches(
    path: str, fmt: str, *, status: str | None, batch_size: int, layout: ImportLayout
) -> Iterator[ParsedBatch]:
    """Batches read and prepared by a forked process; stopping the iteration stops the process."""
    context = multiprocessing.get_context("fork")
    out = context.Queue(maxsize=QUEUE_DEPTH)
    process = context.Process(
        target=_parse, args=(path, fmt, status, batch_size, layout, out), name="import-parse", daemon=True
    )
    process.start()
    try:
        while True:
            try:
                item = out.get(timeout=1)
            except queue.Empty:
                if not process.is_alive():  # killed (out of memory, a signal): never wait for it
                    raise ParseFailed(f"the reading process ended (exit code {process.exitcode})") from None
                continue
            if item is None:
                break
            if isinstance(item, ParseFailed):
                raise item
            yield item
        process.join()
    finally:
        if process.is_alive():
            process.terminate()
            process.join()
        out.close()
