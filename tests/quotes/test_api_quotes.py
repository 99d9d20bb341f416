"""GET /api/v1/quotes/: the public list and detail, each filter and ordering, and their errors."""

import datetime

import pytest
from django.test import TestCase

from archive.models import Source
from quotes.models import Tag
from tests.factories import cite, make_quote, make_source, make_speaker, make_venue


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [quote["id"] for quote in response.json()["results"]]


class QuoteListTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.trump = make_speaker("Donald Trump", slug="donald-trump", wikidata_qid="Q22686")
        cls.canel = make_speaker("Miguel Díaz-Canel", slug="miguel-diaz-canel")
        cls.speech = make_venue(name="Memorial", kind="speech")
        cls.post = make_venue(name="Truth Social", kind="social_media_post")
        cls.deal = make_quote(
            "Make a deal before it is too late.",
            cls.trump,
            said_on=datetime.date(2026, 1, 11),
            venue=cls.post,
            verification="verified",
        )
        cls.surrender = make_quote(
            "There is no surrender possible for Díaz-Canel's people.",
            cls.canel,
            said_on=datetime.date(2026, 1, 16),
            venue=cls.speech,
            language="es",
        )
        cls.january = make_quote(
            "Has to make a choice to step down.",
            cls.trump,
            said_on=datetime.date(2026, 1, 1),
            date_precision="month",
        )
        cls.undated = make_quote("Words without a date.", cls.canel, said_on=None, date_precision="unknown")
        cls.draft = make_quote("A draft deal nobody may see.", cls.trump, status="draft")
        cls.in_review = make_quote("A deal in review.", cls.trump, status="in_review")
        cls.retracted = make_quote("A retracted deal.", cls.trump, status="retracted")
        cls.surrender.about.add(cls.trump)
        cuba = Tag.objects.create(name="Cuba", slug="cuba")
        cls.deal.tags.add(cuba)
        cls.draft.tags.add(cuba)
        nyt = make_source("https://www.nytimes.com/2026/01/a.html", publisher="The New York Times")
        cite(cls.deal, nyt, role="primary")
        cite(cls.surrender, make_source("https://news.example.org/b", publisher="Example News"))
        cite(cls.draft, nyt, role="primary")

    def get(self, query: str = ""):
        return self.client.get(f"/api/v1/quotes/{query}")

    def test_published_quotes_only_newest_first_undated_last(self):
        assert ids(self.get()) == [self.surrender.id, self.deal.id, self.january.id, self.undated.id]

    def test_quote_representation(self):
        quote = next(q for q in self.get().json()["results"] if q["id"] == self.deal.id)
        assert set(quote) >= {
            "id",
            "url",
            "text",
            "speaker",
            "speaker_role",
            "said_on",
            "date_precision",
            "venue",
            "language",
            "context",
            "verification",
            "tags",
            "citations",
            "created_at",
            "updated_at",
            "permalink",
            "embed_url",
            "status",
            "misattribution",
        }
        assert quote["url"] == f"http://testserver/api/v1/quotes/{self.deal.id}/"
        assert quote["speaker"] == {
            "slug": "donald-trump",
            "name": "Donald Trump",
            "wikidata_qid": "Q22686",
            "url": "http://testserver/api/v1/speakers/donald-trump/",
        }
        assert quote["venue"] == {
            "name": "Truth Social",
            "kind": "social_media_post",
            "location": "",
            "url": "",
        }
        assert quote["said_on"] == "2026-01-11"
        assert quote["tags"] == ["cuba"]
        [citation] = quote["citations"]
        assert citation["role"] == "primary"
        assert citation["source"]["url"] == "https://www.nytimes.com/2026/01/a.html"
        assert citation["source"]["publisher"] == "The New York Times"
        assert citation["selector"] is None
        assert citation["match"] == "unchecked"
        assert quote["permalink"].endswith(f"/q/{self.deal.id}/")
        assert quote["embed_url"].endswith(f"/embed/q/{self.deal.id}/")
        assert quote["status"] == "published"
        assert quote["misattribution"] is None

    def test_drafts_are_not_listed_or_found(self):
        for query in [
            "",
            "?q=draft",
            "?q=deal",
            "?tag=cuba",
            "?source_domain=nytimes.com",
            "?speaker=donald-trump",
        ]:
            listed = ids(self.get(query))
            assert not {self.draft.id, self.in_review.id, self.retracted.id} & set(listed), query

    def test_filter_by_speaker_and_qid(self):
        assert ids(self.get("?speaker=miguel-diaz-canel")) == [self.surrender.id, self.undated.id]
        assert ids(self.get("?speaker_qid=Q22686")) == [self.deal.id, self.january.id]
        assert ids(self.get("?speaker=nobody")) == []

    def test_filter_by_dates_is_inclusive_and_month_counts_as_first_day(self):
        assert ids(self.get("?said_after=2026-01-11&said_before=2026-01-16")) == [
            self.surrender.id,
            self.deal.id,
        ]
        assert ids(self.get("?said_before=2026-01-01")) == [self.january.id]
        assert ids(self.get("?said_after=2026-01-02")) == [self.surrender.id, self.deal.id]

    def test_filter_by_about_tag_language_verification(self):
        assert ids(self.get("?about=donald-trump")) == [self.surrender.id]
        assert ids(self.get("?tag=cuba")) == [self.deal.id]
        assert ids(self.get("?language=es")) == [self.surrender.id]
        assert ids(self.get("?verification=verified")) == [self.deal.id]

    def test_filter_by_venue_and_kind(self):
        assert ids(self.get(f"?venue={self.speech.id}")) == [self.surrender.id]
        assert ids(self.get("?venue_kind=social_media_post")) == [self.deal.id]

    def test_filter_by_source_domain_includes_subdomains(self):
        assert ids(self.get("?source_domain=nytimes.com")) == [self.deal.id]
        assert ids(self.get("?source_domain=www.nytimes.com")) == [self.deal.id]
        assert ids(self.get("?source_domain=example.org")) == [self.surrender.id]
        assert ids(self.get("?source_domain=times.com")) == []

    def test_filter_by_publisher_and_primary_source(self):
        assert ids(self.get("?publisher=the new york times")) == [self.deal.id]
        assert ids(self.get("?has_primary_source=true")) == [self.deal.id]
        assert ids(self.get("?has_primary_source=false")) == [
            self.surrender.id,
            self.january.id,
            self.undated.id,
        ]

    def test_filters_combine(self):
        assert ids(self.get("?speaker=donald-trump&has_primary_source=false")) == [self.january.id]

    def test_each_ordering(self):
        dated = [self.january.id, self.deal.id, self.surrender.id]
        assert ids(self.get("?ordering=said_on")) == [*dated, self.undated.id]
        assert ids(self.get("?ordering=-said_on")) == [*dated[::-1], self.undated.id]
        created = [self.deal.id, self.surrender.id, self.january.id, self.undated.id]
        assert ids(self.get("?ordering=created")) == created
        assert ids(self.get("?ordering=-created")) == created[::-1]

    def test_search_phrase_or_exclusion_and_accents(self):
        assert ids(self.get("?q=Diaz-Canel")) == [self.surrender.id]
        assert ids(self.get('?q="make a deal"')) == [self.deal.id]
        assert ids(self.get('?q="a deal make"')) == []
        assert ids(self.get("?q=surrender OR choice&ordering=-said_on")) == [
            self.surrender.id,
            self.january.id,
        ]
        assert ids(self.get("?q=make -deal")) == [self.january.id]

    def test_relevance_is_the_default_order_when_searching(self):
        make_quote("Deal, deal, deal: the best deal.", self.trump, said_on=datetime.date(2025, 1, 1))
        results = ids(self.get("?q=deal"))
        assert len(results) == 2 and results[0] != self.deal.id
        assert ids(self.get("?q=deal&ordering=relevance")) == results

    def test_detail_of_published_and_retracted_quotes(self):
        response = self.get(f"{self.deal.id}/")
        assert response.status_code == 200
        assert response.json()["text"] == self.deal.text
        retracted = self.get(f"{self.retracted.id}/")
        assert retracted.status_code == 200
        assert retracted.json()["status"] == "retracted"

    def test_drafts_are_404_to_the_public(self):
        for quote in (self.draft, self.in_review):
            response = self.get(f"{quote.id}/")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"

    def test_misattribution_names_the_correct_record(self):
        wrong = make_quote(
            "Make a deal before it is too late.",
            self.canel,
            verification="misattributed",
            verification_note="Trump wrote this, not Díaz-Canel.",
            correct_attribution=self.deal,
        )
        data = self.get(f"{wrong.id}/").json()
        assert data["misattribution"]["note"] == "Trump wrote this, not Díaz-Canel."
        correct = data["misattribution"]["correct_attribution"]
        assert correct["id"] == self.deal.id
        assert correct["url"].endswith(f"/api/v1/quotes/{self.deal.id}/")
        assert correct["speaker"]["slug"] == "donald-trump"

    def test_invalid_values_are_400_naming_the_field(self):
        cases = {
            "said_after=yesterday": "said_after",
            "said_before=2026-13-01": "said_before",
            "page_size=10000": "page_size",
            "page_size=0": "page_size",
            "page_size=abc": "page_size",
            "ordering=password": "ordering",
            "ordering=relevance": "ordering",
            "verification=probably": "verification",
            "venue_kind=blog": "venue_kind",
            "venue=abc": "venue",
            "has_primary_source=maybe": "has_primary_source",
            "speaker_qid=22686": "speaker_qid",
            "language=not a language": "language",
            "source_domain=not a domain!": "source_domain",
            "cursor=garbage": "cursor",
            "q=cuba%00": "q",
            "speaker=a%00b": "speaker",
            "cursor=%00": "cursor",
        }
        for query, field in cases.items():
            response = self.get(f"?{query}")
            assert response.status_code == 400, query
            error = response.json()["error"]
            assert error["code"] == "invalid"
            assert field in error["fields"], (query, error)

    def test_unknown_parameters_are_ignored(self):
        assert ids(self.get("?colour=blue")) == ids(self.get())


