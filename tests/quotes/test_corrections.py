"""Corrections: what changed in a published quote, when and why, on the page and in the API."""

import datetime

import pytest
from django.contrib.auth.models import Permission

from quotes.corrections import corrections_for
from quotes.models import Citation, Quote
from quotes.services import save_quote
from tests.factories import cite, make_quote, make_source, make_speaker, make_venue


@pytest.fixture
def reviewer_user(editor):
    editor.user_permissions.add(Permission.objects.get(codename="publish_quote"))
    return editor


def age_history(quote: Quote, hours: int = 1) -> None:
    """Pretend the quote and its citations were recorded some time ago."""
    delta = datetime.timedelta(hours=hours)
    for record in quote.history.all():
        record.history_date -= delta
        record.save()
    for record in Citation.history.filter(quote_id=quote.pk):
        record.history_date -= delta
        record.save()
    Quote.objects.filter(pk=quote.pk).update(first_published_at=quote.history.earliest().history_date)


def summary(quote: Quote) -> list[tuple[str, list[tuple]]]:
    return [
        (c.reason, [(ch.field, ch.old, ch.new) for ch in c.changes]) for c in corrections_for(quote=quote)
    ]


def test_demo_quotes_have_no_corrections(demo):
    for quote in Quote.objects.all():
        assert corrections_for(quote=quote) == []


def test_text_speaker_date_and_venue_changes_are_corrections(reviewer_user):
    quote = make_quote("Original words", speaker=make_speaker("Ada Lovelace"))
    age_history(quote)
    quote.text = "Original words, corrected"
    save_quote(quote=quote, user=reviewer_user, change_reason="Checked against the recording")
    quote.speaker = make_speaker("Charles Babbage")
    quote.said_on, quote.date_precision = datetime.date(2024, 5, 1), Quote.Precision.MONTH
    quote.venue = make_venue(name="Royal Society")
    save_quote(quote=quote, user=reviewer_user, change_reason="Wrong speaker and date")
    assert summary(quote) == [
        ("Checked against the recording", [("text", "Original words", "Original words, corrected")]),
        (
            "Wrong speaker and date",
            [
                ("speaker", "Ada Lovelace", "Charles Babbage"),
                ("date", "17 May 2024", "May 2024"),
                ("venue", None, "Royal Society"),
            ],
        ),
    ]


def test_changes_before_publication_and_editorial_states_are_not_corrections(reviewer_user):
    quote = make_quote("Draft words", status=Quote.Status.DRAFT)
    quote.text = "Draft words, reworded before publication"
    save_quote(quote=quote, user=reviewer_user, change_reason="typo")
    quote.status = Quote.Status.PUBLISHED
    save_quote(quote=quote, user=reviewer_user, change_reason="Publish")
    quote.verification = Quote.Verification.VERIFIED
    save_quote(quote=quote, user=reviewer_user, change_reason="Verified")
    quote.status, quote.status_note = Quote.Status.RETRACTED, "Misheard"
    save_quote(quote=quote, user=reviewer_user, change_reason="Retracted")
    assert corrections_for(quote=quote) == []


def test_sources_added_changed_and_removed_later_are_corrections(db):
    quote = make_quote("Sourced words")
    kept = cite(quote, make_source(title="First report", publisher="Daily"))
    age_history(quote)
    added = cite(quote, make_source(title="Transcript"), role=Citation.Role.PRIMARY)
    kept.role = Citation.Role.PRIMARY
    kept._change_reason = "It is the speaker's own site"
    kept.save()
    added.delete()
    changes = [ch for c in corrections_for(quote=quote) for ch in (c.changes)]
    assert [(c.field, c.old, c.new) for c in changes] == [
        ("citations", None, "Transcript"),
        ("citations", "First report (Daily) (secondary)", "First report (Daily) (primary)"),
        ("citations", "Transcript", None),
    ]
    assert "It is the speaker's own site" in [c.reason for c in corrections_for(quote=quote)]


def test_citation_changes_saved_with_the_quote_share_its_reason(reviewer_user):
    quote = make_quote("Words")
    citation = cite(quote)
    age_history(quote)
    # What the admin does: save the quote with the editor's reason, then its citation inlines.
    save_quote(quote=quote, user=reviewer_user, change_reason="Added the page number")
    citation.locator = "p. 4"
    citation.save()
    change = ("citations", f"{citation.source} (secondary)", f"{citation.source} (secondary), p. 4")
    assert summary(quote) == [("Added the page number", [change])]


def test_verification_results_are_not_corrections(db):
    quote = make_quote("Words")
    citation = cite(quote)
    age_history(quote)
    citation.match = Citation.Match.VERBATIM
    citation.save()
    assert corrections_for(quote=quote) == []


def test_corrections_endpoint(client, reviewer_user):
    quote = make_quote("Before")
    age_history(quote)
    quote.text = "After"
    save_quote(quote=quote, user=reviewer_user, change_reason="Transcript checked")
    response = client.get(f"/api/v1/quotes/{quote.pk}/corrections/")
    assert response.status_code == 200
    data = response.json()
    assert data["quote"] == quote.pk
    assert data["url"] == f"http://testserver/q/{quote.pk}/"
    [correction] = data["corrections"]
    assert correction["reason"] == "Transcript checked"
    assert correction["changes"] == [{"field": "text", "label": "Text", "old": "Before", "new": "After"}]
    assert correction["corrected_at"].endswith("Z")


def test_corrections_of_unpublished_quotes_are_404(client, db):
    quote = make_quote("Draft", status=Quote.Status.DRAFT)
    response = client.get(f"/api/v1/quotes/{quote.pk}/corrections/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_corrections_are_read_in_a_fixed_number_of_queries(reviewer_user, django_assert_num_queries):
    quote = make_quote("Words")
    for _ in range(3):
        cite(quote)
    age_history(quote)
    for n in range(5):
        quote.text = f"Words {n}"
        save_quote(quote=quote, user=reviewer_user, change_reason=f"edit {n}")
    # quote history, citation history, speakers, venues (skipped: none), sources
    with django_assert_num_queries(4):
        assert len(corrections_for(quote=quote)) == 5
