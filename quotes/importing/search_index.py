"""Building the indexes once after a large import instead of row by row during it.

On PostgreSQL a quote carries a GIN search index (tsvector) and a dozen B-trees,
a source and a citation a few more, and quotes and citations nine foreign keys (a trigger call per
row each): kept up row by row they cost most of a first import's database time. With
`import_quotes --search-index rebuild` (or `auto`, the default, when the file is large next to
the archive) every index the importer does not need is dropped before the first
batch and built once at the end (always, even when the import fails): the GIN indexes through the
search backend's own idempotent `install()`, the B-trees from the models' own definitions (the
statements Django's migrations ran, so names and columns are the migrated ones; partial indexes,
on links an import never sets, stay), and the foreign keys likewise (added NOT VALID, then
validated by one scan each). The unique
constraints stay for the row-by-row writer, which matches through them; the bulk load
(bulk.py, which matches in memory) also drops those of quotes and sources, and their unique indexes
come back first at the end, in a transaction that locks both tables against writers (not against
the other index builds) and folds any duplicate another writer added meanwhile (uniques.py: the
folding rule); the indexes become the constraints last. The citations' unique (quote, source) stays
either way. On SQLite the FTS5 triggers are dropped and the FTS index rebuilt. While such an import
runs, searches and filtered lists answer correctly but slowly. An import killed before the end
leaves the indexes missing until the next import, which re-creates every missing one at its start
(`CREATE INDEX IF NOT EXISTS`: a no-op otherwise; a missing unique constraint with the same fold, a
killed import's rows folding into a person's, or attached to the unique index the killed import
had built).

The end-of-import build runs on two connections at once (one a core on the 2-core machines this
targets, without parallel maintenance workers) with a raised `maintenance_work_mem`, each taking
the next step free to run from one list in order of priority:

    the GIN index                   | the unique indexes (writers wait; index builds do not)
    then, whichever connection is free: the other quote B-trees; ANALYZE of the quotes once every
    quote index is built, then their foreign-key validations (both lock out CREATE INDEX); the
    sources' and the citations' B-trees, ANALYZE, validations
    last, on the import's connection: the unique constraints attached to their indexes

ANALYZE comes before the validations so that they are planned with statistics: a foreign key on a
link an import leaves empty (venue, correction, translation, created/updated by, a citation's
snapshot) is then checked through its partial index in milliseconds, where a plan without
statistics scanned the whole table for each (0.4 s apiece at 1M quotes).

Inside an enclosing transaction (tests) the same list runs step by step on the import's own
connection. `import_quotes -v 3` prints each step's connection, start and seconds.
"""

import os
import re
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connections, transaction

