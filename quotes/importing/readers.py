"""Reading import files: compression, standard input, and guessing the format.

A reader yields `(line, raw)` pairs: the line number where the row starts (the record's
position for a JSON array) and the row as read (a dict, or the undecodable text).

Verbatim text is never altered: bytes that are not UTF-8 are read as lone surrogates
("surrogateescape", nothing lost), which orjson refuses, so the line or CSV row holding them is
rejected, naming the byte and where it is (`not_utf8`). The reject file shows them as `\\xff`.
"""

import bz2
import codecs
import csv
import gzip
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson

FORMATS = ("quotebank", "csv", "ndjson", "json")


class UnknownFormat(Exception):  # noqa: N818
    """The file's format could not be told from its name or its first record."""


class BadHeader(Exception):  # noqa: N818
    """A CSV file whose header row lacks the columns every quote needs, or cannot be read:
    nothing in it could be imported."""


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
        self.text = io.TextIOWrapper(self.binary, encoding="utf-8-sig", errors="surrogateescape", newline="")

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
    stripped = _sniffable(first).lstrip()
    if stripped.startswith("["):
        return "json", first
    if not stripped.startswith("{"):
        if source.path == "-":
            return "csv", first
        raise UnknownFormat(f"cannot tell the format of {source.path!r}: give --format")
    try:
        record = orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return "json", first  # an object spread over several lines: {"results": [...]}
    if isinstance(record, dict) and isinstance(record.get("results"), list):
        return "json", first  # an API page on one line
    return ("quotebank" if isinstance(record, dict) and "quoteID" in record else "ndjson"), first


def iter_lines(text: io.TextIOBase, first: str | None) -> Iterator[tuple[int, object]]:
    """One JSON object a line (NDJSON, Quotebank); blank lines are skipped."""
    lines = text if first is None else _chain([first], text)
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, decode_line(line)


def decode_line(line: str | bytes) -> object:
    """A non-blank line of NDJSON or Quotebank: its object, or Undecodable with the reason. A line
    that is not UTF-8 (bytes, or text read with surrogateescape) is refused as such; orjson
    refuses it first, so valid lines pay nothing for the check."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as bad:
                reason = f"not valid UTF-8 (byte 0x{line[bad.start]:02x} at column {bad.start + 1})"
                return Undecodable(line.decode("utf-8", "backslashreplace").rstrip("\r\n"), reason)
            return decode_line(line)
        problem = not_utf8(line)
        if problem:
            return Undecodable(printable(line).rstrip("\r\n"), problem)
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
        # One document: a byte that is not UTF-8 cannot be set apart from the records around it.
        reason = not_utf8(document, lines=True) or f"malformed JSON ({error})"
        yield 1, Undecodable(printable(document[:1000]), reason)
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


CSV_FIELD_LIMIT = 64 * 1024 * 1024
"""The longest CSV field read, in characters. The csv module's default (131,072) is less than
a quote's context or notes may hold (the API takes a 1,000,000-character context), so an export
would not import back; a limit stays, so that an unclosed quote cannot read a whole file into
one field. A longer field rejects its row."""

REQUIRED_CSV_COLUMNS = ("text", "speaker_name")


def iter_csv(text: io.TextIOBase, first: str | None) -> Iterator[tuple[int, object]]:
    """CSV with a header row; the line number is where the record starts. The header is read and
    checked at once (BadHeader), the rows as they are iterated. A row the csv module cannot
    read (a field past CSV_FIELD_LIMIT), or that holds bytes that are not UTF-8, is Undecodable."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    lines = _CsvLines(text, first)
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise BadHeader(f"the CSV file's header row cannot be read ({error})") from None
    if header is None:
        return iter(())  # an empty file: nothing to import
    missing = [column for column in REQUIRED_CSV_COLUMNS if column not in header]
    if missing:
        found = ", ".join([printable(column)[:40] for column in header[:20]] + ["…"] * (len(header) > 20))
        raise BadHeader(
            f"the CSV file has no column {', '.join(missing)} "
            f"(it needs {', '.join(REQUIRED_CSV_COLUMNS)}); its columns: {found}"
        )
    if lines.bad:  # its names would reach the reject file, which must be UTF-8
        raise BadHeader(f"the CSV file's header row is {lines.bad}")
    return _csv_rows(reader, lines, header)


def _csv_rows(reader, lines: "_CsvLines", header: list[str]) -> Iterator[tuple[int, object]]:
    lines.next_record()
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # The reader stopped inside the record: skip the rest of it, so the next row is read whole.
            start, record = lines.start, lines.text()
            lines.skip_rest_of_record()
            lines.next_record()
            yield start, Undecodable(printable(record[:1000]), str(error))
            continue
        if not values:  # a blank line
            lines.next_record()
            continue
        start, bad = lines.start, lines.bad
        if bad is not None:
            yield start, Undecodable(printable(lines.text()).rstrip("\r\n"), bad)
        elif len(values) > len(header):
            yield start, Undecodable(lines.text().rstrip("\r\n"), "more values than header columns")
        else:
            yield start, dict(zip(header, values, strict=False))  # a short row: the rest read as empty
        lines.next_record()


class _CsvLines:
    """The lines of a CSV file for the csv module, remembering those of the record being read:
    where it starts, its text, and where its first byte that is not UTF-8 is (the csv module
    reads a record's lines and no more, so that is exact)."""

    def __init__(self, text: io.TextIOBase, first: str | None) -> None:
        self.source = iter(text) if first is None else _chain(io.StringIO(first, newline=""), text)
        self.number = 0  # the lines handed out
        self.start = 1
        self.lines: list[str] = []
        self.bad: str | None = None

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self.source)
        self.number += 1
        self.lines.append(line)
        if self.bad is None and not line.isascii():
            self.bad = not_utf8(line, line_number=self.number)
        return line

    def text(self) -> str:
        return "".join(self.lines)

    def next_record(self) -> None:
        self.start, self.lines, self.bad = self.number + 1, [], None

    def skip_rest_of_record(self) -> None:
        """After a csv.Error: read on to the end of the record, where its quotes are balanced."""
        quotes = sum(line.count('"') for line in self.lines)
        while quotes % 2:
            line = next(self.source, None)
            if line is None:
                return
            self.number += 1
            quotes += line.count('"')


def _chain(first, rest):
    yield from first
    yield from rest


_ESCAPED = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, read with surrogateescape


def not_utf8(text: str, *, line_number: int | None = None, lines: bool = False) -> str | None:
    """The reason text read with surrogateescape is refused, or None when it is all UTF-8: the
    first bad byte and its column (counted in bytes, as a hex editor shows), with its line when
    `line_number` is given, or counted from the text's line breaks with `lines`."""
    found = _ESCAPED.search(text)
    if found is None:
        return None
    at = found.start()
    line_start = 0
    if lines:
        line_number = text.count("\n", 0, at) + 1
        line_start = text.rfind("\n", 0, at) + 1
    column = len(text[line_start:at].encode("utf-8", "surrogateescape")) + 1
    where = f"line {line_number}, column {column}" if line_number else f"column {column}"
    return f"not valid UTF-8 (byte 0x{ord(found.group()) - 0xDC00:02x} at {where})"


def printable(text: str) -> str:
    """Text read with surrogateescape, its bytes that are not UTF-8 shown as \\xff (for the reject
    file, which must be UTF-8 itself)."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _sniffable(line: str) -> str:
    """A first line to guess the format from, its bytes that are not UTF-8 replaced (only guessing)."""
    return line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


READERS = {"quotebank": iter_lines, "ndjson": iter_lines, "json": iter_json_document, "csv": iter_csv}
