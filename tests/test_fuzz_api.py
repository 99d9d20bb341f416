"""Schemathesis against the served OpenAPI schema: no server errors, responses as documented.

Runs every check Schemathesis has, anonymously over every read operation and with an editor's
token over every operation (writes included). The seed is printed (and can be fixed with
FUZZ_SEED) so that a failure can be replayed.
"""

import json
import os
import random

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, seed, settings
from schemathesis.specs.openapi import checks as openapi_checks

from quotes.demo import load_demo
from quotes.models import ApiToken

# scripts/test picks and prints the seed; a failure also names it (see `replayable`).
SEED = int(os.environ.get("FUZZ_SEED") or random.randrange(2**32))
ONLY = os.environ.get("FUZZ_ONLY")  # e.g. FUZZ_ONLY=/speakers/ to replay one path
READ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or (100 if connection.vendor == "postgresql" else 20))
WRITE_EXAMPLES = max(10, READ_EXAMPLES // 4)
FUZZ_SETTINGS = {"deadline": None, "suppress_health_check": list(HealthCheck), "derandomize": False}

# Every check runs except two about how complete the schema's documentation is (last run
# with them on, after the API's owner documented error responses, page bounds and quote pages):
# - positive_data_acceptance: schema-valid is not always archive-valid, and rightly so: unknown
#   ids in filters or bodies (quote=0), a stale If-Match, an unknown speaker slug all answer 4xx;
# - negative_data_rejection: an empty `said_before=` (format: date) is ignored, not refused.
# Server errors, response bodies and headers against the schema, content types, auth handling
# and resource checks all stay on.
UNDOCUMENTED_BY_THE_API = [
    openapi_checks.positive_data_acceptance,
    openapi_checks.negative_data_rejection,
]
# Reads are public by design: answering them without (or with a bad) session cookie is right.
PUBLIC_READS = [*UNDOCUMENTED_BY_THE_API, openapi_checks.ignored_auth]


def excluded_checks(case) -> list:
    """The checks left out for this call: the documentation gaps above."""
    return list(PUBLIC_READS if case.method == "GET" else UNDOCUMENTED_BY_THE_API)


def call_and_validate(case, headers: dict | None = None) -> None:
    response = case.call(headers=headers)
    excluded = excluded_checks(case)
    case.validate_response(response, headers=headers, excluded_checks=excluded)


def served_schema() -> dict:
    """The document /api/schema/ serves, generated in-process (collection has no database yet;
    test_the_fuzzed_schema_is_the_served_one checks that the two are the same)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


def build_schema():
    from config.wsgi import application

    loaded = schemathesis.openapi.from_dict(served_schema())
    loaded.app = application  # calls go through the WSGI app, as a server would run them
    return loaded.include(path_regex=ONLY) if ONLY else loaded


def replayable(call):
    try:
        return call()
    except Exception as exc:
        exc.add_note(f"Replay with FUZZ_SEED={SEED} (and FUZZ_ONLY=<path regex> to narrow it).")
        raise


schema = build_schema()


@pytest.fixture(autouse=True)
def archive_without_throttling(db, settings):
    # Throttling is tested on its own; here it would turn the run into a sea of 429s.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1000000/min", "user": "1000000/min"},
    }
    cache.clear()
    load_demo()
    # Calls go straight to the WSGI handler, which would close the test's database connection
    # at each request (pytest-django keeps every test in one transaction); Django's own test
    # client disconnects the same handlers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_fuzzed_schema_is_the_served_one(client):
    served = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert served.status_code == 200
    assert json.loads(served.content) == served_schema()


@pytest.mark.fuzz
@schema.include(method="GET").parametrize()
@settings(max_examples=READ_EXAMPLES, **FUZZ_SETTINGS)
@seed(SEED)
def test_anonymous_reads_never_fail_and_match_the_schema(case):
    replayable(lambda: call_and_validate(case))


@pytest.mark.fuzz
@schema.parametrize()
@settings(max_examples=WRITE_EXAMPLES, **FUZZ_SETTINGS)
@seed(SEED)
def test_an_editors_calls_never_fail_and_match_the_schema(case, editor):
    key = ApiToken.issue(user=editor)[1] if not hasattr(editor, "_fuzz_key") else editor._fuzz_key
    editor._fuzz_key = key
    headers = {"Authorization": f"Token {key}"}
    replayable(lambda: call_and_validate(case, headers))
