""" "Who said this?": GET /api/v1/lookup/?text= on whichever database the suite runs on."""

import datetime

import pytest
from django.db import connection

from quotes.lookup import get_lookup_backend
from quotes.models import Quote
from tests.factories import cite, make_quote, make_source, make_speaker

pytestmark = pytest.mark.django_db
URL = "/api/v1/lookup/"


def lookup(client, text):
    response = client.get(URL, {"text": text})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def first_speaker(client, text):
    results = lookup(client, text)
    assert results, f"nothing found for {text!r}"
    return results[0]["speaker"]["slug"]


@pytest.mark.parametrize(
    ("fragment", "speaker"),
    [
        ("I strongly suggest they make a deal, BEFORE IT IS TOO LATE", "donald-trump"),
        ("I strongly sugest they make a deal before it is too late", "donald-trump"),  # typo
        ("strongly suggest they make a deal before too late", "donald-trump"),  # missing words
        ("\u2018I strongly suggest they make a deal, BEFORE IT IS TOO LATE,\u2019", "donald-trump"),  # curly
        ("'I strongly suggest they make a deal, before it is too late,'", "donald-trump"),  # straight
        ("there is no surender nor capitulation possible", "miguel-diaz-canel"),
        ("no surrender or capitulation based on coercion or intimidation", "miguel-diaz-canel"),
        ("has to make a chioce to step down or to better provide for its people", "jeremy-lewin"),
        ("make a choice to step down or provide for its people", "jeremy-lewin"),
    ],
)
def test_demo_quotes_are_found_from_imperfect_fragments(client, demo, fragment, speaker):
    assert first_speaker(client, fragment) == speaker


def test_a_result_has_score_speaker_date_and_earliest_citation(client, demo):
    result = lookup(client, "I strongly sugest they make a deal")[0]
    assert 0.5 <= result["score"] <= 1
    assert result["text"] == "I strongly suggest they make a deal, BEFORE IT IS TOO LATE"
    assert result["speaker"]["name"] == "Donald Trump"
    assert (result["said_on"], result["date_precision"]) == ("2026-01-11", "day")
    assert result["earliest_citation"]["source"]["publisher"] == "Internewscast"
    assert result["earliest_citation"]["match"] == "verbatim"
    assert result["misattribution"] is None


def test_results_are_ranked_and_limited_to_ten(client):
    speaker = make_speaker("Speaker of many")
    for n in range(12):
        make_quote(f"the harbour bridge will be finished by the spring of year {n}", speaker=speaker)
    exact = make_quote("the harbour bridge will be finished by the spring", speaker=make_speaker())
    results = lookup(client, "the harbour bridge will be finished by the spring")
    assert len(results) == 10
    assert results[0]["id"] == exact.id
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)


def test_earliest_dated_citation_is_chosen(client):
    quote = make_quote("Nothing ventured in the harbour, nothing gained at sea")
    cite(quote, make_source(publisher="Late Gazette", published_on=datetime.date(2024, 6, 1)))
    cite(quote, make_source(publisher="Undated Blog"))
    cite(quote, make_source(publisher="Early Herald", published_on=datetime.date(2024, 5, 18)))
    result = lookup(client, "nothing ventured in the harbour nothing gained")[0]
    assert result["earliest_citation"]["source"]["publisher"] == "Early Herald"


def test_only_published_quotes_are_found(client):
    make_quote("A secret draft about the lighthouse keeper's budget", status=Quote.Status.DRAFT)
    make_quote("A retracted line about the lighthouse keeper's budget", status=Quote.Status.RETRACTED)
    assert lookup(client, "the lighthouse keeper's budget") == []


def test_a_fragment_that_matches_nothing_gives_an_empty_list(client, demo):
    assert lookup(client, "imagination is more important than knowledge") == []
    assert lookup(client, "?!?!?!?!") == []


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({}, "text"),
        ({"text": "abc"}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"text": "hello\x00world"}, "Null characters"),
    ],
)
def test_bad_fragments_are_refused_naming_text(client, params, problem):
    response = client.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert "text" in body["error"]["fields"]
    assert problem in str(body)


def test_misattribution_is_shown_in_lookup_and_detail(client):
    einstein = make_speaker("Albert Einstein")
    brown = make_speaker("Rita Mae Brown")
    original = make_quote(
        "Insanity is doing the same thing over and over again, but expecting different results",
        speaker=brown,
        said_on=datetime.date(1983, 1, 1),
        date_precision="year",
    )
    wrong = make_quote(
        "Insanity is doing the same thing over and over again and expecting different results",
        speaker=einstein,
        verification=Quote.Verification.MISATTRIBUTED,
        verification_note="No record in Einstein's writings; first printed in 1983.",
        correct_attribution=original,
    )
    results = lookup(client, "insanity is doing the same thing over and over and expecting diferent results")
    by_id = {r["id"]: r for r in results}
    assert set(by_id) == {original.id, wrong.id}
    info = by_id[wrong.id]["misattribution"]
    assert info["commonly_attributed_to"] == "Albert Einstein"
    assert info["correct_attribution"]["id"] == original.id
    assert info["message"] == (
        "Commonly misattributed to Albert Einstein; first recorded from Rita Mae Brown (1983)."
    )
    assert by_id[original.id]["misattribution"] is None

    detail = client.get(f"/api/v1/quotes/{wrong.id}/")
    assert detail.status_code == 200
    assert detail.json()["misattribution"]["correct_attribution"]["speaker"]["name"] == "Rita Mae Brown"


