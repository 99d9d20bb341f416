"""The admin's lists at archive scale: each page walks an index in order, and the sidebar's
language links come from the cache, yet show a change at once."""

import csv
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive.models import Source
from quotes.models import Quote
from tests.factories import make_quote, make_source

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")


def _languages_offered(client, changelist: str) -> tuple[set[str], list[str]]:
    """(the language links of the list's sidebar, the SQL the page ran)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(changelist))
    assert response.status_code == 200
    links = set(re.findall(r'href="\?language=([\w-]+)"', response.content.decode()))
    return links, [q["sql"] for q in queries.captured_queries]


def _distinct_languages(sql: list[str]) -> list[str]:
    return [s for s in sql if "DISTINCT" in s and "language" in s]


def test_the_quote_list_offers_each_language_and_asks_the_table_once(client, superuser):
    make_quote(language="en")
    make_quote(language="fr")
    client.force_login(superuser)

    first, sql = _languages_offered(client, "admin:quotes_quote_changelist")
    again, sql_again = _languages_offered(client, "admin:quotes_quote_changelist")

    assert first == again == {"en", "fr"}
    assert len(_distinct_languages(sql)) == 1
    assert _distinct_languages(sql_again) == []


def test_a_quote_saved_or_deleted_changes_the_languages_offered_at_once(client, superuser):
    make_quote(language="en")
    client.force_login(superuser)
    assert _languages_offered(client, "admin:quotes_quote_changelist")[0] == {"en"}

    german = make_quote(language="de")
    assert _languages_offered(client, "admin:quotes_quote_changelist")[0] == {"en", "de"}

    german.delete()
    assert _languages_offered(client, "admin:quotes_quote_changelist")[0] == {"en"}


def test_an_import_changes_the_languages_offered_at_once(client, superuser, tmp_path):
    """A large import writes by COPY or bulk_create, which send no signals."""
    make_quote(language="en")
    client.force_login(superuser)
    assert _languages_offered(client, "admin:quotes_quote_changelist")[0] == {"en"}
    path = tmp_path / "sheet.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "speaker_name", "language", "source_url"])
        writer.writerow(["Lo dijo así", "Ana Pérez", "es", "https://example.es/nota"])

    call_command("import_quotes", str(path), "--search-index", "rebuild", stdout=io.StringIO())

    assert _languages_offered(client, "admin:quotes_quote_changelist")[0] == {"en", "es"}


def test_the_source_list_offers_its_languages_from_the_cache_too(client, superuser):
    make_source(language="pt-BR")
    client.force_login(superuser)
    assert "pt-BR" in _languages_offered(client, "admin:archive_source_changelist")[0]
    make_source(url="https://example.org/nl", language="nl")
    links, sql = _languages_offered(client, "admin:archive_source_changelist")
    assert {"pt-BR", "nl"} <= links
    assert len(_distinct_languages(sql)) == 1  # asked again after the change, once


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")  # a plan can only avoid sorting through an index
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@postgres_only
@pytest.mark.parametrize(
    "name, queryset",
    [
        ("the admin's list, every status", lambda: Quote.objects.order_by("-said_on", "-id")[:100]),
        (
            "the public list",
            lambda: Quote.objects.filter(status__in=Quote.PUBLIC_STATUSES, said_on__isnull=False).order_by(
                "-said_on", "-id"
            )[:21],
        ),
        (
            "the newest additions",
            lambda: Quote.objects.filter(status=Quote.Status.PUBLISHED).order_by("-created_at", "-id")[:21],
        ),
        (
            "the drafts queue",
            lambda: Quote.objects.filter(status=Quote.Status.DRAFT, said_on__isnull=False).order_by(
                "-said_on", "-id"
            )[:21],
        ),
        ("sources, newest first", lambda: Source.objects.order_by("-id")[:100]),
    ],
)
def test_each_list_is_read_in_index_order(name, queryset):
    plan = _plan(queryset())
    assert "Index" in plan and "Sort" not in plan, f"{name}:\n{plan}"


@postgres_only
def test_the_date_drill_down_starts_from_the_said_on_index():
    """The admin's date hierarchy first asks for MIN and MAX of said_on over every quote: at scale,
    one probe at each end of this index (a few rows here, so the plan may read it whole)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT MIN(said_on), MAX(said_on) FROM quotes_quote")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "quote_said_idx" in plan, plan


def test_a_missing_cache_table_costs_the_query_not_the_save_the_import_or_the_page(
    client, superuser, tmp_path
):
    """`createcachetable` is a step a deployment can miss: the database cache then fails."""
    never_created = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "no_such_table"}
    with override_settings(CACHES={"default": never_created}):
        _save_import_and_show(client, superuser, tmp_path)


def _save_import_and_show(client, superuser, tmp_path):
    client.force_login(superuser)
    make_quote(language="en")
    make_quote(language="fr").delete()
    path = tmp_path / "sheet.csv"
    path.write_text("text,speaker_name,language\nSo it goes,Kurt Vonnegut,de\n", encoding="utf-8")
    call_command("import_quotes", str(path), stdout=io.StringIO())

    assert _languages_offered(client, "admin:quotes_quote_changelist")[0] == {"en", "de"}
