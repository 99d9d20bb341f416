"""Bulk import of quotes from Quotebank, CSV, NDJSON and JSON files (see README "Import and export")."""

from quotes.importing.service import ImportSummary, import_quotes

__all__ = ["ImportSummary", "import_quotes"]
