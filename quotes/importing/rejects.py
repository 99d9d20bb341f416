"""The reject file: every row that was not imported, with its line number and the reason."""

import csv
from pathlib import Path

import orjson

from quotes.importing.readers import Undecodable


class RejectFile:
    """Written lazily (no file when nothing is rejected): NDJSON, or CSV when the name ends in .csv."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0
        self._file = None
        self._csv = None

    def add(self, line: int, reason: str, raw) -> None:
        self.count += 1
        record = raw.text if isinstance(raw, Undecodable) else raw
        if self._file is None:
            self._file = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            if Path(self.path).suffix.lower() == ".csv":
                self._csv = csv.writer(self._file)
                self._csv.writerow(["line", "reason", "record"])
        if self._csv is not None:
            encoded = record if isinstance(record, str) else orjson.dumps(record).decode()
            self._csv.writerow([line, reason, encoded])
        else:
            entry = {"line": line, "reason": reason, "record": record}
            self._file.write(orjson.dumps(entry, default=str).decode() + "\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
