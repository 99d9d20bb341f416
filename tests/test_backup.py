"""`manage.py backup` / `manage.py restore`: a populated archive comes back whole, search included.

The archive is backed up from the test database, restored by the real command in a separate
process into a brand-new database, and every table is compared row for row (count and checksum).
"""

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from quotes.demo import load_demo
from quotes.models import ApiToken, Quote
from tests.factories import cite, make_quote, make_speaker

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees only committed rows


def populate_archive(superuser) -> None:
    load_demo()
    speaker = make_speaker("Ana Ortega", aliases="Ortega")
    for n in range(5):
        quote = make_quote(f"The harbour will reopen in spring, phase {n}.", speaker=speaker)
        cite(quote)
    make_quote("An unpublished draft about the regime budget.", speaker=speaker, status="draft")
    quote = Quote.objects.filter(speaker=speaker).first()
    quote.context = "Asked at the port authority meeting."
    quote._change_reason = "Context added"
    quote.save()
    ApiToken.issue(user=superuser, name="newsroom tool")


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


# --- PostgreSQL -----------------------------------------------------------------------------

PG_FINGERPRINT = """
    SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))
    FROM "{table}" t
"""


def pg_fingerprint(cursor) -> dict:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    tables = [row[0] for row in cursor.fetchall()]
    rows = {}
    for table in tables:
        cursor.execute(PG_FINGERPRINT.format(table=table))
        rows[table] = tuple(cursor.fetchone())
    cursor.execute("SELECT extname FROM pg_extension ORDER BY 1")
    extensions = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
    indexes = cursor.fetchall()
    cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1")
    sequences = cursor.fetchall()
    return {"rows": rows, "extensions": extensions, "indexes": indexes, "sequences": sequences}


PG_SEARCHES = [
    "SELECT id FROM quotes_quote WHERE search_vector @@ to_tsquery('simple', 'harbour & spring') ORDER BY id",
    "SELECT id FROM quotes_quote WHERE 'harbor' <% search_text ORDER BY id",  # trigram: a misspelling
]


@pytest.fixture
def empty_pg_database():
    settings = connection.settings_dict
    name = f"{settings['NAME']}_restored"
    admin_dsn = psycopg.conninfo.make_conninfo(
        dbname="postgres", host=settings["HOST"], port=settings["PORT"], user=settings["USER"]
    )
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{name}"
    yield name, url
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL backup")
def test_postgresql_backup_restores_every_table_extension_and_index(tmp_path, superuser, empty_pg_database):
    populate_archive(superuser)
    with connection.cursor() as cursor:
        before = pg_fingerprint(cursor)
        searches_before = [_fetch(cursor, sql) for sql in PG_SEARCHES]
    assert "pg_trgm" in before["extensions"]
    assert before["rows"]["quotes_quote"][0] == 9
    assert all(searches_before), "the searches find something to compare"

    dump = tmp_path / "verbatim.dump"
    call_command("backup", str(dump))
    assert dump.read_bytes().startswith(b"PGDMP")

    name, url = empty_pg_database
    result = manage("restore", str(dump), database_url=url)
    assert result.returncode == 0, result.stderr

    settings = connection.settings_dict
    restored_dsn = psycopg.conninfo.make_conninfo(
        dbname=name, host=settings["HOST"], port=settings["PORT"], user=settings["USER"]
    )
    with psycopg.connect(restored_dsn) as restored, restored.cursor() as cursor:
        after = pg_fingerprint(cursor)
        searches_after = [_fetch(cursor, sql) for sql in PG_SEARCHES]
    assert after == before
    assert searches_after == searches_before

    # The restored database is a working archive: the app reports it ready.
    ready = manage("shell", "-c", READYZ, database_url=url)
    assert ready.stdout.strip().endswith("200"), ready.stderr

    # A second restore into the now populated database is refused, unless forced.
    refused = manage("restore", str(dump), database_url=url)
    assert refused.returncode != 0
    assert "already holds" in refused.stderr and "--force" in refused.stderr
    forced = manage("restore", "--force", str(dump), database_url=url)
    assert forced.returncode == 0, forced.stderr
    with psycopg.connect(restored_dsn) as restored, restored.cursor() as cursor:
        assert pg_fingerprint(cursor) == before