@pytest.mark.django_db
def test_pages_walk_a_250_quote_archive_without_loss_or_repetition(client, monkeypatch):
    from quotes.api import pagination

    speaker = make_speaker()
    expected = set()
    for n in range(250):
        said_on = None if n % 25 == 0 else datetime.date(2020, 1, 1) + datetime.timedelta(days=n % 40)
        quote = make_quote(
            f"Common words and number {n}" + (" rare" if n % 3 == 0 else ""),
            speaker,
            said_on=said_on,
            date_precision="unknown" if said_on is None else "day",
        )
        expected.add(quote.id)
    make_quote("Common words in a draft", speaker, status="draft")
    # Score only 40 matches so that relevance pages cross into the unscored older matches.
    monkeypatch.setattr(pagination, "RELEVANCE_CANDIDATES", 40)
    for query in [
        "ordering=said_on",
        "ordering=-said_on",
        "ordering=created",
        "ordering=-created",
        "q=common",
    ]:
        seen, pages, url = [], [], f"/api/v1/quotes/?{query}&page_size=23"
        while url:
            data = client.get(url).json()
            pages.append(data)
            seen += [quote["id"] for quote in data["results"]]
            url = data["next"]
        assert len(seen) == len(set(seen)) == 250, query
        assert set(seen) == expected, query
        assert pages[0]["previous"] is None
        # Walking back from the last page meets the same pages in reverse.
        back, url = [], pages[-1]["previous"]
        while url:
            back = [quote["id"] for quote in client.get(url).json()["results"]] + back
            url = client.get(url).json()["previous"]
        assert back + [q["id"] for q in pages[-1]["results"]] == seen, query


