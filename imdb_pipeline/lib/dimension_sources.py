"""Which staged days each dimension was derived from, so that a daily run reads only new days.

Every day of stg_movies is a partition of its own, and staging a day again puts a new table in
its place (a new OID). A dimension records, in the transaction that writes it, the partitions
it was derived from; its next build compares them with the partitions staged now
(`changed_days`, `only_later_days`) and reads only the days that are new or staged again, or
the whole history when it must. The record lives in a schema of its own, out of BI's view.
"""

import dataclasses
import datetime as dt

from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.lib import pg_tables
from imdb_pipeline.lib.sql_text import day_sql, quote
from imdb_pipeline.lib.warehouse_tables import Table

SCHEMA = "pipeline_state"
SOURCES = f"{quote(SCHEMA)}.{quote('dimension_sources')}"

Partitions = dict[dt.date, int]  # day -> partition table OID


def ensure_table(cursor: PgCursor) -> None:
    """The record, created on first use (before builds that write it run side by side)."""
    pg_tables.ensure_schema(cursor, SCHEMA)
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {SOURCES} (dimension text NOT NULL, "
        "snapshot_date date NOT NULL, partition_oid oid NOT NULL, "
        "PRIMARY KEY (dimension, snapshot_date))"
    )


def read_state(
    cursor: PgCursor, staging: Table, dimension: Table
) -> tuple[Partitions, Partitions | None]:
    """The staged days now (`staged_partitions`) and those `dimension` was last derived from
    (`recorded`), for a build of `dimension` in this transaction. Builds of one dimension by
    runs at the same time take turns (an advisory lock held until the transaction ends): the
    later one finds the record the earlier one wrote, and reads only what is left."""
    cursor.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{SOURCES} {dimension.name}",)
    )
    staged = staged_partitions(cursor, staging)
    return staged, recorded(cursor, dimension)


def staged_partitions(cursor: PgCursor, staging: Table) -> Partitions:
    """The staged days now, held until the transaction ends: the SHARE lock makes a staging
    load that would replace a day wait, and lets readers and other dimension builds go on."""
    cursor.execute(f"LOCK TABLE {staging.qualified} IN SHARE MODE")
    return pg_tables.day_partitions(cursor, staging)


def recorded(cursor: PgCursor, dimension: Table) -> Partitions | None:
    """The partitions `dimension` was last derived from; None when there is nothing to go by
    (no dimension, no record, or it was derived from no day), which means the whole history."""
    if not pg_tables.table_exists(cursor, dimension.schema, dimension.name):
        return None
    cursor.execute(
        f"SELECT snapshot_date, partition_oid::bigint FROM {SOURCES} WHERE dimension = %s",
        (dimension.name,),
    )
    return dict(cursor.fetchall()) or None


def record(cursor: PgCursor, dimension: Table, partitions: Partitions) -> None:
    """Record that `dimension`, as written in this transaction, derives from `partitions`."""
    days = sorted(partitions)
    cursor.execute(f"DELETE FROM {SOURCES} WHERE dimension = %s", (dimension.name,))
    cursor.execute(  # one statement, however many days
        f"INSERT INTO {SOURCES} SELECT %s, day, partition FROM "
        "unnest(%s::date[], %s::bigint[]) AS r (day, partition)",
        (dimension.name, days, [partitions[day] for day in days]),
    )


def forget(cursor: PgCursor, dimension: Table) -> None:
    """Remove `dimension` and its record."""
    cursor.execute(f"DROP TABLE IF EXISTS {dimension.qualified}")
    cursor.execute(f"DELETE FROM {SOURCES} WHERE dimension = %s", (dimension.name,))


def previous_state(dimension: Table) -> Table:
    """Where a dimension's state before its latest build is kept, beside the record: a table of
    the same shape, out of BI's view."""
    return dataclasses.replace(dimension, schema=SCHEMA, name=f"{dimension.name}_previous")


def changed_days(staged: Partitions, before: Partitions | None) -> list[dt.date]:
    """Days staged since `before`: new days and days staged again, in order; every staged day
    when there is no record (None)."""
    if before is None:
        return sorted(staged)
    return sorted(day for day, oid in staged.items() if before.get(day) != oid)


def only_later_days(staged: Partitions, before: Partitions) -> bool:
    """Whether the staged days are those of `before`, unchanged, plus days after all of them."""
    if any(staged.get(day) != oid for day, oid in before.items()):
        return False
    new = [day for day in staged if day not in before]
    return not new or not before or min(new) > max(before)


def days_of(staging: Table, days: list[dt.date]) -> str:
    """The staged rows of `days`, as a subquery to read in place of the whole history."""
    listed = ", ".join(day_sql(day) for day in days) or "NULL"
    column = quote(staging.partition_column)
    return f"(SELECT * FROM {staging.qualified} WHERE {column} IN ({listed}))"
