"""Writing warehouse tables inside PostgreSQL, atomically, within the caller's transaction.

Every write builds new rows in a table of its own and swaps it in at the end, so readers see the
previous content, complete, until the transaction commits, and a failure leaves it untouched:
- a whole table (`replace_table_as`): a new table, then DROP + RENAME (or the old table moved
  aside, to be kept); the two halves (`build_table_as`, `swap_in`) can also run in separate
  transactions;
- a whole table from Arrow batches (`replace_table_from_rows`): the same, loaded with COPY;
- one day of a daily table (`replace_partition_as`, `replace_partition_from_rows`): daily tables
  are PostgreSQL tables partitioned by day; the day is built as a new table and exchanged for
  the day's partition (DROP + ATTACH), so re-running a day never touches the other days;
- new rows of a dimension (`insert_rows_as`): INSERT under a lock that serialises writers.
Intermediate rows that a step's connections share are kept in an unlogged scratch table
(`create_scratch_as`), dropped when the step ends.

Rows come from a SELECT run by the server (set-based SQL) or from Arrow batches sent with COPY.
Keys are added after the rows: building an index once over the loaded rows is cheaper than
maintaining it row by row. A table created and filled in one transaction is written without
WAL when the server runs with `wal_level = minimal` (the embedded warehouse does).
Every table is created with its declared comments (`table_comments`), so they move with it. A
table with sensitive columns is created without the BI reader's rights, and its masking view is
made again on each swap (`masking_views`).
"""

import datetime as dt
from collections.abc import Callable, Iterable

import pyarrow as pa
from psycopg2 import errors
from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.lib import masking_views, table_comments
from imdb_pipeline.lib.arrow_copy import copy_batches
from imdb_pipeline.lib.sql_text import day_sql, quote
from imdb_pipeline.lib.table_owners import BUILDING, SCRATCH, owned_name
from imdb_pipeline.lib.warehouse_tables import Table, create_table_sql

# Called with (cursor, qualified new table) when the primary key finds repeated keys in rows
# loaded with COPY; removes the surplus rows and returns how many it removed.
ResolveDuplicates = Callable[[PgCursor, str], int]


def keep_last(key: str, order: str) -> ResolveDuplicates:
    """Resolve repeated `key`s by keeping, of each, the row with the highest `order`."""

    def resolve(cursor: PgCursor, table: str) -> int:
        key_sql, order_sql = quote(key), quote(order)
        cursor.execute(
            f"DELETE FROM {table} AS t USING (SELECT {key_sql}, max({order_sql}) AS last "
            f"FROM {table} GROUP BY {key_sql} HAVING count(*) > 1) AS r "
            f"WHERE t.{key_sql} = r.{key_sql} AND t.{order_sql} < r.last"
        )
        return cursor.rowcount

    return resolve


def replace_table_as(
    cursor: PgCursor, table: Table, select: str, keep_old_as: Table | None = None
) -> int:
    """Replace the whole table with the rows of `select`; returns the row count. The old
    table is dropped, or with `keep_old_as`, moved there (see `swap_in`)."""
    building, rows = build_table_as(cursor, table, select)
    swap_in(cursor, table, building, keep_old_as)
    return rows


def build_table_as(
    cursor: PgCursor, table: Table, select: str, owner: str | None = None
) -> tuple[str, int]:
    """A new, keyed table of `table`'s shape holding the rows of `select`, under a name of its
    own: (that name, row count). `swap_in` puts it in the table's place. Built in one
    transaction and swapped in another, several tables can be built side by side and put in
    place together; `drop_building` removes one that is not swapped in. A table committed
    before it is swapped in is named after its `owner` (see `table_owners`)."""
    ensure_schema(cursor, table.schema)
    building = owned_name(table.name, BUILDING, owner)
    rows = _create_as(cursor, table, building, select)
    _add_keys(cursor, table, building)
    return building, rows


