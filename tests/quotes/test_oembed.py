"""The oEmbed 1.0 provider: fields, formats, error codes, sizes and caching."""

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from quotes.models import Quote
from tests.factories import make_quote

FIELDS = {"version", "type", "html", "width", "height", "title", "author_name", "author_url",
          "provider_name", "provider_url", "cache_age"}  # fmt: skip


@pytest.fixture
def trump(demo) -> Quote:
    return Quote.objects.get(speaker__slug="donald-trump")


def oembed(client, **params):
    return client.get("/oembed", params)


def iframe_attrs(html: str) -> dict:
    found = {}

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found[tag] = dict(attrs)

    Parser().feed(html)
    return found["iframe"]


def test_json_answer_has_every_rich_field(client, trump):
    response = oembed(client, url=f"http://testserver/q/{trump.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert set(data) == FIELDS
    assert data["version"] == "1.0"
    assert data["type"] == "rich"
    assert data["author_name"] == "Donald Trump"
    assert data["author_url"] == "http://testserver/s/donald-trump/"
    assert data["provider_name"] == "Verbatim"
    assert data["provider_url"] == "http://testserver/"
    assert data["title"] == "Donald Trump: “I strongly suggest they make a deal, BEFORE IT IS TOO LATE”"
    assert isinstance(data["cache_age"], int)
    iframe = iframe_attrs(data["html"])
    assert iframe["src"] == f"http://testserver/embed/q/{trump.pk}/"
    assert (int(iframe["width"]), int(iframe["height"])) == (data["width"], data["height"])
    assert data["width"] == 550


def test_xml_answer_carries_the_same_fields(client, trump):
    response = oembed(client, url=f"http://testserver/q/{trump.pk}/", format="xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314 - our own answer, in a test
    assert root.tag == "oembed"
    values = {child.tag: child.text for child in root}
    assert set(values) == FIELDS
    assert values["type"] == "rich"
    assert iframe_attrs(values["html"])["src"] == f"http://testserver/embed/q/{trump.pk}/"


def test_embed_urls_are_accepted_too_and_keep_their_theme(client, trump):
    response = oembed(client, url=f"http://testserver/embed/q/{trump.pk}/?theme=dark")
    assert response.status_code == 200
    assert iframe_attrs(response.json()["html"])["src"] == f"http://testserver/embed/q/{trump.pk}/?theme=dark"


def test_a_theme_can_be_asked_for(client, trump):
    dark = oembed(client, url=f"http://testserver/q/{trump.pk}/", theme="dark")
    assert iframe_attrs(dark.json()["html"])["src"].endswith("?theme=dark")
    assert dark["ETag"] != oembed(client, url=f"http://testserver/q/{trump.pk}/")["ETag"]
    odd = oembed(client, url=f"http://testserver/q/{trump.pk}/", theme='"><script>')
    assert iframe_attrs(odd.json()["html"])["src"] == f"http://testserver/embed/q/{trump.pk}/"


def test_maxwidth_and_maxheight_are_respected(client, trump):
    data = oembed(client, url=f"http://testserver/q/{trump.pk}/", maxwidth="320", maxheight="150").json()
    assert data["width"] <= 320
    assert data["height"] <= 150
    wide = oembed(client, url=f"http://testserver/q/{trump.pk}/", maxwidth="2000").json()
    assert wide["width"] == 550


def test_longer_quotes_get_taller_frames(client, db):
    short = make_quote("Short.")
    long = make_quote("A much longer statement that goes on. " * 20)
    heights = [oembed(client, url=f"http://testserver/q/{q.pk}/").json()["height"] for q in (short, long)]
    assert heights[1] > heights[0]


@pytest.mark.parametrize("value", ["abc", "-5", "0", "1.5", "99999999999999999999999", "1e3", " 3"])
def test_bad_sizes_are_400(client, trump, value):
    assert oembed(client, url=f"http://testserver/q/{trump.pk}/", maxwidth=value).status_code == 400
    assert oembed(client, url=f"http://testserver/q/{trump.pk}/", maxheight=value).status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example/q/{pk}/",
        "http://testserver.evil.example/q/{pk}/",
        "http://user@testserver/q/{pk}/",
        "javascript:alert(1)//testserver/q/{pk}/",
        "ftp://testserver/q/{pk}/",
        "http://testserver/s/donald-trump/",
        "http://testserver/admin/",
        "http://testserver/q/{pk}/extra/",
        "/q/{pk}/",
        "not a url at all",
        "http://[::1/q/{pk}/",
    ],
)
def test_urls_that_are_not_ours_are_404(client, trump, url):
    assert oembed(client, url=url.format(pk=trump.pk)).status_code == 404


def test_missing_url_is_400(client, db):
    assert oembed(client).status_code == 400


@override_settings(SITE_URL="https://verbatim.example")
def test_site_url_host_is_ours_too(client, trump):
    assert oembed(client, url=f"https://verbatim.example/q/{trump.pk}/").status_code == 200


@pytest.mark.parametrize("fmt", ["html", "yaml", "JSONP"])
def test_unsupported_formats_are_501(client, trump, fmt):
    assert oembed(client, url=f"http://testserver/q/{trump.pk}/", format=fmt).status_code == 501


@pytest.mark.parametrize("status", [Quote.Status.DRAFT, Quote.Status.IN_REVIEW])
def test_unpublished_quotes_are_404(client, db, status):
    quote = make_quote("Not yet", status=status)
    assert oembed(client, url=f"http://testserver/q/{quote.pk}/").status_code == 404
    assert oembed(client, url="http://testserver/q/987654321/").status_code == 404


def test_retracted_quotes_still_embed_and_are_titled_so(client, db):
    quote = make_quote("Withdrawn", status=Quote.Status.RETRACTED)
    data = oembed(client, url=f"http://testserver/q/{quote.pk}/").json()
    assert data["title"].startswith("[Retracted] ")


def test_answers_are_cacheable_and_revalidate_with_one_query(client, trump):
    url = f"http://testserver/q/{trump.pk}/"
    with CaptureQueriesContext(connection) as rendered:
        first = oembed(client, url=url)
    assert len(rendered) == 2  # the ETag state, then the quote with its speaker
    assert first["Cache-Control"].startswith("public, max-age=")
    with CaptureQueriesContext(connection) as revalidated:
        again = client.get("/oembed", {"url": url}, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert len(revalidated) == 1
    assert again["ETag"] == first["ETag"]
    assert oembed(client, url=url, format="xml")["ETag"] != first["ETag"]
    with CaptureQueriesContext(connection) as repeated:
        assert oembed(client, url=url).json() == first.json()
    assert len(repeated) == 1  # the answer rendered before is reused while the ETag holds


def test_cors_lets_other_sites_read_answers(client, trump):
    response = client.get(
        "/oembed", {"url": f"http://testserver/q/{trump.pk}/"}, headers={"Origin": "https://blog.example"}
    )
    assert response["Access-Control-Allow-Origin"] == "*"
