"""Full-text search behaves the same on every database: phrases, OR, exclusions, accents."""

from unittest import mock, skipUnless

from django.db import connection
from django.test import TestCase

from quotes.search import get_search_backend
from quotes.search.query import parse_query
from quotes.selectors import public_quotes
from tests.factories import make_quote, make_speaker


class SearchBehaviour:
    """Shared expectations, run once per vendor by the subclasses below."""

    @classmethod
    def setUpTestData(cls):
        speaker = make_speaker("Ana")
        cls.regime = make_quote("Regime change in Cuba is coming by the end of the year.", speaker)
        cls.change = make_quote("The regime will not change; Cuba stands firm.", speaker)
        cls.canel = make_quote("Díaz-Canel spoke to “the people” about Venezuela.", speaker)
        cls.dont = make_quote("We don’t negotiate under pressure.", speaker)
        cls.draft = make_quote("Regime change draft words in Cuba.", speaker, status="draft")
        cls.sugar_once = make_quote("Sugar is sweet in the long summer afternoons of the island.", speaker)
        cls.sugar_thrice = make_quote("Sugar, sugar and more sugar for the island.", speaker)
        cls.numbers = make_quote("It cost 1.5 billion dollars, said info@example.org.", speaker)

    def search(self, raw: str) -> set[int]:
        query = parse_query(raw)
        return set(get_search_backend().matching(public_quotes(), query).values_list("id", flat=True))

    def ranked(self, raw: str, *, limit: int) -> list[tuple[int, float]]:
        backend, query = get_search_backend(), parse_query(raw)
        return backend.ranked(public_quotes(), query, limit=limit)

    def test_all_words_must_match(self):
        assert self.search("regime cuba") == {self.regime.id, self.change.id}

    def test_phrase_matches_adjacent_words_only(self):
        assert self.search('"regime change"') == {self.regime.id}

    def test_or_matches_either(self):
        assert self.search("venezuela OR negotiate") == {self.canel.id, self.dont.id}

    def test_exclusion_removes_matches(self):
        assert self.search("cuba -firm") == {self.regime.id}
        assert self.search('cuba -"will not"') == {self.regime.id}

    def test_exclusion_alone_keeps_everything_else(self):
        assert self.search("-cuba") == {
            self.canel.id,
            self.dont.id,
            self.sugar_once.id,
            self.sugar_thrice.id,
            self.numbers.id,
        }

    def test_accents_and_typographic_quotes_do_not_stop_a_match(self):
        assert self.search("Diaz-Canel") == {self.canel.id}
        assert self.search("díaz canel") == {self.canel.id}
        assert self.search("“the people”") == {self.canel.id}
        assert self.search("don't negotiate") == {self.dont.id}

    def test_numbers_and_addresses_are_found(self):
        assert self.search("1.5 billion") == {self.numbers.id}
        assert self.search('"1.5 billion dollars"') == {self.numbers.id}
        assert self.search("info@example.org") == {self.numbers.id}

    def test_case_is_ignored(self):
        assert self.search("CUBA STANDS") == {self.change.id}

    def test_drafts_are_never_found(self):
        assert self.draft.id not in self.search("draft")

    def test_ranked_returns_every_recent_match_with_a_score(self):
        ranked = self.ranked("regime OR change OR cuba", limit=10)
        assert {pk for pk, _ in ranked} == {self.regime.id, self.change.id}
        assert all(isinstance(score, float) for _, score in ranked)

    def test_ranking_puts_the_denser_match_first(self):
        ranked = dict(self.ranked("sugar", limit=10))
        assert ranked[self.sugar_thrice.id] > ranked[self.sugar_once.id]

    def test_ranking_puts_the_shorter_of_two_single_mentions_first(self):
        # Both quotes hold "island" once: the one where it weighs more ranks higher, not a tie.
        ranked = dict(self.ranked("island", limit=10))
        assert ranked[self.sugar_thrice.id] > ranked[self.sugar_once.id]

    def test_ranking_is_bounded_to_the_most_recent_matches(self):
        ranked = self.ranked("island", limit=1)
        assert [pk for pk, _ in ranked] == [self.sugar_thrice.id]