def swap_in(
    cursor: PgCursor, table: Table, building: str, keep_old_as: Table | None = None
) -> None:
    """Put the table built by `build_table_as` in place of `table`, dropping the old one; with
    `keep_old_as` (a table of the same shape, in another schema), the old one replaces that
    table instead, with no copy. A view on the old table stops the swap either way, as it
    stops a DROP: a view that went on reading the old rows, moved, would be stale. The
    table's own masking view (`masking_views`) is dropped first and made again on the new one."""
    masking_views.drop_view(cursor, table)
    if keep_old_as is not None:
        cursor.execute(  # the old table exists, and no view reads it
            "SELECT to_regclass(%s) IS NOT NULL AND NOT EXISTS (SELECT FROM pg_depend "
            "WHERE refobjid = to_regclass(%s) AND classid = 'pg_rewrite'::regclass)",
            (table.qualified, table.qualified),
        )
        if cursor.fetchone()[0]:
            ensure_schema(cursor, keep_old_as.schema)
            cursor.execute(f"DROP TABLE IF EXISTS {keep_old_as.qualified}")
            cursor.execute(f"ALTER TABLE {table.qualified} SET SCHEMA {quote(keep_old_as.schema)}")
            _rename(cursor, keep_old_as, table.name, keep_old_as.name)
    cursor.execute(f"DROP TABLE IF EXISTS {table.qualified}")
    _rename(cursor, table, building, table.name)
    masking_views.create_view(cursor, table)


def drop_building(cursor: PgCursor, table: Table, building: str) -> None:
    """Remove a table built by `build_table_as`; nothing if it was swapped in or is gone."""
    cursor.execute(f"DROP TABLE IF EXISTS {quote(table.schema)}.{quote(building)}")


def create_scratch_as(cursor: PgCursor, schema: str, name: str, select: str, owner: str) -> str:
    """An unlogged table of the rows of `select`, analyzed, in `schema`, named after its
    `owner` (`name__scratch_<owner>`, see `table_owners`); returns its qualified name. It holds
    intermediate rows that several connections of one step read once this transaction commits:
    a temporary table is private to its session, and rules out parallel plans. Unlogged, it is
    never written to the WAL nor sent to replicas; a server crash empties it, which costs
    nothing, as the step drops it (`drop_scratch`) when it ends."""
    ensure_schema(cursor, schema)
    scratch = f"{quote(schema)}.{quote(owned_name(name, SCRATCH, owner))}"
    cursor.execute(f"CREATE UNLOGGED TABLE {scratch} AS {select}")
    cursor.execute(f"ANALYZE {scratch}")
    return scratch


def drop_scratch(cursor: PgCursor, scratch: str) -> None:
    """Remove a table made by `create_scratch_as`; nothing if it is gone."""
    cursor.execute(f"DROP TABLE IF EXISTS {scratch}")


def replace_partition_as(cursor: PgCursor, table: Table, day: dt.date, select: str) -> int:
    """Replace one day of a daily table with the rows of `select` (all of that day)."""
    _ensure_partitioned(cursor, table)
    building = owned_name(table.name, BUILDING)
    rows = _create_as(cursor, table, building, select, day)
    _add_keys(cursor, table, building)
    _exchange_partition(cursor, table, building, day)
    return rows


def replace_table_from_rows(
    cursor: PgCursor, table: Table, batches: Iterable[pa.RecordBatch]
) -> int:
    """Replace the whole table with Arrow batches holding every declared column; returns the
    row count. Loaded with COPY into a new table, keyed, then swapped in (see `swap_in`)."""
    ensure_schema(cursor, table.schema)
    building = owned_name(table.name, BUILDING)
    cursor.execute(create_table_sql(table, building, keys=False))
    table_comments.comment(cursor, table, building)
    masking_views.restrict(cursor, table, building)
    target = f"{quote(table.schema)}.{quote(building)}"
    rows = copy_batches(cursor, target, table.column_names, batches, freeze=True)
    _add_keys(cursor, table, building)
    swap_in(cursor, table, building)
    return rows


