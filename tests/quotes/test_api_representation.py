"""quote_dicts(): the API's quote shape, reused by the export, in three queries."""

import pytest

from quotes.api.representation import quote_dicts
from quotes.models import Quote
from tests.factories import cite, make_quote, make_speaker


@pytest.mark.django_db
def test_quote_dicts_keep_the_order_given_and_skip_missing_ids(django_assert_num_queries):
    speaker = make_speaker("Ana", slug="ana")
    first, second = make_quote("First words.", speaker), make_quote("Second words.", speaker)
    cite(second, selector_exact="Second words", selector_prefix="She said: ", selector_suffix=".")
    # The quotes with their joins, their tags, their citations with sources.
    with django_assert_num_queries(3):
        dicts = quote_dicts([second.pk, 999999, first.pk], base_url="https://verbatim.example")
    assert [d["id"] for d in dicts] == [second.pk, first.pk]
    assert dicts[0]["permalink"] == f"https://verbatim.example/q/{second.pk}/"
    assert dicts[0]["citations"][0]["selector"] == {
        "type": "TextQuoteSelector",
        "exact": "Second words",
        "prefix": "She said: ",
        "suffix": ".",
    }


@pytest.mark.django_db
def test_quote_dicts_accept_a_queryset_and_default_to_the_site_url(settings):
    settings.SITE_URL = "https://site.example"
    make_quote("Words.", make_speaker())
    [data] = quote_dicts(Quote.objects.all())
    assert data["url"].startswith("https://site.example/api/v1/quotes/")


@pytest.mark.django_db
def test_dates_and_times_are_iso_with_their_offset_on_every_database():
    quote = make_quote("Dated words.", make_speaker())
    cite(quote)
    [data] = quote_dicts([quote.pk])
    stored = Quote.objects.get(pk=quote.pk)
    assert data["created_at"] == stored.created_at.isoformat()
    assert data["updated_at"].endswith("+00:00")
    assert data["said_on"] == (stored.said_on.isoformat() if stored.said_on else None)