def test_misattribution_without_a_known_origin(client):
    make_quote(
        "Be the change that you wish to see in the world",
        speaker=make_speaker("Mahatma Gandhi"),
        verification=Quote.Verification.MISATTRIBUTED,
    )
    info = lookup(client, "be the change you wish to see in the world")[0]["misattribution"]
    assert info["message"] == "Commonly misattributed to Mahatma Gandhi; who first said it is not known."


def test_the_backend_matches_the_database():
    backend = get_lookup_backend()
    expected = {"postgresql": "PostgresLookupBackend", "sqlite": "SQLiteLookupBackend"}
    assert type(backend).__name__ == expected.get(connection.vendor, "FallbackLookupBackend")


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL backend")


@postgres_only
def test_postgres_candidates_come_from_the_full_text_index():
    # Not the trigram index: its `<%` scan reads every trigram's posting list before any LIMIT
    # (~250 ms a fragment at a million quotes). On a near-empty test table the planner prefers
    # a sequential scan, so that is ruled out.
    from quotes.lookup.postgres import WORDS_CONDITION, at_least

    condition = "SELECT id FROM quotes_quote WHERE search_vector @@ " + WORDS_CONDITION  # noqa: S608 (a constant)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + condition, {"tsquery": at_least(["deal", "make"], 1)})
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "quote_search_vector_idx" in plan
    assert "trgm" not in plan


def test_at_least_builds_a_tsquery_for_all_but_the_missing_words():
    from quotes.lookup.postgres import at_least

    assert at_least(["a", "b", "c"], 2) == "('a' & 'b') | ('a' & 'c') | ('b' & 'c')"
    assert at_least(["a", "b"], 2) == "'a' & 'b'"
    assert at_least(["a", "b"], 1) == "'a' | 'b'"


@postgres_only
def test_postgres_rarest_words_choose_the_candidates(monkeypatch):
    from quotes.lookup.postgres import PostgresLookupBackend, WordFrequencies

    common = {"the": 0.6, "of": 0.5, "and": 0.4, "to": 0.3, "harbour": 0.01}
    monkeypatch.setattr(WordFrequencies, "get", classmethod(lambda cls, using: common))
    backend = PostgresLookupBackend()
    # Unlisted words are rarer than listed ones; among them the longer come first; the
    # commonest are dropped while four rarer ones remain.
    assert backend.words("the lighthouse of the harbour and its keeper to") == [
        "lighthouse", "keeper", "its", "harbour"
    ]  # fmt: skip
    assert backend.words("the of and to") == ["to", "and", "of", "the"]


@postgres_only
def test_postgres_a_fragment_of_common_words_is_found_by_its_words_in_order(client, monkeypatch):
    # Many quotes hold the fragment's common words; the typo hides its only rare one. Past the
    # candidate limit, the quote with those common words in the typed order is still found.
    from quotes.lookup.postgres import PostgresLookupBackend, WordFrequencies

    common = dict.fromkeys(["we", "had", "to", "say", "that", "it", "was", "the", "of"], 0.3)
    monkeypatch.setattr(WordFrequencies, "get", classmethod(lambda cls, using: common))
    monkeypatch.setattr(PostgresLookupBackend, "MAX_CANDIDATES", 3)
    speaker = make_speaker()
    for n in range(6):
        make_quote(f"it was the {n} thing that we had to say of", speaker=speaker)
    wanted = make_quote("of the things we had to say that, it was ostrobogulous", speaker=make_speaker())
    results = lookup(client, "we had to say that it was ostrobogulus")
    assert results[0]["id"] == wanted.id


@postgres_only
def test_postgres_a_lookup_past_its_time_limit_answers_what_it_found(monkeypatch):
    from quotes.lookup.postgres import PostgresLookupBackend

    def slow(self, cursor, fragment, words, *, limit, found):
        found.add((-0.9, -0.9, 42))
        cursor.execute("SELECT pg_sleep(1)")

    monkeypatch.setattr(PostgresLookupBackend, "STATEMENT_TIMEOUT_MS", 20)
    monkeypatch.setattr(PostgresLookupBackend, "search", slow)
    assert [hit.quote_id for hit in PostgresLookupBackend().lookup("a slow fragment", limit=10)] == [42]
    with connection.cursor() as cursor:  # the connection is usable, with its usual time limit
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
