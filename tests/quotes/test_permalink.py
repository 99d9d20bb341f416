"""The public permalink of a quote, and the speaker page it links to."""

import json
import re
from html import unescape

import pytest
from django.contrib.staticfiles import finders

from quotes.demo import ARTICLE_URL
from quotes.models import Citation, Quote
from quotes.services import save_quote
from tests.factories import cite, make_quote, make_source, make_speaker


@pytest.fixture
def diaz(demo) -> Quote:
    return Quote.objects.get(speaker__slug="miguel-diaz-canel")


@pytest.fixture
def trump(demo) -> Quote:
    return Quote.objects.get(speaker__slug="donald-trump")


def page(client, quote: Quote) -> str:
    response = client.get(f"/q/{quote.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def json_ld(html: str) -> dict:
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    return json.loads(block)


def test_permalink_shows_what_who_when_where_and_the_evidence(client, diaz):
    html = page(client, diaz)
    assert diaz.text in html
    assert '<a class="speaker" href="/s/miguel-diaz-canel/">Miguel Díaz-Canel</a>, President of Cuba' in html
    assert "<dd>January 2026</dd>" in html
    assert "2026-01-01" not in html
    assert "Memorial for the Cuban security guards killed in Caracas</a>" not in html  # no URL: no link
    assert "Memorial for the Cuban security guards killed in Caracas, Cuba" in html
    assert f'<a href="{ARTICLE_URL}" rel="noopener nofollow">' in html


def test_line_breaks_are_kept(client, db):
    quote = make_quote("First line\nSecond line")
    assert "First line<br>Second line" in page(client, quote)


def test_permalink_has_schema_org_quotation(client, trump):
    data = json_ld(page(client, trump))
    assert data["@type"] == "Quotation"
    assert data["text"] == trump.text
    assert data["creator"] == data["spokenByCharacter"]
    assert data["creator"]["@type"] == "Person"
    assert data["creator"]["name"] == "Donald Trump"
    assert data["creator"]["sameAs"] == "https://www.wikidata.org/wiki/Q22686"
    assert data["dateCreated"] == "2026-01-11"
    assert data["isBasedOn"][0]["url"] == ARTICLE_URL
    assert data["url"] == f"http://testserver/q/{trump.pk}/"


def test_json_ld_date_keeps_its_precision(client, diaz):
    assert json_ld(page(client, diaz))["dateCreated"] == "2026-01"


def test_permalink_offers_oembed_discovery_and_open_graph(client, trump):
    html = page(client, trump)
    link = re.search(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', html).group(1)
    oembed = client.get(unescape(link))
    assert oembed.status_code == 200
    assert oembed.json()["type"] == "rich"
    assert f'<meta property="og:url" content="http://testserver/q/{trump.pk}/">' in html
    assert '<meta property="og:title" content="“I strongly suggest they make a deal' in html
    assert '<meta property="og:type" content="article">' in html
    assert 'type="text/xml+oembed"' in html


def test_permalink_offers_every_citation_style(client, trump):
    html = page(client, trump)
    section = html.split('id="cite"', 1)[1]
    for style in ("apa", "mla", "chicago", "bibtex", "ris", "csl-json"):
        assert f"/api/v1/quotes/{trump.pk}/cite/?style={style}" in section
    assert "Trump, D. (2026, January 11)." in section


def test_permalink_lists_corrections(client, editor, trump):
    trump.text = "I strongly suggest they make a deal, BEFORE IT IS TOO LATE!"
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(Permission.objects.get(codename="publish_quote"))
    save_quote(quote=trump, user=editor, change_reason="Exclamation mark restored from the post")
    html = page(client, trump)
    section = html.split('id="corrections"', 1)[1]
    assert "Exclamation mark restored from the post" in section
    assert "<del>I strongly suggest they make a deal, BEFORE IT IS TOO LATE</del>" in section


def test_permalink_without_corrections_says_so(client, trump):
    assert "No corrections since publication." in page(client, trump)


def test_retracted_quote_keeps_its_permalink_marked_with_the_note(client, db):
    quote = make_quote("Withdrawn", status=Quote.Status.RETRACTED, status_note="The speaker never said it.")
    html = page(client, quote)
    assert "<strong>Retracted</strong>" in html
    assert "The speaker never said it." in html
    assert json_ld(html)["creativeWorkStatus"] == "Retracted"


@pytest.mark.parametrize("status", [Quote.Status.DRAFT, Quote.Status.IN_REVIEW])
def test_unpublished_quotes_are_404(client, db, status):
    quote = make_quote("Not yet", status=status)
    assert client.get(f"/q/{quote.pk}/").status_code == 404
    assert client.get("/q/987654321/").status_code == 404


def test_speaker_page_lists_only_public_quotes(client, db):
    speaker = make_speaker("Ada Lovelace")
    published = make_quote("Published words", speaker=speaker)
    make_quote("Draft words", speaker=speaker, status=Quote.Status.DRAFT)
    make_quote("Retracted words", speaker=speaker, status=Quote.Status.RETRACTED)
    html = client.get(speaker.get_absolute_url()).content.decode()
    assert f'href="/q/{published.pk}/"' in html
    assert "Published words" in html
    assert "Draft words" not in html
    assert "Retracted words" in html and "<strong>Retracted</strong>" in html
    assert "17 May 2024" in html


def test_speaker_page_is_404_for_unknown_slug(client, db):
    assert client.get("/s/nobody-at-all/").status_code == 404


def test_speakers_with_only_drafts_are_not_announced(client, db):
    speaker = make_speaker("Not Yet Public")
    make_quote("Draft words", speaker=speaker, status=Quote.Status.DRAFT)
    assert client.get(speaker.get_absolute_url()).status_code == 404


def test_speaker_page_is_paginated(client, db):
    speaker = make_speaker("Prolific Speaker")
    for n in range(55):
        make_quote(f"Words number {n} of many", speaker=speaker)
    first = client.get(speaker.get_absolute_url()).content.decode()
    assert first.count('href="/q/') == 50
    assert "Page 1 of 2" in first
    second = client.get(speaker.get_absolute_url(), {"page": 2}).content.decode()
    assert second.count('href="/q/') == 5
    assert client.get(speaker.get_absolute_url(), {"page": "x<script>"}).status_code == 200


def test_pages_use_the_projects_stylesheet(client, trump):
    html = page(client, trump)
    assert '<link rel="stylesheet" href="/static/quotes/verbatim.css">' in html
    assert finders.find("quotes/verbatim.css")
    assert ' style="' not in html and "<style" not in html  # CSP: style-src 'self'


def test_source_links_are_only_http(client, db):
    quote = make_quote("Words")
    cite(quote, make_source("http://plain.example/a", title="Plain"), role=Citation.Role.PRIMARY)
    html = page(client, quote)
    assert '<a href="http://plain.example/a" rel="noopener nofollow">Plain</a>' in html


def test_permalink_query_count_does_not_grow_with_sources(client, db, django_assert_max_num_queries):
    quote = make_quote("Many sources")
    for _ in range(5):
        cite(quote)
    # quote+speaker+venue, citations+sources, then corrections: quote history, citation history,
    # speakers, venues, sources.
    with django_assert_max_num_queries(8):
        page(client, quote)


FRAME_DENIED = ["/q/{pk}/", "/s/donald-trump/", "/oembed?url=http://testserver/q/{pk}/", "/admin/login/",
                "/api/v1/quotes/{pk}/cite/?style=apa", "/api/v1/quotes/{pk}/corrections/"]  # fmt: skip


@pytest.mark.parametrize("path", FRAME_DENIED)
def test_only_the_embed_may_be_framed(client, trump, path):
    response = client.get(path.format(pk=trump.pk))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
