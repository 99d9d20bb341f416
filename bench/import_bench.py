"""Import benchmark: times `manage.py import_quotes` on a generated Quotebank file, SQLite and PostgreSQL.

    BENCH_N=50000 .venv/bin/python bench/import_bench.py

Not a test. The file comes from bench/generate.py (deterministic: same N, same bytes) and is reused
from bench/data/ when present. Each database starts empty and migrated; the import is timed as a
user runs it (a separate process, --status published, --search-index auto unless BENCH_SEARCH_INDEX
says keep or rebuild), then run again to time the idempotent pass. On PostgreSQL a large first load
takes the bulk path (quotes/importing/bulk.py); its phase times (`-v 2`) are printed, and a search
for a planted word shows the archive is searchable when the command returns.

Environment: BENCH_N (default 1,000,000), BENCH_DBS (default "sqlite,postgres"),
BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/verbatim_import_bench; the database is
dropped and re-created), BENCH_REIMPORT (default 1).
"""

import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import restore_floor

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SUMMARY = re.compile(r"read [\d,]+, created [\d,]+, matched [\d,]+, rejected [\d,]+.*")
PHASE = re.compile(r"^ +[\d.]+ s  .+$", re.MULTILINE)


def searchable(database_url: str) -> int:
    meta = json.loads((DATA / f"quotebank-{os.environ.get('BENCH_N', '1000000')}.meta.json").read_text())
    word = next(iter(meta["terms"]["common"]))
    with psycopg.connect(database_url) as connection:
        query = "SELECT count(*) FROM quotes_quote WHERE search_vector @@ to_tsquery('simple', %s)"
        return connection.execute(query, [word]).fetchone()[0]


def data_file(n: int) -> Path:
    path = DATA / f"quotebank-{n}.jsonl"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        subprocess.run([PYTHON, str(ROOT / "bench" / "generate.py"), str(path), "--n", str(n)], check=True)
    return path


def fresh_database(kind: str, n: int) -> str:
    if kind == "sqlite":
        path = DATA / f"import-bench-{n}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/verbatim_import_bench")
    name = urlsplit(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url


def manage(database_url: str, *args: str) -> tuple[float, str]:
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(40),
        LOG_LEVEL="WARNING",
    )
    started = time.perf_counter()
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode:
        sys.stderr.write(result.stdout[-2000:] + result.stderr[-2000:])
    return elapsed, result.stdout + result.stderr


def run(kind: str, n: int, path: Path) -> None:
    database_url = fresh_database(kind, n)
    migrate_seconds, _ = manage(database_url, "migrate", "--no-input")
    rejects = str(DATA / f"import-bench-{kind}-{n}.rejects.ndjson")
    command = (
        "import_quotes",
        str(path),
        "--format",
        "quotebank",
        "--status",
        "published",
        "--reject-file",
        rejects,
        "--search-index",
        os.environ.get("BENCH_SEARCH_INDEX", "auto"),
        "-v",
        "2",
    )
    if kind == "postgres":
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute("CHECKPOINT")  # as before the floor's restore: no earlier WAL to flush
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    seconds, output = manage(database_url, *command)
    summary = SUMMARY.search(output)
    print(
        f"{kind:8} import of {n:,} records: {seconds:.1f} s wall, {n / seconds:,.0f} records/s "
        f"(migrate {migrate_seconds:.1f} s; load average before {' '.join(load)})\n"
        f"         {summary.group(0) if summary else output[-500:]}"
    )
    for phase in PHASE.findall(output):
        print(f"         {phase.strip()}")
    if kind == "postgres":
        print(f"         search right after: {searchable(database_url)} quotes match a planted common word")
        floor = restore_floor.measure(database_url, DATA)
        if "error" in floor:
            print(f"         restore floor not measured: {floor['error']}")
        else:
            print(
                f"         restore floor (pg_restore -j 2 of the archive): {floor['seconds']:.1f} s; "
                f"the import took {seconds / floor['seconds']:.2f}× that"
            )
    if os.environ.get("BENCH_REIMPORT", "1") == "1":
        seconds, output = manage(database_url, *command)
        summary = SUMMARY.search(output)
        print(f"{kind:8} re-import (creates nothing): {seconds:.1f} s, {n / seconds:,.0f} records/s")
        print(f"         {summary.group(0) if summary else output[-500:]}")


def main() -> int:
    n = int(os.environ.get("BENCH_N", "1000000"))
    path = data_file(n)
    print(f"Quotebank file: {path} ({path.stat().st_size / 1e6:,.0f} MB), {os.cpu_count()} CPUs")
    for kind in os.environ.get("BENCH_DBS", "sqlite,postgres").split(","):
        run(kind.strip(), n, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
