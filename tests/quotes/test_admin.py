import pytest
from django.urls import reverse

from archive.models import Snapshot, Source
from quotes.models import Citation, Quote, Speaker, Tag, Venue

pytestmark = pytest.mark.django_db

MODELS = [Quote, Speaker, Venue, Tag, Citation, Source, Snapshot]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_admin_list_add_and_change_pages_render(client, superuser, demo, model):
    client.force_login(superuser)
    opts = model._meta
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200
    obj = model.objects.first()
    change = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert change.status_code == 200


def test_admin_search_finds_a_quote_by_speaker_alias(client, superuser, demo):
    client.force_login(superuser)
    response = client.get(reverse("admin:quotes_quote_changelist"), {"q": "President Trump"})
    assert "BEFORE IT IS TOO LATE" in response.content.decode()


def test_quote_history_page_renders(client, superuser, demo):
    client.force_login(superuser)
    quote = Quote.objects.first()
    assert client.get(reverse("admin:quotes_quote_history", args=[quote.pk])).status_code == 200


def _change_data(quote: Quote, **overrides) -> dict:
    data = {
        "text": quote.text,
        "speaker": quote.speaker_id,
        "speaker_role": quote.speaker_role,
        "said_on": quote.said_on.isoformat() if quote.said_on else "",
        "date_precision": quote.date_precision,
        "language": quote.language,
        "status": quote.status,
        "verification": quote.verification,
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
        "opened_version": quote.version,  # as the admin's page sends it
    }
    data.update(overrides)
    return data


def test_an_editor_cannot_publish_in_the_admin(client, editor):
    from tests.factories import make_quote

    quote = make_quote(status="draft")
    client.force_login(editor)
    url = reverse("admin:quotes_quote_change", args=[quote.pk])
    response = client.post(url, _change_data(quote, status="published"))
    assert response.status_code == 200
    assert "Only reviewers can publish" in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == "draft"


def test_an_editor_can_send_to_review_and_a_reviewer_can_publish(client, editor, reviewer):
    from tests.factories import make_quote

    quote = make_quote(status="draft")
    client.force_login(editor)
    url = reverse("admin:quotes_quote_change", args=[quote.pk])
    assert client.post(url, _change_data(quote, status="in_review")).status_code == 302
    quote.refresh_from_db()
    assert quote.status == "in_review"
    client.force_login(reviewer)
    assert (
        client.post(url, _change_data(quote, status="published", change_reason="Checked")).status_code == 302
    )
    quote.refresh_from_db()
    assert quote.status == "published"
    assert quote.history.first().history_change_reason == "Checked"


def test_the_publish_bulk_action_is_not_offered_to_editors(client, editor, demo):
    client.force_login(editor)
    response = client.get(reverse("admin:quotes_quote_changelist"))
    assert "send_to_review" in response.content.decode()
    assert 'value="publish"' not in response.content.decode()


def test_editors_cannot_hard_delete_quotes(client, editor, demo):
    client.force_login(editor)
    quote = Quote.objects.first()
    assert client.get(reverse("admin:quotes_quote_delete", args=[quote.pk])).status_code == 403
