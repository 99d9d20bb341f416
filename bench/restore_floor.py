"""The import's floor: PostgreSQL restoring, with its own tools, the archive an import has just built.

After a timed import, `pg_dump` copies the database (directory format, uncompressed; not timed) and
`pg_restore -j 2` loads the copy into a fresh database: the same rows COPYed in (the search column
computed again), the same indexes and foreign keys built, two connections at once, with the
import's own `maintenance_work_mem`. That is the database's share of an import, with nothing to
read, check or match: the import's time over the restore's is what the importer adds to it.
Measured right after the import, in the same run, so that both see the machine at the same speed:
on the shared 2-core machines this was written on, the same import took 30 s one day and 83 s
another, and a figure alone cannot tell the importer from the machine.

Used by bench/driver.py (`make bench`) and bench/import_bench.py; PostgreSQL only. Needs the
client tools `pg_dump` and `pg_restore` (Debian: postgresql-client), of the server's version or
newer; without them the floor is reported as not measured.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2  # the import's own: two COPY connections, two index-building connections


def maintenance_work_mem() -> str:
    """The import's setting for its index builds (quotes/importing/search_index.py), read from the
    source rather than repeated here, so that the floor builds its indexes with the same memory."""
    text = (ROOT / "quotes" / "importing" / "search_index.py").read_text()
    return re.search(r'^MAINTENANCE_WORK_MEM = "(\w+)"', text, re.MULTILINE).group(1)


def _with_database(url: str, name: str) -> str:
    """The same server URL (user, host, port, options) naming another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _admin(url: str) -> str:
    return _with_database(url, "postgres")


def _count(url: str) -> int:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT count(*) FROM quotes_quote").fetchone()[0]


def measure(database_url: str, scratch: Path) -> dict:
    """Dump `database_url`, restore it into `<name>_floor` and time the restore. Returns
    {"seconds", "quotes"} or {"error"}; the floor database and the dump are removed afterwards."""
    tools = {name: shutil.which(name) for name in ("pg_dump", "pg_restore")}
    if not all(tools.values()):
        return {"error": "pg_dump or pg_restore not found (Debian: apt-get install postgresql-client)"}
    floor_name = f"{urlsplit(database_url).path.lstrip('/')}_floor"
    floor_url = _with_database(database_url, floor_name)
    with psycopg.connect(_admin(database_url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{floor_name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{floor_name}"')
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=scratch, prefix="restore-floor-") as directory:
            dump = Path(directory) / "dump"
            command = [tools["pg_dump"], "-Fd", "-Z0", f"-j{WORKERS}", "-f", str(dump), "-d", database_url]
            dumped = subprocess.run(command, capture_output=True, text=True, check=False)
            if dumped.returncode:
                return {"error": f"pg_dump failed: {dumped.stderr.strip()[-500:]}"}
            with psycopg.connect(floor_url, autocommit=True) as connection:
                connection.execute("CHECKPOINT")  # the import's WAL flushed before the clock starts
            env = dict(os.environ, PGOPTIONS=f"-c maintenance_work_mem={maintenance_work_mem()}")
            command = [tools["pg_restore"], f"-j{WORKERS}", "--no-owner", "-d", floor_url, str(dump)]
            started = time.perf_counter()
            restored = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            seconds = time.perf_counter() - started
            if restored.returncode:
                return {"error": f"pg_restore failed: {restored.stderr.strip()[-500:]}"}
            quotes, imported = _count(floor_url), _count(database_url)
            if quotes != imported:
                return {"error": f"the restore holds {quotes:,} quotes, the imported database {imported:,}"}
            return {"seconds": round(seconds, 1), "quotes": quotes}
    finally:
        with psycopg.connect(_admin(database_url), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{floor_name}" WITH (FORCE)')
