"""A speaker that quotes are about cannot be deleted: the quotes would silently lose who they are
about, with nothing in their history. The API answers 409 and the admin refuses, as for a speaker
who is quoted, a venue or a cited source."""

import pytest
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from quotes.models import ApiToken, Quote, Speaker
from tests.factories import make_quote, make_speaker

pytestmark = pytest.mark.django_db


@pytest.fixture
def subject() -> Speaker:
    """A speaker who is talked about in a published quote, never quoted."""
    speaker = make_speaker("Government of Cuba", slug="government-of-cuba")
    quote = make_quote("They must make a deal.")
    quote.about.set([speaker])
    return speaker


def token_client(user) -> Client:
    _, key = ApiToken.issue(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def test_a_speaker_quotes_are_about_cannot_be_deleted(subject):
    with pytest.raises(ProtectedError):
        subject.delete()
    assert Quote.objects.get(about=subject).text == "They must make a deal."


def test_the_api_refuses_to_delete_a_speaker_quotes_are_about_with_409(editor, subject):
    response = token_client(editor).delete("/api/v1/speakers/government-of-cuba/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert Speaker.objects.filter(slug="government-of-cuba").exists()
    assert Quote.objects.filter(about=subject).count() == 1


def test_the_admin_refuses_to_delete_a_speaker_quotes_are_about(client, superuser, subject):
    client.force_login(superuser)
    url = reverse("admin:quotes_speaker_delete", args=[subject.pk])
    page = client.get(url)
    assert "would require deleting the following protected related objects" in page.content.decode()
    assert "They must make a deal." in page.content.decode()
    client.post(url, {"post": "yes"})
    assert Speaker.objects.filter(pk=subject.pk).exists()
    assert Quote.objects.filter(about=subject).count() == 1


def test_the_admin_bulk_delete_refuses_too(client, superuser, subject):
    client.force_login(superuser)
    changelist = reverse("admin:quotes_speaker_changelist")
    response = client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [subject.pk], "post": "yes"},
        follow=True,
    )
    assert "Cannot delete" in response.content.decode()
    assert Speaker.objects.filter(pk=subject.pk).exists()


def test_a_speaker_no_quote_is_about_any_more_can_be_deleted(editor, subject):
    Quote.objects.get(about=subject).about.clear()
    assert token_client(editor).delete("/api/v1/speakers/government-of-cuba/").status_code == 204


def test_who_a_quote_is_about_is_still_edited_in_the_admin_and_kept_in_history(client, superuser, subject):
    quote = Quote.objects.get(about=subject)
    other = make_speaker("Government of the United States")
    client.force_login(superuser)
    url = reverse("admin:quotes_quote_change", args=[quote.pk])
    assert 'name="about"' in client.get(url).content.decode()
    data = {
        "text": quote.text,
        "speaker": quote.speaker_id,
        "said_on": quote.said_on.isoformat(),
        "date_precision": quote.date_precision,
        "language": quote.language,
        "status": quote.status,
        "verification": quote.verification,
        "about": [subject.pk, other.pk],
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
        "opened_version": quote.version,  # as the admin's page sends it
    }
    assert client.post(url, data).status_code == 302
    assert set(quote.about.values_list("pk", flat=True)) == {subject.pk, other.pk}
    latest = quote.history.first()
    assert {row.speaker_id for row in latest.about.all()} == {subject.pk, other.pk}
