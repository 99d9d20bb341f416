"""A careful fetcher for preserving copies of sources.

The archive fetches URLs that editors (or imports) typed in, so a URL is untrusted input: it may
point at the machine itself, the office network or a cloud metadata service. Every hop of a
redirect chain is therefore resolved first, each resolved address is checked, and the connection
is made to the very address that was checked (never to the name again, which a hostile DNS
server could answer differently the second time). Failures never raise: they come back as a
`FetchResult` whose `failure_reason` a newsroom reader can understand. One time limit
(`FETCH_TOTAL_TIMEOUT`) holds for the whole fetch: name lookups, connections, every read.
"""

import http.client
import io
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings

USER_AGENT = "VerbatimArchiveBot/1.0 (+preserving cited sources)"
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024


class FetchRefused(Exception):
    """Raised inside this module only; turned into a failed FetchResult."""


@dataclass
class FetchResult:
    """What happened when the archive asked for a URL: the body, or why there is none."""

    requested_url: str
    final_url: str = ""
    status: int | None = None
    content_type: str = ""
    body: bytes = b""
    failure_reason: str = ""
    redirects: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failure_reason


def address_refusal(address: str) -> str:
    """Why an IP address must not be contacted, or "" when it is a public address."""
    return _refusal(ipaddress.ip_address(address.split("%", 1)[0]))


def _refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return _refusal(ip.ipv4_mapped)
        # 6to4 and Teredo addresses carry an IPv4 address that a relay will deliver to; the
        # standard library calls 2002::/16 global whatever it wraps, e.g. 2002:7f00:1:: (127.0.0.1).
        if ip.sixtofour and (refusal := _refusal(ip.sixtofour)):
            return f"a 6to4 address wrapping {refusal}"
        if ip.teredo:
            for wrapped in ip.teredo:
                if refusal := _refusal(wrapped):
                    return f"a Teredo address wrapping {refusal}"
    checks = [
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local or cloud metadata address"),
        ("is_site_local", "a site-local address"),  # fec0::/10: deprecated, still routed on some networks
        ("is_multicast", "a multicast address"),
        ("is_private", "a private network address"),
        ("is_reserved", "a reserved address"),
    ]
    for attribute, label in checks:
        if getattr(ip, attribute, False):
            return label
    if not ip.is_global:
        return "a non-public address"
    return ""


def _private_allowed(host_ip: str, port: int) -> bool:
    if settings.FETCH_ALLOW_PRIVATE_ADDRESSES:
        return True
    # Exact ip:port endpoints exempted from the guard (tests serve pages from 127.0.0.1 this way
    # while still proving that a redirect elsewhere is refused). Empty in production.
    allowed = getattr(settings, "FETCH_PRIVATE_ENDPOINT_ALLOWLIST", ())
    return f"{host_ip}:{port}" in allowed


