"""The importer's shortcuts for everyday URLs agree with the archive's own normalization."""

import pytest

from archive.models import Source
from archive.urlnorm import normalize_url, url_host
from quotes.importing.quotebank import quotebank_record
from quotes.importing.records import Rejected, clean_url, fast_url_host, plain_url, url_facts

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
    "HTTPS://Ex.Com/Path/To",
    "https://ex\u212a.com/a",  # the Kelvin sign lower-cases to "k": not an ASCII host
    "https://ex.com/\u212a",
]


@pytest.mark.parametrize("url", URLS)
def test_shortcuts_match_the_archive_normalization(url):
    assert fast_url_host(normalize_url(url)) == url_host(normalize_url(url))
    source = Source(url=url)
    source.derive_url_fields()  # what save() stores
    assert url_facts(url) == (source.normalized_url, source.url_hash, source.domain)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "https://exa mple.com/",
        "ftp://ex.com/file",
        "https://ex.com:99999/",
        "https://-ex.com/a",
    ],
)
def test_invalid_urls_are_rejected(url):
    with pytest.raises(Rejected, match="invalid URL"):
        clean_url(url, "urls")


@pytest.mark.parametrize("url", URLS)
def test_a_quotebank_record_carries_the_facts_of_each_url_worked_out_once(url):
    raw = {"quotation": "Words.", "speaker": "Ann Example", "qids": ["Q1"], "urls": [url]}
    source = quotebank_record(1, raw, status=None).citations[0].source

    assert source.facts == url_facts(url)
    assert source.publisher == url_host(url)  # Quotebank names no publisher: the host stands for it


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        ("https://www.Example.com/a", True),
        ("HTTP://EXAMPLE.COM", True),
        ("https://ex.com:8080/a", True),
        ("https://ex\u212a.com/a", False),
        ("https://ex.com/\u212a", False),
        ("https://ex.c0m/a", False),
        ("https://ex_ample.com/a", False),
        ("https://ex.com/a b", False),
    ],
)
def test_only_ascii_urls_of_dotted_labels_take_the_shortcut(url, plain):
    assert (plain_url(url) is not None) == plain
