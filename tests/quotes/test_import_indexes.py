"""Large imports build the indexes once at the end: nothing is left missing, and search works."""

import pytest
from django.db import connection

from quotes.importing import search_index
from quotes.models import Quote
from tests.quotes.test_import_quotebank import run_import, write_sample


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        names = set()
        for table in ("quotes_quote", "archive_source", "quotes_citation"):
            names |= set(connection.introspection.get_constraints(cursor, table))
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            names |= {row[0] for row in cursor.fetchall()}
    return names


@pytest.mark.django_db(transaction=True)
def test_a_rebuilding_import_leaves_every_index_it_dropped(tmp_path):
    before = index_names()

    summary, _ = run_import(write_sample(tmp_path / "quotes.json"), tmp_path, "--search-index", "rebuild")

    assert "indexes rebuilt" in summary
    assert index_names() == before
    if connection.vendor == "postgresql":
        assert {"quote_search_vector_idx", "quote_speaker_said_idx"} <= before


@pytest.mark.django_db(transaction=True)
def test_an_import_restores_indexes_a_killed_import_left_dropped(tmp_path):
    before = index_names()
    search_index._drop("default")  # what a rebuilding import killed midway leaves behind
    assert index_names() != before

    summary, _ = run_import(write_sample(tmp_path / "quotes.json"), tmp_path, "--search-index", "keep")

    assert "indexes rebuilt" not in summary
    assert index_names() == before


@pytest.mark.django_db
def test_auto_rebuilds_only_for_a_file_large_next_to_the_archive(tmp_path, monkeypatch):
    path = write_sample(tmp_path / "quotes.json")  # 60 records, about 24 KB
    assert not search_index.should_rebuild("auto", path=path, fmt="quotebank")
    assert search_index.should_rebuild("rebuild", path=path, fmt="quotebank")
    assert not search_index.should_rebuild("keep", path=path, fmt="quotebank")

    monkeypatch.setattr(search_index, "AUTO_MIN_RECORDS", 10)
    assert search_index.should_rebuild("auto", path=path, fmt="quotebank")  # empty archive
    run_import(path, tmp_path, "--search-index", "keep")
    lines = [line.replace("issue", "topic") for line in (tmp_path / "quotes.json").read_text().splitlines()]
    run_import(write_sample(tmp_path / "more.json", lines), tmp_path)
    assert Quote.objects.count() > search_index.estimated_records(path, "quotebank")
    assert not search_index.should_rebuild("auto", path=path, fmt="quotebank")
    assert not search_index.should_rebuild("auto", path="-", fmt="quotebank")
