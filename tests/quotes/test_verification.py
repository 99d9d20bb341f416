"""Verbatim verification: the five results, their selectors, and when a quote counts as verified."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from archive.models import Snapshot
from archive.services import add_manual_copy
from quotes.models import Citation, Quote
from quotes.verification import find_quote, verify_quote
from tests.factories import cite, make_quote, make_source

pytestmark = pytest.mark.django_db

TRANSCRIPT = (
    "PRESS BRIEFING, 4 MARCH. The minister opened with a statement on the budget. "
    "\u201cWe will not balance the books on the backs of nurses \u2014 not this year, not ever,\u201d "
    "she said. Asked about the rail line, she added: \u2018The costings will be published in full "
    "on Wednesday, and every line of them will be open to scrutiny.\u2019 The briefing then ended."
)


def source_with_copy(text=TRANSCRIPT, **fields):
    source = make_source(**fields)
    add_manual_copy(source=source, text=text)
    return source


def checked(quote_text, source=None, role=Citation.Role.PRIMARY):
    quote = make_quote(quote_text)
    citation = cite(quote, source or source_with_copy(), role=role)
    verify_quote(quote=quote)
    citation.refresh_from_db()
    return citation


def around(exact: str) -> tuple[str, str]:
    at = TRANSCRIPT.index(exact)
    return TRANSCRIPT[max(0, at - 32) : at], TRANSCRIPT[at + len(exact) : at + len(exact) + 32]


def test_verbatim_match_with_selector():
    citation = checked("We will not balance the books on the backs of nurses \u2014 not this year, not ever,")
    assert citation.match == "verbatim"
    exact = "We will not balance the books on the backs of nurses \u2014 not this year, not ever,"
    assert citation.selector_exact == exact
    assert (citation.selector_prefix, citation.selector_suffix) == around(exact)
    assert len(citation.selector_prefix) == 32 and len(citation.selector_suffix) == 32
    assert citation.checked_snapshot == Snapshot.objects.get(source=citation.source)
    assert citation.checked_at is not None


def test_normalized_match_selects_the_source_typography():
    # Straight quotes, a hyphen for the dash, other case and spacing: found after normalization,
    # and the selector is cut from the source as it is printed.
    citation = checked("we will NOT balance the books on the  backs of nurses - not this year")
    assert citation.match == "normalized"
    exact = "We will not balance the books on the backs of nurses \u2014 not this year"
    assert citation.selector_exact == exact
    assert (citation.selector_prefix, citation.selector_suffix) == around(exact)


def test_elided_match_selects_the_longer_passage():
    citation = checked(
        "The costings will be published in full \u2026 every line of them will be open to scrutiny."
    )
    assert citation.match == "elided"
    exact = (
        "The costings will be published in full on Wednesday, "
        "and every line of them will be open to scrutiny."
    )
    assert citation.selector_exact == exact
    assert (citation.selector_prefix, citation.selector_suffix) == around(exact)


def test_elision_with_three_dots_must_keep_the_order():
    assert (
        find_quote("every line of them ... The costings will be published", TRANSCRIPT).match == "not_found"
    )
    assert find_quote("The costings will be published ... every line of them", TRANSCRIPT).match == "elided"


def test_not_found_clears_the_selector():
    citation = checked("We will balance the books on the backs of nurses")
    assert citation.match == "not_found"
    assert (citation.selector_exact, citation.selector_prefix, citation.selector_suffix) == ("", "", "")


def test_no_copy_when_the_source_has_no_successful_copy():
    source = make_source()
    Snapshot.objects.create(source=source, fetched_at=timezone.now(), failure_reason="timed out")
    citation = checked("Anything at all", source=source)
    assert citation.match == "no_copy" and citation.checked_snapshot is None


def test_the_latest_copy_is_the_one_checked():
    source = source_with_copy("Version one says: we will cut taxes.")
    citation = checked("we will cut taxes", source=source)
    assert citation.match == "verbatim"
    add_manual_copy(source=source, text="Version two says: we might cut taxes.")  # re-checks
    citation.refresh_from_db()
    assert citation.match == "not_found"
    assert citation.quote.verification == "unverified"
    assert Quote.objects.get(pk=citation.quote_id).verification == "unverified"


def test_a_supporting_primary_citation_verifies_the_quote():
    citation = checked("We will not balance the books on the backs of nurses")
    assert Quote.objects.get(pk=citation.quote_id).verification == "verified"


def test_one_secondary_citation_is_not_enough():
    citation = checked("We will not balance the books", role=Citation.Role.SECONDARY)
    assert citation.match == "verbatim"
    assert Quote.objects.get(pk=citation.quote_id).verification == "unverified"


def test_two_secondaries_from_different_publishers_verify():
    quote = make_quote("We will not balance the books")
    cite(quote, source_with_copy(url="https://dailyledger.com/a", publisher="Daily Ledger"), role="secondary")
    cite(quote, source_with_copy(url="https://eveningpost.com/b", publisher="Evening Post"), role="secondary")
    assert verify_quote(quote=quote) == "verified"


def test_two_secondaries_from_the_same_publisher_are_not_independent():
    quote = make_quote("We will not balance the books")
    cite(quote, source_with_copy(publisher="Daily Ledger"), role="secondary")
    cite(quote, source_with_copy(publisher="daily ledger "), role="secondary")
    assert verify_quote(quote=quote) == "unverified"


def test_a_quote_that_loses_its_evidence_goes_back_to_unverified():
    source = source_with_copy("Primary record: we will cut taxes.")
    citation = checked("we will cut taxes", source=source)
    assert Quote.objects.get(pk=citation.quote_id).verification == "verified"
    add_manual_copy(source=source, text="Corrected record: we will not cut taxes.")
    assert Quote.objects.get(pk=citation.quote_id).verification == "unverified"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"verification": "disputed"}, "disputed"),
        ({"verification": "misattributed"}, "misattributed"),
        ({"verification": "unverified", "verification_overridden": True}, "unverified"),
    ],
)
def test_editors_decisions_are_left_alone(fields, expected):
    quote = make_quote("We will not balance the books", **fields)
    cite(quote, source_with_copy(), role="primary")
    assert verify_quote(quote=quote) == expected
    quote.refresh_from_db()
    assert quote.verification == expected
    assert quote.citations.get().match == "verbatim"  # the evidence is still recorded


def test_verify_citations_command(capsys):
    quote = make_quote("We will not balance the books")
    cite(quote, source_with_copy(), role="primary")
    Citation.objects.update(match="unchecked")
    Quote.objects.update(verification="unverified")
    call_command("verify_citations")
    assert "1 verified" in capsys.readouterr().out
    assert quote.citations.get().match == "verbatim"


def test_demo_quotes_are_found_verbatim_in_the_hand_made_copy(demo):
    citations = Citation.objects.select_related("quote")
    assert {c.match for c in citations} == {"verbatim"}
    trump = citations.get(quote__speaker__slug="donald-trump")
    assert trump.selector_exact == "I strongly suggest they make a deal, BEFORE IT IS TOO LATE"
    assert trump.selector_prefix.endswith("\u2018") and trump.selector_suffix.startswith(",\u2019 he wrote")
    # One secondary report (a single publisher) is not enough to call them verified.
    assert set(Quote.objects.values_list("verification", flat=True)) == {"unverified"}


def test_admin_shows_the_found_passage_highlighted(client, superuser):
    source = source_with_copy("Intro <b>bold</b> then: we will cut taxes. End.")
    citation = checked("we will cut taxes", source=source)
    client.force_login(superuser)
    page = client.get(reverse("admin:quotes_quote_change", args=[citation.quote_id])).content.decode()
    assert "Intro &lt;b&gt;bold&lt;/b&gt; then: <mark>we will cut taxes</mark>. End." in page
    page = client.get(reverse("admin:quotes_citation_change", args=[citation.pk])).content.decode()
    assert "<mark>we will cut taxes</mark>" in page


def test_admin_action_verifies_selected_quotes(client, superuser):
    quote = make_quote("We will not balance the books")
    cite(quote, source_with_copy(), role="primary")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:quotes_quote_changelist"),
        {"action": "verify_now", "_selected_action": [quote.pk]},
        follow=True,
    )
    assert "Verification: 1 verified." in response.content.decode()
    assert Quote.objects.get(pk=quote.pk).verification == "verified"
