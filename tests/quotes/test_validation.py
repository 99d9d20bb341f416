import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from archive.models import Source
from quotes.dates import format_said_on
from quotes.models import Quote, Speaker
from tests.factories import make_speaker

pytestmark = pytest.mark.django_db


def errors_of(obj) -> dict:
    with pytest.raises(ValidationError) as excinfo:
        obj.full_clean()
    return excinfo.value.message_dict


def test_empty_quote_text_is_refused_with_the_field_named():
    assert "text" in errors_of(Quote(text="   ", speaker=make_speaker(), date_precision="unknown"))


def test_text_over_ten_thousand_characters_is_refused():
    errors = errors_of(Quote(text="a" * 10_001, speaker=make_speaker(), date_precision="unknown"))
    assert "10000" in errors["text"][0]


def test_text_of_exactly_ten_thousand_characters_is_kept_whole():
    quote = Quote(text="a" * 10_000, speaker=make_speaker(), date_precision="unknown")
    quote.full_clean()
    quote.save()
    assert len(Quote.objects.get(pk=quote.pk).text) == 10_000


def test_a_date_in_the_future_is_refused():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    errors = errors_of(Quote(text="Soon", speaker=make_speaker(), said_on=tomorrow, date_precision="day"))
    assert "future" in errors["said_on"][0]


def test_january_2026_is_storable_at_month_precision_and_shown_as_such():
    quote = Quote(text="x", speaker=make_speaker(), said_on=datetime.date(2026, 1, 1), date_precision="month")
    quote.full_clean()
    quote.save()
    quote.refresh_from_db()
    assert format_said_on(quote.said_on, quote.date_precision) == "January 2026"


@pytest.mark.parametrize(
    ("said_on", "precision", "shown"),
    [
        (datetime.date(2026, 1, 11), "day", "11 January 2026"),
        (datetime.date(2019, 1, 1), "year", "2019"),
        (None, "unknown", "Date unknown"),
    ],
)
def test_each_precision_is_shown_at_that_precision(said_on, precision, shown):
    assert format_said_on(said_on, precision) == shown


def test_month_precision_requires_the_first_of_the_month():
    quote = Quote(
        text="x", speaker=make_speaker(), said_on=datetime.date(2026, 1, 15), date_precision="month"
    )
    assert "first day of the month" in errors_of(quote)["said_on"][0]


def test_unknown_precision_takes_no_date():
    quote = Quote(
        text="x", speaker=make_speaker(), said_on=datetime.date(2020, 1, 1), date_precision="unknown"
    )
    assert "said_on" in errors_of(quote)


@pytest.mark.parametrize("qid", ["Q0", "Q012", "q42", "42", "Q42x", "P31"])
def test_malformed_wikidata_qid_is_refused(qid):
    assert "wikidata_qid" in errors_of(Speaker(name="A", slug="a", wikidata_qid=qid))


def test_wellformed_qid_is_accepted_and_unique():
    Speaker.objects.create(name="Douglas Adams", slug="douglas-adams", wikidata_qid="Q42")
    assert "wikidata_qid" in errors_of(Speaker(name="Other", slug="other", wikidata_qid="Q42"))


def test_speakers_without_qid_do_not_clash():
    Speaker.objects.create(name="A", slug="a", wikidata_qid="")
    Speaker.objects.create(name="B", slug="b", wikidata_qid="")
    assert Speaker.objects.filter(wikidata_qid__isnull=True).count() == 2


@pytest.mark.parametrize(
    "url", ["ftp://example.com/file", "javascript:alert(1)", "file:///etc/passwd", "nonsense"]
)
def test_a_source_url_that_is_not_http_is_refused(url):
    assert "url" in errors_of(Source(url=url))


def test_invalid_language_tag_is_refused():
    quote = Quote(text="x", speaker=make_speaker(), date_precision="unknown", language="english!")
    assert "language" in errors_of(quote)
