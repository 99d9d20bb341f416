"""Two editors working on the same quote in the admin cannot silently overwrite each other,
and quotes are only hard-deleted by a superuser, with the deletion kept in history."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from quotes.models import Quote
from tests.factories import make_quote

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_for_editing(client: Client, quote: Quote) -> dict:
    """GET the change page and return the form data a browser would send back unchanged."""
    page = client.get(reverse("admin:quotes_quote_change", args=[quote.pk]))
    assert page.status_code == 200
    opened = re.search(r'name="opened_version" value="(\d+)"', page.content.decode())
    assert opened, "the change form carries the version the editor opened"
    return {
        "text": quote.text,
        "speaker": quote.speaker_id,
        "speaker_role": quote.speaker_role,
        "said_on": quote.said_on.isoformat(),
        "date_precision": quote.date_precision,
        "language": quote.language,
        "status": quote.status,
        "verification": quote.verification,
        "opened_version": opened.group(1),
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
    }


@pytest.fixture
def second_editor(db) -> User:
    user = User.objects.create_user("edna-editor", "edna@example.org", "pw-for-tests", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    return user


def test_the_second_of_two_concurrent_saves_is_refused_with_a_clear_message(editor, second_editor):
    quote = make_quote(text="We will build the bridge.", status="draft", speaker_role="Mayor")
    url = reverse("admin:quotes_quote_change", args=[quote.pk])
    eddie, edna = signed_in(editor), signed_in(second_editor)
    eddie_form, edna_form = open_for_editing(eddie, quote), open_for_editing(edna, quote)

    first = eddie.post(url, {**eddie_form, "speaker_role": "Mayor of Springfield"})
    assert first.status_code == 302

    second = edna.post(url, {**edna_form, "context": "Asked about the budget."})
    assert second.status_code == 200
    page = second.content.decode()
    assert "This quote was changed by eddie-editor at" in page
    assert "reload the page" in page

    quote.refresh_from_db()
    assert quote.speaker_role == "Mayor of Springfield"
    assert quote.context == ""
    assert quote.history.count() == 2  # created, then Eddie's change; nothing from Edna


def test_after_reloading_the_second_editor_can_save(editor, second_editor):
    quote = make_quote(status="draft")
    url = reverse("admin:quotes_quote_change", args=[quote.pk])
    eddie, edna = signed_in(editor), signed_in(second_editor)
    edna_stale = open_for_editing(edna, quote)
    assert eddie.post(url, {**open_for_editing(eddie, quote), "speaker_role": "Mayor"}).status_code == 302
    assert edna.post(url, {**edna_stale, "context": "At the gala."}).status_code == 200

    quote.refresh_from_db()
    assert edna.post(url, {**open_for_editing(edna, quote), "context": "At the gala."}).status_code == 302
    quote.refresh_from_db()
    assert (quote.speaker_role, quote.context) == ("Mayor", "At the gala.")


def test_saving_twice_in_a_row_by_one_editor_is_not_a_conflict(editor):
    quote = make_quote(status="draft")
    url = reverse("admin:quotes_quote_change", args=[quote.pk])
    eddie = signed_in(editor)
    assert eddie.post(url, {**open_for_editing(eddie, quote), "speaker_role": "Mayor"}).status_code == 302
    quote.refresh_from_db()
    assert eddie.post(url, {**open_for_editing(eddie, quote), "speaker_role": "Ex-mayor"}).status_code == 302


def test_a_bulk_action_in_between_also_counts_as_a_change(editor, reviewer):
    quote = make_quote(status="in_review")
    url = reverse("admin:quotes_quote_change", args=[quote.pk])
    eddie = signed_in(editor)
    stale = open_for_editing(eddie, quote)
    changelist = reverse("admin:quotes_quote_changelist")
    signed_in(reviewer).post(changelist, {"action": "publish", "_selected_action": [quote.pk]})
    quote.refresh_from_db()
    assert quote.status == "published"
    response = eddie.post(url, {**stale, "speaker_role": "Mayor"})
    assert "This quote was changed by rita-reviewer" in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == "published" and quote.speaker_role == ""


@pytest.mark.parametrize("who", ["editor", "reviewer"])
def test_only_a_superuser_may_hard_delete_a_quote(request, who):
    quote = make_quote()
    client = signed_in(request.getfixturevalue(who))
    delete_url = reverse("admin:quotes_quote_delete", args=[quote.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Quote.objects.filter(pk=quote.pk).exists()


def test_a_superusers_hard_delete_is_kept_in_history(superuser):
    quote = make_quote(text="Words that will be deleted.")
    pk = quote.pk
    response = signed_in(superuser).post(reverse("admin:quotes_quote_delete", args=[pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Quote.objects.filter(pk=pk).exists()
    last = Quote.history.filter(id=pk).order_by("-history_date").first()
    assert last.history_type == "-"
    assert last.text == "Words that will be deleted."
    assert last.history_user == superuser
