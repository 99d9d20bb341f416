"""Large imports build the indexes once at the end: nothing is left missing, and search works."""

import json
import re

import pytest
from django.db import IntegrityError, connection

from archive.models import Source
from quotes.importing import search_index
from quotes.importing.uniques import deferred_uniques
from quotes.models import Citation, Quote, Speaker
from tests.quotes.test_import_quotebank import quotebank_line, run_import, write_sample

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's constraints")


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        names = set()
        for table in ("quotes_quote", "archive_source", "quotes_citation"):
            names |= set(connection.introspection.get_constraints(cursor, table))
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            names |= {row[0] for row in cursor.fetchall()}
    return names


def index_definitions() -> dict[str, str]:
    """PostgreSQL: each index of the import's tables as the server would create it again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
            [["quotes_quote", "archive_source", "quotes_citation"]],
        )
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_a_rebuilding_import_leaves_every_index_it_dropped(tmp_path):
    before = index_names()
    definitions = index_definitions() if connection.vendor == "postgresql" else {}

    summary, _ = run_import(write_sample(tmp_path / "quotes.json"), tmp_path, "--search-index", "rebuild")

    assert "indexes rebuilt" in summary
    assert index_names() == before
    if connection.vendor == "postgresql":
        # The migrations' own indexes beside the models' too (archive/hosts.py), built as migrated.
        assert {"quote_search_vector_idx", "quote_speaker_said_idx", "source_domain_reversed_idx"} <= before
        assert index_definitions() == definitions


@pytest.mark.django_db(transaction=True)
def test_an_import_restores_indexes_a_killed_import_left_dropped(tmp_path):
    before = index_names()
    search_index._drop("default", uniques=True)  # what a bulk load killed midway leaves behind
    assert index_names() != before

    summary, _ = run_import(write_sample(tmp_path / "quotes.json"), tmp_path, "--search-index", "keep")

    assert "indexes rebuilt" not in summary
    assert index_names() == before


def unique_constraints() -> dict[str, tuple]:
    """Each unique constraint of the import's tables as PostgreSQL defines it and Django reads it."""
    tables = ("quotes_quote", "archive_source", "quotes_citation")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid), condeferrable, "
            "(SELECT relname FROM pg_class WHERE oid = conindid) FROM pg_constraint "
            "WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)",
            [list(tables)],
        )
        found = {name: tuple(rest) for name, *rest in cursor.fetchall()}
        for table in tables:
            for name, seen in connection.introspection.get_constraints(cursor, table).items():
                if name in found:
                    found[name] += (seen,)
    return found


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_unique_constraints_come_back_as_migrated_after_a_rebuild_and_after_a_killed_bulk_load(tmp_path):
    migrated = unique_constraints()
    assert migrated["unique_normalized_quote_per_speaker"][:2] == (
        "quotes_quote",
        "UNIQUE (speaker_id, text_hash)",
    )
    assert migrated["archive_source_url_hash_key"][:2] == ("archive_source", "UNIQUE (url_hash)")
    path = write_sample(tmp_path / "quotes.json")

    run_import(path, tmp_path, "--search-index", "rebuild")

    assert unique_constraints() == migrated
    search_index._drop("default", uniques=True)  # a bulk load killed midway
    assert set(unique_constraints()) == {"unique_citation_per_quote_source"}  # it stays: cheap to keep
    # Meanwhile an editor saves a quote the killed import had written already (no unique to stop it).
    record = json.loads(quotebank_line(3))
    theirs = Quote.objects.create(
        text=record["quotation"], speaker=Speaker.objects.get(wikidata_qid=record["qids"][0])
    )

    summary, _ = run_import(path, tmp_path, "--search-index", "keep")  # the next import restores them

    assert unique_constraints() == migrated
    assert list(Quote.objects.filter(text=record["quotation"]).values_list("pk", flat=True)) == [theirs.pk]
    assert sorted(Citation.objects.filter(quote=theirs).values_list("source__url", flat=True)) == sorted(
        record["urls"]
    )
    assert Source.objects.filter(url__in=record["urls"]).count() == len(record["urls"])
    assert "created 0" in summary


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("next_import", ["keep", "rebuild"])
def test_a_unique_index_a_killed_import_left_without_its_constraint_becomes_it_on_the_next_import(
    tmp_path, monkeypatch, next_import
):
    migrated = unique_constraints()
    path = write_sample(tmp_path / "quotes.json")

    def killed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(search_index, "attach_constraints", killed)  # killed once the indexes are built
    with pytest.raises(KeyboardInterrupt):
        run_import(path, tmp_path, "--search-index", "rebuild")
    monkeypatch.undo()
    assert set(unique_constraints()) == {"unique_citation_per_quote_source"}
    assert set(deferred_uniques(connection)) <= index_names()  # the bare indexes
    quote = Quote.objects.first()
    with pytest.raises(IntegrityError):  # which refuse a duplicate all the same
        Quote.objects.create(text=quote.text, speaker=quote.speaker)

    run_import(path, tmp_path, "--search-index", next_import)

    assert unique_constraints() == migrated


def build_steps(output: str) -> list[tuple[int, str]]:
    """(connection, step) of each step line `-v 3` printed, in the order they started."""
    line = re.compile(r"^    #(\d) +\d+\.\d s +\d+\.\d s  (.+)$", re.MULTILINE)
    return [(int(number), name) for number, name in line.findall(output)]


@pytest.mark.django_db(transaction=True)
def test_verbosity_3_prints_each_step_of_the_index_build_with_its_seconds(tmp_path):
    path = write_sample(tmp_path / "quotes.json")

    phases_only, _ = run_import(path, tmp_path, "--search-index", "rebuild", "-v", "2")
    output, _ = run_import(path, tmp_path, "--search-index", "rebuild", "-v", "3")

    assert "indexes rebuilt" in phases_only and not build_steps(phases_only)
    assert "index build, step by step (connection, start, seconds):" in output
    steps = build_steps(output)
    if connection.vendor == "sqlite":
        assert steps == [(0, "search triggers and FTS index")]
        return
    names = [name for _, name in steps]
    assert set(names) >= {"index quote_search_vector_idx", "analyze quotes_quote", "analyze quotes_citation"}
    assert sum(name.startswith("validate ") for name in names) == 9
    # Each table is analysed before its foreign keys are validated: planned with statistics, a key
    # on a link the import left empty is checked through its partial index instead of a scan.
    for table in ("quotes_quote", "quotes_citation"):
        analysed = names.index(f"analyze {table}")
        validations = [i for i, name in enumerate(names) if name.startswith(f"validate {table}_")]
        assert validations and min(validations) > analysed
    # The GIN index and the unique indexes come first (at scale one on each connection; with a
    # file this small one connection may finish the first before the other has connected, so
    # which connection took which is not asserted); the constraints are attached to them last.
    first, second = steps[:2]
    assert {first[1], second[1]} == {
        "index quote_search_vector_idx",
        "unique indexes unique_normalized_quote_per_speaker, archive_source_url_hash_key",
    }
    assert steps[-1] == (0, "unique constraints attached to their indexes")


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
