"""Hostile and malformed input gets a 4xx, never a server error (the cases fuzzers reach rarely)."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from quotes.models import ApiToken
from tests.factories import make_quote

pytestmark = pytest.mark.django_db

NUL = "\x00"
LONE_SURROGATE_UTF8 = "%ED%A0%80"  # the UTF-8-style encoding of U+D800, invalid in UTF-8
HUGE = str(10**30)
MEGABYTE = "a" * (1024 * 1024)


@pytest.fixture(autouse=True)
def archive(db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1000000/min", "user": "1000000/min"},
    }
    cache.clear()
    make_quote("The harbour will reopen in spring.")


@pytest.fixture
def editor_client(editor) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user=editor)[1]}")


def assert_client_error(response, where: str) -> None:
    assert 400 <= response.status_code < 500, f"{where} -> {response.status_code}"
    assert response["Content-Type"].startswith(("application/json", "text/plain", "text/html"))


READ_PATHS = [
    "/api/v1/quotes/?q={v}",
    "/api/v1/quotes/?speaker={v}",
    "/api/v1/quotes/?tag={v}",
    "/api/v1/quotes/?said_after={v}",
    "/api/v1/quotes/?language={v}",
    "/api/v1/quotes/?ordering={v}",
    "/api/v1/quotes/?cursor={v}",
    "/api/v1/quotes/?page_size={v}",
    "/api/v1/quotes/export/?format={v}",
    "/api/v1/quotes/export/?q={v}",
    "/api/v1/speakers/?q={v}",
    "/api/v1/speakers/{v}/",
    "/api/v1/sources/?domain={v}",
    "/api/v1/citations/?quote={v}",
    "/api/v1/tags/{v}/",
    "/oembed?url={v}",
    "/oembed?url=http://testserver/q/1/&maxwidth={v}",
]

HOSTILE_VALUES = {
    "nul": f"abc{NUL}def".replace(NUL, "%00"),
    "lone_surrogate": f"x{LONE_SURROGATE_UTF8}y",
    "negative": "-1",
    "huge": HUGE,
    "wrong_type": "%5B%5D%7B%7D",  # "[]{}"
    "malformed_cursor": "%%%not-base64!!",
}


@pytest.mark.parametrize("value_name", HOSTILE_VALUES)
@pytest.mark.parametrize("template", READ_PATHS)
def test_hostile_query_values_never_cause_a_server_error(client, template, value_name):
    url = template.format(v=HOSTILE_VALUES[value_name])
    response = client.get(url)
    assert response.status_code < 500, f"{url} -> {response.status_code}"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/quotes/?q=abc%00def",
        "/api/v1/quotes/?speaker=abc%00def",
        "/api/v1/speakers/?q=abc%00def",
        "/api/v1/quotes/export/?q=abc%00def",
        "/api/v1/quotes/?cursor=%%%not-base64!!",
        "/api/v1/quotes/?cursor=eyJub3QiOiAiYSBjdXJzb3IifQ",  # valid base64 of unrelated JSON
        "/api/v1/quotes/?page_size=-1",
        f"/api/v1/quotes/?page_size={HUGE}",
        "/api/v1/quotes/?page_size=ten",
        "/api/v1/quotes/?said_after=2024-13-45",
        f"/api/v1/citations/?quote={HUGE}",
        "/api/v1/citations/?quote=-1",
    ],
)
def test_invalid_parameters_are_refused_with_a_4xx(client, url):
    assert_client_error(client.get(url), url)


@pytest.mark.parametrize(
    "url", ["/api/v1/quotes/{v}/", "/api/v1/venues/{v}/", "/api/v1/citations/{v}/", "/api/v1/sources/{v}/"]
)
def test_huge_ids_are_not_found_rather_than_overflowing(client, url):
    response = client.get(url.format(v=HUGE))
    assert response.status_code == 404, f"{url} -> {response.status_code}"


def test_a_one_megabyte_query_string_is_refused_quickly(client):
    response = client.get(f"/api/v1/quotes/?q={MEGABYTE}")
    assert_client_error(response, "1 MB q")


def test_a_one_megabyte_query_string_on_export_is_refused(client):
    response = client.get(f"/api/v1/quotes/export/?q={MEGABYTE}")
    assert_client_error(response, "1 MB export q")


WRITE_BODIES = {
    "nul_in_text": {"text": f"Hello{NUL}world", "speaker": "speaker-1", "said_on": "2024-01-01"},
    "text_is_a_number": {"text": 12345, "speaker": "speaker-1", "said_on": "2024-01-01"},
    "speaker_is_a_list": {"text": "Words.", "speaker": [], "said_on": "2024-01-01"},
    "date_is_garbage": {"text": "Words.", "speaker": "speaker-1", "said_on": "yesterday-ish"},
    "huge_venue_id": {"text": "Words.", "speaker": "speaker-1", "said_on": "2024-01-01", "venue": 10**30},
    "negative_venue_id": {"text": "Words.", "speaker": "speaker-1", "said_on": "2024-01-01", "venue": -1},
    "tags_is_a_string": {"text": "Words.", "speaker": "speaker-1", "said_on": "2024-01-01", "tags": "x"},
    "megabyte_text": {"text": MEGABYTE, "speaker": "speaker-1", "said_on": "2024-01-01"},
}


@pytest.mark.parametrize("name", WRITE_BODIES)
def test_malformed_quote_bodies_are_refused_with_400(editor_client, name):
    response = editor_client.post(
        "/api/v1/quotes/", data=json.dumps(WRITE_BODIES[name]), content_type="application/json"
    )
    assert response.status_code == 400, f"{name} -> {response.status_code}: {response.content[:200]}"


def test_a_body_that_is_not_json_is_refused(editor_client):
    response = editor_client.post("/api/v1/quotes/", data="{not json", content_type="application/json")
    assert response.status_code == 400


def test_a_lone_surrogate_in_a_query_never_reaches_the_database_as_one(client):
    # Django decodes the query string with replacement characters: the search sees "x\ufffd",
    # finds nothing, and answers well-formed UTF-8.
    response = client.get(f"/api/v1/quotes/?q=x{LONE_SURROGATE_UTF8}")
    assert response.status_code in (200, 400)
    response.content.decode("utf-8")
    if response.status_code == 200:
        assert response.json()["results"] == []


def test_a_json_body_with_a_lone_surrogate_is_refused(editor_client):
    body = b'{"text": "\\ud800 alone", "speaker": "speaker-1", "said_on": "2024-01-01"}'
    response = editor_client.post("/api/v1/quotes/", data=body, content_type="application/json")
    assert_client_error(response, "lone surrogate in JSON")


def test_an_error_on_one_list_item_is_reported_not_a_server_error(editor_client):
    # Found by Schemathesis: list-item errors are keyed by position ({"aliases": {0: [...]}}).
    response = editor_client.post(
        "/api/v1/speakers/",
        data=json.dumps({"name": "Ana", "slug": "ana", "aliases": ["x" * 256]}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "aliases" in response.json()["error"]["fields"]


@pytest.mark.parametrize("field", ["speaker", "tags", "about"])
def test_a_nul_byte_in_a_related_slug_is_refused(editor_client, field):
    value = f"speaker{NUL}1"
    body = {"text": "Words.", "speaker": "speaker-1", "said_on": "2024-01-01"}
    body[field] = value if field == "speaker" else [value]
    response = editor_client.post("/api/v1/quotes/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.status_code


def test_field_errors_have_the_documented_shape(editor_client):
    response = editor_client.post(
        "/api/v1/speakers/",
        data=json.dumps({"name": "Ana", "slug": "ana", "aliases": ["x" * 256]}),
        content_type="application/json",
    )
    fields = response.json()["error"]["fields"]
    assert all(isinstance(messages, list) for messages in fields.values()), fields
    assert all(isinstance(m, str) for messages in fields.values() for m in messages), fields
    assert fields["aliases"][0].startswith("item 0: "), fields
