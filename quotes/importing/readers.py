"""Reading import files: compression, standard input, and guessing the format.

A reader yields `(line, raw)` pairs: the line number where the row starts (the record's
position for a JSON array) and the row as read (a dict, or the undecodable text).
"""

import bz2
import codecs
import csv
import gzip
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson

FORMATS = ("quotebank", "csv", "ndjson", "json")


class UnknownFormat(Exception):  # noqa: N818
    """The file's format could not be told from its name or its first record."""


class Undecodable:
    """A row that is not valid JSON (or not an object): kept verbatim for the reject file."""

    __slots__ = ("reason", "text")

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason


class InputFile:
    """An import file opened for reading, with the compressed position for progress bars."""

    def __init__(self, path: str) -> None:
        self.path = path
        if path == "-":
            self.raw = sys.stdin.buffer
            self.size = None
        else:
            self.raw = open(path, "rb")  # noqa: SIM115 - closed by close()
            self.size = Path(path).stat().st_size
        name = self.stem_name()
        peek = self.raw.peek(3)[:3] if hasattr(self.raw, "peek") else b""
        if name.endswith(".gz") or peek[:2] == b"\x1f\x8b":
            self.binary = gzip.GzipFile(fileobj=self.raw)
        elif name.endswith(".bz2") or peek == b"BZh":
            self.binary = bz2.BZ2File(self.raw)
        else:
            self.binary = self.raw
        self.text = io.TextIOWrapper(self.binary, encoding="utf-8-sig", errors="replace", newline="")

    def stem_name(self) -> str:
        return "" if self.path == "-" else self.path.lower()

    def position(self) -> int:
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        if self.path != "-":
            self.raw.close()


def format_from_name(path: str) -> str | None:
    name = path.lower().removesuffix(".gz").removesuffix(".bz2")
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".ndjson", ".jsonl", ".json")):
        return "json-family"
    return None


def guess_format(source: InputFile, given: str | None) -> tuple[str, str | None]:
    """The format, and the first line already read from the file (sniffing consumes it)."""
    if given:
        return given, None
    family = format_from_name(source.path) if source.path != "-" else "json-family"
    if family == "csv":
        return "csv", None
    if family is None:
        raise UnknownFormat(f"cannot tell the format of {source.path!r}: give --format")
    first = source.text.readline()
    stripped = first.lstrip()
    if stripped.startswith("["):
        return "json", first
    if not stripped.startswith("{"):
        if source.path == "-":
            return "csv", first
        raise UnknownFormat(f"cannot tell the format of {source.path!r}: give --format")
    try:
        record = orjson.loads(first)
    except orjson.JSONDecodeError:
        return "json", first  # an object spread over several lines: {"results": [...]}
    if isinstance(record, dict) and isinstance(record.get("results"), list):
        return "json", first  # an API page on one line
    return ("quotebank" if isinstance(record, dict) and "quoteID" in record else "ndjson"), first


def iter_lines(text: io.TextIOBase, first: str | None) -> Iterator[tuple[int, object]]:
    """One JSON object a line (NDJSON, Quotebank); blank lines are skipped."""
    lines = text if first is None else _chain(first, text)
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, decode_line(line)


def decode_line(line: str | bytes) -> object:
    """A non-blank line of NDJSON or Quotebank: its object, or Undecodable with the reason. Bytes
    that are not UTF-8 are read with replacement characters, as the text reader would."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        if isinstance(line, bytes):
            return decode_line(line.decode("utf-8", "replace"))
        return Undecodable(line.rstrip("\r\n"), f"malformed JSON ({error})")
    if not isinstance(record, dict):
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        return Undecodable(text.rstrip("\r\n"), "not a JSON object")
    return record


def iter_line_bytes(source: "InputFile") -> Iterator[tuple[int, bytes]]:
    """(line number, line) of a line format, undecoded and blank lines skipped: for readers that
    decode only some lines (pipeline.py). orjson reads UTF-8 bytes itself."""
    for number, line in enumerate(source.binary, start=1):
        if number == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8) :]
        if line and not line.isspace():
            yield number, line


def iter_json_document(text: io.TextIOBase, first: str | None) -> Iterator[tuple[int, object]]:
    """A JSON array of records, or an object holding them under "results" (an API page)."""
    document = (first or "") + text.read()
    try:
        data = orjson.loads(document)
    except orjson.JSONDecodeError as error:
        yield 1, Undecodable(document[:1000], f"malformed JSON ({error})")
        return
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data = data["results"]
    if not isinstance(data, list):
        yield 1, Undecodable(document[:1000], 'expected a JSON array or an object with "results"')
        return
    for number, record in enumerate(data, start=1):
        if isinstance(record, dict):
            yield number, record
        else:
            yield number, Undecodable(orjson.dumps(record).decode(), "not a JSON object")


def iter_csv(text: io.TextIOBase, first: str | None) -> Iterator[tuple[int, object]]:
    """CSV with a header row; the line number is where the record starts."""
    lines = text if first is None else _chain(first, text)
    reader = csv.DictReader(lines)
    start = 2
    for row in reader:
        if None in row:
            yield (
                start,
                Undecodable(",".join(str(v) for v in row.values()), "more values than header columns"),
            )
        else:
            yield start, row
        start = reader.line_num + 1


def _chain(first: str, rest):
    yield first
    yield from rest


READERS = {"quotebank": iter_lines, "ndjson": iter_lines, "json": iter_json_document, "csv": iter_csv}
