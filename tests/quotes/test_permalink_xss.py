"""Hostile text in a quote, speaker, role, venue or source renders as text everywhere we show it."""

import json
import re
from html.parser import HTMLParser

import pytest

from archive.models import Source
from quotes.models import Quote, Speaker
from tests.factories import cite, make_quote, make_source, make_speaker, make_venue

SCRIPT = "<script>alert('x')</script>"
IMG = '"><img src=x onerror=alert(1)>'
CLOSE = "</script><script>alert(2)</script>"
JS_URL = "javascript:alert(document.cookie)"


@pytest.fixture
def hostile(db) -> Quote:
    speaker = make_speaker(f"Eve {IMG}")
    quote = make_quote(
        f"Hello {SCRIPT} and {CLOSE}\nsecond line {IMG}",
        speaker=speaker,
        speaker_role=f"Role {SCRIPT}",
        venue=make_venue(name=f"Venue {IMG}"),
    )
    source = make_source(title=f"Title {SCRIPT}", publisher=f"Pub {IMG}")
    # The model validator refuses javascript: URLs; older or imported rows may still hold one.
    Source.objects.filter(pk=source.pk).update(url=JS_URL)
    cite(quote, source)
    Speaker.objects.filter(pk=speaker.pk).update(wikidata_qid=None)
    return quote


class TagCollector(HTMLParser):
    """The elements and attributes a browser would build from the page."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def parse(html: str) -> TagCollector:
    parser = TagCollector()
    parser.feed(html)
    return parser


def assert_no_injected_markup(html: str) -> TagCollector:
    doc = parse(html)
    assert "img" not in [t for t, _ in doc.tags]
    assert not any(k.startswith("on") for _, attrs in doc.tags for k in attrs)
    assert not any((attrs.get("href") or "").lower().startswith("javascript:") for _, attrs in doc.tags)
    assert not any((attrs.get("src") or "").lower().startswith("javascript:") for _, attrs in doc.tags)
    assert "<script>alert" not in html
    return doc


def test_permalink_escapes_every_text_and_never_links_javascript(client, hostile):
    html = client.get(f"/q/{hostile.pk}/").content.decode()
    doc = assert_no_injected_markup(html)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "Eve &quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Title &lt;script&gt;" in html  # shown, as text, but not as a link
    assert "Hello &lt;script&gt;" in html and "<br>second line" in html  # line breaks kept
    scripts = [(t, a) for t, a in doc.tags if t == "script"]
    assert scripts == [("script", {"type": "application/ld+json"})]


def test_json_ld_cannot_close_its_script_element(client, hostile):
    html = client.get(f"/q/{hostile.pk}/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block
    data = json.loads(block)
    assert data["text"] == hostile.text
    assert data["creator"]["name"] == hostile.speaker.name
    assert data["isBasedOn"][0]["name"] == f"Title {SCRIPT}"
    assert "url" not in data["isBasedOn"][0]  # javascript: is not a source address


def test_embed_card_escapes_every_text(client, hostile):
    html = client.get(f"/embed/q/{hostile.pk}/").content.decode()
    assert_no_injected_markup(html)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "Role &lt;script&gt;" in html
    assert "Venue &quot;&gt;&lt;img" in html
    assert JS_URL not in html


def test_oembed_html_and_fields_are_escaped(client, hostile):
    data = client.get("/oembed", {"url": f"http://testserver/q/{hostile.pk}/"}).json()
    doc = assert_no_injected_markup(data["html"])
    assert [t for t, _ in doc.tags] == ["iframe"]
    assert doc.tags[0][1]["title"] == f"Quote by {hostile.speaker.name}"  # the attribute survives intact
    assert data["author_name"] == hostile.speaker.name  # JSON carries the plain text; consumers escape it
    xml = client.get(
        "/oembed", {"url": f"http://testserver/q/{hostile.pk}/", "format": "xml"}
    ).content.decode()
    assert "<img" not in xml and "<iframe" not in xml
    assert "&lt;iframe" in xml


def test_speaker_page_escapes_quotes_and_names(client, hostile):
    html = client.get(hostile.speaker.get_absolute_url()).content.decode()
    assert_no_injected_markup(html)
    assert "Eve &quot;&gt;&lt;img" in html


def test_javascript_venue_urls_are_not_linked(client, db):
    venue = make_venue(name="Rally")
    venue.__class__.objects.filter(pk=venue.pk).update(url=JS_URL)
    quote = make_quote("Plain words", venue=venue)
    html = client.get(f"/q/{quote.pk}/").content.decode()
    assert JS_URL not in html
    assert "Rally" in html
