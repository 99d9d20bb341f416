"""A real multi-process server for tests: gunicorn with production settings on a free loopback port.

Used by the throttling and concurrency tests, which need several server processes sharing one
database (and one cache table), exactly as in production.
"""

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shared_database_url(tmp_path: Path) -> str:
    """The URL of a database the server processes can share with this test.

    PostgreSQL: pytest-django's test database itself (use transactional_db so rows are committed).
    SQLite: the test database lives in this process's memory, so a migrated file is made instead.
    """
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    for command in (["migrate", "--no-input", "-v0"], ["createcachetable"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=300)
    return url


@contextlib.contextmanager
def gunicorn(database_url: str, *, workers: int = 2, **env_overrides: str):
    """Serve the app; yields (port, read_log) where read_log() returns the server's log so far."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "live-server-secret-key-that-is-long-enough-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "0",
        "LOG_LEVEL": "INFO",
        **env_overrides,
    }
    log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    args = [str(GUNICORN), "config.wsgi:application", f"--workers={workers}", f"--bind=127.0.0.1:{port}"]
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603

    def read_log() -> str:
        return Path(log.name).read_text(errors="replace")

    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {read_log()[-3000:]}")
            try:
                if request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: {read_log()[-3000:]}")
            time.sleep(0.2)
        yield port, read_log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        os.unlink(log.name)


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """One request on its own connection: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


class StalledRequest:
    """A request sent in two parts. Until `finish()`, the worker that accepted it is busy reading
    it, so every other request is served by another worker: a way to make sure that two
    processes both answer, without relying on how the kernel spreads connections."""

    def __init__(self, port: int, path: str, headers: dict | None = None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
        self.rest = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        time.sleep(0.3)  # let a worker accept it

    def finish(self) -> tuple[int, dict]:
        self.sock.sendall(f"{self.rest}Connection: close\r\n\r\n".encode())
        response = http.client.HTTPResponse(self.sock)
        response.begin()
        response.read()
        self.sock.close()
        return response.status, dict(response.getheaders())