from archive.hosts import POSTGRES_ONLY_INDEXES
from archive.models import Source
from quotes.importing.uniques import (
    DeferredUnique,
    DuplicatesNeedAPerson,
    Folded,
    attach_constraints,
    build_unique_indexes,
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
    on the tables an import fills (field indexes, foreign keys, Meta.indexes, PostgreSQL `_like`),
    but the partial ones: those index links an import never sets (Quote.Meta.indexes), so they cost
    the load nothing, while building one again means another scan of the whole table. On PostgreSQL
    also the indexes its migrations add beside the models (archive/hosts.py)."""
    connection = connections[using]
    partial = {index.name for model in BULK_TABLES for index in model._meta.indexes if index.condition}
    statements = {}
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        for model in BULK_TABLES:
            for statement in editor._model_indexes_sql(model):
                sql = str(statement)
                name = str(statement.parts["name"]).strip('"')
                if not sql.startswith("CREATE INDEX ") or name in partial:
                    continue
                statements[name] = sql.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
    if connection.vendor == "postgresql":
        statements.update(POSTGRES_ONLY_INDEXES)
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


def restore_indexes(using: str = "default", *, on_step: Callable[["BuildStep"], None] | None = None) -> None:
    """Create whichever import-dropped index, foreign key or unique constraint is missing (left so
    by an import that was killed); a missing unique constraint comes back with its duplicates folded
    (uniques.py: a killed import's rows have no history, so they fold into a person's), or, when a
    killed import left its unique index built, attached to that index."""
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
        _build(missing, missing_keys, using, uniques=uniques, on_step=on_step)


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
                    elif name in present.indexes:  # built by an import killed before attaching it
                        cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for name in (*POSTGRES_INDEXES, *model_index_statements(using)):
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        else:
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _table_and_name(sql: str) -> tuple[str, str]:
    parts = sql.split('"')
    return parts[1], parts[3]


INDEX_SQL = re.compile(r'CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?"?(\w+)"? ON "?(\w+)"?')
BUILD, ANALYZE, VALIDATE = range(3)  # the stages of a table's work, in the order they must come


@dataclass(eq=False)
class Step:
    """One statement of the end-of-import build (or the unique step), on the tables it locks."""

    name: str
    tables: frozenset[str]
    stage: int
    run: Callable  # (connection, cursor) -> None


class BuildStep(NamedTuple):
    """A finished step, for `import_quotes -v 3`: which build connection ran it (0: the import's
    own), when it started (seconds into the build) and for how long."""

    name: str
    connection: int
    started: float
    seconds: float


def _build(
    statements: list[str],
    foreign_keys: list[str],
    using: str,
    *,
    uniques: list[DeferredUnique] = (),
    on_fold: Callable[[Folded], None] | None = None,
    on_step: Callable[[BuildStep], None] | None = None,
) -> None:
    """The unique indexes, the B-trees, the search structures, the foreign keys, fresh statistics
    and last the unique constraints; on two connections when that is safe.

    A foreign key comes back in two steps: added NOT VALID first (no scan, before any index build,
    as it must lock both tables against them), then validated by one scan of the table. The rest is
    one list in order of priority (_steps), from which each connection takes the first step free to
    run (_Schedule): the GIN index (the longest build) on one connection at once, the unique
    indexes on the other (uniques.py: its lock lets index builds run beside it), then the other
    B-trees. Rows two people wrote under the same key (DuplicatesNeedAPerson) stop only that unique
    index: everything else is built before it is raised. Once all is built, the unique indexes
    become the constraints (uniques.py: that lock would have waited for the builds)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        # CREATE INDEX refuses a table with deferred foreign-key checks pending: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in SEARCH_INSTALL_SQL[:2]:  # the extension and the generated column: no-ops once there
            cursor.execute(sql)
        for sql in foreign_keys:
            cursor.execute(f"{sql} NOT VALID")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    blocked: list[DuplicatesNeedAPerson] = []
    schedule = _Schedule(_steps(statements, foreign_keys, uniques, on_fold, blocked))
    began = time.monotonic()

    def run(number: int, db, cursor, step: Step) -> None:
        started = time.monotonic()
        step.run(db, cursor)
        if on_step:
            on_step(BuildStep(step.name, number, started - began, time.monotonic() - started))

    if connection.in_atomic_block or BUILD_WORKERS < 2:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
            while step := schedule.take():
                run(0, connection, cursor, step)
                schedule.done(step)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        _run_on_workers(schedule, run, using)
    if uniques:
        attach = Step("unique constraints attached to their indexes", frozenset(), VALIDATE, _attach(uniques))
        with transaction.atomic(using=using), connection.cursor() as cursor:
            run(0, connection, cursor, attach)
    if blocked:
        raise blocked[0]


def _steps(statements, foreign_keys, uniques, on_fold, blocked) -> list[Step]:
    """Everything but the foreign keys' NOT VALID, first to be taken first. Per table: its index
    builds (SHARE lock: they run side by side), then its ANALYZE and its foreign-key validations
    (SHARE UPDATE EXCLUSIVE: they wait for the builds, and for each other). Quotes first: their
    builds are the longest and their validations wait for all of them; the sources' and citations'
    work fills the time around."""
    tables = [model._meta.db_table for model in BULK_TABLES]
    builds = [_index_step(sql) for sql in (*SEARCH_INSTALL_SQL[2:], *statements)]
    analyses = [_sql_step(f"ANALYZE {table}", f"analyze {table}", table, ANALYZE) for table in tables]
    validations = [_validate_step(sql) for sql in foreign_keys]
    ordered = []
    for table in tables:
        ordered += [step for step in (*builds, *analyses, *validations) if step.tables == {table}]
    if uniques:
        names = ", ".join(unique.name for unique in uniques)
        unique_step = Step(
            f"unique indexes {names}",
            frozenset(unique.table for unique in uniques),
            BUILD,
            _unique_step(uniques, on_fold, blocked=blocked),
        )
        ordered.insert(len(SEARCH_INSTALL_SQL[2:]), unique_step)  # right after the GIN index
    return ordered


def _index_step(sql: str) -> Step:
    name, table = INDEX_SQL.match(sql).groups()
    return _sql_step(sql, f"index {name}", table, BUILD)


def _validate_step(foreign_key_sql: str) -> Step:
    table, name = _table_and_name(foreign_key_sql)
    sql = f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{name}"'
    return _sql_step(sql, f"validate {name}", table, VALIDATE)


def _sql_step(sql: str, name: str, table: str, stage: int) -> Step:
    return Step(name, frozenset({table}), stage, lambda db, cursor: cursor.execute(sql))


class _Schedule:
    """The steps in order of priority; a connection takes the first one free to run, and waits
    when none is. A step is free when no earlier stage is left on its tables, and, for a
    validation or an ANALYZE, when no other one runs on them (SHARE UPDATE EXCLUSIVE conflicts
    with itself: the second would only wait for its lock)."""

    def __init__(self, steps: list[Step]):
        self.pending = steps
        self.running: list[Step] = []
        self.stopped = False
        self.changed = threading.Condition()

    def take(self) -> Step | None:
        with self.changed:
            while self.pending and not self.stopped:
                step = next((step for step in self.pending if self._free(step)), None)
                if step:
                    self.pending.remove(step)
                    self.running.append(step)
                    return step
                self.changed.wait()
            return None

    def done(self, step: Step) -> None:
        with self.changed:
            self.running.remove(step)
            self.changed.notify_all()

    def stop(self) -> None:
        with self.changed:
            self.stopped = True
            self.changed.notify_all()

    def _free(self, step: Step) -> bool:
        def in_the_way(other: Step, running: bool) -> bool:
            if not other.tables & step.tables:
                return False
            return other.stage < step.stage or (running and min(other.stage, step.stage) > BUILD)

        return not any(in_the_way(other, False) for other in self.pending) and not any(
            in_the_way(other, True) for other in self.running
        )


def _run_on_workers(schedule: _Schedule, run: Callable, using: str) -> None:
    """Each connection takes the next step free to run when it is done with its last."""
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        db = connections.create_connection(using)
        try:
            with db.cursor() as cursor:
                cursor.execute(f"SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
                # No parallel workers: each connection has a core already (BUILD_WORKERS, one per
                # core), so a build's helpers would only take the other connection's. At 1M quotes
                # they made the GIN build beside them take 15 s instead of 9 s.
                cursor.execute("SET max_parallel_maintenance_workers = 0")
                # Nor for the foreign keys' checks (an anti-join of the whole tables): at 1M quotes
                # a citation key took 1.9-2.5 s on one process, and as long with two parallel
                # workers beside it, taken from the other connection's build.
                cursor.execute("SET max_parallel_workers_per_gather = 0")
                cursor.execute("SET jit = off")
                while step := schedule.take():
                    try:
                        run(number, db, cursor, step)
                    finally:
                        schedule.done(step)
        except BaseException as error:  # re-raised by the importing thread
            errors.append(error)
            schedule.stop()
        finally:
            db.close()

    numbers = range(1, BUILD_WORKERS + 1)
    threads = [threading.Thread(target=worker, args=(n,), name=f"index-build-{n}") for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _unique_step(
    uniques: list[DeferredUnique],
    on_fold: Callable[[Folded], None] | None,
    *,
    blocked: list[DuplicatesNeedAPerson] | None = None,
    attach: bool = False,
) -> Callable:
    """Step 1 of uniques.py (with `attach`, step 2 too) in one transaction of the connection it
    runs on (a savepoint inside an enclosing transaction); what it folded is reported once
    committed, and what it could not restore added to `blocked` (raised without it)."""

    def step(db, cursor) -> None:
        nested = db.in_atomic_block
        cursor.execute("SAVEPOINT restore_uniques" if nested else "BEGIN")
        try:
            folds, refused = (restore_uniques if attach else build_unique_indexes)(cursor, uniques)
        except BaseException:
            cursor.execute("ROLLBACK TO SAVEPOINT restore_uniques" if nested else "ROLLBACK")
            raise
        cursor.execute("RELEASE SAVEPOINT restore_uniques" if nested else "COMMIT")
        for folded in folds:
            if on_fold:
                on_fold(folded)
        if refused and blocked is None:
            raise DuplicatesNeedAPerson("\n".join(map(str, refused)))
        if refused:
            blocked.append(DuplicatesNeedAPerson("\n".join(map(str, refused))))

    return step


def _attach(uniques: list[DeferredUnique]) -> Callable:
    return lambda db, cursor: attach_constraints(cursor, uniques)


@contextmanager
def search_index_deferred(
    enabled: bool,
    using: str = "default",
    *,
    drop_uniques: bool = False,
    on_fold: Callable[[Folded], None] | None = None,
    on_step: Callable[[BuildStep], None] | None = None,
):
    """Drop the indexes for the duration of the block and build them once at its end; without
    `enabled`, only make sure none is missing from an earlier, interrupted import.

    `drop_uniques` (PostgreSQL, for BulkWriter only: it matches in memory) drops the quote and
    source unique constraints too; their indexes come back first at the end, any duplicate another
    writer added meanwhile folded (uniques.py), and `on_fold` hears what was folded. `on_step`
    hears each step of the build as it finishes, with its timing."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        yield False
        return
    if not enabled:
        restore_indexes(using, on_step=on_step)
        yield False
        return
    postgres = connection.vendor == "postgresql"
    drop_uniques = drop_uniques and postgres
    if postgres and not drop_uniques and (missing := _missing_uniques(_present(using), using)):
        with connection.cursor() as cursor:  # the row-by-row writer matches through them
            _unique_step(missing, on_fold=None, attach=True)(connection, cursor)
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
                on_step=on_step,
            )
        else:
            started = time.monotonic()
            install_search_structures(using)  # recreates the triggers and rebuilds the FTS index
            if on_step:
                on_step(BuildStep("search triggers and FTS index", 0, 0.0, time.monotonic() - started))
