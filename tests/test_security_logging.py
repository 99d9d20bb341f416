"""Structured access logs with a request id that follows the request through every log line."""

import json
import logging

import pytest

from config.logging import JsonFormatter, RequestIdFilter


@pytest.fixture
def json_lines(caplog):
    """Log records as an operator reads them: stamped and formatted as the production handler does."""
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())
    formatter = JsonFormatter()
    return lambda: [json.loads(formatter.format(record)) for record in caplog.records]


def test_a_safe_request_id_from_the_caller_is_kept(client, json_lines):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert response["X-Request-ID"] == "lb-7f3a.42"
    access = [line for line in json_lines() if line["logger"] == "verbatim.access"]
    assert access[-1]["request_id"] == "lb-7f3a.42"


@pytest.mark.parametrize(
    "unsafe", ["x" * 65, "id with spaces", "evil\r\nSet-Cookie: a=b", '{"json":1}', "ünï"]
)
def test_an_unsafe_request_id_is_replaced(client, unsafe):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=unsafe)
    assert response["X-Request-ID"] != unsafe
    assert len(response["X-Request-ID"]) == 32


def test_each_request_gets_its_own_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
def test_one_access_line_per_request_with_who_and_how_long(client, superuser, json_lines):
    client.force_login(superuser)
    response = client.get("/admin/", HTTP_X_REQUEST_ID="req-1")
    assert response.status_code == 200
    access = [line for line in json_lines() if line["logger"] == "verbatim.access"]
    assert len(access) == 1
    line = access[0]
    assert line["method"] == "GET" and line["path"] == "/admin/" and line["status"] == 200
    assert line["user_id"] == superuser.pk
    assert line["request_id"] == "req-1"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["ts"].endswith("+00:00")


def test_every_log_line_written_during_a_request_carries_its_id(client, json_lines, settings):
    # An unknown host makes Django itself log a warning while handling the request.
    settings.ALLOWED_HOSTS = ["verbatim.example"]
    response = client.get("/healthz", HTTP_HOST="attacker.example", HTTP_X_REQUEST_ID="trace-9")
    assert response.status_code == 400
    lines = json_lines()
    security = [line for line in lines if line["logger"].startswith("django.security")]
    assert security and all(line["request_id"] == "trace-9" for line in security)


def test_log_lines_outside_a_request_say_so(json_lines):
    logging.getLogger("verbatim.test").info("batch job", extra={"rows": 3})
    line = json_lines()[-1]
    assert line["request_id"] == "-"
    assert line["msg"] == "batch job" and line["rows"] == 3


def test_django_error_response_lines_carry_the_request_id(client, json_lines):
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="nf-1")
    lines = [line for line in json_lines() if line["logger"] == "django.request"]
    assert lines and lines[-1]["request_id"] == "nf-1"