READYZ = "from django.test import Client; print(Client().get('/readyz').status_code)"


def _fetch(cursor, sql: str) -> list:
    cursor.execute(sql)
    return [row[0] for row in cursor.fetchall()]


# --- SQLite ---------------------------------------------------------------------------------


def sqlite_fingerprint(db: sqlite3.Connection) -> dict:
    tables = [
        row[0]
        for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
    ]
    fingerprint = {}
    for table in tables:
        rows = sorted(repr(row) for row in db.execute(f'SELECT * FROM "{table}"'))  # noqa: S608
        fingerprint[table] = (len(rows), hashlib.md5("\n".join(rows).encode()).hexdigest())  # noqa: S324
    schema = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    return {"rows": fingerprint, "schema": schema}


SQLITE_SEARCH = (
    "SELECT rowid FROM quotes_quote_fts WHERE quotes_quote_fts MATCH 'harbour spring' ORDER BY rowid"
)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite backup")
def test_sqlite_backup_restores_every_table_and_the_search_index(tmp_path, superuser):
    populate_archive(superuser)
    # A second, plain connection to the test database, so both sides are read the same way.
    source = sqlite3.connect(connection.settings_dict["NAME"], uri=True)
    before = sqlite_fingerprint(source)
    search_before = [row[0] for row in source.execute(SQLITE_SEARCH)]
    source.close()
    assert before["rows"]["quotes_quote"][0] == 9
    assert "quotes_quote_fts" in before["rows"] and len(search_before) == 5

    backup = tmp_path / "verbatim-backup.sqlite3"
    call_command("backup", str(backup))
    target = tmp_path / "restored.sqlite3"
    result = manage("restore", str(backup), database_url=f"sqlite:///{target}")
    assert result.returncode == 0, result.stderr

    restored = sqlite3.connect(target)
    assert sqlite_fingerprint(restored) == before
    assert [row[0] for row in restored.execute(SQLITE_SEARCH)] == search_before
    restored.close()

    ready = manage("shell", "-c", READYZ, database_url=f"sqlite:///{target}")
    assert ready.stdout.strip().endswith("200"), ready.stderr
    # New quotes saved in the restored archive are found by search (the triggers came along).
    added = manage(
        "shell",
        "-c",
        "from tests.factories import make_quote, make_speaker; "
        "make_quote('The lighthouse keeper retired.', speaker=make_speaker(slug='keeper'))",
        database_url=f"sqlite:///{target}",
    )
    assert added.returncode == 0, added.stderr
    restored = sqlite3.connect(target)
    found = restored.execute(
        "SELECT count(*) FROM quotes_quote_fts WHERE quotes_quote_fts MATCH 'lighthouse'"
    )
    assert found.fetchone()[0] == 1
    restored.close()

    refused = manage("restore", str(backup), database_url=f"sqlite:///{target}")
    assert refused.returncode != 0 and "--force" in refused.stderr


def test_restore_refuses_a_file_that_is_not_a_backup_for_this_database(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a backup at all")
    target = tmp_path / "target.sqlite3"
    result = manage("restore", str(bogus), database_url=f"sqlite:///{target}")
    assert result.returncode != 0
    assert "is not a SQLite backup" in result.stderr


def test_restore_of_a_missing_file_says_so(tmp_path):
    result = manage(
        "restore", str(tmp_path / "nope.dump"), database_url=f"sqlite:///{tmp_path / 't.sqlite3'}"
    )
    assert result.returncode != 0 and "No backup file" in result.stderr
