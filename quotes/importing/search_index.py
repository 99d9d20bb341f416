"""Building the indexes once after a large import instead of row by row during it.

On PostgreSQL a quote carries two GIN search indexes (tsvector and trigram) and a dozen B-trees,
a source and a citation a few more, and quotes and citations nine foreign keys (a trigger call per
row each): kept up row by row they cost most of a first import's database time. With
`import_quotes --search-index rebuild` (or `auto`, the default, when the file is large next to
the archive) every index the importer does not need is dropped before the first
batch and built once at the end (always, even when the import fails): the GIN indexes through the
search backend's own idempotent `install()`, the B-trees from the models' own definitions (the
statements Django's migrations ran, so names and columns are the migrated ones), and the foreign
keys likewise (added NOT VALID, then validated by one scan each). The unique
constraints stay for the row-by-row writer, which matches through them; the bulk load
(bulk.py, which matches in memory) also drops those of quotes and sources, and they come back
first at the end, in one transaction that locks both tables against writers and folds any
duplicate another writer added meanwhile (uniques.py: the folding rule); the citations' unique
(quote, source) stays either way. On SQLite the FTS5 triggers are dropped and the FTS index
rebuilt. While such an import runs, searches and filtered lists answer correctly but slowly. An
import killed before the end leaves the indexes missing until the next import, which re-creates
every missing one at its start (`CREATE INDEX IF NOT EXISTS`: a no-op otherwise; a missing unique
constraint with the same fold, a killed import's rows folding into a person's).

The end-of-import build runs the statements on two connections at once (one a core on the
2-core machines this targets) with a raised `maintenance_work_mem`; inside an enclosing
transaction (tests) it runs them one by one on the import's own connection.
"""

import os
import threading
from collections.abc import Callable
from contextlib import contextmanager
from typing import NamedTuple

from django.db import connections

from archive.models import Source
from quotes.importing.uniques import (
    DeferredUnique,
    DuplicatesNeedAPerson,
    Folded,
    deferred_uniques,
    restore_uniques,
)
from quotes.models import Citation, Quote
from quotes.search import install_search_structures
from quotes.search.postgres import INSTALL_SQL as SEARCH_INSTALL_SQL
from quotes.search.sqlite import TRIGGERS

POSTGRES_INDEXES = ("quote_search_vector_idx",)
BULK_TABLES = (Quote, Source, Citation)
BUILD_WORKERS = 2
MAINTENANCE_WORK_MEM = "1GB"  # per connection; a GIN build at 1M quotes: 512MB 18.3 s, 2GB 14.9 s

# `auto`: rebuild when the file holds at least this many records and at least as many as the table.
AUTO_MIN_RECORDS = 20_000
BYTES_PER_RECORD = {"quotebank": 430, "ndjson": 900, "json": 900, "csv": 700}
COMPRESSION_RATIO = 4


def estimated_records(path: str, fmt: str) -> int:
    """Roughly how many records a file holds, from its size (0 for standard input)."""
    if path == "-":
        return 0
    size = os.path.getsize(path)
    if path.endswith((".gz", ".bz2")):
        size *= COMPRESSION_RATIO
    return size // BYTES_PER_RECORD.get(fmt, 500)


def quote_count_estimate(using: str = "default") -> int:
    """The planner's row count of the quote table: free, and close enough to choose a strategy."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'quotes_quote'::regclass"
            )
            row = cursor.fetchone()
            estimate = row[0] if row else 0
            if estimate:
                return estimate
        # Never analysed (a fresh table says 0 or -1): a bounded exact count.
        cursor.execute("SELECT count(*) FROM (SELECT 1 FROM quotes_quote LIMIT 1000000) t")
        return cursor.fetchone()[0]


def should_rebuild(mode: str, *, path: str, fmt: str, using: str = "default") -> bool:
    """keep, rebuild, or auto: rebuild when the file is large and at least the size of the archive."""
    if mode != "auto":
        return mode == "rebuild"
    incoming = estimated_records(path, fmt)
    return incoming >= AUTO_MIN_RECORDS and incoming >= quote_count_estimate(using)


def model_index_statements(using: str = "default") -> dict[str, str]:
    """{index name: CREATE INDEX IF NOT EXISTS ...} for every non-unique B-tree the models declare
    on the tables an import fills (field indexes, foreign keys, Meta.indexes, PostgreSQL `_like`)."""
    connection = connections[using]
    statements = {}
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        for model in BULK_TABLES:
            for statement in editor._model_indexes_sql(model):
                sql = str(statement)
                if not sql.startswith("CREATE INDEX "):
                    continue
                name = statement.parts["name"]
                statements[str(name).strip('"')] = sql.replace(
                    "CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1
                )
    return statements


def foreign_key_statements(using: str = "default") -> dict[str, str]:
    """{constraint name: ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY} for the foreign keys of the
    tables an import fills, exactly as Django's migrations created them (names included)."""
    connection = connections[using]
    statements = {}
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        for model in BULK_TABLES:
            for field in model._meta.concrete_fields:
                if field.remote_field is None or not field.db_constraint:
                    continue
                statement = editor._create_fk_sql(model, field, "_fk_%(to_table)s_%(to_column)s")
                statements[str(statement.parts["name"]).strip('"')] = str(statement)
    return statements


