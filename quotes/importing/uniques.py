"""The natural-key unique constraints a bulk load drops, and their return with duplicates folded.

Kept up row by row, the unique indexes of quotes (speaker + text hash) and sources (URL hash) cost
a 1M-record bulk load about 18 s of its COPYs; built once at the end, about 4 s. BulkWriter matches
every record in memory against the keys it read at the start, so the import itself never needs
them. Without them, though, nothing stops another writer (an editor in the admin, the API, another
import) from adding a quote or a source the import also adds. So they come back in two steps:

    -- 1. build_unique_indexes, one transaction, while the other indexes are being built
    SELECT pg_advisory_xact_lock(UNIQUES_LOCK_KEY)    -- imports finishing at once take turns
    LOCK TABLE quotes_quote, archive_source IN SHARE MODE  -- no writer; readers and CREATE INDEX run
    CREATE UNIQUE INDEX name ...                        -- fails on duplicates: fold them, then again
    COMMIT                                              -- from here the index refuses any duplicate
    -- 2. attach_constraints, once every other index and check is built (search_index.py)
    ALTER TABLE ... ADD CONSTRAINT name UNIQUE USING INDEX name           -- the migrated constraint

SHARE, unlike SHARE ROW EXCLUSIVE, does not conflict with the SHARE lock of a CREATE INDEX, so the
other indexes of both tables are built meanwhile. SHARE does not conflict with itself either, so
two imports finishing at once could both hold it and then deadlock folding (DELETE and UPDATE need
ROW EXCLUSIVE): the advisory lock, taken first and held to the commit, makes them take turns. A fold
waits for a CREATE INDEX running on the other connection to finish (its SHARE lock), but never
deadlocks with it: the other connection runs one statement at a time, holds no lock between them,
and none of its statements waits for a lock this transaction holds while holding one it needs.
Step 2 takes an ACCESS EXCLUSIVE lock (it would wait for any build on the table, and stop readers
meanwhile), hence last; it takes the advisory lock as well and attaches only a constraint still
missing, so that two imports both finishing it is harmless. An import killed between the two steps
leaves a unique index without its constraint: it enforces uniqueness all the same, and the next
import attaches it (a bulk load drops it like the constraint). The statements come from the models'
own Meta.constraints through Django's schema editor, so names and columns are the migrated ones.

Folding rule. Rows with the same key form a group. A row is a person's when it has history
(the admin and the API write django-simple-history rows; imports never do). The rows of a group are
folded into its one row a person created, or, when no row has history, into the row with the lowest
id. A row is folded into the kept row by pointing everything that refers to it at the kept row
(quote: its citations, tag and `about` links, and other quotes' correct_attribution and
translation_of; source: its citations and snapshots; found from the models' relations, as the
foreign keys are dropped during the load), dropping those links the kept row already has (the same
citation, tag or speaker), then deleting it. No quote or source a person wrote is ever deleted: a
group holding two rows with history (two people raced) stops that constraint with
DuplicatesNeedAPerson, naming the ids; the constraint stays missing (every later import tries again
at its start) until someone merges them by hand, while the other constraint and every other index
are still built. An import's summary counts its quotes folded into another writer's as matched,
not created (BulkWriter.fold_correction).
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, models
from django.db.backends.ddl_references import Statement

from archive.models import Source
from quotes.models import Citation, Quote

FOLDED_MODELS = (Quote, Source)  # their natural-key unique constraints are dropped for a bulk load
# The pg_advisory_xact_lock key both steps take: "VERBUNIQ" in ASCII, used for nothing else.
UNIQUES_LOCK_KEY = 0x5645_5242_554E_4951


class DuplicatesNeedAPerson(Exception):  # noqa: N818
    """Rows two people wrote share a natural key: which one to keep is an editor's decision."""


@dataclass(frozen=True)
class Reference:
    """A column that refers to a folded row; with `pair`, (column, pair) is unique."""

    table: str
    column: str
    pk: str
    pair: str | None = None


@dataclass(frozen=True)
class DeferredUnique:
    model: type[models.Model]
    name: str
    table: str
    columns: tuple[str, ...]
    drop_sql: str
    index_sql: str
    attach_sql: str


@dataclass
class Folded:
    """What one fold removed: the folded rows' ids, and the citations (quote id, source id) that
    duplicated one the kept row already had."""

    table: str
    ids: list[int] = field(default_factory=list)
    citations: list[tuple[int, int]] = field(default_factory=list)


