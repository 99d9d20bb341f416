"""The admin's quote search: words through the search index, speakers, and sources named in full."""

import pytest
from django.urls import reverse

from quotes.models import Citation, Quote
from quotes.search import get_search_backend
from quotes.search.query import Phrase, SearchQuery
from quotes.selectors import editor_search, search_terms
from tests.factories import cite, make_quote, make_source, make_speaker

pytestmark = pytest.mark.django_db


@pytest.fixture
def quotes():
    castro = make_speaker("Fidel Castro", aliases="El Comandante")
    diaz = make_speaker("Miguel Díaz-Canel")
    blockade = make_quote("The blockade is an act of economic war.", speaker=castro)
    sovereignty = make_quote("Cuba will defend its sovereignty.", speaker=diaz)
    cite(blockade, make_source("https://www.granma.cu/cuba/2021-07-12/blockade", publisher="Granma"))
    cite(sovereignty, make_source("https://news.example.org/cuba?id=7", publisher="Example News"))
    return {"blockade": blockade, "sovereignty": sovereignty}


def found(term: str) -> set[int]:
    return set(editor_search(Quote.objects.all(), term).values_list("pk", flat=True))


def test_words_of_the_text_are_found_through_the_search_index(quotes):
    assert found("blockade") == {quotes["blockade"].pk}
    assert found("BLOCKADE economic") == {quotes["blockade"].pk}
    assert found('"economic war"') == {quotes["blockade"].pk}
    assert found('"war economic"') == set()  # a quoted phrase keeps its order
    assert found("sovereignty blockade") == set()  # every word must be found


def test_a_speaker_is_found_by_any_part_of_a_name_or_alias(quotes):
    assert found("castro") == {quotes["blockade"].pk}
    assert found("Comandante") == {quotes["blockade"].pk}
    assert found("Díaz-Canel") == {quotes["sovereignty"].pk}
    assert found("castro blockade") == {quotes["blockade"].pk}  # a speaker word and a text word


def test_a_source_is_found_by_its_url_publisher_or_host(quotes):
    assert found("HTTPS://WWW.Granma.cu/cuba/2021-07-12/blockade#top") == {quotes["blockade"].pk}
    assert found("HTTPS://news.example.org/cuba?id=7&utm_source=x") == {quotes["sovereignty"].pk}
    assert found("granma") == {quotes["blockade"].pk}  # the publisher, any case
    assert found("www.granma.cu") == {quotes["blockade"].pk}
    assert found("news.example.org") == {quotes["sovereignty"].pk}
    assert found("https://example.org:99999/") == set()


def test_odd_input_finds_nothing_rather_than_failing(quotes):
    for term in ["!!!", "'", '"', "a'b", "--", "%", "_", "\\", "OR"]:
        assert found(term) == set()
    assert search_terms('  castro  "economic war" ') == ["castro", "economic war"]


def test_the_quote_list_and_autocomplete_search_alike(client, superuser, quotes):
    client.force_login(superuser)
    page = client.get(reverse("admin:quotes_quote_changelist"), {"q": "economic castro"})
    assert page.status_code == 200
    assert "act of economic war" in page.content.decode()
    assert "defend its sovereignty" not in page.content.decode()

    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "quotes", "model_name": "quote", "field_name": "translation_of", "term": "sovereignty"},
    )
    assert [item["id"] for item in autocomplete.json()["results"]] == [str(quotes["sovereignty"].pk)]


def test_the_search_backend_gives_ids_usable_inside_any_query(quotes):
    query = SearchQuery(groups=((Phrase("blockade"),),))
    ids = get_search_backend().matching_ids(query)
    cited = Citation.objects.filter(quote_id__in=ids).values_list("quote_id", flat=True)
    assert list(cited) == [quotes["blockade"].pk]


def test_a_word_many_speakers_share_is_matched_all_the_same(quotes, monkeypatch):
    monkeypatch.setattr("quotes.selectors.SPEAKERS_LISTED", 1)
    make_quote("Another one.", speaker=make_speaker("Raúl Castro"))
    assert len(found("castro")) == 2
