"""Whole-archive backups that restore: every table, index, trigger and extension.

PostgreSQL is dumped with `pg_dump --format=custom` over the whole database (never table by
table: `pg_dump -t` leaves out extensions such as pg_trgm, and the trigram index would not
restore) and restored with `pg_restore`. SQLite is copied with its online backup API, which takes
a consistent copy while the site keeps serving. A restore goes into the database DATABASE_URL
names, and refuses one that already holds tables unless told to replace them.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


def backup_database(*, out: Path, using: str = DEFAULT_DB_ALIAS) -> Path:
    """Write a complete copy of the database to `out` (written to a temporary name, then renamed)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    connection = connections[using]
    try:
        if connection.vendor == "postgresql":
            _pg_dump(connection.settings_dict, partial)
        elif connection.vendor == "sqlite":
            connection.ensure_connection()
            with sqlite3.connect(partial) as target:
                connection.connection.backup(target)
            target.close()
        else:
            raise BackupError(f"Backups are not supported on {connection.vendor}.")
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out


def restore_database(*, source: Path, using: str = DEFAULT_DB_ALIAS, force: bool = False) -> None:
    """Load a backup into the (empty) database; with `force`, replace whatever it holds."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    connection = connections[using]
    head = _head(source)
    tables = connection.introspection.table_names()
    if tables and not force:
        raise BackupError(
            f"The target database already holds {len(tables)} tables; restore into an empty database, "
            "or pass --force to replace its contents."
        )
    if connection.vendor == "postgresql":
        if not head.startswith(PG_MAGIC):
            raise BackupError(f"{source} is not a PostgreSQL backup (pg_dump custom format).")
        connection.close()  # no session of ours may hold locks on what pg_restore replaces
        _pg_restore(connection.settings_dict, source, clean=bool(tables))
    elif connection.vendor == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not a SQLite backup.")
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup:
            if backup.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is damaged (SQLite integrity check failed).")
            connection.ensure_connection()
            backup.backup(connection.connection)
        backup.close()
    else:
        raise BackupError(f"Restores are not supported on {connection.vendor}.")


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(16)


def _pg_command(program: str, settings_dict: dict) -> tuple[list[str], dict]:
    binary = shutil.which(program)
    if not binary:
        raise BackupError(f"{program} is not installed (it comes with the PostgreSQL client package).")
    args = [binary, "--no-password"]
    if settings_dict.get("HOST"):
        args.append(f"--host={settings_dict['HOST']}")
    if settings_dict.get("PORT"):
        args.append(f"--port={settings_dict['PORT']}")
    if settings_dict.get("USER"):
        args.append(f"--username={settings_dict['USER']}")
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return args, env


def _run(args: list[str], env: dict, what: str) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.stdout.strip()}")


def _pg_dump(settings_dict: dict, out: Path) -> None:
    args, env = _pg_command("pg_dump", settings_dict)
    args += ["--format=custom", f"--file={out}", f"--dbname={settings_dict['NAME']}"]
    _run(args, env, "pg_dump")


def _pg_restore(settings_dict: dict, source: Path, *, clean: bool) -> None:
    args, env = _pg_command("pg_restore", settings_dict)
    # One transaction: a restore that fails half-way leaves the target as it was.
    args += ["--exit-on-error", "--single-transaction", "--no-owner", f"--dbname={settings_dict['NAME']}"]
    if clean:
        args += ["--clean", "--if-exists"]
    args.append(str(source))
    _run(args, env, "pg_restore")
