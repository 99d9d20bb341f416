import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from archive.text import normalize_text, search_form
from quotes.models import Quote
from tests.factories import make_quote, make_speaker


def test_normalization_folds_typography_whitespace_and_case():
    assert normalize_text("‘I  strongly’ — suggest…\nNOW") == "'i strongly' - suggest... now"


def test_search_form_drops_accents():
    assert search_form("Díaz-Canel") == "diaz-canel"


@pytest.mark.django_db
def test_verbatim_text_is_stored_exactly_as_entered():
    text = "‘Déjà vu’ — he said…\n  BEFORE IT IS TOO LATE"
    quote = make_quote(text)
    quote.refresh_from_db()
    assert quote.text == text


@pytest.mark.django_db
def test_same_words_with_straight_quotes_and_extra_spaces_are_a_duplicate_for_the_same_speaker():
    speaker = make_speaker()
    make_quote("We’ll see — soon", speaker=speaker)
    twin = Quote(text="we'll   see - SOON", speaker=speaker, said_on=None, date_precision="unknown")
    with pytest.raises(ValidationError) as excinfo:
        twin.full_clean()
    assert "already has this quote" in str(excinfo.value)


@pytest.mark.django_db
def test_same_words_from_another_speaker_are_not_a_duplicate():
    make_quote("We’ll see — soon")
    make_quote("We'll see - soon")  # a different speaker: both are kept


@pytest.mark.django_db
def test_duplicate_is_also_refused_by_the_database():
    speaker = make_speaker()
    make_quote("Exactly this", speaker=speaker)
    with pytest.raises(IntegrityError), transaction.atomic():
        Quote.objects.create(text="EXACTLY   this", speaker=speaker, date_precision="unknown")