@skipUnless(connection.vendor == "postgresql", "PostgreSQL backend")
class PostgresSearchTests(SearchBehaviour, TestCase):
    def test_postgres_parses_each_phrase_itself(self):
        from quotes.search.postgres import tsquery_sql

        sql, params = tsquery_sql(parse_query('"Régime change" OR cuba -venezuela'))
        assert sql.count("phraseto_tsquery") == 3 and "!!" in sql
        assert params == ["regime change", "cuba", "venezuela"]


@skipUnless(connection.vendor == "postgresql", "PostgreSQL backend")
class PostgresWindowTests(TestCase):
    """A word neither rare nor very common is ranked among the newest ids first (a window)."""

    @classmethod
    def setUpTestData(cls):
        speaker = make_speaker("Ben")
        cls.harbour = [make_quote(f"The harbour wall number {n} is finished.", speaker) for n in range(10)]
        for n in range(10):  # the newest quotes do not hold the word
            make_quote(f"The lighthouse number {n} is lit.", speaker)

    def ranked(self, raw: str, *, limit: int, window: bool) -> list[tuple[int, float]]:
        from quotes.search.postgres import PostgresSearchBackend
        from quotes.search.statistics import WordFrequencies

        statistics = {"harbour": 0.01, "the": 0.5}
        WordFrequencies.clear()  # the highest id is cached per process
        with (
            mock.patch.object(WordFrequencies, "get", return_value=statistics),
            mock.patch.object(PostgresSearchBackend, "WINDOW_MARGIN", 0.025),  # 5 ids for 2 rows
            mock.patch.object(PostgresSearchBackend, "WINDOW_MIN_SHARE", 0.002 if window else 2),
        ):
            return get_search_backend().ranked(public_quotes(), parse_query(raw), limit=limit)

    def test_the_window_gives_the_same_newest_matches(self):
        from django.db import connection as db
        from django.test.utils import CaptureQueriesContext

        for limit in (1, 2, 5, 20):
            with CaptureQueriesContext(db) as queries:
                windowed = self.ranked("harbour", limit=limit, window=True)
            assert windowed == self.ranked("harbour", limit=limit, window=False)
            assert [pk for pk, _ in windowed] == [q.id for q in self.harbour[::-1][:limit]]
            if limit <= 5:
                # A window of 2.5 x limit ids holds too few matches (the newest ten quotes hold
                # none): the rest of the archive was asked as well.
                searches = [q for q in queries.captured_queries if "search_vector @@" in q["sql"]]
                assert len(searches) == 2

    def test_estimated_share_multiplies_words_and_adds_alternatives(self):
        from quotes.search.postgres import estimated_share

        shares = {"a": 0.5, "b": 0.1}
        assert estimated_share(parse_query("a b"), shares) == 0.05
        assert estimated_share(parse_query("a OR b"), shares) == 0.6
        assert estimated_share(parse_query('"a b" unlisted'), shares) == 0.0


@skipUnless(connection.vendor == "sqlite", "SQLite backend")
class SQLiteSearchTests(SearchBehaviour, TestCase):
    def test_index_follows_edits(self):
        self.dont.text = "We never negotiate."
        self.dont.save()
        assert self.search("never") == {self.dont.id}
        assert self.search("don't") == set()


class FallbackSearchTests(SearchBehaviour, TestCase):
    """The substring fallback runs anywhere; it cannot do phrases or word boundaries exactly."""

    def search(self, raw):
        from quotes.search.fallback import FallbackSearchBackend

        qs = FallbackSearchBackend().matching(public_quotes(), parse_query(raw))
        return set(qs.values_list("id", flat=True))

    def test_phrase_matches_adjacent_words_only(self):
        assert self.regime.id in self.search('"regime change"')

    test_ranked_returns_every_recent_match_with_a_score = None
    test_ranking_puts_the_denser_match_first = None
    test_ranking_puts_the_shorter_of_two_single_mentions_first = None


class BackendLoaderTests(TestCase):
    def test_loader_picks_the_backend_of_the_connection_vendor(self):
        expected = {
            "postgresql": "PostgresSearchBackend",
            "sqlite": "SQLiteSearchBackend",
        }.get(connection.vendor, "FallbackSearchBackend")
        assert type(get_search_backend()).__name__ == expected

    def test_loader_falls_back_for_other_vendors(self):
        from unittest import mock

        with mock.patch.object(connection, "vendor", "mysql"):
            assert type(get_search_backend()).__name__ == "FallbackSearchBackend"
