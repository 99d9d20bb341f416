"""export_quotes --format sqlite: a self-contained file of the published archive, searchable."""

import sqlite3

import pytest
from django.core.management import CommandError, call_command

from quotes.models import Quote
from tests.factories import make_quote


@pytest.mark.django_db
def test_the_sqlite_archive_opens_and_its_full_text_index_finds_a_demo_quote(demo, tmp_path):
    make_quote("A draft that must stay private", status=Quote.Status.DRAFT)
    out = tmp_path / "verbatim.sqlite3"

    call_command("export_quotes", "--format", "sqlite", str(out))

    db = sqlite3.connect(out)
    found = db.execute(
        "SELECT s.name, q.said_on, q.permalink FROM quotes_fts f JOIN quotes q ON q.id = f.rowid "
        "JOIN speakers s ON s.id = q.speaker_id WHERE quotes_fts MATCH ?",
        ["capitulation"],
    ).fetchall()
    assert [row[0] for row in found] == ["Miguel Díaz-Canel"]
    assert found[0][1] == "2026-01-01"
    assert db.execute("SELECT count(*) FROM quotes").fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM quotes WHERE text LIKE 'A draft%'").fetchone()[0] == 0
    citation = db.execute(
        "SELECT src.publisher FROM citations c JOIN sources src ON src.id = c.source_id LIMIT 1"
    ).fetchone()
    assert citation == ("Internewscast",)
    tags = db.execute(
        "SELECT t.name FROM quote_tags qt JOIN tags t ON t.id = qt.tag_id ORDER BY t.name"
    ).fetchall()
    assert ("Regime change",) in tags
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()


@pytest.mark.django_db
def test_the_sqlite_archive_needs_a_file_name(tmp_path):
    with pytest.raises(CommandError):
        call_command("export_quotes", "--format", "sqlite", "-")