@pytest.mark.django_db
def test_relevance_pages_put_better_matches_first(client):
    speaker = make_speaker()
    weak = make_quote("Sugar and the island, and the long summer afternoons.", speaker)
    strong = make_quote("Sugar! Sugar! Sugar!", speaker)
    make_quote("Rice and beans.", speaker)
    data = client.get("/api/v1/quotes/?q=sugar&page_size=1").json()
    assert [q["id"] for q in data["results"]] == [strong.id]
    assert [q["id"] for q in client.get(data["next"]).json()["results"]] == [weak.id]


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_page_size(client, django_assert_num_queries, monkeypatch):
    # The throttle sweeps expired counters on one window-opening request in SWEEP_ONE_IN, at
    # random: an extra DELETE this count must not depend on.
    monkeypatch.setattr("archive.api.throttling.SWEEP_ONE_IN", 10**18)
    speaker = make_speaker()
    tag = Tag.objects.create(name="Cuba", slug="cuba")
    for n in range(120):
        quote = make_quote(f"Words {n}", speaker, venue=make_venue())
        quote.tags.add(tag)
        cite(quote, Source.objects.create(url=f"https://example.com/{n}"))
    # Expected, for any page size: the throttle's counter (one upsert), the page's ids (1), those
    # quotes with speaker, venue and correct attribution joined (1), the page's tags (1), and
    # the page's citations with their sources (1).
    for size in (1, 100):
        with django_assert_num_queries(5):
            response = client.get(f"/api/v1/quotes/?page_size={size}")
        assert len(response.json()["results"]) == size


@pytest.mark.django_db
def test_a_language_tag_matches_in_any_case(client):
    """BCP 47 tags are case-insensitive: ?language=EN finds the quotes stored as en, pt-br those in pt-BR."""
    english = make_quote(language="en")
    brazilian = make_quote(language="pt-BR")
    make_source(language="pt-BR")

    def ids(params):
        return {row["id"] for row in client.get("/api/v1/quotes/", params).json()["results"]}

    assert ids({"language": "EN"}) == ids({"language": "en"}) == {english.pk}
    assert ids({"language": "pt-br"}) == {brazilian.pk}
    sources = client.get("/api/v1/sources/", {"language": "PT-br"}).json()["results"]
    assert [source["language"] for source in sources] == ["pt-BR"]
    export = client.get("/api/v1/quotes/export/", {"format": "ndjson", "language": "PT-BR"})
    assert b"".join(export.streaming_content).count(b"\n") == 1
