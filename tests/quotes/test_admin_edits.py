"""Editing quotes in the admin: reverting from history, duplicates, verification set by hand,
odd input (NUL bytes, bad ids, probabilities), and text kept exactly as typed."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from archive.services import add_manual_copy
from quotes.models import Quote, Speaker
from tests.factories import cite, make_quote, make_source, make_speaker

pytestmark = pytest.mark.django_db

INLINES_EMPTY = {
    "citations-TOTAL_FORMS": "0",
    "citations-INITIAL_FORMS": "0",
    "citations-MIN_NUM_FORMS": "0",
    "citations-MAX_NUM_FORMS": "1000",
}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(quote: Quote, **overrides) -> dict:
    """What the change (or revert) form sends back for `quote` unchanged."""
    data = {
        "text": quote.text,
        "speaker": quote.speaker_id,
        "speaker_role": quote.speaker_role,
        "said_on": quote.said_on.isoformat() if quote.said_on else "",
        "date_precision": quote.date_precision,
        "language": quote.language,
        "status": quote.status,
        "verification": quote.verification,
        **INLINES_EMPTY,
    }
    if quote.verification_overridden:
        data["verification_overridden"] = "on"
    data.update(overrides)
    return data


def opened_version(page) -> str:
    found = re.search(r'name="opened_version" value="(\d+)"', page.content.decode())
    assert found, "the form carries the version the editor opened"
    return found.group(1)


def save(client: Client, quote: Quote, **overrides):
    url = reverse("admin:quotes_quote_change", args=[quote.pk])
    data = form_data(quote, opened_version=opened_version(client.get(url)), **overrides)
    return client.post(url, data)


def field_errors(response, field: str) -> list[str]:
    return list(response.context["adminform"].form.errors.get(field, []))


# Reverting from history


@pytest.fixture
def retracted_quote(reviewer) -> Quote:
    """Published, then corrected, then retracted, each in the admin by a reviewer."""
    quote = make_quote("We will not negotiate.", status="draft")
    rita = signed_in(reviewer)
    retraction = {"status": "retracted", "status_note": "The recording was of someone else."}
    for change in [{"status": "published"}, {"speaker_role": "Minister"}, retraction]:
        assert save(rita, quote, **change).status_code == 302
        quote.refresh_from_db()
    return quote


def revert_url(quote: Quote, **fields) -> tuple[str, Quote]:
    record = quote.history.filter(**fields).order_by("history_id").first()
    return reverse("admin:quotes_quote_simple_history", args=[quote.pk, record.history_id]), record.instance


def revert(client: Client, quote: Quote, **fields):
    url, old = revert_url(quote, **fields)
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, form_data(old, opened_version=opened_version(page)))


def test_a_reviewer_can_revert_a_retracted_quote_to_its_published_version(reviewer, retracted_quote):
    response = revert(signed_in(reviewer), retracted_quote, status="published", speaker_role="")
    assert response.status_code == 302
    quote = Quote.objects.get(pk=retracted_quote.pk)
    assert (quote.status, quote.speaker_role) == ("published", "")
    assert quote.version == retracted_quote.version + 1  # the next version, not an old one again
    assert quote.first_published_at == retracted_quote.first_published_at


def test_an_editor_cannot_republish_a_retracted_quote_through_a_revert(editor, retracted_quote):
    client = signed_in(editor)
    url, old = revert_url(retracted_quote, status="published")
    for opened in [opened_version(client.get(url)), ""]:  # also with the hidden field emptied
        response = client.post(url, form_data(old, opened_version=opened))
        assert response.status_code == 200
        assert "Only reviewers can publish" in response.content.decode()
    assert Quote.objects.get(pk=retracted_quote.pk).status == "retracted"


def test_an_editor_can_revert_a_draft_to_an_older_wording(editor):
    quote = make_quote("We will build the bridge", status="draft")
    client = signed_in(editor)
    assert save(client, quote, text="We will build the bridge.").status_code == 302
    response = revert(client, quote, text="We will build the bridge")
    assert response.status_code == 302
    assert Quote.objects.get(pk=quote.pk).text == "We will build the bridge"


def test_a_revert_is_refused_when_the_quote_changed_after_the_history_page_was_opened(editor, reviewer):
    quote = make_quote("Words as first written", status="draft")
    eddie = signed_in(editor)
    assert save(eddie, quote, text="Words as corrected").status_code == 302
    url, old = revert_url(quote, text="Words as first written")
    stale = opened_version(eddie.get(url))
    quote.refresh_from_db()
    assert save(signed_in(reviewer), quote, context="Said at the opening.").status_code == 302
    response = eddie.post(url, form_data(old, opened_version=stale))
    assert "This quote was changed by rita-reviewer" in response.content.decode()
    assert Quote.objects.get(pk=quote.pk).text == "Words as corrected"


# Duplicates


@pytest.fixture
def castro() -> Speaker:
    speaker = make_speaker("Fidel Castro")
    make_quote("History will absolve me.", speaker=speaker)
    return speaker


DUPLICATE = "This speaker already has this quote"


def test_adding_a_quote_the_speaker_already_has_is_a_form_error_on_the_text(superuser, castro):
    data = form_data(make_quote(speaker=castro), text="  history will ABSOLVE me. ", status="draft")
    response = signed_in(superuser).post(reverse("admin:quotes_quote_add"), data)
    assert response.status_code == 200
    assert DUPLICATE in " ".join(field_errors(response, "text"))
    assert Quote.objects.filter(speaker=castro).count() == 2


def test_changing_the_text_or_the_speaker_into_a_duplicate_is_a_form_error(superuser, castro):
    other = make_quote("History will absolve me.")  # the same words, another speaker
    client = signed_in(superuser)
    response = save(client, other, speaker=castro.pk)
    assert response.status_code == 200
    assert DUPLICATE in " ".join(field_errors(response, "text"))
    mine = make_quote("Other words.", speaker=castro)
    response = save(client, mine, text="History will absolve me!")
    assert response.status_code == 302  # other punctuation: other words, saved
    mine.refresh_from_db()
    response = save(client, mine, text="History will absolve me.")
    assert DUPLICATE in " ".join(field_errors(response, "text"))


def test_full_clean_names_the_text_for_a_duplicate(castro):
    with pytest.raises(ValidationError) as refused:
        Quote(text="History will absolve me.", speaker=castro, date_precision="unknown").full_clean()
    assert DUPLICATE in refused.value.message_dict["text"][0]


# Verification set by hand


def test_verification_set_by_hand_sticks_as_an_override(editor):
    quote = make_quote(status="draft")
    assert not quote.verification_overridden
    response = save(signed_in(editor), quote, verification="verified", verification_note="Heard the tape.")
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.verification, quote.verification_overridden) == ("verified", True)


def test_unticking_the_override_hands_verification_back_to_the_automatic_check(editor):
    quote = make_quote(status="draft", verification="disputed", verification_overridden=True)
    response = save(signed_in(editor), quote, verification="verified", verification_overridden="")
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.verification, quote.verification_overridden) == ("unverified", False)  # no sources


# Accent- and case-insensitive speaker search


@pytest.fixture
def diaz_canel_quote() -> Quote:
    return make_quote("Cuba will defend its sovereignty.", speaker=make_speaker("Miguel Díaz-Canel"))


@pytest.mark.parametrize("term", ["diaz", "Díaz", "DÍAZ-CANEL", "diaz-canel", "MIGUEL"])
def test_the_quote_list_finds_a_speaker_whatever_the_accents_and_case(superuser, diaz_canel_quote, term):
    page = signed_in(superuser).get(reverse("admin:quotes_quote_changelist"), {"q": term})
    assert "defend its sovereignty" in page.content.decode()


def test_a_speaker_alias_is_found_without_its_accents(superuser):
    make_quote("We resist.", speaker=make_speaker("Raúl Castro", aliases="Raúl Modesto"))
    page = signed_in(superuser).get(reverse("admin:quotes_quote_changelist"), {"q": "raul modesto"})
    assert "We resist." in page.content.decode()


# NUL bytes in search boxes


@pytest.mark.parametrize(
    "url",
    [
        "/admin/autocomplete/?app_label=quotes&model_name=quote&field_name=speaker&term=a%00b",
        "/admin/autocomplete/?app_label=quotes&model_name=quote&field_name=translation_of&term=a%00b",
        "/admin/autocomplete/?app_label=quotes&model_name=quote&field_name=venue&term=a%00b",
        "/admin/autocomplete/?app_label=quotes&model_name=quote&field_name=tags&term=a%00b",
        "/admin/quotes/quote/?q=a%00b",
        "/admin/quotes/speaker/?q=a%00b",
        "/admin/quotes/venue/?q=a%00b",
        "/admin/quotes/tag/?q=a%00b",
        "/admin/quotes/citation/?q=a%00b",
        "/admin/quotes/apitoken/?q=a%00b",
    ],
)
def test_a_nul_byte_in_a_search_box_is_not_an_error(superuser, diaz_canel_quote, url):
    assert signed_in(superuser).get(url).status_code == 200


# Odd form input


def test_a_speaker_that_is_not_an_id_is_a_form_error(superuser):
    data = form_data(make_quote(), text="New words.", speaker="abc", about=["xyz"], status="draft")
    response = signed_in(superuser).post(reverse("admin:quotes_quote_add"), data)
    assert response.status_code == 200
    assert "Select a valid choice." in " ".join(field_errors(response, "speaker"))


LINKS = ["speaker", "venue", "translation_of", "correct_attribution", "about", "tags"]


@pytest.mark.parametrize("field", LINKS)
@pytest.mark.parametrize("number", [2**63, 2**64, -(2**63) - 1])
def test_an_id_past_a_bigint_is_a_form_error_not_a_500(superuser, field, number):
    """SQLite refuses to look such a number up (OverflowError): no row can have it, so it is an
    unknown choice like any other, on every database."""
    quote = make_quote(status="draft")
    client = signed_in(superuser)
    client.raise_request_exception = True
    response = save(client, quote, **{field: [str(number)] if field in ("about", "tags") else str(number)})
    assert response.status_code == 200
    assert "Select a valid choice" in " ".join(field_errors(response, field))


def test_a_citation_of_an_id_past_a_bigint_is_a_form_error_not_a_500(superuser):
    data = {"quote": str(2**64), "source": str(2**63), "role": "primary"}
    response = signed_in(superuser).post(reverse("admin:quotes_citation_add"), data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert set(form.errors) >= {"quote", "source"}


@pytest.mark.parametrize(
    ("probability", "accepted"), [("2.5", False), ("-0.1", False), ("1", True), ("0", True)]
)
def test_attribution_probability_is_between_0_and_1(superuser, probability, accepted):
    quote = make_quote(status="draft")
    response = save(signed_in(superuser), quote, attribution_probability=probability)
    assert (response.status_code == 302) is accepted
    if not accepted:
        assert field_errors(response, "attribution_probability")


# Text exactly as typed


def test_the_text_is_stored_exactly_as_typed_with_its_surrounding_whitespace(superuser):
    quote = make_quote(status="draft")
    assert save(signed_in(superuser), quote, text="  …and then we left.\n").status_code == 302
    assert Quote.objects.get(pk=quote.pk).text == "  …and then we left.\n"


def add(client: Client, **fields):
    data = form_data(make_quote(), status="draft", **fields)
    return client.post(reverse("admin:quotes_quote_add"), data)


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_or_blank_text_is_refused_with_one_message_on_the_text(superuser, text):
    client = signed_in(superuser)
    for response in [add(client, text=text), save(client, make_quote(status="draft"), text=text)]:
        assert response.status_code == 200
        assert len(field_errors(response, "text")) == 1


def test_a_field_the_form_refused_gets_no_second_message_from_the_model(superuser):
    response = add(signed_in(superuser), said_on="2024-02-30", text="a\x00b")
    assert field_errors(response, "said_on") == ["Enter a valid date."]
    assert field_errors(response, "text") == ["Null characters are not allowed."]


def test_a_quote_never_published_cannot_be_retracted_in_the_admin(reviewer):
    """Retracted quotes are public: "retracting" a draft would publish it."""
    draft = make_quote(status=Quote.Status.DRAFT)
    client = signed_in(reviewer)

    response = save(client, draft, status=Quote.Status.RETRACTED)
    assert any("never published" in error for error in field_errors(response, "status"))

    changelist = reverse("admin:quotes_quote_changelist")
    retract = {"action": "retract", "_selected_action": [draft.pk], "note": "Wrong speaker."}
    response = client.post(changelist, retract, follow=True)
    assert response.status_code == 200 and "never published" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Quote.Status.DRAFT


# Retracting says why: the note is shown with the quote wherever it appears.


def test_retracting_in_the_form_needs_a_note(reviewer):
    quote = make_quote(status=Quote.Status.PUBLISHED)
    client = signed_in(reviewer)

    response = save(client, quote, status=Quote.Status.RETRACTED)
    assert any("Say why the quote is retracted" in error for error in field_errors(response, "status_note"))
    assert Quote.objects.get(pk=quote.pk).status == Quote.Status.PUBLISHED

    response = save(client, quote, status=Quote.Status.RETRACTED, status_note="Misheard: see the transcript.")
    assert response.status_code == 302
    assert "Misheard: see the transcript." in client.get(f"/embed/q/{quote.pk}/").content.decode()


def test_the_retract_action_needs_a_note_and_shows_it(reviewer):
    quotes = [make_quote(status=Quote.Status.PUBLISHED) for _ in range(2)]
    client = signed_in(reviewer)
    changelist = reverse("admin:quotes_quote_changelist")
    selected = [quote.pk for quote in quotes]

    response = client.post(changelist, {"action": "retract", "_selected_action": selected}, follow=True)
    assert "Nothing retracted. Say why the quote is retracted" in response.content.decode()
    assert not Quote.objects.filter(status=Quote.Status.RETRACTED).exists()

    note = "These came from a parody account."
    response = client.post(
        changelist, {"action": "retract", "_selected_action": selected, "note": note}, follow=True
    )
    assert "2 quote(s) retracted." in response.content.decode()
    for quote in quotes:
        quote.refresh_from_db()
        assert (quote.status, quote.status_note) == (Quote.Status.RETRACTED, note)
        assert note in client.get(f"/q/{quote.pk}/").content.decode()


def test_a_change_sent_without_the_version_it_opened_is_not_saved(editor):
    """The admin's page always sends the version it showed; a form without it (a script, an old
    page) cannot be checked against a change made meanwhile, so it is refused, saying why."""
    quote = make_quote("Words as first written", status="draft")
    url = reverse("admin:quotes_quote_change", args=[quote.pk])
    for missing in [{}, {"opened_version": ""}]:
        response = signed_in(editor).post(url, form_data(quote, text="Words as sent by a script", **missing))
        assert response.status_code == 200
        assert "did not say which version of the quote you opened" in response.content.decode()
    quote.refresh_from_db()
    assert (quote.text, quote.version) == ("Words as first written", 1)


def test_a_revert_to_older_words_checks_them_against_the_sources_again(editor):
    """A revert brings back old words and the old verdict on them: the sources are checked again,
    as after any save, so the verdict and the citation's evidence agree with the copy as it is."""
    words = "We will build the bridge this year."
    quote = make_quote(words, status="draft")
    source = make_source()
    add_manual_copy(source=source, text=f"At the rally she said: {words} Then she left.")
    citation = cite(quote, source, role="primary")
    client = signed_in(editor)

    def verdict():
        quote.refresh_from_db()
        citation.refresh_from_db()
        return quote.verification, citation.match, quote.verification_overridden

    assert save(client, quote).status_code == 302  # saved as it is: checked, found
    assert verdict() == ("verified", "verbatim", False)
    assert save(client, quote, text="We will build the tunnel this year.").status_code == 302
    assert verdict() == ("unverified", "not_found", False)

    assert revert(client, quote, text=words, verification="verified").status_code == 302

    assert verdict() == ("verified", "verbatim", False)  # not "verified" beside a citation "not found"
    assert quote.text == words