def replace_partition_from_rows(
    cursor: PgCursor,
    table: Table,
    day: dt.date,
    batches: Iterable[pa.RecordBatch],
    resolve_duplicates: ResolveDuplicates | None = None,
) -> tuple[int, int]:
    """Replace one day of a daily table with Arrow batches (every declared column but the day,
    which is set to `day`). Returns (rows kept, repeated rows removed by `resolve_duplicates`)."""
    _ensure_partitioned(cursor, table)
    building = owned_name(table.name, BUILDING)
    cursor.execute(create_table_sql(table, building, day, keys=False))
    table_comments.comment(cursor, table, building, day)
    masking_views.restrict(cursor, table, building)
    target = f"{quote(table.schema)}.{quote(building)}"
    columns = [name for name in table.column_names if name != table.partition_column]
    rows = copy_batches(cursor, target, columns, batches, freeze=True)
    removed = 0
    cursor.execute("SAVEPOINT add_keys")
    try:
        _add_keys(cursor, table, building)
    except errors.UniqueViolation:
        if resolve_duplicates is None:
            raise
        cursor.execute("ROLLBACK TO SAVEPOINT add_keys")
        removed = resolve_duplicates(cursor, target)
        _add_keys(cursor, table, building)
    cursor.execute("RELEASE SAVEPOINT add_keys")
    _exchange_partition(cursor, table, building, day)
    return rows - removed, removed


def insert_rows_as(cursor: PgCursor, table: Table, select: Callable[[str], str]) -> int:
    """Add the rows of `select(existing table)` to the table, creating it on first use.

    The lock lets readers go on but makes concurrent writers wait, so two runs never hand out
    the same new keys. A table created here gets its keys after its first rows, as a new
    table does in `replace_table_as`: a first load adds every name at once."""
    ensure_schema(cursor, table.schema)
    created = not table_exists(cursor, table.schema, table.name)
    if created:
        cursor.execute(create_table_sql(table, keys=False))
        table_comments.comment(cursor, table)
        masking_views.restrict(cursor, table, table.name)
        masking_views.create_view(cursor, table)
    else:
        cursor.execute(f"LOCK TABLE {table.qualified} IN SHARE ROW EXCLUSIVE MODE")
        table_comments.bring_up_to_date(cursor, table)
    names = ", ".join(map(quote, table.column_names))
    cursor.execute(
        f"INSERT INTO {table.qualified} ({names}) "
        f"SELECT {_casts(table)} FROM ({select(table.qualified)}) AS q"
    )
    rows = cursor.rowcount
    if created:
        _add_keys(cursor, table, table.name)
    return rows


def ensure_schema(cursor: PgCursor, schema: str) -> None:
    cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
    if cursor.fetchone():
        return
    # Parallel writers may create the same schema at once; IF NOT EXISTS does not guard
    # against that race, so the loser rolls back to a savepoint and goes on.
    cursor.execute("SAVEPOINT create_schema")
    try:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
    except errors.UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT create_schema")
    cursor.execute("RELEASE SAVEPOINT create_schema")


