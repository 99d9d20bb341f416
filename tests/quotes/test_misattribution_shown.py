"""A misattributed or disputed quote says so wherever it is shown, as a retraction does: the
permalink, the embedded card, the oEmbed title, the schema.org markup and the speaker's page."""

import json
import re
import xml.etree.ElementTree as ET

import pytest

from quotes.models import Quote
from tests.factories import make_quote, make_speaker

pytestmark = pytest.mark.django_db


@pytest.fixture
def misattributed() -> Quote:
    twain = make_speaker(name="Mark Twain")
    original = make_quote("The report of my death was an exaggeration.", speaker=twain)
    quote = make_quote(
        "Reports of my death are greatly exaggerated.", speaker=make_speaker(name="Jane Quoter")
    )
    quote.verification = Quote.Verification.MISATTRIBUTED
    quote.verification_note = "Twain wrote it in a letter of 1897; she only repeated it."
    quote.correct_attribution = original
    quote.save()
    return quote


def _json_ld(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))


def test_the_permalink_says_who_did_not_say_it_and_links_who_did(client, misattributed):
    html = client.get(f"/q/{misattributed.pk}/").content.decode()

    assert "<title>[Misattributed] Jane Quoter" in html
    assert "The archive found that Jane Quoter did not say these words." in html
    assert "Twain wrote it in a letter of 1897; she only repeated it." in html
    correct = misattributed.correct_attribution
    assert f'Who did: <a href="/q/{correct.pk}/">Mark Twain</a>' in html


def test_no_link_is_given_to_a_correct_record_that_is_not_public(client, misattributed):
    Quote.objects.filter(pk=misattributed.correct_attribution_id).update(status=Quote.Status.DRAFT)
    html = client.get(f"/q/{misattributed.pk}/").content.decode()
    assert "did not say these words" in html and "Who did" not in html and "Mark Twain" not in html


def test_the_schema_org_markup_claims_no_creator_for_misattributed_words(client, misattributed):
    data = _json_ld(client.get(f"/q/{misattributed.pk}/").content.decode())
    assert data["creativeWorkStatus"] == "Misattributed"
    assert "creator" not in data and "spokenByCharacter" not in data
    assert data["correction"].startswith("Twain wrote it")


def test_the_embedded_card_and_its_oembed_title_say_so(client, misattributed):
    card = client.get(f"/embed/q/{misattributed.pk}/").content.decode()
    assert "<strong>Misattributed</strong>" in card and "she only repeated it" in card
    assert 'target="_blank"' in card.split("Who did:")[1].split("</a>")[0]

    answer = client.get("/oembed", {"url": f"http://testserver/q/{misattributed.pk}/"}).json()
    assert answer["title"].startswith("[Misattributed] Jane Quoter: ")


def test_the_speakers_page_marks_it(client, misattributed):
    html = client.get(misattributed.speaker.get_absolute_url()).content.decode()
    assert "<strong>Misattributed</strong>" in html


def test_a_disputed_quote_says_it_is_disputed(client):
    quote = make_quote("Let them eat cake.", speaker=make_speaker(name="Marie Antoinette"))
    quote.verification = Quote.Verification.DISPUTED
    quote.verification_note = "No contemporary source has her say it."
    quote.save()

    html = client.get(f"/q/{quote.pk}/").content.decode()
    assert "Whether Marie Antoinette said these words is disputed." in html
    assert "No contemporary source has her say it." in html
    assert _json_ld(html)["creativeWorkStatus"] == "Disputed"
    assert client.get(f"/embed/q/{quote.pk}/").content.decode().count("disputed") == 1
    answer = client.get("/oembed", {"url": f"http://testserver/q/{quote.pk}/"}).json()
    assert answer["title"].startswith("[Disputed] ")


def test_a_verified_quote_carries_no_such_notice(client):
    quote = make_quote(verification=Quote.Verification.VERIFIED)
    response = client.get(f"/q/{quote.pk}/")
    html = response.content.decode()
    assert response.status_code == 200 and quote.text in html
    assert 'class="retracted doubt"' not in html and "[Misattributed]" not in html


# The oEmbed provider's odd input (found by exploratory testing).


@pytest.mark.parametrize("size", ["²", "¹", "٣", "1" * 5000])
def test_odd_digits_in_a_size_are_a_400_not_a_500(client, size):
    quote = make_quote()
    response = client.get("/oembed", {"url": f"http://testserver/q/{quote.pk}/", "maxwidth": size})
    assert response.status_code == 400
    assert "maxwidth" in response.content.decode()


def test_a_permalink_without_its_final_slash_is_embeddable(client):
    quote = make_quote()
    response = client.get("/oembed", {"url": f"http://testserver/q/{quote.pk}"})
    assert response.status_code == 200


def test_the_xml_answer_parses_whatever_control_characters_the_text_holds(client):
    quote = make_quote("Form\x0cfeed and \x0b vtab \x1b esc words")
    response = client.get("/oembed", {"url": f"http://testserver/q/{quote.pk}/", "format": "xml"})
    title = ET.fromstring(response.content).findtext("title")  # noqa: S314 - our own answer
    assert "Form\ufffdfeed and \ufffd vtab \ufffd esc words" in title
    assert Quote.objects.get(pk=quote.pk).text == "Form\x0cfeed and \x0b vtab \x1b esc words"


def test_the_card_changes_when_the_record_of_who_said_it_does(client, misattributed):
    """The card names the correct record's speaker and links it: its ETag follows that record."""
    card = f"/embed/q/{misattributed.pk}/"
    before = client.get(card)
    assert "Mark Twain" in before.content.decode()

    Quote.objects.filter(pk=misattributed.correct_attribution_id).update(status=Quote.Status.DRAFT)

    after = client.get(card, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert "Mark Twain" not in after.content.decode()
