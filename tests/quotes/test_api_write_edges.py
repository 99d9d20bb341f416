"""Edges of the write path: verbatim text kept to the byte, ids that must be whole numbers, and an
idempotent replay that answers exactly as the first response did."""

import json

import pytest
from django.test import Client

from quotes.models import ApiToken, Citation, IdempotencyRecord, Quote
from tests.factories import make_quote, make_source, make_speaker, make_venue


def token_client(user) -> Client:
    _, key = ApiToken.issue(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


@pytest.fixture
def speaker(db):
    return make_speaker("Ana Pérez", slug="ana-perez")


def new_quote(**fields) -> dict:
    return {"text": "We will build the bridge.", "speaker": "ana-perez", "said_on": "2025-03-02", **fields}


def post_json(client: Client, path: str, body: dict, **headers):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


# --- Verbatim text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "  We will build the bridge.  ",
        "\tWe will build\nthe bridge.\n",
        "…and then we will build the bridge ",
    ],
)
def test_quote_text_is_stored_exactly_as_sent(editor, speaker, text):
    client = token_client(editor)
    response = post_json(client, "/api/v1/quotes/", new_quote(text=text))
    assert response.status_code == 201, response.content
    assert response.json()["text"] == text
    assert Quote.objects.get(pk=response.json()["id"]).text == text


def test_quote_text_is_kept_exactly_on_update(editor, speaker):
    quote = make_quote("Draft words.", speaker, status="draft")
    client = token_client(editor)
    for method in ("patch", "put"):
        text = f" Words sent by {method}. "
        response = getattr(client, method)(
            f"/api/v1/quotes/{quote.pk}/", json.dumps(new_quote(text=text)), content_type="application/json"
        )
        assert response.status_code == 200, response.content
        quote.refresh_from_db()
        assert quote.text == text


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
def test_empty_or_blank_quote_text_is_refused_naming_text(editor, speaker, text):
    response = post_json(token_client(editor), "/api/v1/quotes/", new_quote(text=text))
    assert response.status_code == 400, response.content
    assert "text" in response.json()["error"]["fields"]
    assert not Quote.objects.exists()


# --- Ids are whole numbers -----------------------------------------------------------------------


NOT_WHOLE_NUMBERS = {
    "fraction": lambda pk: pk + 0.5,
    "float": float,
    "fraction-string": lambda pk: f"{pk}.5",
    "float-string": lambda pk: f"{pk}.0",
    "boolean": lambda pk: True,
    "list": lambda pk: [pk],
    "object": lambda pk: {"id": pk},
}


@pytest.mark.parametrize("shape", NOT_WHOLE_NUMBERS.values(), ids=NOT_WHOLE_NUMBERS.keys())
def test_a_venue_id_that_is_not_a_whole_number_is_refused(editor, speaker, shape):
    venue = make_venue(id=1)  # so that True (1) or 1.0 would find it if they were let through
    sent = shape(venue.pk)
    response = post_json(token_client(editor), "/api/v1/quotes/", new_quote(venue=sent))
    assert response.status_code == 400, (sent, response.content)
    assert "venue" in response.json()["error"]["fields"]
    assert not Quote.objects.exists()


@pytest.mark.parametrize("value", ["id", "string-id"])
def test_whole_number_ids_are_accepted_as_numbers_or_digit_strings(editor, speaker, value):
    venue = make_venue()
    sent = venue.pk if value == "id" else str(venue.pk)
    response = post_json(token_client(editor), "/api/v1/quotes/", new_quote(venue=sent))
    assert response.status_code == 201, response.content
    assert Quote.objects.get().venue == venue


def test_a_correct_attribution_id_with_a_fraction_is_refused(editor, speaker):
    real = make_quote("The real words.", speaker)
    response = post_json(
        token_client(editor), "/api/v1/quotes/", new_quote(correct_attribution=real.pk + 0.9)
    )
    assert response.status_code == 400, response.content
    assert "correct_attribution" in response.json()["error"]["fields"]