def _lookup_within(host: str, port: int, seconds: float) -> list:
    """getaddrinfo, given up after `seconds`. The system resolver has no time limit of its own to
    pass (glibc waits 5 s a nameserver and tries twice: longer than a whole fetch may take), so
    it runs in a thread of its own, left to finish alone if the answer comes too late."""
    done, answer = threading.Event(), {}

    def lookup() -> None:
        try:
            answer["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            answer["error"] = exc
        finally:
            done.set()

    threading.Thread(target=lookup, name=f"resolve {host}", daemon=True).start()
    if not done.wait(seconds):
        raise TimeoutError(f"timed out resolving {host} after {seconds:.1f} s")
    if "error" in answer:
        raise answer["error"]
    return answer["infos"]


def resolve_checked(host: str, port: int, *, seconds: float) -> str:
    """Resolve `host` within `seconds` and return an address that may be contacted; refuse if any
    is off-limits."""
    try:
        infos = _lookup_within(host, port, seconds)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchRefused(f"could not resolve host {host!r} ({exc})") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise FetchRefused(f"host {host!r} has no address")
    for address in addresses:
        refusal = address_refusal(address)
        if refusal and not _private_allowed(address, port):
            raise FetchRefused(
                f"refused: {host} resolves to {address}, {refusal} "
                "(set FETCH_ALLOW_PRIVATE_ADDRESSES=true to allow)"
            )
    return addresses[0]


class _Deadline:
    def __init__(self, total: float) -> None:
        self.total = total
        self.ends = time.monotonic() + total

    def expired(self) -> TimeoutError:
        return TimeoutError(f"timed out: no complete answer within {self.total:g} s")

    def remaining(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise self.expired()
        return left


class _DeadlineReader(io.RawIOBase):
    """The socket's byte stream, with the timeout re-armed from the deadline before every read.

    A socket timeout bounds one read, not the whole answer: a server trickling its headers (or a
    chunk-size line) a few bytes at a time would otherwise get the full remaining time back for
    every read, however long the answer takes in total.
    """

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline
        # http.client's own stream, so the socket stays open until the response is done with it
        # even when the connection closes its reference first (as for "Connection: close").
        self._stream = sock.makefile("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:
        self._sock.settimeout(self._deadline.remaining())
        try:
            return self._stream.readinto(buffer)
        except TimeoutError:
            # The read was only allowed what was left, so the deadline itself has passed.
            raise self._deadline.expired() from None

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()


class _DeadlineSocket:
    """Hands http.client a socket whose every send and read must finish before the deadline."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode="rb", *args, **kwargs):
        if mode != "rb":
            raise ValueError(f"only binary reading is supported, not {mode!r}")
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def sendall(self, data) -> None:
        self._sock.settimeout(self._deadline.remaining())
        self._sock.sendall(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Sends Host: <name> but connects to the address that was checked."""

    def __init__(self, host, port, *, address, deadline, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address
        self._deadline = deadline

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = _DeadlineSocket(sock, self._deadline)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, with the certificate verified for the host name."""

    def __init__(self, host, port, *, address, deadline, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address
        self._deadline = deadline

    def connect(self):
        raw = socket.create_connection((self._address, self.port), self.timeout)
        # The handshake may not start the connect timeout over beyond the total deadline.
        raw.settimeout(min(self.timeout, self._deadline.remaining()))
        sock = self._context.wrap_socket(raw, server_hostname=self.host)
        self.sock = _DeadlineSocket(sock, self._deadline)


def _check_url(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"refused: only http and https URLs are fetched, not {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise FetchRefused("refused: the URL has no host")
    if parts.username or parts.password:
        raise FetchRefused("refused: URLs with credentials are not fetched")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchRefused(f"refused: bad port in URL ({exc})") from exc
    return parts, port


def _one_request(url: str, deadline: _Deadline, max_bytes: int):
    parts, port = _check_url(url)
    address = resolve_checked(parts.hostname, port, seconds=deadline.remaining())
    connect_timeout = min(settings.FETCH_CONNECT_TIMEOUT, deadline.remaining())
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(
        parts.hostname, port, address=address, deadline=deadline, timeout=connect_timeout
    )
    response = None
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            connection.connect()
        except TimeoutError as exc:
            raise TimeoutError(
                f"timed out connecting to {parts.hostname} after {connect_timeout:g} s"
            ) from exc
        connection.request(
            "GET",
            path,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity", "Accept": "*/*"},
        )
        response = connection.getresponse()
        status = response.status
        headers = response.headers
        if status in REDIRECT_STATUSES:
            return status, headers, b""
        length = headers.get("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise FetchRefused(f"too large: {int(length)} bytes announced, the limit is {max_bytes}")
        chunks, size = [], 0
        while True:
            chunk = response.read1(CHUNK) if hasattr(response, "read1") else response.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise FetchRefused(f"too large: more than {max_bytes} bytes")
            chunks.append(chunk)
        return status, headers, b"".join(chunks)
    finally:
        # A response cut short still holds the socket open (http.client hands it the connection
        # when the server says it will close); close both so a trickling server is let go now.
        if response is not None:
            response.close()
        connection.close()


def fetch_url(url: str) -> FetchResult:
    """GET `url` safely, following redirects; never raises."""
    result = FetchResult(requested_url=url)
    deadline = _Deadline(settings.FETCH_TOTAL_TIMEOUT)
    current = url
    try:
        for _hop in range(settings.FETCH_MAX_REDIRECTS + 1):
            result.final_url = current
            status, headers, body = _one_request(current, deadline, settings.FETCH_MAX_BYTES)
            result.status = status
            result.content_type = headers.get("Content-Type", "")[:255]
            if status in REDIRECT_STATUSES:
                location = headers.get("Location")
                if not location:
                    raise FetchRefused(f"HTTP {status} redirect without a Location")
                current = urljoin(current, location.strip())
                result.redirects.append(current)
                continue
            result.body = body
            if not 200 <= status < 300:
                result.failure_reason = f"HTTP {status}: the server did not return the page"
            return result
        result.failure_reason = f"too many redirects (more than {settings.FETCH_MAX_REDIRECTS})"
    except FetchRefused as exc:
        result.failure_reason = str(exc)
    except TimeoutError as exc:
        result.failure_reason = str(exc) if str(exc).startswith("timed out") else f"timed out ({exc})"
    except ssl.SSLError as exc:
        result.failure_reason = f"TLS error: {exc}"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        result.failure_reason = f"network error: {exc.__class__.__name__}: {exc}"
    if result.failure_reason:
        result.body = b""
    return result
