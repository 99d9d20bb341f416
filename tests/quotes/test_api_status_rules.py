"""Retracting and deleting quotes: only words that were once public are retracted (and stay public,
marked so); a quote never published is deleted for real, never "retracted" into public view."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from quotes.models import ApiToken, Quote
from quotes.permissions import quote_deletion_error, retraction_error
from quotes.services import delete_unpublished_quote, save_quote, set_quotes_status
from quotes.web.queries import recent_states
from tests.factories import cite, make_quote, make_speaker


@pytest.fixture(autouse=True)
def fresh_embed_state(db):
    # Embed cards and oEmbed reuse a quote's state for a few seconds (per process); each test
    # starts clean, as SQLite gives a rolled-back test's ids to the next.
    recent_states.clear()


def token_client(user) -> Client:
    _, key = ApiToken.issue(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


@pytest.fixture
def speaker(db):
    return make_speaker("Ana Pérez", slug="ana-perez")


@pytest.fixture
def writers(editor, reviewer, superuser) -> dict:
    return {"editor": editor, "reviewer": reviewer, "superuser": superuser}


def post_draft(client: Client, **fields) -> int:
    body = {"text": "Words never meant for print.", "speaker": "ana-perez", "said_on": "2025-03-02", **fields}
    response = client.post("/api/v1/quotes/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def public_statuses(pk: int) -> dict[str, int]:
    """What an anonymous reader gets from every public surface of quote `pk`."""
    anonymous = Client()
    permalink = f"http://testserver/q/{pk}/"
    urls = [
        f"/api/v1/quotes/{pk}/",
        f"/q/{pk}/",
        f"/embed/q/{pk}/",
        f"/oembed?url={permalink}&format=json",
        f"/api/v1/quotes/{pk}/cite/?style=apa",
    ]
    return {url: anonymous.get(url).status_code for url in urls}


# --- DELETE ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["editor", "reviewer", "superuser"])
@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_deleting_a_never_published_quote_deletes_it_and_nothing_becomes_public(
    writers, speaker, role, status
):
    client = token_client(writers[role])
    pk = post_draft(client)
    if status != "draft":
        patched = client.patch(f"/api/v1/quotes/{pk}/", {"status": status}, content_type="application/json")
        assert patched.status_code == 200, patched.content

    response = client.delete(f"/api/v1/quotes/{pk}/")

    assert response.status_code == 204, response.content
    assert not Quote.objects.filter(pk=pk).exists()
    assert set(public_statuses(pk).values()) == {404}, public_statuses(pk)
    assert client.get(f"/api/v1/quotes/{pk}/").status_code == 404
    assert Quote.history.filter(id=pk, history_type="-").exists(), "the deletion is kept in history"


def test_deleting_a_draft_also_removes_its_citations(reviewer, speaker):
    client = token_client(reviewer)
    pk = post_draft(client)
    citation = cite(Quote.objects.get(pk=pk))
    assert client.delete(f"/api/v1/quotes/{pk}/").status_code == 204
    assert Client().get(f"/api/v1/citations/{citation.pk}/").status_code == 404
    assert client.get(f"/api/v1/citations/{citation.pk}/").status_code == 404


def test_deleting_a_published_quote_still_retracts_it(client, reviewer, speaker):
    quote = make_quote("Published words.", speaker)
    assert token_client(reviewer).delete(f"/api/v1/quotes/{quote.pk}/").status_code == 204
    quote.refresh_from_db()
    assert quote.status == "retracted"
    assert client.get(f"/api/v1/quotes/{quote.pk}/").json()["status"] == "retracted"


def test_a_quote_once_published_and_sent_back_to_draft_is_retracted_not_deleted(editor, reviewer, speaker):
    client = token_client(reviewer)
    pk = post_draft(client, status="published")
    back = client.patch(f"/api/v1/quotes/{pk}/", {"status": "draft"}, content_type="application/json")
    assert back.status_code == 200, back.content
    # Its permalink was public once (embeds elsewhere may point at it): an editor cannot drop it ...
    assert token_client(editor).delete(f"/api/v1/quotes/{pk}/").status_code == 403
    assert Quote.objects.filter(pk=pk, status="draft").exists()
    # ... and a reviewer's DELETE retracts it, so the permalink says so.
    assert client.delete(f"/api/v1/quotes/{pk}/").status_code == 204
    assert Quote.objects.get(pk=pk).status == "retracted"
    assert Client().get(f"/api/v1/quotes/{pk}/").json()["status"] == "retracted"


def test_users_outside_the_editors_group_cannot_delete_a_draft(plain_user, speaker):
    quote = make_quote("Draft words.", speaker, status="draft")
    assert token_client(plain_user).delete(f"/api/v1/quotes/{quote.pk}/").status_code == 403
    assert Quote.objects.filter(pk=quote.pk).exists()


def test_deleting_a_draft_with_a_stale_etag_is_412(reviewer, speaker):
    client = token_client(reviewer)
    pk = post_draft(client)
    etag = client.get(f"/api/v1/quotes/{pk}/")["ETag"]
    client.patch(f"/api/v1/quotes/{pk}/", {"context": "edited"}, content_type="application/json")
    assert client.delete(f"/api/v1/quotes/{pk}/", HTTP_IF_MATCH=etag).status_code == 412
    assert Quote.objects.filter(pk=pk).exists()


def test_a_draft_another_quote_points_to_cannot_be_deleted(reviewer, speaker):
    draft = make_quote("The real words.", speaker, status="draft")
    make_quote("The misquoted words.", make_speaker(), status="draft", correct_attribution=draft)
    response = token_client(reviewer).delete(f"/api/v1/quotes/{draft.pk}/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert Quote.objects.filter(pk=draft.pk).exists()


# --- status = retracted --------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_a_never_published_quote_cannot_be_retracted(reviewer, speaker, status):
    quote = make_quote("Draft words.", speaker, status=status)
    response = token_client(reviewer).patch(
        f"/api/v1/quotes/{quote.pk}/", {"status": "retracted"}, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "never published" in " ".join(error["fields"]["status"])
    quote.refresh_from_db()
    assert quote.status == status
    assert set(public_statuses(quote.pk).values()) == {404}


def test_a_new_quote_cannot_be_created_retracted(superuser, speaker):
    response = token_client(superuser).post(
        "/api/v1/quotes/",
        {"text": "Words.", "speaker": "ana-perez", "said_on": "2025-03-02", "status": "retracted"},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "status" in response.json()["error"]["fields"]
    assert not Quote.objects.exists()


def test_a_published_quote_is_retracted_by_patch_and_stays_public(reviewer, speaker):
    client = token_client(reviewer)
    pk = post_draft(client, status="published")
    response = client.patch(f"/api/v1/quotes/{pk}/", {"status": "retracted"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert set(public_statuses(pk).values()) == {200}, public_statuses(pk)


# --- The rules themselves, as the admin reuses them ---------------------------------------------


def test_retraction_error_refuses_only_quotes_never_published():
    now = timezone.now()
    assert retraction_error(old_status="draft", new_status="retracted", first_published_at=None)
    assert retraction_error(old_status="in_review", new_status="retracted", first_published_at=None)
    assert retraction_error(old_status=None, new_status="retracted", first_published_at=None)  # new
    assert retraction_error(old_status="draft", new_status="published", first_published_at=None) is None
    assert retraction_error(old_status="draft", new_status="retracted", first_published_at=now) is None
    assert retraction_error(old_status="published", new_status="retracted", first_published_at=None) is None
    assert retraction_error(old_status="retracted", new_status="retracted", first_published_at=None) is None


def test_quote_deletion_error_names_who_and_what(editor, plain_user, speaker):
    draft = make_quote("Draft words.", speaker, status="draft")
    published = make_quote("Public words.", speaker)
    assert quote_deletion_error(editor, quote=draft) is None
    assert "editor" in quote_deletion_error(plain_user, quote=draft).lower()
    assert "retract" in quote_deletion_error(editor, quote=published).lower()


def test_delete_unpublished_quote_refuses_a_published_quote(superuser, speaker):
    published = make_quote("Public words.", speaker)
    with pytest.raises(PermissionDenied):
        delete_unpublished_quote(quote=published, user=superuser)
    assert Quote.objects.filter(pk=published.pk).exists()


def test_save_quote_refuses_to_retract_a_draft(reviewer, speaker):
    draft = make_quote("Draft words.", speaker, status="draft")
    draft.status = "retracted"
    with pytest.raises(ValidationError) as refused:
        save_quote(quote=draft, user=reviewer)
    assert "status" in refused.value.message_dict
    assert Quote.objects.get(pk=draft.pk).status == "draft"


def test_the_bulk_retract_leaves_every_quote_alone_when_one_was_never_published(reviewer, speaker):
    draft = make_quote("Draft words.", speaker, status="draft")
    published = make_quote("Public words.", speaker)
    with pytest.raises(ValidationError):
        set_quotes_status(quotes=Quote.objects.all(), user=reviewer, status="retracted")
    assert Quote.objects.get(pk=draft.pk).status == "draft"
    assert Quote.objects.get(pk=published.pk).status == "published"
