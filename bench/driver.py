"""Verbatim's benchmark at archive scale (issue 8): `make bench`, or `bash bench/run`.

Generates (or reuses) a synthetic Quotebank file of BENCH_N quotes, loads it with the project's
importer into PostgreSQL and SQLite (timed), serves the project and the floor (bench/floor.py)
one after the other with the same gunicorn settings, drives every scenario with wrk, measures the
streamed export, worker memory and lookup recall, and writes bench/results/<date>-<N>.json and
.md, then the table into README's Performance section.

Environment: BENCH_N (1000000), BENCH_DURATION (seconds per scenario: 10, or 4 below 1M),
BENCH_SQLITE_DURATION (default BENCH_DURATION), BENCH_SQLITE_N (SQLite's size, default BENCH_N),
BENCH_RECALL_SECONDS (time allowed for the recall@5 fragments: 120, or 40 below 1M), BENCH_CONNECTIONS (16),
BENCH_THREADS (2), BENCH_WORKERS (2), BENCH_WORKER_CLASS (gthread), BENCH_WORKER_THREADS (4),
BENCH_DBS ("postgres sqlite"), BENCH_SCENARIOS (keys to run, default all), BENCH_PG_URL
(postgres://postgres@127.0.0.1:5432/verbatim_bench), BENCH_REUSE=1 (keep an already loaded
database of the same N instead of importing again), BENCH_README=0 (leave README alone).
"""

import datetime as dt
import http.client
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import orjson

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import report  # noqa: E402
import restore_floor  # noqa: E402
import scenarios  # noqa: E402

DATA = BENCH / "data"
RESULTS = BENCH / "results"
LOGS = DATA / "logs"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
LUA = BENCH / "wrk" / "cycle.lua"

N = int(os.environ.get("BENCH_N", "1000000"))
# SQLite may be run at a smaller size when time is short; the results then say so.
SQLITE_N = int(os.environ.get("BENCH_SQLITE_N", str(N)))
# Ten seconds a scenario at full size; shorter for everyday runs on a smaller archive.
DURATION = int(os.environ.get("BENCH_DURATION", "10" if N >= 1_000_000 else "4"))
SQLITE_DURATION = int(os.environ.get("BENCH_SQLITE_DURATION", str(DURATION)))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "gthread")
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", "4"))
DBS = os.environ.get("BENCH_DBS", "postgres sqlite").split()
ONLY = set(os.environ.get("BENCH_SCENARIOS", "").split())
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/verbatim_bench")
REUSE = os.environ.get("BENCH_REUSE", "") == "1"
# BENCH_REDIS=1: serve the project with REDIS_URL (a redis-server started for the run) instead of
# the default database cache table; results are then written as <date>-<N>-redis.
REDIS = os.environ.get("BENCH_REDIS", "") == "1"
REDIS_PORT: int | None = None
SQLITE_FILE = DATA / f"bench-{SQLITE_N}.sqlite3"


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def size(kind: str) -> int:
    return SQLITE_N if kind == "sqlite" else N


def database_url(kind: str) -> str:
    return PG_URL if kind == "postgres" else f"sqlite:///{SQLITE_FILE}"


