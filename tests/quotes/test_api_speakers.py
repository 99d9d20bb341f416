"""Speakers, venues, tags and citations: lists, filters, details, and no draft leaking through."""

from quotes.models import Tag
from tests.factories import cite, make_quote, make_speaker, make_venue


def results(response) -> list:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_speakers_search_names_and_aliases_without_accents(client, demo):
    found = [s["slug"] for s in results(client.get("/api/v1/speakers/?q=Diaz-Canel"))]
    assert found == ["miguel-diaz-canel"]
    assert [s["slug"] for s in results(client.get("/api/v1/speakers/?q=president trump"))] == ["donald-trump"]
    assert [s["slug"] for s in results(client.get("/api/v1/speakers/?qid=Q22686"))] == ["donald-trump"]
    assert client.get("/api/v1/speakers/?qid=22686").status_code == 400


def test_speaker_detail_by_slug(client, demo):
    data = client.get("/api/v1/speakers/donald-trump/").json()
    assert data["name"] == "Donald Trump" and "Trump" in data["aliases"]
    assert data["quotes_url"].endswith("/api/v1/quotes/?speaker=donald-trump")
    assert client.get("/api/v1/speakers/nobody/").status_code == 404


def test_speaker_routes_never_show_drafts(client, db):
    speaker = make_speaker("Quiet", slug="quiet")
    draft = make_quote("Secret draft words.", speaker, status="draft")
    detail = client.get("/api/v1/speakers/quiet/")
    assert draft.text not in detail.content.decode()
    assert results(client.get(detail.json()["quotes_url"])) == []


def test_venues_and_tags_filters(client, db):
    hall = make_venue(name="Town hall", kind="speech")
    make_venue(name="Studio", kind="interview")
    Tag.objects.create(name="Sanctions", slug="sanctions")
    assert [v["id"] for v in results(client.get("/api/v1/venues/?kind=speech"))] == [hall.id]
    assert [v["name"] for v in results(client.get("/api/v1/venues/?q=town"))] == ["Town hall"]
    assert client.get(f"/api/v1/venues/{hall.id}/").json()["kind"] == "speech"
    assert client.get("/api/v1/venues/?kind=blog").status_code == 400
    assert [t["slug"] for t in results(client.get("/api/v1/tags/?q=sanc"))] == ["sanctions"]
    assert client.get("/api/v1/tags/sanctions/").json() == {"slug": "sanctions", "name": "Sanctions"}


def test_citations_of_drafts_are_hidden_from_the_public(client, db):
    speaker = make_speaker()
    public = cite(make_quote("Public words.", speaker))
    hidden = cite(make_quote("Draft words.", speaker, status="draft"))
    listed = [c["id"] for c in results(client.get("/api/v1/citations/"))]
    assert listed == [public.id]
    assert client.get(f"/api/v1/citations/{hidden.id}/").status_code == 404


def test_ordinary_pages_have_next_and_previous_without_count(client, db):
    for n in range(5):
        make_venue(name=f"Venue {n}")
    first = client.get("/api/v1/venues/?page_size=2").json()
    assert set(first) == {"next", "previous", "results"} and first["previous"] is None
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["previous"]
    last = client.get(second["next"]).json()
    assert [v["name"] for v in last["results"]] == ["Venue 4"] and last["next"] is None
    assert client.get(last["previous"]).json() == second
    assert client.get(second["previous"]).json() == first  # page 1's link has no page parameter
    assert "page=" not in second["previous"]
    assert client.get("/api/v1/venues/?page_size=2&page=4").status_code == 404  # past the end
    assert client.get(f"/api/v1/venues/?page={10**30}").status_code == 404  # not an overflow
    assert client.get("/api/v1/venues/?page_size=500").status_code == 400
