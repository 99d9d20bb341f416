"""Who may do what, route by route: every API operation in the served schema, every method, as
anonymous, a signed-in user with no group, an editor and a reviewer. And drafts stay private
on every public surface (API, search, export, oEmbed, embed, permalink, speaker page, schema).
"""

import json
import re
from urllib.parse import quote_plus

import pytest
from django.core.cache import cache
from django.test import Client

from archive.models import Source
from quotes.demo import load_demo
from quotes.models import ApiToken, Citation, Quote, Speaker, Tag, Venue
from tests.factories import cite, make_quote, make_source, make_speaker, make_venue

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "no_group", "editor", "reviewer"]
WRITE_METHODS = ["post", "put", "patch", "delete"]
ALL_METHODS = ["get", *WRITE_METHODS]
REFUSED = {401, 403, 405}
WRITABLE_RESOURCES = {"quotes", "speakers", "venues", "citations", "sources"}


@pytest.fixture(autouse=True)
def no_throttling(settings):
    # The matrix sends a few hundred requests; throttling has its own tests.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min"},
    }
    cache.clear()


@pytest.fixture
def clients(plain_user, editor, reviewer) -> dict[str, Client]:
    made = {"anonymous": Client()}
    for role, user in [("no_group", plain_user), ("editor", editor), ("reviewer", reviewer)]:
        made[role] = Client(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user=user)[1]}")
    return made


@pytest.fixture
def schema_operations(client) -> list[tuple[str, str]]:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    operations = []
    for path, ops in paths.items():
        for method, operation in ops.items():
            if method not in ALL_METHODS:
                continue
            # Required query parameters get their first documented value (e.g. cite's style,
            # lookup's example fragment).
            required = {
                param["name"]: quote_plus(documented_value(param))
                for param in operation.get("parameters", [])
                if param.get("required") and param["in"] == "query"
            }
            query = "?" + "&".join(f"{name}={value}" for name, value in required.items()) if required else ""
            operations.append((path + query, method))
    return operations


def documented_value(param: dict) -> str:
    if "enum" in param["schema"]:
        return param["schema"]["enum"][0]
    examples = list(param.get("examples", {}).values())
    return examples[0]["value"] if examples else "x"


def resource_of(path: str) -> str:
    return path.split("?")[0].split("/")[3]  # /api/v1/<resource>/...


def fresh_object_path(path: str) -> str:
    """The path with its {id}/{slug} filled by a new published object nobody else touches."""
    resource = resource_of(path)
    if "{" not in path:
        return path
    if resource == "quotes":
        value = make_quote().pk
    elif resource == "speakers":
        value = make_speaker().slug
    elif resource == "venues":
        value = make_venue().pk
    elif resource == "citations":
        value = cite(make_quote()).pk
    elif resource == "sources":
        value = make_source().pk
    elif resource == "tags":
        value = Tag.objects.get_or_create(slug="matrix", defaults={"name": "Matrix"})[0].slug
    else:
        raise AssertionError(f"no test object for {path}: add one here")
    return re.sub(r"\{[^}]+\}", str(value), path)


def expected_to_pass(role: str, path: str, method: str) -> bool:
    """The policy: everyone reads; editors and reviewers write; only reviewers retract a quote."""
    if method == "get":
        return True
    if role in ("anonymous", "no_group"):
        return False
    if resource_of(path) not in WRITABLE_RESOURCES:
        return False
    if resource_of(path) == "quotes" and method == "delete":
        return role == "reviewer"  # DELETE retracts, a reviewer's decision
    return True


def call(client: Client, method: str, path: str):
    if method in ("get", "delete"):
        return getattr(client, method)(path)
    return getattr(client, method)(path, data="{}", content_type="application/json")


def test_every_documented_operation_allows_exactly_the_expected_roles(demo, clients, schema_operations):
    assert len(schema_operations) >= 20, "the schema lists the API"
    mismatches = []
    for path, method in schema_operations:
        for role in ROLES:
            target = fresh_object_path(path)
            response = call(clients[role], method, target)
            passed = response.status_code not in REFUSED
            if response.status_code >= 500 or passed != expected_to_pass(role, path, method):
                mismatches.append(f"{role:9} {method.upper():6} {target} -> {response.status_code}")
            if method == "get" and passed:
                assert response.status_code == 200, f"{role} GET {target} -> {response.status_code}"
    assert not mismatches, "\n".join(mismatches)


