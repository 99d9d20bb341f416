"""The importer's shortcuts for everyday URLs agree with the archive's own normalization."""

import pytest

from archive.urlnorm import normalize_url, url_host
from quotes.importing.records import Rejected, clean_url
from quotes.importing.writer import fast_normalize_url, fast_url_host, url_facts

URLS = [
    "https://www.nytimes.com/2015/08/31/us/obama.html",
    "HTTP://WWW.Example.COM",
    "https://ex.com:443/a",
    "http://ex.com:8080/a/b",
    "https://ex.com/a?utm_source=feed&id=2",
    "https://ex.com./a",
    "https://ex.com/a#comments",
    "https://ex.com/%7Efoo/(bar)",
    "http://1.2.3.4/x",
    "http://localhost/x",
]


@pytest.mark.parametrize("url", URLS)
def test_shortcuts_match_the_archive_normalization(url):
    assert fast_normalize_url(url) == normalize_url(url)
    assert fast_url_host(normalize_url(url)) == url_host(normalize_url(url))
    normalized, _, domain = url_facts(url)
    assert (normalized, domain) == (normalize_url(url), url_host(normalize_url(url)))


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "https://exa mple.com/", "ftp://ex.com/file", "https://ex.com:99999/"]
)
def test_invalid_urls_are_rejected(url):
    with pytest.raises(Rejected, match="invalid URL"):
        clean_url(url, "urls")
