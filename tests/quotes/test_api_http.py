"""HTTP behaviour of the API: schema and docs, conditional GET, CORS, error shapes, throttling."""

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from openapi_spec_validator import validate

from quotes.models import ApiToken
from tests.factories import make_quote, make_speaker


@pytest.fixture
def quote(db):
    return make_quote("Words said in public.", make_speaker("Ana", slug="ana"))


def test_openapi_schema_validates_and_documents_every_quote_filter(client, db):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    listed = {p["name"] for p in schema["paths"]["/api/v1/quotes/"]["get"]["parameters"]}
    assert listed >= {
        "speaker",
        "speaker_qid",
        "q",
        "said_after",
        "said_before",
        "about",
        "venue",
        "venue_kind",
        "source_domain",
        "publisher",
        "tag",
        "language",
        "verification",
        "has_primary_source",
        "ordering",
        "cursor",
        "page_size",
    }
    for path in [
        "/api/v1/speakers/",
        "/api/v1/venues/",
        "/api/v1/sources/",
        "/api/v1/tags/",
        "/api/v1/citations/",
    ]:
        assert path in schema["paths"]
    quote_schema = schema["components"]["schemas"]["Quote"]
    assert {"permalink", "embed_url", "citations", "speaker"} <= set(quote_schema["properties"])


def test_docs_are_served_without_a_cdn(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "cdn" not in page.lower() and "unpkg" not in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    directives = dict(d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
    assert directives["script-src"] == "'self'"
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_detail_and_list_answer_304_to_a_current_etag(client, quote):
    for url in [
        f"/api/v1/quotes/{quote.pk}/",
        "/api/v1/quotes/",
        "/api/v1/speakers/ana/",
        "/api/v1/speakers/",
    ]:
        first = client.get(url)
        assert first.status_code == 200
        assert first["Cache-Control"] == "public, max-age=60"
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304, url
        assert again.content == b""
    detail = client.get(f"/api/v1/quotes/{quote.pk}/")
    assert (
        client.get(f"/api/v1/quotes/{quote.pk}/", HTTP_IF_MODIFIED_SINCE=detail["Last-Modified"]).status_code
        == 304
    )


def test_a_changed_quote_gets_a_new_etag(client, quote):
    before = client.get(f"/api/v1/quotes/{quote.pk}/")["ETag"]
    quote.context = "New context."
    quote.version += 1
    quote.save()
    after = client.get(f"/api/v1/quotes/{quote.pk}/", HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200 and after["ETag"] != before


def test_reads_are_open_to_any_origin_but_writes_are_not(client, quote):
    read = client.get("/api/v1/quotes/", HTTP_ORIGIN="https://elsewhere.example")
    assert read["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/v1/quotes/",
        HTTP_ORIGIN="https://elsewhere.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    allowed = preflight.get("Access-Control-Allow-Methods", "")
    assert "POST" not in allowed and "DELETE" not in allowed
    assert "GET" in allowed


def test_errors_share_one_json_shape(client, quote, editor):
    _, key = ApiToken.issue(user=editor)
    cases = [
        (client.get("/api/v1/quotes/?said_after=yesterday"), 400, "invalid"),
        (client.post("/api/v1/quotes/", {}, content_type="application/json"), 401, "not_authenticated"),
        (client.get("/api/v1/quotes/999999/"), 404, "not_found"),
        (client.get("/api/v1/no-such-thing/"), 404, "not_found"),
        (client.delete("/api/v1/tags/x/", HTTP_AUTHORIZATION=f"Token {key}"), 405, "method_not_allowed"),
        (
            client.patch(
                f"/api/v1/quotes/{quote.pk}/",
                {},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Token {key}",
                HTTP_IF_MATCH='"q1.v999.x"',
            ),
            412,
            "precondition_failed",
        ),
    ]
    for response, status, code in cases:
        assert response.status_code == status
        assert response["Content-Type"].startswith("application/json")
        error = response.json()["error"]
        assert error["code"] == code and error["message"]


def test_unexpected_errors_are_json_500(quote, monkeypatch):
    from quotes.api import views

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "represent_quotes", explode)
    response = Client(raise_request_exception=False).get(f"/api/v1/quotes/{quote.pk}/")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"


def test_throttling_answers_429_with_retry_after(client, quote):
    rates = {"anon": "3/min", "user": "5/min"}
    cache.clear()
    with override_settings(REST_FRAMEWORK={**_rest_framework(), "DEFAULT_THROTTLE_RATES": rates}):
        statuses = [client.get("/api/v1/quotes/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = client.get("/api/v1/quotes/")
        assert refused.json()["error"]["code"] == "throttled"
        assert int(refused["Retry-After"]) > 0
        # Another client address has its own allowance.
        assert client.get("/api/v1/quotes/", REMOTE_ADDR="10.0.0.9").status_code == 200
    cache.clear()


def _rest_framework() -> dict:
    from django.conf import settings

    return settings.REST_FRAMEWORK


def test_what_an_editor_sees_is_not_cached_publicly(quote, editor):
    _, key = ApiToken.issue(user=editor)
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get(f"/api/v1/quotes/{quote.pk}/")
    assert response["Cache-Control"] == "private, no-cache"


def test_schema_documents_the_error_responses(client, db):
    schema = client.get("/api/schema/?format=json").json()
    assert "Error" in schema["components"]["schemas"]
    put = schema["paths"]["/api/v1/quotes/{id}/"]["put"]["responses"]
    assert {"400", "401", "403", "404", "412", "429"} <= set(put)
    assert "400" in schema["paths"]["/api/v1/quotes/"]["get"]["responses"]