def test_undocumented_methods_are_refused_for_everyone(demo, clients, schema_operations):
    documented: dict[str, set[str]] = {}
    for path, method in schema_operations:
        documented.setdefault(path.split("?")[0], set()).add(method)
    wrong = []
    for path, methods in documented.items():
        for method in set(ALL_METHODS) - methods:
            for role in ROLES:
                target = fresh_object_path(path)
                response = call(clients[role], method, target)
                if response.status_code < 400 or response.status_code >= 500:
                    wrong.append(f"{role} {method.upper()} {target} -> {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_the_editor_role_cannot_publish_or_mass_assign_bookkeeping_fields(clients, editor):
    speaker = make_speaker(slug="ana")
    response = clients["editor"].post(
        "/api/v1/quotes/",
        data=json.dumps(
            {
                "text": "Mass assignment attempt.",
                "speaker": "ana",
                "said_on": "2025-03-02",
                "created_by": 1,
                "version": 99,
                "first_published_at": "2020-01-01T00:00:00Z",
                "history": [],
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    quote = Quote.objects.get(speaker=speaker)
    assert quote.status == "draft" and quote.version == 1
    assert quote.created_by == editor and quote.first_published_at is None
    publish = clients["editor"].patch(
        f"/api/v1/quotes/{quote.pk}/", data='{"status": "published"}', content_type="application/json"
    )
    assert publish.status_code == 403
    quote.refresh_from_db()
    assert quote.status == "draft"


# --- Drafts never reach the public ------------------------------------------------------------

SECRET = "Embargoed words about the harbour deal"


@pytest.fixture
def draft(db) -> Quote:
    load_demo()
    speaker = make_speaker("Quiet Speaker", slug="quiet-speaker")
    quote = make_quote(f"{SECRET}.", speaker=speaker, status="draft")
    cite(quote, make_source("https://news.example.com/embargoed"))
    make_quote(f"{SECRET}, under review.", speaker=speaker, status="in_review")
    return quote


def public_surfaces(draft: Quote) -> list[str]:
    permalink = f"http://testserver/q/{draft.pk}/"
    citation = Citation.objects.get(quote=draft)
    return [
        "/api/v1/quotes/",
        "/api/v1/quotes/?q=embargoed",
        "/api/v1/quotes/?q=harbour+deal",
        "/api/v1/quotes/?speaker=quiet-speaker",
        "/api/v1/quotes/?status=draft",
        "/api/v1/quotes/?status=in_review",
        f"/api/v1/quotes/{draft.pk}/",
        f"/api/v1/quotes/{draft.pk}/cite/",
        f"/api/v1/quotes/{draft.pk}/corrections/",
        "/api/v1/quotes/export/?format=csv",
        "/api/v1/quotes/export/?format=ndjson",
        "/api/v1/quotes/export/?format=ndjson&status=draft",
        f"/api/v1/citations/{citation.pk}/",
        f"/api/v1/citations/?quote={draft.pk}",
        "/api/v1/citations/",
        f"/api/v1/speakers/{draft.speaker.slug}/",
        f"/api/v1/sources/{citation.source_id}/",
        f"/oembed?url={permalink}",
        f"/oembed?url={permalink}&format=json",
        f"/embed/q/{draft.pk}/",
        f"/q/{draft.pk}/",
        f"/s/{draft.speaker.slug}/",
        "/api/schema/",
        "/api/v1/lookup/?text=Embargoed+words+about+the+harbour+deal",
    ]


def body_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("role", ["anonymous", "no_group"])
def test_drafts_are_never_readable_by_the_public_on_any_route(draft, clients, role):
    leaks = []
    for url in public_surfaces(draft):
        response = clients[role].get(url)
        assert response.status_code < 500, f"{url} -> {response.status_code}"
        if SECRET.lower() in body_of(response).lower():
            leaks.append(f"{url} -> {response.status_code}")
    assert not leaks, "draft text leaked:\n" + "\n".join(leaks)
    assert clients[role].get(f"/api/v1/quotes/{draft.pk}/").status_code == 404
    assert clients[role].get(f"/embed/q/{draft.pk}/").status_code == 404
    assert clients[role].get(f"/q/{draft.pk}/").status_code == 404


def test_editors_do_see_drafts_through_the_api(draft, clients):
    # The counterpart: the leak test above would pass trivially if drafts were not there at all.
    response = clients["editor"].get(f"/api/v1/quotes/{draft.pk}/")
    assert response.status_code == 200 and SECRET in response.content.decode()


def test_matrix_fixture_objects_are_real(demo):
    # fresh_object_path must produce objects the API can find.
    for model in (Quote, Speaker, Venue, Source, Citation):
        assert model.objects.exists()
