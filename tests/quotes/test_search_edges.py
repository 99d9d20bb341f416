"""Edges of search and "who said this?" found in exploratory QA, on whichever database the suite runs on."""

from unittest import skipUnless

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from quotes.search import get_search_backend
from quotes.search.query import parse_query
from quotes.selectors import public_quotes
from tests.factories import make_quote, make_speaker


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [quote["id"] for quote in response.json()["results"]]


class ExclusionOnlySearchTests(TestCase):
    """A search of exclusions only has no word to rank by: newest first on every database."""

    @classmethod
    def setUpTestData(cls):
        speaker = make_speaker("Ana")
        # The oldest quotes hold "it" and "s" apart, which ts_rank_cd of the negated phrase
        # scores above zero; the newest hold neither. All are said on the same day.
        cls.what = make_quote("It is what it is, and it stays.", speaker)
        cls.cats = make_quote("The cat's whiskers and the dog's bark.", speaker)
        make_quote("It's raining in Havana.", speaker)
        cls.sugar = make_quote("Sugar is sweet.", speaker)
        cls.rice = make_quote("Rice and beans.", speaker)
        cls.newest_first = [cls.rice.id, cls.sugar.id, cls.cats.id, cls.what.id]

    def test_exclusion_only_search_lists_newest_first(self):
        assert ids(self.client.get("/api/v1/quotes/", {"q": "-it's"})) == self.newest_first
        assert (
            ids(self.client.get("/api/v1/quotes/", {"q": "-it's", "ordering": "relevance"}))
            == self.newest_first
        )

    def test_exclusion_only_search_pages_walk_newest_first(self):
        seen, url = [], "/api/v1/quotes/?q=-it%27s&page_size=1"
        while url:
            data = self.client.get(url).json()
            seen += [quote["id"] for quote in data["results"]]
            url = data["next"]
        assert seen == self.newest_first

    def test_exclusion_only_search_is_not_scored(self):
        ranked = get_search_backend().ranked(public_quotes(), parse_query("-it's -havana"), limit=10)
        assert ranked == [(pk, 0.0) for pk in self.newest_first]

    @skipUnless(connection.vendor == "postgresql", "PostgreSQL backend")
    def test_postgres_exclusion_only_search_computes_no_rank(self):
        with CaptureQueriesContext(connection) as queries:
            get_search_backend().ranked(public_quotes(), parse_query("-it's -havana"), limit=10)
        assert queries.captured_queries
        assert not [q for q in queries.captured_queries if "ts_rank_cd" in q["sql"]]

    def test_a_word_with_exclusions_is_still_ranked(self):
        # The positive part is what is scored; the exclusion only removes matches.
        ranked = dict(get_search_backend().ranked(public_quotes(), parse_query("it -havana"), limit=10))
        assert set(ranked) == {self.what.id}
        assert ranked[self.what.id] > 0


LOOKUP_URL = "/api/v1/lookup/"


def lookup(client, text) -> list[dict]:
    response = client.get(LOOKUP_URL, {"text": text})
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.django_db
def test_a_repeated_word_is_not_a_perfect_match_for_a_quote_merely_holding_it(client):
    speaker = make_speaker()
    make_quote("The regime will not change; Cuba stands firm.", speaker=speaker)
    make_quote("We will build the harbour bridge.", speaker=speaker)
    # "the" once in each: the fragment's four are not there.
    assert lookup(client, "the the the the") == []
    twice = make_quote("Regime change in Cuba is coming by the end of the year.", speaker=speaker)
    results = lookup(client, "the the the the")
    # Half the fragment is there. PostgreSQL's word_similarity scores "the" 1.0, halved to 0.5, the
    # least it shows; SQLite's token ratio is below 1 before halving, so it shows nothing.
    if connection.vendor == "postgresql":
        assert [(r["id"], r["score"]) for r in results] == [(twice.id, 0.5)]
    else:
        assert results == []


@pytest.mark.django_db
def test_a_repeated_word_counts_as_often_as_typed(client):
    speaker = make_speaker()
    once = make_quote("Sugar is sweet in the long summer afternoons of the island.", speaker=speaker)
    thrice = make_quote("Sugar! Sugar! Sugar!", speaker=speaker)
    results = lookup(client, "sugar sugar sugar")
    # The quote holding "sugar" once accounts for a third of the fragment: not close enough.
    assert [r["id"] for r in results] == [thrice.id]
    assert results[0]["score"] > 0.85
    assert once.id not in [r["id"] for r in results]


@pytest.mark.django_db
def test_a_fragment_longer_than_its_quote_is_not_a_perfect_match(client):
    # The quote holds every word of the fragment, but "it" once where it was typed twice.
    short = make_quote("That is what it is, sadly.", speaker=make_speaker())
    results = lookup(client, "it is what it is")
    assert [r["id"] for r in results] == [short.id]
    assert results[0]["score"] < 1.0
    exact = make_quote("It is what it is.", speaker=make_speaker())
    results = lookup(client, "it is what it is")
    assert results[0]["id"] == exact.id
    assert results[0]["score"] == 1.0


def test_repeats_found_counts_each_typed_repeat():
    from quotes.lookup.base import repeats_found

    assert repeats_found("the the the the", "the regime") == 0.25
    assert repeats_found("the the the the", "the end of the year") == 0.5
    assert repeats_found("the the the the", "the the the the the") == 1.0
    # Words typed once, and words missing altogether (a typo), are the similarity's business.
    assert repeats_found("make a deal", "nothing alike") == 1.0
    assert repeats_found("sugar sugar shugar", "sugar") == pytest.approx(2 / 3)
