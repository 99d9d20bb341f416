"""GET/POST /api/v1/sources/: the documents quotes cite, with their preserved copies."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from archive.models import Snapshot, Source
from quotes.models import ApiToken


@pytest.fixture
def sources(db):
    nyt = Source.objects.create(url="https://www.nytimes.com/a", title="Cuba talks", publisher="NYT")
    blog = Source.objects.create(url="https://blog.example.org/b", title="Notes", publisher="Example")
    Snapshot.objects.create(
        source=nyt,
        fetched_at=timezone.now() - datetime.timedelta(days=1),
        http_status=200,
        sha256="a" * 64,
        wayback_url="https://web.archive.org/web/2026/https://www.nytimes.com/a",
    )
    Snapshot.objects.create(source=nyt, fetched_at=timezone.now(), failure_reason="Timed out")
    return nyt, blog


def test_list_and_filters(client, sources):
    nyt, blog = sources
    assert [s["id"] for s in client.get("/api/v1/sources/").json()["results"]] == [nyt.id, blog.id]
    by_domain = client.get("/api/v1/sources/?domain=example.org").json()["results"]
    assert [s["id"] for s in by_domain] == [blog.id]
    assert [s["id"] for s in client.get("/api/v1/sources/?publisher=nyt").json()["results"]] == [nyt.id]
    assert [s["id"] for s in client.get("/api/v1/sources/?q=cuba").json()["results"]] == [nyt.id]
    assert client.get("/api/v1/sources/?domain=bad domain").status_code == 400
    assert client.get("/api/v1/sources/?page=0").status_code == 400


def test_detail_lists_every_snapshot_newest_first(client, sources):
    nyt, _ = sources
    data = client.get(f"/api/v1/sources/{nyt.id}/").json()
    assert data["domain"] == "nytimes.com"
    failed, fetched = data["snapshots"]
    assert failed["failure_reason"] == "Timed out" and failed["http_status"] is None
    assert fetched["sha256"] == "a" * 64 and fetched["method"] == "fetched"
    assert fetched["wayback_url"].startswith("https://web.archive.org/")
    assert set(fetched) >= {"fetched_at", "method", "http_status", "sha256", "failure_reason", "wayback_url"}


def test_editors_add_sources_but_not_twice(sources, editor):
    _, key = ApiToken.issue(user=editor)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    created = client.post(
        "/api/v1/sources/", {"url": "https://example.net/new"}, content_type="application/json"
    )
    assert created.status_code == 201
    assert created.json()["domain"] == "example.net"
    again = client.post(
        "/api/v1/sources/", {"url": "https://www.nytimes.com/a#x"}, content_type="application/json"
    )
    assert again.status_code == 400
    assert "url" in again.json()["error"]["fields"]


def test_anonymous_cannot_write_sources(client, sources):
    response = client.post(
        "/api/v1/sources/", {"url": "https://example.net/x"}, content_type="application/json"
    )
    assert response.status_code == 401