class Present(NamedTuple):
    indexes: set[str]
    foreign_keys: set[str]
    uniques: set[str]


def _present(using: str) -> Present:
    """The index, foreign-key and unique-constraint names now on the bulk tables."""
    tables = [model._meta.db_table for model in BULK_TABLES]
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY(%s)",
            [tables],
        )
        indexes = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT conname, contype FROM pg_constraint WHERE contype IN ('f', 'u') "
            "AND conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        constraints = cursor.fetchall()
    return Present(
        indexes,
        {name for name, kind in constraints if kind == "f"},
        {name for name, kind in constraints if kind == "u"},
    )


def restore_indexes(using: str = "default") -> None:
    """Create whichever import-dropped index, foreign key or unique constraint is missing (left so
    by an import that was killed); a missing unique constraint comes back with its duplicates folded
    (uniques.py: a killed import's rows have no history, so they fold into a person's)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        install_search_structures(using)  # SQLite: re-creates missing FTS triggers (and then rebuilds)
        return
    present = _present(using)
    missing = [sql for name, sql in model_index_statements(using).items() if name not in present.indexes]
    missing_keys = [
        sql for name, sql in foreign_key_statements(using).items() if name not in present.foreign_keys
    ]
    uniques = _missing_uniques(present, using)
    if missing or missing_keys or uniques or not set(POSTGRES_INDEXES) <= present.indexes:
        _build(missing, missing_keys, using, uniques=uniques)


def _missing_uniques(present: Present, using: str) -> list[DeferredUnique]:
    return [
        unique for name, unique in deferred_uniques(connections[using]).items() if name not in present.uniques
    ]


def _drop(using: str, *, uniques: bool = False) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Foreign keys are checked row by row (a trigger each); they come back checked in one pass.
            # Only those the models define, so that they are re-created exactly as they were.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending checks
            present = _present(using)
            for name, sql in foreign_key_statements(using).items():
                if name in present.foreign_keys:
                    table = sql.split('"')[1]
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            if uniques:  # a bulk load: BulkWriter matches in memory, uniques.py folds at the end
                for name, unique in deferred_uniques(connection).items():
                    if name in present.uniques:
                        cursor.execute(unique.drop_sql)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for name in (*POSTGRES_INDEXES, *model_index_statements(using)):
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        else:
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _table_and_name(sql: str) -> tuple[str, str]:
    parts = sql.split('"')
    return parts[1], parts[3]


def _build(
    statements: list[str],
    foreign_keys: list[str],
    using: str,
    *,
    uniques: list[DeferredUnique] = (),
    on_fold: Callable[[Folded], None] | None = None,
) -> None:
    """The unique constraints, the B-trees, the search structures, the foreign keys and fresh
    statistics; on two connections when that is safe.

    The unique constraints come first, in one transaction that locks quotes and sources against
    writers (uniques.py); meanwhile the other connection builds what it can on the citations, and
    the builds on the locked tables wait for the commit. A foreign key comes back in two steps:
    added NOT VALID first (no scan, before any index build, as it must lock both tables against
    them), then validated by one scan of the table, which only has to wait for the builds on that
    table. Rows two people wrote under the same key (DuplicatesNeedAPerson) stop only the unique
    step: everything else is built before it is raised."""
    connection = connections[using]
    with connection.cursor() as cursor:
        # CREATE INDEX refuses a table with deferred foreign-key checks pending: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in SEARCH_INSTALL_SQL[:2]:  # the extension and the generated column: no-ops once there
            cursor.execute(sql)
        for sql in foreign_keys:
            cursor.execute(f"{sql} NOT VALID")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    validate = [
        'ALTER TABLE "{}" VALIDATE CONSTRAINT "{}"'.format(*_table_and_name(sql))
        for sql in sorted(foreign_keys, key=lambda sql: _table_and_name(sql)[0] == "quotes_quote")
    ]
    # Longest first: the trigram index, then the tsvector one, then the B-trees and checks.
    work: list[str | Callable] = [*SEARCH_INSTALL_SQL[2:][::-1], *statements, *validate]
    work += [f"ANALYZE {model._meta.db_table}" for model in BULK_TABLES]
    if uniques:
        citations = Citation._meta.db_table
        beside = [sql for sql in work if f'"{citations}"' in sql or sql.endswith(f" {citations}")]
        work = [_unique_step(uniques, on_fold), *beside, *(sql for sql in work if sql not in beside)]
    blocked: list[DuplicatesNeedAPerson] = []

    def run(db, cursor, step) -> None:
        if not callable(step):
            cursor.execute(step)
            return
        try:
            step(db)
        except DuplicatesNeedAPerson as error:  # raised once the rest is built
            blocked.append(error)

    if connection.in_atomic_block or BUILD_WORKERS < 2:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
            for step in work:
                run(connection, cursor, step)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        _run_on_workers(work, run, using)
    if blocked:
        raise blocked[0]


def _run_on_workers(work: list, run: Callable, using: str) -> None:
    """One shared list: each connection takes the next step when it is free."""
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        db = connections.create_connection(using)
        try:
            with db.cursor() as cursor:
                cursor.execute(f"SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
                while not errors:
                    with lock:
                        if not work:
                            return
                        step = work.pop(0)
                    run(db, cursor, step)
        except BaseException as error:  # re-raised by the importing thread
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=worker, name=f"index-build-{i}") for i in range(BUILD_WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _unique_step(uniques: list[DeferredUnique], on_fold: Callable[[Folded], None] | None) -> Callable:
    """restore_uniques in one transaction of the connection it runs on (a savepoint inside an
    enclosing transaction); what it folded is reported, and what it could not restore raised,
    once committed."""

    def step(db) -> None:
        nested = db.in_atomic_block
        with db.cursor() as cursor:
            cursor.execute("SAVEPOINT restore_uniques" if nested else "BEGIN")
            try:
                folds, blocked = restore_uniques(cursor, uniques)
            except BaseException:
                cursor.execute("ROLLBACK TO SAVEPOINT restore_uniques" if nested else "ROLLBACK")
                raise
            cursor.execute("RELEASE SAVEPOINT restore_uniques" if nested else "COMMIT")
        for folded in folds:
            if on_fold:
                on_fold(folded)
        if blocked:
            raise DuplicatesNeedAPerson("\n".join(map(str, blocked)))

    return step


@contextmanager
def search_index_deferred(
    enabled: bool,
    using: str = "default",
    *,
    drop_uniques: bool = False,
    on_fold: Callable[[Folded], None] | None = None,
):
    """Drop the indexes for the duration of the block and build them once at its end; without
    `enabled`, only make sure none is missing from an earlier, interrupted import.

    `drop_uniques` (PostgreSQL, for BulkWriter only: it matches in memory) drops the quote and
    source unique constraints too; they come back first at the end, any duplicate another writer
    added meanwhile folded (uniques.py), and `on_fold` hears what was folded."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        yield False
        return
    if not enabled:
        restore_indexes(using)
        yield False
        return
    postgres = connection.vendor == "postgresql"
    drop_uniques = drop_uniques and postgres
    if postgres and not drop_uniques and (missing := _missing_uniques(_present(using), using)):
        _unique_step(missing, on_fold=None)(connection)  # the row-by-row writer matches through them
    _drop(using, uniques=drop_uniques)
    try:
        yield True
    finally:
        if postgres:
            present = _present(using)
            foreign_keys = [
                sql for name, sql in foreign_key_statements(using).items() if name not in present.foreign_keys
            ]
            _build(
                list(model_index_statements(using).values()),
                foreign_keys,
                using,
                uniques=_missing_uniques(present, using),
                on_fold=on_fold,
            )
        else:
            install_search_structures(using)  # recreates the triggers and rebuilds the FTS index
