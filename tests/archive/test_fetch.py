"""The fetcher against a real local HTTP server: what it fetches, and everything it refuses."""

import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from archive.fetch import address_refusal, fetch_url

open_guard = override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=True)


@open_guard
def test_fetches_a_page_and_its_content_type(site):
    url = site.serve("/story", "<html><body><p>Hello</p></body></html>")
    result = fetch_url(url)
    assert result.ok, result.failure_reason
    assert result.status == 200
    assert result.content_type.startswith("text/html")
    assert result.final_url == url
    assert b"Hello" in result.body


@open_guard
def test_follows_redirects_to_the_final_address(site):
    final = site.serve("/final", "done", content_type="text/plain")
    site.redirect("/moved", "/middle", status=301)
    site.redirect("/middle", final, status=307)
    result = fetch_url(site.url("/moved"))
    assert result.ok, result.failure_reason
    assert result.final_url == final
    assert result.redirects == [site.url("/middle"), final]
    assert result.body == b"done"


@open_guard
@override_settings(FETCH_MAX_REDIRECTS=2)
def test_a_redirect_loop_stops_at_the_limit(site):
    site.redirect("/a", "/b")
    site.redirect("/b", "/a")
    result = fetch_url(site.url("/a"))
    assert not result.ok
    assert result.failure_reason == "too many redirects (more than 2)"


@open_guard
def test_an_error_status_is_a_failure_with_the_status(site):
    result = fetch_url(site.url("/missing"))
    assert (result.ok, result.status) == (False, 404)
    assert "HTTP 404" in result.failure_reason


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/file.txt", "file:///etc/passwd", "javascript:alert(1)", "gopher://example.com/"],
)
def test_only_http_and_https_are_fetched(url):
    result = fetch_url(url)
    assert not result.ok
    assert "only http and https" in result.failure_reason


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("http://127.0.0.1:9/", "loopback"),
        ("http://localhost:9/", "loopback"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[::1]:9/", "loopback"),
        ("http://0.0.0.0:9/", "unspecified"),
        ("http://[::ffff:10.0.0.1]/", "private"),
    ],
)
def test_private_targets_are_refused_by_default(url, label):
    result = fetch_url(url)
    assert not result.ok
    assert result.failure_reason.startswith("refused:")
    assert label in result.failure_reason
    assert "FETCH_ALLOW_PRIVATE_ADDRESSES" in result.failure_reason


def test_the_local_server_itself_is_refused_with_the_guard_on(site):
    url = site.serve("/secret", "internal")
    result = fetch_url(url)
    assert not result.ok and "loopback" in result.failure_reason
    assert site.hits == []  # refused before any connection


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/admin",
        "http://localhost:9/x",
        "http://127.0.0.2:{port}/x",
    ],
)
def test_a_redirect_to_a_private_target_is_refused(site, target):
    # The guard is on; only this test server's exact ip:port is exempt, so the first hop is
    # served and the redirect is checked like any other address.
    site.serve("/x", "should never be fetched")
    site.redirect("/go", target.format(port=site.port))
    with override_settings(FETCH_PRIVATE_ENDPOINT_ALLOWLIST=[site.endpoint]):
        result = fetch_url(site.url("/go"))
    assert not result.ok
    assert result.failure_reason.startswith("refused:")
    assert site.hits == ["/go"]
    assert result.final_url == target.format(port=site.port)


@open_guard
@override_settings(FETCH_MAX_BYTES=1000)
def test_an_oversized_body_is_refused(site):
    site.serve("/big", b"x" * 5000, content_type="text/plain")
    result = fetch_url(site.url("/big"))
    assert not result.ok
    assert "too large" in result.failure_reason and "1000" in result.failure_reason
    assert result.body == b""


@open_guard
@override_settings(FETCH_MAX_BYTES=1000)
def test_an_oversized_body_without_a_truthful_length_is_cut_off(site):
    # The server announces nothing useful; the fetcher counts what actually arrives.
    site.serve("/stream", b"y" * 5000, content_type="text/plain", headers={"Content-Length": "abc"})
    result = fetch_url(site.url("/stream"))
    assert not result.ok
    assert "too large" in result.failure_reason


@open_guard
@override_settings(FETCH_TOTAL_TIMEOUT=0.5, FETCH_CONNECT_TIMEOUT=0.5)
def test_a_slow_server_times_out(site):
    site.serve("/slow", "late", delay=2)
    result = fetch_url(site.url("/slow"))
    assert not result.ok
    assert result.failure_reason.startswith("timed out")


def test_unresolvable_hosts_fail_with_a_reason():
    result = fetch_url("http://no-such-host.invalid/")
    assert not result.ok
    assert "could not resolve" in result.failure_reason


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("100.64.0.1", True),
        ("169.254.169.254", True),
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("fd00:ec2::254", True),
        ("fe80::1", True),
    ],
)
def test_address_guard(address, refused):
    assert bool(address_refusal(address)) is refused


@open_guard
def test_https_certificates_are_verified(tmp_path):
    # A TLS server on 127.0.0.1 with a self-signed certificate: the fetcher connects to the
    # checked address, and refuses the certificate as untrusted.
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert]
        + ["-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = fetch_url(f"https://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
    assert not result.ok
    assert result.failure_reason.startswith("TLS error") and "certificate" in result.failure_reason
