import pytest
from django.db.models import ProtectedError

from quotes.models import Quote
from tests.factories import cite, make_quote, make_source, make_speaker, make_venue

pytestmark = pytest.mark.django_db


def test_a_speaker_with_quotes_cannot_be_deleted():
    quote = make_quote()
    with pytest.raises(ProtectedError):
        quote.speaker.delete()
    assert Quote.objects.filter(pk=quote.pk).exists()


def test_a_venue_with_quotes_cannot_be_deleted():
    quote = make_quote(venue=make_venue())
    with pytest.raises(ProtectedError):
        quote.venue.delete()


def test_a_cited_source_cannot_be_deleted():
    citation = cite(make_quote())
    with pytest.raises(ProtectedError):
        citation.source.delete()


def test_an_unused_speaker_can_be_deleted():
    speaker = make_speaker()
    speaker.delete()


def test_changes_to_quotes_speakers_sources_and_citations_are_kept_in_history():
    quote = make_quote("First words")
    quote.text = "First words, corrected"
    quote.save()
    assert [h.text for h in quote.history.order_by("history_id")] == ["First words", "First words, corrected"]
    speaker = make_speaker()
    speaker.name = "Renamed"
    speaker.save()
    assert speaker.history.count() == 2
    source = make_source()
    source.title = "New title"
    source.save()
    assert source.history.count() == 2
    citation = cite(quote)
    citation.role = "primary"
    citation.save()
    assert citation.history.count() == 2
