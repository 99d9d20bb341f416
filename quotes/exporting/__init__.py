"""Exports of the archive: streamed CSV/NDJSON in the API's representation, and SQLite dumps."""
