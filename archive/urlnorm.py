"""URL normalization: two spellings of the same address identify one source."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments and tracking parameters.

    Raises ValueError (from `urlsplit`) for a port above 65535 or a broken IPv6 address:
    Django's URLValidator lets a five-digit port through, so check `url_problem` first.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    netloc = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{parts.port}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith(_TRACKING_PREFIXES)
        ]
    )
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def url_problem(url: str) -> str:
    """Why a URL that passes Django's URLValidator still cannot identify a source, or ""."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        if "port" in str(exc).lower():
            return "the port must be a number from 1 to 65535"
        return "its host cannot be read"
    if port == 0:  # nothing can listen there, and normalizing would drop it
        return "the port must be a number from 1 to 65535"
    if "\\" in parts.netloc:
        # Browsers end the host at a backslash, Python at the last "@": the two would disagree
        # on which site "http://example.com\@evil.com/" is.
        return "a backslash is not allowed before the path"
    if not parts.hostname:
        return "it has no host"
    return ""


def url_host(url: str) -> str:
    """The host name of a URL, lower-case, without a leading 'www.'."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host