@pytest.mark.parametrize("field", ["quote", "source"])
def test_a_citation_id_with_a_fraction_is_refused(editor, speaker, field):
    quote = make_quote("Cited words.", speaker, status="draft")
    body = {"quote": quote.pk, "source": make_source().pk, "role": "primary"}
    body[field] += 0.9
    response = post_json(token_client(editor), "/api/v1/citations/", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not Citation.objects.exists()


def test_a_citation_cannot_be_moved_with_a_fractional_id(editor, speaker):
    quote = make_quote("Cited words.", speaker, status="draft")
    other = make_quote("Other words.", speaker, status="draft")
    citation = Citation.objects.create(quote=quote, source=make_source())
    response = token_client(editor).patch(
        f"/api/v1/citations/{citation.pk}/",
        json.dumps({"quote": other.pk + 0.5}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    citation.refresh_from_db()
    assert citation.quote == quote


# --- Idempotent replays --------------------------------------------------------------------------


def test_an_idempotent_replay_carries_the_first_responses_headers(editor, speaker):
    client = token_client(editor)
    first = post_json(client, "/api/v1/quotes/", new_quote(), HTTP_IDEMPOTENCY_KEY="k-headers")
    again = post_json(client, "/api/v1/quotes/", new_quote(), HTTP_IDEMPOTENCY_KEY="k-headers")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    for header in ("ETag", "Location", "Content-Type", "Cache-Control"):
        assert again.get(header) == first[header], header
    assert "Idempotent-Replayed" not in first


def test_an_idempotent_replay_of_a_refusal_is_the_same_refusal(editor, speaker):
    client = token_client(editor)
    first = post_json(client, "/api/v1/quotes/", new_quote(text=" "), HTTP_IDEMPOTENCY_KEY="k-bad")
    again = post_json(client, "/api/v1/quotes/", new_quote(text=" "), HTTP_IDEMPOTENCY_KEY="k-bad")
    assert first.status_code == again.status_code == 400
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]


def test_an_idempotent_replay_of_another_resource_keeps_its_etag(editor):
    client = token_client(editor)
    body = {"name": "Town hall", "kind": "speech"}
    first = post_json(client, "/api/v1/venues/", body, HTTP_IDEMPOTENCY_KEY="k-venue")
    again = post_json(client, "/api/v1/venues/", body, HTTP_IDEMPOTENCY_KEY="k-venue")
    assert first.status_code == again.status_code == 201
    assert again["ETag"] == first["ETag"] and again.json() == first.json()


def test_a_record_stored_before_headers_were_kept_still_replays(editor, speaker):
    # Records written by the previous release hold the body alone (kept for 24 hours).
    client = token_client(editor)
    first = post_json(client, "/api/v1/quotes/", new_quote(), HTTP_IDEMPOTENCY_KEY="k-old")
    IdempotencyRecord.objects.filter(key="k-old").update(response_body=first.content)
    again = post_json(client, "/api/v1/quotes/", new_quote(), HTTP_IDEMPOTENCY_KEY="k-old")
    assert again.status_code == 201 and again.content == first.content
    assert again["Content-Type"] == "application/json"


def test_a_verdict_set_through_the_api_sticks_when_evidence_changes(editor):
    """As in the admin: the automatic check, run again when a citation changes, keeps its hands off."""
    from quotes.verification import update_quote_verification

    quote = make_quote()
    client = token_client(editor)
    response = client.patch(
        f"/api/v1/quotes/{quote.pk}/",
        json.dumps({"verification": "verified", "verification_note": "Checked against the broadcast."}),
        content_type="application/json",
        HTTP_IF_MATCH=client.get(f"/api/v1/quotes/{quote.pk}/")["ETag"],
    )
    assert response.status_code == 200, response.content
    quote.refresh_from_db()
    update_quote_verification(quote=quote)
    quote.refresh_from_db()
    assert quote.verification == "verified" and quote.verification_overridden
