"""The write path: tokens, editors' and reviewers' rights, If-Match, Idempotency-Key."""

import threading
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client

from quotes.models import ApiToken, Quote
from tests.factories import make_quote, make_source, make_speaker


def token_client(user) -> Client:
    _, key = ApiToken.issue(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


@pytest.fixture
def speaker(db):
    return make_speaker("Ana Pérez", slug="ana-perez")


def new_quote(**fields) -> dict:
    return {"text": "We will build the bridge.", "speaker": "ana-perez", "said_on": "2025-03-02", **fields}


def test_anonymous_writes_are_401_with_a_challenge(client, speaker):
    response = client.post("/api/v1/quotes/", new_quote(), content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_bad_token_is_401(speaker):
    client = Client(HTTP_AUTHORIZATION="Token not-a-real-key")
    response = client.post("/api/v1/quotes/", new_quote(), content_type="application/json")
    assert response.status_code == 401


def test_users_outside_the_editors_group_get_403(plain_user, speaker):
    response = token_client(plain_user).post("/api/v1/quotes/", new_quote(), content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_editor_creates_a_draft_that_the_public_cannot_see(client, editor, speaker):
    response = token_client(editor).post(
        "/api/v1/quotes/",
        new_quote(tags=[], about=["ana-perez"], version=99, created_by=1, id=12345),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    quote = Quote.objects.get(pk=data["id"])
    assert quote.status == "draft" and quote.version == 1 and quote.created_by == editor
    assert data["id"] != 12345
    assert response["Location"].endswith(f"/api/v1/quotes/{quote.pk}/")
    assert response["ETag"].startswith(f'"q{quote.pk}.v1.')
    assert client.get(f"/api/v1/quotes/{quote.pk}/").status_code == 404
    assert list(quote.about.values_list("slug", flat=True)) == ["ana-perez"]


def test_token_use_is_recorded(editor, speaker):
    client = token_client(editor)
    client.get("/api/v1/quotes/")
    assert ApiToken.objects.get(user=editor).last_used_at is not None


def test_only_reviewers_publish(editor, reviewer, speaker):
    refused = token_client(editor).post(
        "/api/v1/quotes/", new_quote(status="published"), content_type="application/json"
    )
    assert refused.status_code == 403
    assert "reviewer" in refused.json()["error"]["message"].lower()
    published = token_client(reviewer).post(
        "/api/v1/quotes/", new_quote(status="published"), content_type="application/json"
    )
    assert published.status_code == 201
    assert published.json()["status"] == "published"


def test_editors_cannot_retract_but_reviewers_can_and_the_permalink_stays(client, editor, reviewer, speaker):
    quote = make_quote("Published words.", speaker)
    assert token_client(editor).delete(f"/api/v1/quotes/{quote.pk}/").status_code == 403
    assert (
        token_client(editor)
        .patch(f"/api/v1/quotes/{quote.pk}/", {"status": "retracted"}, content_type="application/json")
        .status_code
        == 403
    )
    assert token_client(reviewer).delete(f"/api/v1/quotes/{quote.pk}/").status_code == 204
    quote.refresh_from_db()
    assert quote.status == "retracted"
    assert client.get(f"/api/v1/quotes/{quote.pk}/").json()["status"] == "retracted"
    assert quote.pk not in [q["id"] for q in client.get("/api/v1/quotes/").json()["results"]]


def test_validation_errors_name_the_fields(editor, speaker):
    client = token_client(editor)
    response = client.post("/api/v1/quotes/", {"speaker": "nobody"}, content_type="application/json")
    assert response.status_code == 400
    assert {"text", "speaker"} <= set(response.json()["error"]["fields"])
    future = client.post("/api/v1/quotes/", new_quote(said_on="2999-01-01"), content_type="application/json")
    assert future.status_code == 400
    assert "said_on" in future.json()["error"]["fields"]


def test_if_match_refuses_a_stale_write(editor, speaker):
    client = token_client(editor)
    quote = make_quote("Draft words.", speaker, status="draft")
    etag = client.get(f"/api/v1/quotes/{quote.pk}/")["ETag"]
    first = client.patch(
        f"/api/v1/quotes/{quote.pk}/",
        {"context": "first"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    assert first.status_code == 200
    assert first["ETag"] != etag
    stale = client.patch(
        f"/api/v1/quotes/{quote.pk}/",
        {"context": "second"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    fresh = client.put(
        f"/api/v1/quotes/{quote.pk}/",
        new_quote(text="Draft words.", context="third"),
        content_type="application/json",
        HTTP_IF_MATCH=first["ETag"],
    )
    assert fresh.status_code == 200
    quote.refresh_from_db()
    assert quote.context == "third" and quote.version == 3


def test_idempotency_key_replays_the_first_response(editor, speaker):
    client = token_client(editor)
    body = new_quote()
    first = client.post("/api/v1/quotes/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/quotes/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Quote.objects.count() == 1
    other = client.post(
        "/api/v1/quotes/",
        new_quote(text="Other words."),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_create_api_token_prints_a_working_token(editor):
    out = StringIO()
    call_command("create_api_token", editor.username, "--name", "importer", stdout=out)
    key = out.getvalue().strip()
    token = ApiToken.objects.get(user=editor, name="importer")
    assert key not in (token.key_hash, "") and key.startswith(token.prefix)
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").post(
        "/api/v1/sources/", {"url": "https://example.com/a"}, content_type="application/json"
    )
    assert response.status_code == 201


def test_tokens_are_issued_in_the_admin_and_shown_once(superuser, editor):
    client = Client()
    client.force_login(superuser)
    response = client.post("/admin/quotes/apitoken/add/", {"user": editor.pk, "name": "tool"}, follow=True)
    token = ApiToken.objects.get(user=editor)
    shown = [str(m) for m in response.context["messages"] if "copy it now" in str(m)]
    assert len(shown) == 1 and token.prefix in shown[0]


def test_speakers_venues_citations_are_writable_by_editors(editor, speaker):
    client = token_client(editor)
    created = client.post(
        "/api/v1/speakers/", {"name": "Bo", "slug": "bo", "aliases": ["B."]}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["aliases"] == ["B."]
    etag = client.get("/api/v1/speakers/bo/")["ETag"]
    assert created["ETag"] == etag
    assert (
        client.patch(
            "/api/v1/speakers/bo/", {"name": "Bob"}, content_type="application/json", HTTP_IF_MATCH=etag
        ).status_code
        == 200
    )
    assert (
        client.patch(
            "/api/v1/speakers/bo/", {"name": "Bobby"}, content_type="application/json", HTTP_IF_MATCH=etag
        ).status_code
        == 412
    )
    venue = client.post(
        "/api/v1/venues/", {"name": "Hall", "kind": "speech"}, content_type="application/json"
    )
    assert venue.status_code == 201
    quote = make_quote("Cited words.", speaker, status="draft")
    source = make_source()
    body = {"quote": quote.pk, "source": source.pk, "role": "primary"}
    assert client.post("/api/v1/citations/", body, content_type="application/json").status_code == 201
    duplicate = client.post("/api/v1/citations/", body, content_type="application/json")
    assert duplicate.status_code == 400
    assert client.delete(f"/api/v1/venues/{venue.json()['id']}/").status_code == 204


def test_speakers_with_quotes_cannot_be_deleted(editor, speaker):
    make_quote("Words.", speaker)
    response = token_client(editor).delete("/api/v1/speakers/ana-perez/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")


def superuser_key() -> str:
    # Transactional tests flush the tables, groups included: a superuser needs no group.
    user = User.objects.create_superuser("concurrent", "c@example.org", "pw")
    return ApiToken.issue(user=user)[1]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_puts_with_one_etag_give_one_200_and_one_412():
    speaker = make_speaker("Ana Pérez", slug="ana-perez")
    quote = make_quote("Draft words.", speaker, status="draft")
    key = superuser_key()
    etag = Client(HTTP_AUTHORIZATION=f"Token {key}").get(f"/api/v1/quotes/{quote.pk}/")["ETag"]
    barrier, statuses = threading.Barrier(2), []

    def put(context: str) -> None:
        try:
            barrier.wait()
            response = Client(HTTP_AUTHORIZATION=f"Token {key}").put(
                f"/api/v1/quotes/{quote.pk}/",
                new_quote(text="Draft words.", context=context),
                content_type="application/json",
                HTTP_IF_MATCH=etag,
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=put, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412]
    quote.refresh_from_db()
    assert quote.version == 2


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_one_idempotency_key_create_one_quote():
    make_speaker("Ana Pérez", slug="ana-perez")
    key = superuser_key()
    barrier, statuses = threading.Barrier(3), []

    def post() -> None:
        try:
            barrier.wait()
            response = Client(HTTP_AUTHORIZATION=f"Token {key}").post(
                "/api/v1/quotes/", new_quote(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="same"
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Quote.objects.count() == 1
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}


def test_citations_written_through_the_api_are_checked_against_the_preserved_copy(editor, speaker):
    from archive.services import add_manual_copy

    quote = make_quote("We will build the bridge.", speaker, status="draft")
    source = make_source(publisher="Ana's office")
    add_manual_copy(
        source=source, text="Transcript. She said: “We will build the bridge.” Applause.", user=editor
    )
    client = token_client(editor)
    etag_before_citation = client.get(f"/api/v1/quotes/{quote.pk}/")["ETag"]
    body = {"quote": quote.pk, "source": source.pk, "role": "primary"}
    created = client.post("/api/v1/citations/", body, content_type="application/json")
    assert created.status_code == 201
    stale = client.patch(
        f"/api/v1/quotes/{quote.pk}/",
        {"context": "x"},
        content_type="application/json",
        HTTP_IF_MATCH=etag_before_citation,
    )
    assert stale.status_code == 412  # the evidence changed since that ETag was read
    quote.refresh_from_db()
    citation = quote.citations.get()
    assert citation.match == "verbatim" and citation.selector_exact == "We will build the bridge."
    assert quote.verification == "verified"

    # New words the copy does not hold: the evidence no longer supports the quote.
    etag = client.get(f"/api/v1/quotes/{quote.pk}/")["ETag"]
    changed = client.patch(
        f"/api/v1/quotes/{quote.pk}/",
        {"text": "We will build two bridges."},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    assert changed.status_code == 200
    citation.refresh_from_db()
    quote.refresh_from_db()
    assert citation.match == "not_found" and quote.verification == "unverified"

    assert client.delete(f"/api/v1/citations/{citation.pk}/").status_code == 204
    quote.refresh_from_db()
    assert quote.verification == "unverified"
