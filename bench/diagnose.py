"""Where a scenario's time goes: the project's SQL with EXPLAIN ANALYZE, and a Python profile.

    python bench/diagnose.py [SCENARIO ...]      # default: every scenario in bench/data/urls-*.txt

Runs against the database the last benchmark loaded (BENCH_PG_URL, default verbatim_bench), in
process through Django's test client (no server), and writes bench/results/diagnose-<date>.txt:
for each scenario's first URL, every SQL statement the request ran with its plan and timing,
then the functions that took the most time over BENCH_PROFILE_REQUESTS requests (default 50).
"""

import cProfile
import datetime as dt
import io
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault(
    "DATABASE_URL", os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/verbatim_bench")
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("THROTTLE_ANON_RATE", "1000000/s")
os.environ.setdefault("THROTTLE_USER_RATE", "1000000/s")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_PROFILE_REQUESTS", "50"))


def explain(sql: str) -> str:
    if not sql.lstrip().upper().startswith("SELECT") or connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def diagnose(key: str, out: io.StringIO) -> None:
    paths = [line.split("\t")[0] for line in (BENCH / "data" / f"urls-{key}.txt").read_text().splitlines()]
    client = Client()
    client.get(paths[0])
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(paths[0])
        elapsed = (time.perf_counter() - started) * 1000
    out.write(f"\n{'=' * 100}\n{key}: GET {paths[0][:150]}\n")
    out.write(f"status {response.status_code}, {elapsed:.1f} ms in process, {len(captured)} queries\n")
    for query in captured.captured_queries:
        out.write(f"\n-- {query['time']} s: {query['sql'][:3000]}\n")
        plan = explain(query["sql"])
        if plan:
            out.write(plan + "\n")
    profile = cProfile.Profile()
    chosen = (paths * (REQUESTS // len(paths) + 1))[:REQUESTS]
    started = time.perf_counter()
    profile.enable()
    for path in chosen:
        client.get(path)
    profile.disable()
    per_request = (time.perf_counter() - started) / len(chosen) * 1000
    out.write(f"\nprofile: {per_request:.1f} ms a request over {len(chosen)} requests (profiler on)\n")
    stats = io.StringIO()
    pstats.Stats(profile, stream=stats).sort_stats("tottime").print_stats(15)
    # The project's own functions, by cumulative time: which step of ours costs what.
    pstats.Stats(profile, stream=stats).sort_stats("cumtime").print_stats(
        r"main/(quotes|archive|config)/", 15
    )
    out.write(stats.getvalue())


def main(keys: list[str]) -> int:
    logging.disable(logging.CRITICAL)
    keys = keys or sorted(p.stem.removeprefix("urls-") for p in (BENCH / "data").glob("urls-*.txt"))
    out = io.StringIO()
    out.write(f"diagnose {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC} on {os.environ['DATABASE_URL']}\n")
    for key in keys:
        try:
            diagnose(key, out)
        except Exception as exc:  # noqa: BLE001 - one scenario's failure is itself a finding
            out.write(f"\n{key}: {type(exc).__name__}: {exc}\n")
    target = BENCH / "results" / f"diagnose-{dt.date.today():%Y-%m-%d}.txt"
    target.parent.mkdir(exist_ok=True)
    target.write_text(out.getvalue())
    print(out.getvalue())
    print(f"written to {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
