"""What a source may say about itself: a URL the archive can identify, a language tag, a past date.

Every refusal is a form or 400 error naming the field, on both databases, never a 500. The id
filters the quotes API borrows from archive/filtersets.py are checked here too.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from archive.models import Source
from archive.urlnorm import normalize_url
from quotes.models import ApiToken
from tests.factories import make_quote, make_source, make_venue

pytestmark = pytest.mark.django_db

BIGINT_MAX = 2**63 - 1


@pytest.fixture
def editor_client(editor):
    _, key = ApiToken.issue(user=editor)
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def post_source(client, **fields):
    return client.post("/api/v1/sources/", fields, content_type="application/json")


def field_errors(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    return response.json()["error"].get("fields", {})


# --- URLs that pass Django's URLValidator but cannot identify a source ------------------------------

UNUSABLE_URLS = [
    "https://example.org:99999/",  # five digits, above 65535
    "http://example.com:65536/a",
    "http://1.2.3.4:99999/",
    "http://[::1]:99999/",
    "http://example.com:0/",  # nothing listens on port 0; normalizing would drop it
    "http://example.com\\@evil.com/",  # browsers go to example.com, Python's parser to evil.com
]


@pytest.mark.parametrize("url", UNUSABLE_URLS)
def test_an_unusable_url_is_a_400_on_url_in_the_api(editor_client, url):
    response = post_source(editor_client, url=url)
    assert response.status_code == 400, response.content[:300]
    fields = field_errors(response)
    assert list(fields) == ["url"]
    assert fields["url"][0].startswith("Enter a valid URL")
    assert not Source.objects.exists()


def test_an_unusable_url_is_a_form_error_in_the_admin(client, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:archive_source_add"),
        {"url": "http://example.com:99999/a", "title": "", "publisher": "", "author": "", "language": ""},
    )
    assert response.status_code == 200
    assert "Enter a valid URL" in response.content.decode()
    assert not Source.objects.exists()


def test_a_port_out_of_range_still_raises_value_error_for_other_callers():
    # quotes/selectors.py and the importer catch ValueError from normalize_url.
    with pytest.raises(ValueError, match="(?i)port"):
        normalize_url("https://example.org:99999/")


@pytest.mark.parametrize(
    "url, normalized, domain",
    [
        ("https://example.org:00080/", "https://example.org:80/", "example.org"),
        ("http://example.com:00080/a", "http://example.com/a", "example.com"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x", "::1"),
        ("http://[2001:DB8::1]/", "http://[2001:db8::1]/", "2001:db8::1"),
        ("http://[::ffff:1.2.3.4]:443/", "http://[::ffff:1.2.3.4]:443/", "::ffff:1.2.3.4"),
        ("http://user:secret@Example.com/a", "http://example.com/a", "example.com"),
        ("http://user@www.example.com:8080/", "http://www.example.com:8080/", "example.com"),
        ("http://example.com:65535/", "http://example.com:65535/", "example.com"),
    ],
)
def test_unusual_but_valid_urls_are_accepted_and_normalized(editor_client, url, normalized, domain):
    response = post_source(editor_client, url=url)
    assert response.status_code == 201, response.content[:300]
    source = Source.objects.get()
    assert (source.normalized_url, source.domain) == (normalized, domain)
    assert response.json()["domain"] == domain


def test_two_ipv6_sources_on_different_ports_are_different_sources(editor_client):
    assert post_source(editor_client, url="http://[::1]:8080/").status_code == 201
    # Without brackets both would normalize to "http://::1:8080/".
    assert post_source(editor_client, url="http://[::1:8080]/").status_code == 201
    assert Source.objects.count() == 2


# --- Duplicates --------------------------------------------------------------------------------------


def test_a_duplicate_url_is_reported_on_url_not_on_the_internal_hash(editor_client):
    make_source("https://www.nytimes.com/a")
    response = post_source(editor_client, url="https://WWW.nytimes.com/a?utm_source=x#top")
    assert response.status_code == 400
    assert field_errors(response) == {"url": ["A source with this URL is already in the archive."]}


def test_a_duplicate_url_is_reported_on_url_when_editing_too(editor_client):
    make_source("https://example.com/one")
    other = make_source("https://example.com/two")
    response = editor_client.patch(
        f"/api/v1/sources/{other.pk}/", {"url": "https://example.com/one"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert field_errors(response) == {"url": ["A source with this URL is already in the archive."]}


# --- Language and publication date -------------------------------------------------------------------


@pytest.mark.parametrize("language", ["english!!", "not a tag!!", "e", "en_US"])
def test_a_language_must_be_a_bcp47_tag(editor_client, language):
    response = post_source(editor_client, url="https://example.com/a", language=language)
    assert response.status_code == 400
    assert field_errors(response) == {"language": ["Enter a BCP 47 language tag such as en, es or pt-BR."]}


@pytest.mark.parametrize("language", ["", "en", "pt-BR", "zh-Hant-TW"])
def test_a_bcp47_tag_or_nothing_is_accepted(editor_client, language):
    response = post_source(editor_client, url="https://example.com/a", language=language)
    assert response.status_code == 201, response.content[:300]


def test_a_publication_date_cannot_be_in_the_future(editor_client):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    for published_on in ("3000-01-01", tomorrow.isoformat()):
        response = post_source(editor_client, url="https://example.com/a", published_on=published_on)
        assert response.status_code == 400
        assert field_errors(response) == {"published_on": ["The publication date cannot be in the future."]}
    today = post_source(
        editor_client, url="https://example.com/a", published_on=timezone.localdate().isoformat()
    )
    assert today.status_code == 201


def test_the_model_refuses_a_bad_language_and_a_future_date():
    source = Source(url="https://example.com/a", language="english!!", published_on=datetime.date(3000, 1, 1))
    with pytest.raises(ValidationError) as caught:
        source.full_clean()
    assert set(caught.value.message_dict) == {"language", "published_on"}


def test_the_admin_refuses_a_bad_language_and_a_future_date(client, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:archive_source_add"),
        {"url": "https://example.com/a", "language": "english!!", "published_on": "3000-01-01"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a BCP 47 language tag" in page and "cannot be in the future" in page
    assert not Source.objects.exists()


# --- Id filters (archive.filtersets.IntegerFilter, used by the quotes API's `venue`) -----------------


@pytest.mark.parametrize("value", [str(BIGINT_MAX + 1), "99999999999999999999", "0", "-3"])
@pytest.mark.parametrize("path", ["/api/v1/quotes/", "/api/v1/quotes/export/?format=csv"])
def test_an_id_filter_outside_the_id_range_is_a_400_naming_it(client, path, value):
    separator = "&" if "?" in path else "?"
    response = client.get(f"{path}{separator}venue={value}")
    assert response.status_code == 400, response.content[:300]
    assert list(field_errors(response)) == ["venue"]


def test_the_largest_id_is_accepted_and_matches_nothing(client):
    venue = make_venue()
    make_quote(venue=venue, status="published")
    assert client.get(f"/api/v1/quotes/?venue={BIGINT_MAX}").json()["results"] == []
    assert len(client.get(f"/api/v1/quotes/?venue={venue.pk}").json()["results"]) == 1


def test_the_export_command_explains_a_huge_venue(tmp_path):
    with pytest.raises(CommandError, match="venue"):
        call_command(
            "export_quotes", str(tmp_path / "out.csv"), "--format", "csv", "--venue", "99999999999999999999"
        )


def test_a_url_whose_normalized_form_outgrows_its_column_is_a_400_on_url(editor_client):
    """Percent-encoding makes 'ü' nine characters: 717 typed become over 4,000 normalized."""
    response = post_source(editor_client, url="http://e.com/p?a=" + "ü" * 700)
    assert response.status_code == 400, response.content[:300]
    assert field_errors(response)["url"][0].startswith("Enter a shorter URL")
    assert not Source.objects.exists()