def project_env(kind: str, site: str = "http://127.0.0.1:8000") -> dict:
    """Production settings (DEBUG off) with throttling raised out of the way."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(kind),
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SITE_URL=site,
        PYTHONUNBUFFERED="1",
    )
    # Throttling stays on (it is part of every API request's cost: a read and a write in the shared
    # cache) with a limit the benchmark's single client address never reaches.
    if REDIS_PORT:
        env["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0"
    settings_text = (ROOT / "config" / "settings.py").read_text()
    for name in set(re.findall(r"THROTTLE_[A-Z_]*RATE", settings_text)):
        env[name] = "1000000/s"
    return env


# --- loading -------------------------------------------------------------------------------


def ensure_data(n: int) -> tuple[Path, dict]:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"quotebank-{n}.jsonl"
    meta_path = path.with_suffix(".meta.json")
    if not (path.exists() and meta_path.exists()):
        log(f"generating {n:,} quotes -> {path.name}")
        started = time.perf_counter()
        subprocess.run([PYTHON, BENCH / "generate.py", path, "--n", str(n)], check=True)
        log(f"generated in {time.perf_counter() - started:.1f}s")
    return path, orjson.loads(meta_path.read_bytes())


def manage(kind: str, *args: str, logfile: Path | None = None) -> subprocess.CompletedProcess:
    out = logfile.open("ab") if logfile else subprocess.PIPE
    try:
        return subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=project_env(kind),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    finally:
        if logfile:
            out.close()


def has_importer() -> bool:
    result = manage("postgres", "help", "--commands")
    return b"import_quotes" in (result.stdout or b"")


def sql(kind: str, statement: str, params=()):
    if kind == "sqlite":
        conn = sqlite3.connect(SQLITE_FILE)
        try:
            return conn.execute(statement, params).fetchall()
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def reset_database(kind: str) -> None:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = PG_URL.rsplit("/", 1)[1]
    with psycopg.connect(PG_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def loaded_count(kind: str) -> int:
    try:
        return sql(kind, "SELECT count(*) FROM quotes_quote")[0][0]
    except Exception:  # noqa: BLE001 - no database or no table yet: nothing loaded
        return -1


def searchable(kind: str, term: str) -> bool:
    if kind == "sqlite":
        query = "SELECT count(*) FROM quotes_quote_fts WHERE quotes_quote_fts MATCH ?"
        return sql(kind, query, (f'"{term}"',))[0][0] > 0
    query = "SELECT count(*) FROM quotes_quote WHERE search_vector @@ to_tsquery('simple', %s)"
    return sql(kind, query, (term,))[0][0] > 0


def load(kind: str, data_file: Path, meta: dict) -> dict:
    """Import the file with the project's importer; time it until a search finds a planted term."""
    n = size(kind)
    record = DATA / f"import-{kind}-{n}.json"
    if REUSE and loaded_count(kind) == n:
        log(f"{kind}: reusing the loaded database ({n:,} quotes); import not timed this run")
        if manage(kind, "migrate", "--no-input", logfile=LOGS / f"import-{kind}-{n}.log").returncode:
            raise RuntimeError(f"{kind}: manage.py migrate failed on the reused database")
        earlier = orjson.loads(record.read_bytes()) if record.exists() else None
        return {"reused": True, "quotes": n, "earlier": earlier}
    log(f"{kind}: fresh database, migrate")
    reset_database(kind)
    logfile = LOGS / f"import-{kind}-{n}.log"
    logfile.unlink(missing_ok=True)
    started = time.perf_counter()
    for args in (("migrate", "--no-input"), ("createcachetable",)):
        if manage(kind, *args, logfile=logfile).returncode:
            raise RuntimeError(f"{kind}: manage.py {' '.join(args)} failed, see {logfile}")
    migrate_seconds = time.perf_counter() - started
    importer = has_importer()
    if importer:
        command = [
            PYTHON,
            "manage.py",
            "import_quotes",
            str(data_file),
            "--format",
            "quotebank",
            "--status",
            "published",
        ]
    else:
        log(f"{kind}: manage.py import_quotes is not available: loading with bench/fallback_load.py")
        command = [PYTHON, str(BENCH / "fallback_load.py"), str(data_file)]
    log(f"{kind}: importing {n:,} records ({'import_quotes' if importer else 'fallback loader'})")
    if kind == "postgres":
        sql(kind, "CHECKPOINT")  # as before the restore floor's clock: no earlier WAL to flush
    started = time.perf_counter()
    with logfile.open("ab") as out:
        code = subprocess.run(command, cwd=ROOT, env=project_env(kind), stdout=out, stderr=subprocess.STDOUT)
    import_seconds = time.perf_counter() - started
    term = next(iter(meta["terms"]["rare"]))
    deadline = time.perf_counter() + 300
    while not searchable(kind, term) and time.perf_counter() < deadline:
        time.sleep(0.5)
    searchable_seconds = time.perf_counter() - started
    found = searchable(kind, term)
    analyze_seconds = None
    if kind == "postgres":
        # What autovacuum does soon after a bulk load (statistics, GIN pending lists merged),
        # timed apart from the import so that the import figure is the importer's alone.
        started = time.perf_counter()
        sql(kind, "VACUUM ANALYZE")
        analyze_seconds = round(time.perf_counter() - started, 1)
    counts = {
        table: sql(kind, f"SELECT count(*) FROM {table}")[0][0]
        for table in ("quotes_quote", "quotes_speaker", "archive_source", "quotes_citation")
    }
    floor = None
    if kind == "postgres" and not code.returncode:
        log(f"{kind}: restore floor (pg_dump, then pg_restore -j 2 into a fresh database)")
        floor = restore_floor.measure(PG_URL, DATA)
        log(f"{kind}: restore floor {floor}")
    result = {
        "loader": "manage.py import_quotes --format quotebank --status published" if importer else "fallback",
        "exit_code": code.returncode,
        "migrate_seconds": round(migrate_seconds, 1),
        "import_seconds": round(import_seconds, 1),
        "records_per_second": round(n / import_seconds),
        "searchable_seconds": round(searchable_seconds, 1) if found else None,
        "analyze_seconds": analyze_seconds,
        "restore_floor": floor,
        "counts": counts,
        "log_tail": logfile.read_text(errors="replace")[-600:],
    }
    log(f"{kind}: {result['import_seconds']}s ({result['records_per_second']:,} records/s), counts {counts}")
    # Kept beside the data, so that a later run reusing this database can report how it was loaded.
    record.write_bytes(
        orjson.dumps(
            result
            | {"measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "git": git_commit()}
        )
    )
    return result


def git_commit() -> str:
    return (
        os.environ.get("BENCH_GIT")
        or subprocess.run(
            ["git", "log", "-1", "--format=%h %s"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    )


# --- serving -------------------------------------------------------------------------------


class Server:
    """One gunicorn master with the benchmark's worker settings, for the project or the floor."""

    def __init__(self, name: str, app: str, env: dict, chdir: Path, port: int) -> None:
        self.name, self.app, self.env, self.chdir, self.port = name, app, env, chdir, port
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        self.logfile = (LOGS / f"server-{self.name}.log").open("ab")
        command = [
            str(GUNICORN),
            self.app,
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={WORKERS}",
            f"--worker-class={WORKER_CLASS}",
            f"--threads={WORKER_THREADS}",
            "--keep-alive=5",
            "--backlog=2048",
            "--timeout=120",
            "--log-level=warning",
            f"--chdir={self.chdir}",
        ]
        self.process = subprocess.Popen(
            command, env=self.env, stdout=self.logfile, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.logfile.name}")
            if len(self.worker_pids()) >= WORKERS:
                try:
                    status, _, _ = get(self.base + "/__bench_ping__")
                    if status:
                        return
                except OSError:
                    pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer within 60 s")

    def worker_pids(self) -> list[int]:
        if not self.process:
            return []
        out = subprocess.run(
            ["ps", "--ppid", str(self.process.pid), "-o", "pid="], capture_output=True, text=True
        )
        return [int(p) for p in out.stdout.split()]

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(round(int(line.split()[1]) / 1024, 1))
            except OSError:
                continue
        return sizes

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.logfile.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def get(url: str, headers: dict | None = None, timeout: float = 60) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# --- measuring -----------------------------------------------------------------------------


def run_wrk(server: Server, urls_file: Path, duration: int) -> dict:
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        server.base,
        "--",
        str(urls_file),
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary: {out.stdout[-500:]} {out.stderr[-500:]}")
    raw = orjson.loads(line.removeprefix("BENCH_JSON "))
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in raw if k.startswith("errors_"))
    return {
        "rps": round(raw["requests"] / seconds, 1),
        "requests": raw["requests"],
        "p50_ms": round(raw["p50"] / 1000, 2),
        "p95_ms": round(raw["p95"] / 1000, 2),
        "p99_ms": round(raw["p99"] / 1000, 2),
        "max_ms": round(raw["max"] / 1000, 1),
        "errors": errors,
        "errors_detail": {
            k.removeprefix("errors_"): raw[k] for k in raw if k.startswith("errors_") and raw[k]
        },
        "mb_per_s": round(raw["bytes"] / seconds / 1e6, 2),
    }


def run_scenario(server: Server, scenario: scenarios.Scenario) -> dict:
    if not scenario.paths:
        return {"available": False, "reason": "no URLs (nothing loaded?)"}
    status, headers, body = get(server.base + scenario.paths[0])
    probe = {"status": status, "bytes": len(body)}
    if status == 404:  # every sampled quote and speaker exists: the route itself is missing
        return {"available": False, "reason": "404: the endpoint is not there (yet)", "probe": probe}
    lines = []
    if scenario.conditional:
        for path in scenario.paths:
            status, headers, _ = get(server.base + path)
            etag = {k.lower(): v for k, v in headers.items()}.get("etag")
            if status != 200 or not etag:
                return {"available": False, "reason": f"no ETag on {path} (status {status})", "probe": probe}
            lines.append(f"{path}\t{etag}")
        status, _, _ = get(server.base + scenario.paths[0], {"If-None-Match": lines[0].split("\t")[1]})
        probe["conditional_status"] = status
    else:
        lines = scenario.paths
        warm_until = time.perf_counter() + 2
        for path in scenario.paths[:20]:  # warm up: code paths, plans and caches a real server has
            get(server.base + path)
            if time.perf_counter() > warm_until:
                break
    urls_file = DATA / f"urls-{scenario.key}.txt"
    urls_file.write_text("\n".join(lines) + "\n")
    result = run_wrk(server, urls_file, SQLITE_DURATION if server.name.startswith("sqlite") else DURATION)
    result.update(available=True, probe=probe, worker_rss_mb=server.worker_rss_mb(), urls=len(lines))
    return result


def measure_export(server: Server, meta: dict) -> dict:
    """Stream the export with a plain client: quotes/s, and worker memory before, during, after."""
    params = {"format": "ndjson"}
    if meta["export"]["said_after"] != meta["first_day"]:
        params["said_after"] = meta["export"]["said_after"]
    path = "/api/v1/quotes/export/?" + urlencode(params)
    before = server.worker_rss_mb()
    peak = list(before)
    sampling = True

    def sample():
        while sampling:
            for i, size in enumerate(server.worker_rss_mb()):
                if i < len(peak):
                    peak[i] = max(peak[i], size)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    started = time.perf_counter()
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        if response.status != 200:
            response.read()
            return {"available": response.status != 404, "status": response.status, "path": path}
        lines, size, first_byte = 0, 0, None
        while chunk := response.read1(1 << 20):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            lines += chunk.count(b"\n")
            size += len(chunk)
        streamed = response.getheader("Content-Length") is None
    finally:
        elapsed = time.perf_counter() - started
        sampling = False
        sampler.join()
        conn.close()
    after = server.worker_rss_mb()
    return {
        "available": True,
        "path": path,
        "quotes": lines,
        "seconds": round(elapsed, 2),
        "quotes_per_second": round(lines / elapsed) if elapsed else 0,
        "first_byte_ms": round((first_byte or 0) * 1000, 1),
        "megabytes": round(size / 1e6, 1),
        "streamed": streamed,
        "worker_rss_mb": {"before": before, "peak": peak, "after": after},
        "rss_growth_mb": round(max((p - b for p, b in zip(peak, before, strict=False)), default=0), 1),
    }


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _result_text(item) -> str:
    if not isinstance(item, dict):
        return ""
    for key in ("text", "quote"):
        value = item.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            return value["text"]
    return ""


RECALL_SECONDS = int(os.environ.get("BENCH_RECALL_SECONDS", "120" if N >= 1_000_000 else "40"))


def measure_recall(server: Server, fragments: list[dict]) -> dict:
    """recall@5 of "who said this?" on typo'd fragments, asked one at a time (for at most
    BENCH_RECALL_SECONDS: the figure then covers the fragments asked, and says how many)."""
    hits, errors, timings = 0, 0, []
    deadline = time.perf_counter() + RECALL_SECONDS
    asked = 0
    for item in fragments:
        if time.perf_counter() > deadline:
            break
        asked += 1
        url = server.base + "/api/v1/lookup/?" + urlencode({"text": item["fragment"]})
        started = time.perf_counter()
        status, _, body = get(url)
        timings.append(time.perf_counter() - started)
        if status == 404 and not timings[1:]:
            return {"available": False, "status": status}
        if status != 200:
            errors += 1
            continue
        document = orjson.loads(body)
        results = document.get("results", []) if isinstance(document, dict) else document
        wanted = _normal(item["quote"])
        if any(_normal(_result_text(r)) == wanted for r in results[:5]):
            hits += 1
    timings.sort()
    return {
        "available": True,
        "fragments": asked,
        "fragments_prepared": len(fragments),
        "hits": hits,
        "recall_at_5": round(hits / asked, 3) if asked else None,
        "errors": errors,
        "sequential_p50_ms": round(timings[len(timings) // 2] * 1000, 1),
        "examples": [f["fragment"] for f in fragments[:3]],
    }


def serve_and_measure(kind: str, target: str, port: int, scenario_list, meta: dict, fragments) -> dict:
    site = f"http://127.0.0.1:{port}"
    env = project_env(kind, site)
    if target == "project":
        server = Server(f"{kind}-project", "config.wsgi:application", env, ROOT, port)
    else:
        env["FLOOR_DATABASE_URL"] = database_url(kind)
        server = Server(f"{kind}-floor", "floor:application", env, BENCH, port)
    log(f"{kind}/{target}: starting gunicorn on {site}")
    server.start()
    results: dict = {"scenarios": {}}
    try:
        results["rss_idle_mb"] = server.worker_rss_mb()
        for scenario in scenario_list:
            if ONLY and scenario.key not in ONLY:
                continue
            try:
                outcome = run_scenario(server, scenario)
            except Exception as exc:  # noqa: BLE001 - one broken scenario must not stop the run
                outcome = {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
            results["scenarios"][scenario.key] = outcome
            if outcome.get("available"):
                log(
                    f"{kind}/{target} {scenario.key}: {outcome['rps']:,} req/s p50 {outcome['p50_ms']} "
                    f"p95 {outcome['p95_ms']} p99 {outcome['p99_ms']} ms, errors {outcome['errors']}, "
                    f"rss {outcome['worker_rss_mb']}"
                )
            else:
                log(f"{kind}/{target} {scenario.key}: not available ({outcome.get('reason')})")
        if not ONLY or "export" in ONLY:
            results["export"] = measure_export(server, meta)
            log(f"{kind}/{target} export: {results['export']}")
        if target == "project" and (not ONLY or "recall" in ONLY):
            results["recall"] = measure_recall(server, fragments)
            log(f"{kind}/{target} recall: {results['recall']}")
        results["rss_end_mb"] = server.worker_rss_mb()
    finally:
        server.stop()
    return results


# --- the run -------------------------------------------------------------------------------


def machine() -> dict:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in ln
        ),
        platform.processor(),
    )
    mem = next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
    pg = None
    if "postgres" in DBS:
        import psycopg

        with psycopg.connect(PG_URL.rsplit("/", 1)[0] + "/postgres") as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(int(mem.split()[1]) / 1024 / 1024, 1),
        "postgresql": pg,
        "sqlite": sqlite3.sqlite_version,
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        .stdout.split("[")[0]
        .strip(),
    }


def main() -> int:
    if not shutil.which("wrk"):
        print("wrk is missing: bench/run installs it (apt-get install -y wrk) when run as root.")
        return 2
    LOGS.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    redis_server = start_redis() if REDIS else None
    try:
        return run_all()
    finally:
        if redis_server:
            redis_server.terminate()
            redis_server.wait(10)


def start_redis() -> subprocess.Popen:
    global REDIS_PORT
    try:
        import redis  # noqa: F401 - Django's Redis cache backend needs the client library
    except ImportError:
        raise SystemExit("BENCH_REDIS=1 needs redis-py in the venv: .venv/bin/pip install redis") from None
    REDIS_PORT = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    log(f"redis-server on port {REDIS_PORT} (REDIS_URL for the project)")
    return server


def run_all() -> int:
    started = time.time()
    data_file, meta = ensure_data(N)
    run = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "n": N,
        "machine": machine(),
        "settings": {
            "duration_s": DURATION,
            "sqlite_duration_s": SQLITE_DURATION,
            "wrk": f"{THREADS} threads, {CONNECTIONS} connections",
            "cache": "Redis (REDIS_URL)" if REDIS else "database cache table (default)",
            "gunicorn": f"{WORKERS} workers, {WORKER_CLASS}"
            + (f" ({WORKER_THREADS} threads)" if WORKER_CLASS == "gthread" else ""),
        },
        "meta": meta,
        # BENCH_GIT names the commit when the run is made from an exported tree (git archive).
        "git": git_commit(),
        "databases": {},
    }
    for kind in DBS:
        n = size(kind)
        kind_file, kind_meta = ensure_data(n) if n != N else (data_file, meta)
        fragments = scenarios.lookup_fragments(kind_file, n)
        entry: dict = {"n": n, "import": load(kind, kind_file, kind_meta)}
        catalog = scenarios.read_catalog(database_url(kind))
        for target in ("project", "floor"):
            port = free_port()  # oEmbed URLs name the server's own address
            scenario_list = scenarios.build(catalog, kind_meta, fragments, f"http://127.0.0.1:{port}")
            entry[target] = serve_and_measure(kind, target, port, scenario_list, kind_meta, fragments)
        run["databases"][kind] = entry
    run["elapsed_s"] = round(time.time() - started)
    stem = f"{dt.date.today():%Y-%m-%d}-{N}" + ("-redis" if REDIS else "")
    json_path = RESULTS / f"{stem}.json"
    json_path.write_bytes(orjson.dumps(run, option=orjson.OPT_INDENT_2))
    markdown = report.markdown(run)
    (RESULTS / f"{stem}.md").write_text(markdown)
    if os.environ.get("BENCH_README", "1") != "0" and not REDIS:
        report.update_readme(ROOT / "README.md", markdown, json_path.relative_to(ROOT))
    log(f"done in {run['elapsed_s']}s: {json_path.relative_to(ROOT)}")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