def table_exists(cursor: PgCursor, schema: str, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{quote(schema)}.{quote(name)}",))
    return cursor.fetchone()[0]


def partition_name(table: Table, day: dt.date) -> str:
    return f"{_partition_prefix(table)}{day:%Y%m%d}"


def _partition_prefix(table: Table) -> str:
    return f"{table.name}_p"


def day_partitions(cursor: PgCursor, table: Table) -> dict[dt.date, int]:
    """The day partitions of a daily table: day -> the partition's table OID. Replacing a day
    puts a new table in place, with a new OID."""
    cursor.execute(
        "SELECT c.relname, c.oid FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s)",
        (table.qualified,),
    )
    prefix = _partition_prefix(table)
    return {
        dt.datetime.strptime(name.removeprefix(prefix), "%Y%m%d").date(): oid
        for name, oid in cursor.fetchall()
        if name.startswith(prefix)
    }


def _casts(table: Table) -> str:
    return ", ".join(
        f"{quote(column.name)}::{column.pg_type} AS {quote(column.name)}" for column in table.columns
    )


def _create_as(
    cursor: PgCursor, table: Table, name: str, select: str, day: dt.date | None = None
) -> int:
    """A new table of the declared shape filled by `select`; returns the row count. NOT NULL
    and the day's CHECK are declared first, so rows are checked as they are inserted, which
    costs less than validating the filled table in another pass."""
    cursor.execute(create_table_sql(table, name, day, keys=False))
    table_comments.comment(cursor, table, name, day)
    masking_views.restrict(cursor, table, name)
    names = ", ".join(map(quote, table.column_names))
    cursor.execute(
        f"INSERT INTO {quote(table.schema)}.{quote(name)} ({names}) "
        f"SELECT {_casts(table)} FROM ({select}) AS q"
    )
    return cursor.rowcount


def _add_keys(cursor: PgCursor, table: Table, name: str) -> None:
    """The primary key and unique keys, each index built once over the loaded rows; then
    ANALYZE, so the next steps plan their joins on real row counts."""
    target = f"{quote(table.schema)}.{quote(name)}"
    actions = []
    if table.primary_key:  # a table of no declaration has none
        actions.append(
            f"ADD CONSTRAINT {quote(name + '_pkey')} "
            f"PRIMARY KEY ({', '.join(map(quote, table.primary_key))})"
        )
    for index, columns in enumerate(table.unique):
        actions.append(
            f"ADD CONSTRAINT {quote(f'{name}_key{index}')} UNIQUE ({', '.join(map(quote, columns))})"
        )
    if actions:
        cursor.execute(f"ALTER TABLE {target} {', '.join(actions)}")
    cursor.execute(f"ANALYZE {target}")


def _rename(cursor: PgCursor, table: Table, old: str, new: str) -> None:
    """Rename a table and the constraints named after it."""
    cursor.execute(f"ALTER TABLE {quote(table.schema)}.{quote(old)} RENAME TO {quote(new)}")
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND conname LIKE %s",
        (f"{quote(table.schema)}.{quote(new)}", old.replace("_", r"\_") + "%"),
    )
    for (constraint,) in cursor.fetchall():
        cursor.execute(
            f"ALTER TABLE {quote(table.schema)}.{quote(new)} RENAME CONSTRAINT {quote(constraint)} "
            f"TO {quote(new + constraint[len(old):])}"
        )


def _ensure_partitioned(cursor: PgCursor, table: Table) -> None:
    """The partitioned parent of a daily table, created on first use. A table of the same name
    that is not partitioned (an earlier layout) is converted, its rows kept day by day."""
    ensure_schema(cursor, table.schema)
    cursor.execute(
        "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s",
        (table.schema, table.name),
    )
    found = cursor.fetchone()
    if found and found[0] == "p":
        table_comments.bring_up_to_date(cursor, table)
        return
    legacy = None
    if found:
        legacy = owned_name(table.name + "__unpartitioned", BUILDING)
        masking_views.drop_view(cursor, table)
        cursor.execute(f"ALTER TABLE {table.qualified} RENAME TO {quote(legacy)}")
        cursor.execute(
            f"ALTER TABLE {quote(table.schema)}.{quote(legacy)} "
            f"DROP CONSTRAINT IF EXISTS {quote(table.name + '_pkey')}"
        )
    cursor.execute(
        f"{create_table_sql(table)} PARTITION BY LIST ({quote(table.partition_column)})"
    )
    table_comments.comment(cursor, table)
    masking_views.restrict(cursor, table, table.name)
    masking_views.create_view(cursor, table)
    if legacy:
        source = f"{quote(table.schema)}.{quote(legacy)}"
        cursor.execute(f"SELECT DISTINCT {quote(table.partition_column)} FROM {source}")
        for (day,) in sorted(cursor.fetchall()):
            replace_partition_as(
                cursor, table, day,
                f"SELECT * FROM {source} WHERE {quote(table.partition_column)} = {day_sql(day)}",
            )  # fmt: skip
        cursor.execute(f"DROP TABLE {source}")


def _exchange_partition(cursor: PgCursor, table: Table, building: str, day: dt.date) -> None:
    """Put the built table in place of the day's partition (dropping the old one)."""
    final = partition_name(table, day)
    cursor.execute(f"DROP TABLE IF EXISTS {quote(table.schema)}.{quote(final)}")
    _rename(cursor, table, building, final)
    cursor.execute(
        f"ALTER TABLE {table.qualified} ATTACH PARTITION {quote(table.schema)}.{quote(final)} "
        f"FOR VALUES IN ({day_sql(day)})"
    )