def deferred_uniques(connection) -> dict[str, DeferredUnique]:
    """{constraint name: how to drop it and bring it back} for the quote and source unique
    constraints, from the statements Django's migrations ran."""
    uniques = {}
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        for model in FOLDED_MODELS:
            for constraint in model._meta.constraints:
                if not isinstance(constraint, models.UniqueConstraint):
                    continue
                statement = constraint.create_sql(model, editor)
                if statement.template != editor.sql_create_unique:
                    # Conditions, expressions or INCLUDE cannot become a constraint USING INDEX.
                    raise ValueError(f"{constraint.name}: only a plain column list can be rebuilt here")
                parts = statement.parts
                uniques[constraint.name] = DeferredUnique(
                    model=model,
                    name=constraint.name,
                    table=model._meta.db_table,
                    columns=tuple(model._meta.get_field(name).column for name in constraint.fields),
                    drop_sql=str(constraint.remove_sql(model, editor)),
                    index_sql=str(Statement(editor.sql_create_unique_index, **parts)),
                    attach_sql=(
                        f"ALTER TABLE {parts['table']} ADD CONSTRAINT {parts['name']} "
                        f"UNIQUE USING INDEX {parts['name']}{parts['deferrable']}"
                    ),
                )
    return uniques


def restore_uniques(
    cursor, uniques: list[DeferredUnique]
) -> tuple[list[Folded], list[DuplicatesNeedAPerson]]:
    """Both steps at once, where nothing else is being built (the start of an import)."""
    folds, blocked = build_unique_indexes(cursor, uniques)
    attach_constraints(cursor, uniques)
    return folds, blocked


def build_unique_indexes(
    cursor, uniques: list[DeferredUnique]
) -> tuple[list[Folded], list[DuplicatesNeedAPerson]]:
    """Step 1: build the constraints' unique indexes, folding duplicates first. The caller runs
    this in ONE transaction, which the locks and the folds rely on, and raises what is returned as
    blocked after committing: an index that two people's duplicates block stays missing (and its
    constraint), the others are built."""
    folds, blocked = [], []
    if not uniques:
        return folds, blocked
    _take_turns(cursor)
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # CREATE INDEX refuses pending trigger events
    # Both tables whichever is restored (a fold of one may touch the other's citations).
    tables = ", ".join(model._meta.db_table for model in FOLDED_MODELS)
    cursor.execute(f"LOCK TABLE {tables} IN SHARE MODE")
    for unique in uniques:
        cursor.execute("SAVEPOINT restore_unique")
        try:
            folded = _unique_index(cursor, unique)
        except DuplicatesNeedAPerson as error:
            cursor.execute("ROLLBACK TO SAVEPOINT restore_unique")
            blocked.append(error)
            continue
        cursor.execute("RELEASE SAVEPOINT restore_unique")
        if folded:
            folds.append(folded)
    return folds, blocked


def attach_constraints(cursor, uniques: list[DeferredUnique]) -> None:
    """Step 2, in one transaction: each unique index built (by step 1, or by a killed import)
    becomes its constraint, unless it already is one (another import finishing too)."""
    if not uniques:
        return
    _take_turns(cursor)
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending trigger events
    for unique in uniques:
        if _usable_index(cursor, unique) and not _constraint_exists(cursor, unique):
            cursor.execute(unique.attach_sql)


def _take_turns(cursor) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [UNIQUES_LOCK_KEY])


def _usable_index(cursor, unique: DeferredUnique) -> bool:
    """Whether an index of the constraint's name exists, valid and unique on exactly its columns
    (what step 1 builds), so that it can become the constraint as it is."""
    cursor.execute(
        "SELECT i.indisvalid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL "
        "AND i.indrelid = %s::regclass AND array(SELECT a.attname::text "
        "  FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n) "
        "  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n"
        ") = %s::text[] FROM pg_index i WHERE i.indexrelid = to_regclass(quote_ident(%s))",
        [unique.table, list(unique.columns), unique.name],
    )
    row = cursor.fetchone()
    return bool(row and row[0])


def _constraint_exists(cursor, unique: DeferredUnique) -> bool:
    cursor.execute(
        "SELECT 1 FROM pg_constraint WHERE contype = 'u' AND conname = %s AND conrelid = %s::regclass",
        [unique.name, unique.table],
    )
    return cursor.fetchone() is not None


def _unique_index(cursor, unique: DeferredUnique) -> Folded | None:
    """Build the constraint's index; should a duplicate stop it, fold and build again. An index a
    killed import built already enforces the key: it is kept as it is."""
    if _usable_index(cursor, unique):
        return None
    cursor.execute(f'DROP INDEX IF EXISTS "{unique.name}"')  # a stray index of the same name
    cursor.execute("SAVEPOINT unique_index")
    try:
        cursor.execute(unique.index_sql)
    except IntegrityError:  # another writer added a duplicate during the load
        cursor.execute("ROLLBACK TO SAVEPOINT unique_index")  # (released with restore_unique)
        folded = fold_duplicates(cursor, unique)
        cursor.execute(unique.index_sql)
        return folded
    cursor.execute("RELEASE SAVEPOINT unique_index")
    return None


