"""The fetch time limit holds for the whole answer, however slowly a server trickles it out, and
for the name lookup before it, however long a nameserver keeps silent.

A socket timeout bounds a single read; a server that sends a header line (or a chunk-size digit)
just before each read would time out can otherwise keep the fetcher waiting for minutes.
"""

import contextlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.test import override_settings

from archive.fetch import fetch_url

LIMIT = 2
SLACK = 1.5
TRICKLE_EVERY = 0.3
TRICKLE_STEPS = 40  # 12 s of trickling: far beyond the limit if each read got the full time again


class TricklingSite:
    """A real server on 127.0.0.1 that starts its answer at once, then sends one piece every TRICKLE_EVERY s.

    "/prompt" is answered whole and at once, to show that the deadline costs a normal fetch nothing.
    """

    def __init__(self, *, tls_context: ssl.SSLContext | None = None) -> None:
        stopped = self.stopped = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's naming)
                with contextlib.suppress(OSError):
                    self._trickle(self.path)

            def _trickle(self, path):
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
                if path == "/prompt":
                    self.wfile.write(b"Content-Length: 2\r\n\r\nok")
                    return
                if path == "/slow-headers":
                    pieces = [b"X-Slow-%d: x\r\n" % n for n in range(TRICKLE_STEPS)]
                    pieces.append(b"Content-Length: 2\r\n\r\nok")
                else:  # "/slow-chunk-size": headers at once, then a chunk-size line digit by digit
                    self.wfile.write(b"Transfer-Encoding: chunked\r\n\r\n")
                    pieces = [b"0"] * TRICKLE_STEPS + [b"2\r\nok\r\n0\r\n\r\n"]
                for piece in pieces:
                    if stopped.wait(TRICKLE_EVERY):
                        return
                    self.wfile.write(piece)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls_context is not None:
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def trickling_site():
    site = TricklingSite()
    yield site
    site.close()


@pytest.fixture
def trickling_tls_site(tmp_path, monkeypatch):
    # The certificate is made trusted through SSL_CERT_FILE, so the TLS handshake succeeds and
    # the fetch goes as far as the server lets it.
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert]
        + ["-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    site = TricklingSite(tls_context=context)
    yield site
    site.close()


def timed_fetch(url: str, endpoint: str):
    with override_settings(
        FETCH_TOTAL_TIMEOUT=LIMIT,
        FETCH_CONNECT_TIMEOUT=LIMIT,
        FETCH_PRIVATE_ENDPOINT_ALLOWLIST=[endpoint],
    ):
        started = time.monotonic()
        result = fetch_url(url)
        return result, time.monotonic() - started


def test_headers_trickled_line_by_line_stop_at_the_total_limit(trickling_site):
    result, elapsed = timed_fetch(
        f"http://127.0.0.1:{trickling_site.port}/slow-headers", trickling_site.endpoint
    )
    assert not result.ok
    assert result.failure_reason == f"timed out: no complete answer within {LIMIT} s"
    assert elapsed < LIMIT + SLACK, f"took {elapsed:.1f} s"


def test_a_chunk_size_trickled_digit_by_digit_stops_at_the_total_limit(trickling_site):
    result, elapsed = timed_fetch(
        f"http://127.0.0.1:{trickling_site.port}/slow-chunk-size", trickling_site.endpoint
    )
    assert not result.ok
    assert result.failure_reason == f"timed out: no complete answer within {LIMIT} s"
    assert result.body == b""
    assert elapsed < LIMIT + SLACK, f"took {elapsed:.1f} s"


def test_headers_trickled_over_https_stop_at_the_total_limit(trickling_tls_site):
    site = trickling_tls_site
    result, elapsed = timed_fetch(f"https://127.0.0.1:{site.port}/slow-headers", site.endpoint)
    assert not result.ok
    assert result.failure_reason == f"timed out: no complete answer within {LIMIT} s"
    assert elapsed < LIMIT + SLACK, f"took {elapsed:.1f} s"


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_prompt_answer_arrives_whole(request, scheme):
    site = request.getfixturevalue("trickling_tls_site" if scheme == "https" else "trickling_site")
    result, elapsed = timed_fetch(f"{scheme}://127.0.0.1:{site.port}/prompt", site.endpoint)
    assert result.ok, result.failure_reason
    assert (result.status, result.body) == (200, b"ok")
    assert elapsed < 1


# Run in a network and mount namespace of its own (tests below): a nameserver on 127.0.0.1:53 that
# hears every question and never answers, the system resolver pointed at it, then one fetch.
SILENT_NAMESERVER_FETCH = """
import json, socket, sys, threading, time

import django

django.setup()
from django.conf import settings

from archive.fetch import fetch_url

server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind(("127.0.0.1", 53))
questions = []


def hear_and_keep_silent():
    while True:
        questions.append(server.recv(512))


threading.Thread(target=hear_and_keep_silent, daemon=True).start()
settings.FETCH_TOTAL_TIMEOUT = float(sys.argv[1])
started = time.monotonic()
result = fetch_url("http://quotes.silent-nameserver.example/interview")
seconds = time.monotonic() - started
print(json.dumps({"seconds": seconds, "reason": result.failure_reason, "questions": len(questions)}))
"""


def test_a_nameserver_that_never_answers_is_given_up_at_the_total_limit(tmp_path):
    """The real system resolver (glibc: 5 s a try, two tries, 10 s in all) against a real silent
    nameserver: the fetch gives up at its own limit, saying so."""
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("ip")):
        pytest.skip("needs root, unshare and ip: a private network namespace for the silent nameserver")
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions timeout:5 attempts:2\n")
    script = tmp_path / "silent_nameserver_fetch.py"
    script.write_text(SILENT_NAMESERVER_FETCH)
    root = Path(__file__).resolve().parents[2]
    shell = (
        f"ip link set lo up && mount --bind {resolv} /etc/resolv.conf "
        f"&& exec {sys.executable} {script} {LIMIT}"
    )
    command = ["unshare", "--mount", "--net", "sh", "-c", shell]
    env = {**os.environ, "PYTHONPATH": str(root)}
    run = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    if run.returncode and "unshare:" in run.stderr:
        pytest.skip(f"no namespaces on this machine: {run.stderr.strip()}")
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout.strip().splitlines()[-1])

    assert answer["questions"] >= 1, "the resolver asked the silent nameserver"
    assert answer["reason"].startswith("timed out resolving quotes.silent-nameserver.example after 2.0 s")
    assert answer["seconds"] < LIMIT + SLACK
