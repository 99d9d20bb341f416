"""The embed card other sites frame: content, frame policy, themes, caching and its SQL cost."""

import base64
import hashlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quotes.models import Quote, Speaker
from tests.factories import cite, make_quote, make_source


@pytest.fixture
def trump(demo) -> Quote:
    return Quote.objects.get(speaker__slug="donald-trump")


def embed(client, quote, **params):
    return client.get(f"/embed/q/{quote.pk}/", params)


def test_card_shows_the_quote_attribution_and_links_back(client, trump):
    response = embed(client, trump)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<blockquote cite="{trump.citations.get().source.url}"><p>{trump.text}</p></blockquote>' in html
    assert "<figcaption>" in html
    assert '<span class="speaker">Donald Trump</span>, President of the United States' in html
    assert "11 January 2026 · Truth Social post by @realDonaldTrump" in html
    assert f'<a href="http://testserver/q/{trump.pk}/" target="_blank" rel="noopener">' in html
    assert 'rel="noopener nofollow">Internewscast</a>' in html


def test_card_is_self_contained(client, trump):
    html = embed(client, trump).content.decode()
    assert "<script" not in html
    assert not re.search(r'<link[^>]+stylesheet|<img|src="', html)  # no external assets
    assert '<meta name="viewport"' in html


def test_only_the_card_may_be_framed(client, trump):
    response = embed(client, trump)
    assert "X-Frame-Options" not in response
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors *" in policy
    assert "script-src 'none'" in policy


def test_inline_style_is_allowed_by_its_hash_only(client, trump):
    response = embed(client, trump)
    css = re.search(r"<style>(.*?)</style>", response.content.decode(), re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_themes(client, trump):
    assert '<html lang="en" class="theme-dark">' in embed(client, trump, theme="dark").content.decode()
    assert '<html lang="en" class="theme-light">' in embed(client, trump, theme="light").content.decode()
    default = embed(client, trump).content.decode()
    assert '<html lang="en">' in default
    assert "@media (prefers-color-scheme:dark)" in default
    assert '<html lang="en">' in embed(client, trump, theme="<x>").content.decode()


def test_card_is_cacheable_and_answers_304(client, trump):
    first = embed(client, trump)
    assert first["Cache-Control"] == "public, max-age=300"
    etag = first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = client.get(f"/embed/q/{trump.pk}/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "public, max-age=300"
    assert again.content == b""
    weak = client.get(f"/embed/q/{trump.pk}/", headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304
    other = client.get(f"/embed/q/{trump.pk}/", headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200


def test_etag_changes_with_what_the_card_shows(client, trump):
    etag = embed(client, trump)["ETag"]
    assert embed(client, trump, theme="dark")["ETag"] != etag
    Speaker.objects.filter(pk=trump.speaker_id).update(name="Donald J. Trump")
    speaker = trump.speaker
    speaker.refresh_from_db()
    speaker.save()  # bumps updated_at
    renamed = embed(client, trump)["ETag"]
    assert renamed != etag
    cite(trump, make_source(title="Another report"))
    assert embed(client, trump)["ETag"] != renamed


def test_card_costs_a_fixed_number_of_queries(client, trump):
    for _ in range(4):
        cite(trump)
    # 1: the state behind the ETag (quote, speaker, venue, citation counts); 2: quote with speaker
    # and venue; 3: its citations with their sources.
    with CaptureQueriesContext(connection) as rendered:
        etag = embed(client, trump)["ETag"]
    assert len(rendered) == 3
    # Unchanged: the ETag query alone, whether the browser revalidates or asks afresh.
    with CaptureQueriesContext(connection) as revalidated:
        assert client.get(f"/embed/q/{trump.pk}/", headers={"If-None-Match": etag}).status_code == 304
    assert len(revalidated) == 1
    with CaptureQueriesContext(connection) as again:
        assert embed(client, trump)["ETag"] == etag
    assert len(again) == 1


def test_a_rendered_card_is_never_served_stale(client, trump):
    assert "BEFORE IT IS TOO LATE" in embed(client, trump).content.decode()
    trump.text = "I strongly suggest they make a deal!"
    trump.save()
    html = embed(client, trump).content.decode()
    assert "I strongly suggest they make a deal!" in html
    assert "BEFORE IT IS TOO LATE" not in html


def test_retracted_card_stays_and_says_so(client, db):
    quote = make_quote("Withdrawn words", status=Quote.Status.RETRACTED, status_note="Never said: a parody.")
    html = embed(client, quote).content.decode()
    assert '<p class="retracted"><strong>Retracted</strong> Never said: a parody.</p>' in html
    assert "Withdrawn words" in html


@pytest.mark.parametrize("status", [Quote.Status.DRAFT, Quote.Status.IN_REVIEW])
def test_unpublished_cards_are_404(client, db, status):
    quote = make_quote("Not yet", status=status)
    assert embed(client, quote).status_code == 404
    assert client.get("/embed/q/987654321/").status_code == 404
    assert client.get("/embed/q/99999999999999999999999/").status_code == 404  # beyond bigint


def test_card_without_sources_cites_its_permalink(client, db):
    quote = make_quote("Unsourced")
    html = embed(client, quote).content.decode()
    assert f'<blockquote cite="http://testserver/q/{quote.pk}/">' in html
    assert "Source:" not in html


def test_head_is_served_and_post_is_refused(client, trump):
    assert client.head(f"/embed/q/{trump.pk}/").status_code == 200
    assert client.post(f"/embed/q/{trump.pk}/").status_code == 405


def test_a_busy_card_reuses_its_state_until_something_it_shows_is_saved(client, trump, settings):
    settings.EMBED_STATE_SECONDS = 60
    etag = embed(client, trump)["ETag"]
    # Asked again within the window: neither the state nor the card costs a query.
    with CaptureQueriesContext(connection) as repeated:
        assert client.get(f"/embed/q/{trump.pk}/", headers={"If-None-Match": etag}).status_code == 304
        assert embed(client, trump)["ETag"] == etag
    assert len(repeated) == 0
    # A save of anything the card shows ends the reuse at once (other processes: within the window).
    trump.text = "Words changed by an editor."
    trump.save()
    html = embed(client, trump).content.decode()
    assert "Words changed by an editor." in html
    cite(trump, make_source(title="A later report"))
    assert embed(client, trump)["ETag"] != etag


def test_a_retracted_or_unpublished_quote_is_not_kept_public_by_the_reuse(client, trump, settings):
    settings.EMBED_STATE_SECONDS = 60
    assert embed(client, trump).status_code == 200
    trump.status = Quote.Status.DRAFT
    trump.save()
    assert client.get(f"/embed/q/{trump.pk}/").status_code == 404