def fold_duplicates(cursor, unique: DeferredUnique) -> Folded:
    """Fold every group of rows sharing the constraint's key (see the module docstring)."""
    table, keys = unique.table, ", ".join(unique.columns)
    history = unique.model.history.model._meta.db_table
    folds = f"fold_{table}"
    cursor.execute(f"DROP TABLE IF EXISTS {folds}")
    # Names from the models' metadata, no values.
    cursor.execute(
        f"CREATE TEMP TABLE {folds} AS "  # noqa: S608
        "SELECT id AS old_id, first_value(id) OVER kept AS new_id, by_person, "
        "count(*) FILTER (WHERE by_person) OVER same AS people FROM ("
        f"  SELECT t.id, {', '.join(f't.{c}' for c in unique.columns)},"
        f"  EXISTS (SELECT 1 FROM {history} h WHERE h.id = t.id) AS by_person FROM {table} t"
        f"  WHERE ({keys}) IN (SELECT {keys} FROM {table} GROUP BY {keys} HAVING count(*) > 1)"
        ") grouped "
        f"WINDOW same AS (PARTITION BY {keys}), kept AS (PARTITION BY {keys} ORDER BY by_person DESC, id)"
    )
    cursor.execute(
        f"SELECT array_agg(old_id ORDER BY old_id) FROM {folds} "  # noqa: S608
        "WHERE people > 1 AND by_person GROUP BY new_id ORDER BY new_id"
    )
    raced = [row[0] for row in cursor.fetchall()]
    if raced:
        groups = "; ".join(", ".join(map(str, ids)) for ids in raced)
        raise DuplicatesNeedAPerson(
            f"{table}: rows written by people share a natural key ({', '.join(unique.columns)}) "
            f"and cannot be folded automatically: ids {groups}. Merge or delete them by hand; until "
            f'then the unique constraint "{unique.name}" stays missing (each import tries to restore '
            "it at its start)."
        )
    cursor.execute(f"DELETE FROM {folds} WHERE old_id = new_id")  # noqa: S608
    cursor.execute(f"CREATE UNIQUE INDEX ON {folds} (old_id)")
    folded = Folded(table)
    for reference in references(unique.model):
        dropped = _repoint(cursor, folds, reference)
        if reference.table == Citation._meta.db_table:
            folded.citations += [_quote_and_source(reference, row) for row in dropped]
    cursor.execute(f"DELETE FROM {table} WHERE id IN (SELECT old_id FROM {folds}) RETURNING id")  # noqa: S608
    folded.ids = [row[0] for row in cursor.fetchall()]
    cursor.execute(f"DROP TABLE {folds}")
    return folded


def references(model: type[models.Model]) -> list[Reference]:
    """Every column that refers to a row of `model`: reverse foreign keys (not history's, which
    record the past) and many-to-many links either way."""
    found = []
    for relation in model._meta.related_objects:
        related_field = relation.field
        if relation.many_to_many:
            through = related_field.remote_field.through._meta
            found.append(
                Reference(
                    through.db_table,
                    related_field.m2m_reverse_name(),
                    through.pk.column,
                    related_field.m2m_column_name(),
                )
            )
        else:
            owner = related_field.model
            found.append(
                Reference(
                    owner._meta.db_table,
                    related_field.column,
                    owner._meta.pk.column,
                    _unique_partner(owner, related_field),
                )
            )
    for m2m in model._meta.local_many_to_many:
        through = m2m.remote_field.through._meta
        found.append(
            Reference(through.db_table, m2m.m2m_column_name(), through.pk.column, m2m.m2m_reverse_name())
        )
    return found


def _unique_partner(model: type[models.Model], column_field: models.Field) -> str | None:
    """The other column of a two-column unique constraint on `model` that includes the field."""
    pairs = [c.fields for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)]
    pairs += list(model._meta.unique_together)
    for names in pairs:
        if len(names) == 2 and column_field.name in names:
            other = names[1] if names[0] == column_field.name else names[0]
            return model._meta.get_field(other).column
    return None


def _repoint(cursor, folds: str, reference: Reference) -> list[tuple]:
    """Point `reference` at the kept rows. For a unique pair, the links a kept row already has (or
    that two folded rows share) are deleted first, the kept row's own link winning; returns those."""
    table, column, pk, pair = reference.table, reference.column, reference.pk, reference.pair
    dropped = []
    if pair:
        # Names from the models' metadata, no values.
        cursor.execute(
            f"DELETE FROM {table} t USING ("  # noqa: S608
            f"  SELECT x.{pk} AS pk, row_number() OVER (PARTITION BY coalesce(f.new_id, x.{column}), x.{pair}"
            f"    ORDER BY f.old_id IS NULL DESC, x.{pk}) AS n"
            f"  FROM {table} x LEFT JOIN {folds} f ON f.old_id = x.{column}"
            f"  WHERE x.{column} IN (SELECT old_id FROM {folds} UNION SELECT new_id FROM {folds})"
            f") ranked WHERE t.{pk} = ranked.pk AND ranked.n > 1 RETURNING t.{column}, t.{pair}"
        )
        dropped = cursor.fetchall()
    cursor.execute(
        f"UPDATE {table} t SET {column} = f.new_id FROM {folds} f WHERE t.{column} = f.old_id"  # noqa: S608
    )
    return dropped


def _quote_and_source(reference: Reference, row: tuple) -> tuple[int, int]:
    values = dict(zip((reference.column, reference.pair), row, strict=True))
    return values[Citation._meta.get_field("quote").column], values[Citation._meta.get_field("source").column]
