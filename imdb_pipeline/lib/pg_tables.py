"""Writing DataFrames to PostgreSQL tables with COPY, within the caller's transaction.

Rows go through Arrow's CSV writer: it quotes every string and writes NULL as an unquoted empty
field, exactly PostgreSQL's CSV convention, so an empty string and a NULL stay distinct and commas,
quotes, tabs, newlines, backslashes and unicode survive unchanged. Identifiers are always quoted.
Three ways to write: replace a whole table, replace a slice of rows (a partition), or upsert.
"""

import io
import uuid
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg2 import sql
from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.lib.pg_reads import table_columns
from imdb_pipeline.lib.pg_types import Column, columns_of, to_arrow

COPY_BATCH_ROWS = 250_000


def replace_table(
    cursor: PgCursor, schema: str, table: str, frame: pd.DataFrame, primary_key: Sequence[str] = ()
) -> list[Column]:
    """Replace `schema.table` with the frame's rows, atomically within the cursor's transaction.

    The rows are copied into a new table, which then takes the old one's place (DROP + RENAME).
    Until the transaction commits, readers see the previous table, complete; if anything fails,
    the rollback leaves it untouched. A view that depends on the table makes the DROP fail, on
    purpose: the load stops instead of silently dropping the view.
    """
    arrow_table = to_arrow(frame)
    columns = columns_of(arrow_table, not_null=primary_key)
    loading = f"{table}__loading_{uuid.uuid4().hex[:8]}"
    _create(cursor, schema, loading, columns)
    copy_into(cursor, schema, loading, arrow_table)
    cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schema, table)))
    cursor.execute(
        sql.SQL("ALTER TABLE {} RENAME TO {}").format(
            sql.Identifier(schema, loading), sql.Identifier(table)
        )
    )
    _add_primary_key(cursor, schema, table, primary_key)
    return columns


def delete_rows(
    cursor: PgCursor, schema: str, table: str, where: sql.Composable, needs: Sequence[str] = ()
) -> int:
    """Delete the rows of a slice (e.g. one day); nothing when the table does not exist yet.

    `needs` names the columns the condition uses: a table without them was built by something
    else (or an older, unpartitioned layout) and is reported rather than half-updated.
    """
    existing = {column.name for column in table_columns(cursor, schema, table)}
    if not existing:
        return 0
    missing = [name for name in needs if name not in existing]
    if missing:
        raise ValueError(
            f"{schema}.{table} has no column(s) {', '.join(missing)} to replace a partition by; "
            f"it has another layout (an unpartitioned table?). Drop it and re-run to rebuild it."
        )
    cursor.execute(
        sql.SQL("DELETE FROM {} WHERE {}").format(sql.Identifier(schema, table), where)
    )
    return cursor.rowcount


def append_rows(
    cursor: PgCursor, schema: str, table: str, frame: pd.DataFrame, primary_key: Sequence[str] = ()
) -> list[Column]:
    """Add the frame's rows to the table, creating it on first use; the columns must match."""
    arrow_table = to_arrow(frame)
    columns, _ = _existing_or_created(cursor, schema, table, arrow_table, primary_key)
    copy_into(cursor, schema, table, arrow_table)
    return columns


def upsert_rows(
    cursor: PgCursor,
    schema: str,
    table: str,
    frame: pd.DataFrame,
    key: Sequence[str],
    primary_key: Sequence[str] = (),
) -> list[Column]:
    """Insert the frame's rows, or update the row with the same `key`; other rows stay.

    A new table gets `primary_key` and a unique constraint on `key`, which the upsert needs.
    """
    if not key:
        raise ValueError(f"An upsert into {schema}.{table} needs a key")
    arrow_table = to_arrow(frame)
    columns, created = _existing_or_created(cursor, schema, table, arrow_table, primary_key or key)
    if created and primary_key and list(key) != list(primary_key):
        cursor.execute(
            sql.SQL("ALTER TABLE {} ADD UNIQUE ({})").format(
                sql.Identifier(schema, table), sql.SQL(", ").join(map(sql.Identifier, key))
            )
        )
    incoming = f"{table}__incoming_{uuid.uuid4().hex[:8]}"
    cursor.execute(
        sql.SQL("CREATE TEMPORARY TABLE {} (LIKE {}) ON COMMIT DROP").format(
            sql.Identifier(incoming), sql.Identifier(schema, table)
        )
    )
    copy_into(cursor, None, incoming, arrow_table)
    names = [field.name for field in arrow_table.schema]
    updates = [name for name in names if name not in key]
    action = (
        sql.SQL("DO UPDATE SET {}").format(
            sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(name)) for name in updates
            )
        )
        if updates
        else sql.SQL("DO NOTHING")
    )
    cursor.execute(
        sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT ({}) {}").format(
            sql.Identifier(schema, table),
            sql.SQL(", ").join(map(sql.Identifier, names)),
            sql.SQL(", ").join(map(sql.Identifier, names)),
            sql.Identifier(incoming),
            sql.SQL(", ").join(map(sql.Identifier, key)),
            action,
        )
    )
    return columns


def copy_into(cursor: PgCursor, schema: str | None, table: str, arrow_table: pa.Table) -> None:
    """COPY the rows into an existing table, in batches so memory stays bounded."""
    target = sql.Identifier(schema, table) if schema else sql.Identifier(table)
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        target, sql.SQL(", ").join(sql.Identifier(name) for name in arrow_table.column_names)
    )
    options = pa_csv.WriteOptions(include_header=False)
    for batch in arrow_table.to_batches(max_chunksize=COPY_BATCH_ROWS):
        buffer = io.BytesIO()
        pa_csv.write_csv(batch, buffer, options)
        buffer.seek(0)
        cursor.copy_expert(statement.as_string(cursor), buffer)


def _existing_or_created(
    cursor, schema, table, arrow_table, primary_key
) -> tuple[list[Column], bool]:
    """The table's columns (created from the rows on first use) and whether it was created."""
    wanted = columns_of(arrow_table, not_null=primary_key)
    existing = table_columns(cursor, schema, table)
    if not existing:
        _create(cursor, schema, table, wanted)
        _add_primary_key(cursor, schema, table, primary_key)
        return wanted, True
    have = [(column.name, column.pg_type) for column in existing]
    want = [(column.name, column.pg_type) for column in wanted]
    if sorted(have) != sorted(want):
        raise ValueError(
            f"{schema}.{table} has columns {have}, but the new rows have {want}; a partial write "
            "cannot change a table's columns: rebuild the table (drop it and re-run every slice)"
        )
    return existing, False


def _create(cursor: PgCursor, schema: str, table: str, columns: list[Column]) -> None:
    cursor.execute(
        sql.SQL("CREATE TABLE {} ({})").format(
            sql.Identifier(schema, table),
            sql.SQL(", ").join(
                sql.SQL("{} {}{}").format(
                    sql.Identifier(column.name),
                    sql.SQL(column.pg_type),
                    sql.SQL("" if column.nullable else " NOT NULL"),
                )
                for column in columns
            ),
        )
    )


def _add_primary_key(cursor: PgCursor, schema: str, table: str, key: Sequence[str]) -> None:
    if key:
        cursor.execute(
            sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(
                sql.Identifier(schema, table), sql.SQL(", ").join(map(sql.Identifier, key))
            )
        )
