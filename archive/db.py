"""Prepared statements for the few fixed statements every request runs.

On PostgreSQL, planning the API's row fetches costs several times more than running them (about
1.5 ms to plan, 0.3 ms to run the 26-column quote fetch at 1M quotes: five joins, many indexes).
Statements run inside `prepared_statements()` are prepared once per connection by psycopg and
executed from then on; PostgreSQL switches them to a generic plan after a few executions.

Use it only for statements whose best plan does not depend on the values: primary- and
foreign-key lookups, the throttle's upsert. Filters and searches stay unprepared: a generic plan
for a search term cannot know whether the word is rare or common.

Needs psycopg's server-side binding (`DB_SERVER_SIDE_BINDING`, on by default); elsewhere, and on
SQLite, statements run as usual.

Also the two database facts shared by both apps: `MAX_ID`, and `on_postgresql` for the migrations
that add what only PostgreSQL has.
"""

from contextlib import contextmanager

#: The largest id a row can have (a bigint): a larger one matches nothing, and the databases would
#: refuse the number (SQLite raises OverflowError, PostgreSQL an out-of-range error).
MAX_ID = 2**63 - 1


def _execute_prepared(execute, sql, params, many, context):
    """A Django execute wrapper: the same statement, asking psycopg to prepare it."""
    if many or params is None:
        return execute(sql, params, many, context)
    connection = context["connection"]
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        return context["cursor"].cursor.execute(sql, params, prepare=True)


def can_prepare(connection) -> bool:
    return (
        connection.vendor == "postgresql"
        and connection.settings_dict["OPTIONS"].get("server_side_binding") is True
    )


@contextmanager
def prepared_statements(connection):
    """Statements executed on `connection` inside this block are prepared (PostgreSQL)."""
    if not can_prepare(connection):
        yield
        return
    with connection.execute_wrapper(_execute_prepared):
        yield


def on_postgresql(sql: str):
    """For a migration's RunPython: run `sql` on PostgreSQL and nothing elsewhere (an index or
    statistics SQLite has no form of)."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run
