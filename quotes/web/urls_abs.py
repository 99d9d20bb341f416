"""Absolute addresses for what the public pages publish (oEmbed, JSON-LD, Open Graph, citations)."""

from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(request, path: str) -> str:
    """The request's own scheme and host, else settings.SITE_URL."""
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL + path


def own_hosts(request) -> set[str]:
    """Hosts (with port) that our own URLs may carry."""
    hosts = {urlsplit(settings.SITE_URL).netloc.lower()}
    if request is not None:
        hosts.add(request.get_host().lower())
    return hosts


def is_http_url(url: str) -> bool:
    """Only http(s) addresses become links: never javascript:, data: or a relative path."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
