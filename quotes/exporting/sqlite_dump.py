"""The published archive as one self-contained SQLite file, for any SQLite tool or Datasette.

Tables: quotes, speakers, venues, sources, citations, tags, quote_tags, quote_about, and
quotes_fts, an FTS5 index over the quote text (external content, so Datasette offers search).
"""

import os
import sqlite3
import tempfile
from pathlib import Path

from archive.models import Source
from quotes.exporting.records import iter_quote_ids
from quotes.models import Citation, Quote, Speaker, Tag, Venue

SCHEMA = """
CREATE TABLE speakers (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  wikidata_qid TEXT UNIQUE, aliases TEXT NOT NULL, description TEXT NOT NULL);
CREATE TABLE venues (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
  location TEXT NOT NULL, held_on TEXT, url TEXT NOT NULL);
CREATE TABLE sources (id INTEGER PRIMARY KEY, url TEXT NOT NULL, domain TEXT NOT NULL,
  title TEXT NOT NULL, publisher TEXT NOT NULL, author TEXT NOT NULL, published_on TEXT,
  language TEXT NOT NULL);
CREATE TABLE quotes (id INTEGER PRIMARY KEY, text TEXT NOT NULL,
  speaker_id INTEGER NOT NULL REFERENCES speakers(id), speaker_role TEXT NOT NULL, said_on TEXT,
  date_precision TEXT NOT NULL, venue_id INTEGER REFERENCES venues(id), language TEXT NOT NULL,
  context TEXT NOT NULL, status TEXT NOT NULL, status_note TEXT NOT NULL, verification TEXT NOT NULL,
  verification_note TEXT NOT NULL, attribution_probability REAL, external_id TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, permalink TEXT NOT NULL);
CREATE TABLE citations (id INTEGER PRIMARY KEY, quote_id INTEGER NOT NULL REFERENCES quotes(id),
  source_id INTEGER NOT NULL REFERENCES sources(id), role TEXT NOT NULL, locator TEXT NOT NULL,
  selector_exact TEXT NOT NULL, selector_prefix TEXT NOT NULL, selector_suffix TEXT NOT NULL,
  note TEXT NOT NULL, match TEXT NOT NULL);
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, slug TEXT NOT NULL UNIQUE);
CREATE TABLE quote_tags (quote_id INTEGER NOT NULL REFERENCES quotes(id),
  tag_id INTEGER NOT NULL REFERENCES tags(id), PRIMARY KEY (quote_id, tag_id));
CREATE TABLE quote_about (quote_id INTEGER NOT NULL REFERENCES quotes(id),
  speaker_id INTEGER NOT NULL REFERENCES speakers(id), PRIMARY KEY (quote_id, speaker_id));
CREATE INDEX quotes_speaker ON quotes(speaker_id, said_on);
CREATE INDEX citations_quote ON citations(quote_id);
CREATE INDEX citations_source ON citations(source_id);
CREATE VIRTUAL TABLE quotes_fts USING fts5(text, content='quotes', content_rowid='id',
  tokenize='unicode61 remove_diacritics 2');
"""

COLUMNS = {
    "speakers": (Speaker, ("id", "slug", "name", "wikidata_qid", "aliases", "description")),
    "venues": (Venue, ("id", "name", "kind", "location", "held_on", "url")),
    "sources": (Source, ("id", "url", "domain", "title", "publisher", "author", "published_on", "language")),
    "tags": (Tag, ("id", "name", "slug")),
}
QUOTE_COLUMNS = (
    "id", "text", "speaker_id", "speaker_role", "said_on", "date_precision", "venue_id", "language",
    "context", "status", "status_note", "verification", "verification_note", "attribution_probability",
    "external_id", "created_at", "updated_at",
)  # fmt: skip
CITATION_COLUMNS = (
    "id", "quote_id", "source_id", "role", "locator", "selector_exact", "selector_prefix",
    "selector_suffix", "note", "match",
)  # fmt: skip


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _insert(db: sqlite3.Connection, table: str, columns, rows) -> None:
    marks = ", ".join("?" * len(columns))
    db.executemany(
        f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({marks})",
        ([_plain(v) for v in row] for row in rows),
    )


def write_sqlite_archive(queryset, out: str | Path) -> int:
    """Write the quotes of `queryset` (and everything they refer to) to `out`; returns the count.

    Built in a temporary file beside `out` and moved into place, so a reader never sees half a file.
    """
    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=".verbatim-", suffix=".sqlite3", dir=out.parent or ".")
    os.close(fd)
    count = 0
    try:
        db = sqlite3.connect(tmp)
        db.executescript(SCHEMA)
        for ids in iter_quote_ids(queryset):
            quotes = list(Quote.objects.filter(id__in=ids).order_by("id").values_list(*QUOTE_COLUMNS))
            count += len(quotes)
            speaker_ids = {q[2] for q in quotes} | set(
                Quote.about.through.objects.filter(quote_id__in=ids).values_list("speaker_id", flat=True)
            )
            citations = list(
                Citation.objects.filter(quote_id__in=ids).order_by("id").values_list(*CITATION_COLUMNS)
            )
            wanted = {
                "speakers": speaker_ids,
                "venues": {q[6] for q in quotes if q[6]},
                "sources": {c[2] for c in citations},
                "tags": set(
                    Quote.tags.through.objects.filter(quote_id__in=ids).values_list("tag_id", flat=True)
                ),
            }
            for table, (model, columns) in COLUMNS.items():
                rows = model.objects.filter(id__in=wanted[table]).values_list(*columns)
                _insert(db, table, columns, rows)
            _insert(db, "quotes", (*QUOTE_COLUMNS, "permalink"), (q + (f"/q/{q[0]}/",) for q in quotes))
            _insert(db, "citations", CITATION_COLUMNS, citations)
            for table, through, target in (
                ("quote_tags", Quote.tags.through, "tag_id"),
                ("quote_about", Quote.about.through, "speaker_id"),
            ):
                pairs = through.objects.filter(quote_id__in=ids).values_list("quote_id", target)
                _insert(db, table, ("quote_id", target), pairs)
        db.execute("INSERT INTO quotes_fts(quotes_fts) VALUES ('rebuild')")
        db.commit()
        db.execute("VACUUM")
        db.close()
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return count
