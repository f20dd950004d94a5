"""DataFrames in and out of PostgreSQL tables with COPY, keeping types, NULLs and every character.

Both directions go through Arrow's CSV codec. Arrow quotes every string and writes NULL as an
unquoted empty field, which is exactly PostgreSQL's CSV convention, so an empty string and a NULL
stay distinct, and commas, quotes, tabs, newlines, backslashes and unicode survive unchanged.
Identifiers are always quoted with `psycopg2.sql.Identifier`.
"""

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg2 import sql
from psycopg2.extensions import cursor as PgCursor

COPY_BATCH_ROWS = 250_000

# Nullable pandas dtypes for what we read back: integers stay integers next to NULLs.
_PANDAS_DTYPES = {
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.float32(): pd.Float32Dtype(),
    pa.float64(): pd.Float64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.string(): pd.StringDtype(),
}

_PG_TO_ARROW = {
    "smallint": pa.int16(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "real": pa.float32(),
    "double precision": pa.float64(),
    "boolean": pa.bool_(),
    "text": pa.string(),
    "date": pa.date32(),
    "timestamp without time zone": pa.timestamp("us"),
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
}


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str
    nullable: bool


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table, index dropped; all-NULL object columns become text."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for index, field in enumerate(table.schema):
        if pa.types.is_null(field.type):
            table = table.set_column(index, field.name, table.column(index).cast(pa.string()))
    return table


def pg_type(arrow_type: pa.DataType) -> str:
    """The PostgreSQL column type for an Arrow type."""
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_int8(arrow_type) or pa.types.is_int16(arrow_type) or pa.types.is_uint8(arrow_type):
        return "smallint"
    if pa.types.is_int32(arrow_type) or pa.types.is_uint16(arrow_type):
        return "integer"
    if pa.types.is_int64(arrow_type) or pa.types.is_uint32(arrow_type):
        return "bigint"
    if pa.types.is_uint64(arrow_type):
        return "numeric(20,0)"
    if pa.types.is_float16(arrow_type) or pa.types.is_float32(arrow_type):
        return "real"
    if pa.types.is_float64(arrow_type):
        return "double precision"
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp with time zone" if arrow_type.tz else "timestamp without time zone"
    raise TypeError(f"No PostgreSQL column type for Arrow type {arrow_type}")


def columns_of(table: pa.Table, not_null: Sequence[str] = ()) -> list[Column]:
    """Column definitions for an Arrow table; `not_null` columns (e.g. keys) are declared NOT NULL."""
    return [
        Column(field.name, pg_type(field.type), field.name not in not_null) for field in table.schema
    ]


def replace_table(
    cursor: PgCursor,
    schema: str,
    table: str,
    frame: pd.DataFrame,
    primary_key: Sequence[str] = (),
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
    cursor.execute(
        sql.SQL("CREATE TABLE {} ({})").format(
            sql.Identifier(schema, loading),
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
    copy_into(cursor, schema, loading, arrow_table)
    cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schema, table)))
    cursor.execute(
        sql.SQL("ALTER TABLE {} RENAME TO {}").format(
            sql.Identifier(schema, loading), sql.Identifier(table)
        )
    )
    if primary_key:
        cursor.execute(
            sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(
                sql.Identifier(schema, table),
                sql.SQL(", ").join(sql.Identifier(name) for name in primary_key),
            )
        )
    return columns


def copy_into(cursor: PgCursor, schema: str, table: str, arrow_table: pa.Table) -> None:
    """COPY the rows into an existing table, in batches so memory stays bounded."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(schema, table),
        sql.SQL(", ").join(sql.Identifier(name) for name in arrow_table.column_names),
    )
    options = pa_csv.WriteOptions(include_header=False)
    for batch in arrow_table.to_batches(max_chunksize=COPY_BATCH_ROWS):
        buffer = io.BytesIO()
        pa_csv.write_csv(batch, buffer, options)
        buffer.seek(0)
        cursor.copy_expert(statement.as_string(cursor), buffer)


def table_columns(cursor: PgCursor, schema: str, table: str) -> list[Column]:
    """The table's columns in order, with their PostgreSQL types; empty if it does not exist."""
    cursor.execute(
        """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """,
        (schema, table),
    )
    return [Column(name, type_, nullable) for name, type_, nullable in cursor.fetchall()]


def read_table(
    cursor: PgCursor, schema: str, table: str, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """The table (or some of its columns) as a DataFrame with nullable dtypes."""
    available = table_columns(cursor, schema, table)
    if not available:
        raise LookupError(f"Table {schema}.{table} does not exist")
    if columns:
        by_name = {column.name: column for column in available}
        missing = [name for name in columns if name not in by_name]
        if missing:
            raise LookupError(f"Table {schema}.{table} has no column(s) {missing}")
        available = [by_name[name] for name in columns]
    arrow_types = {column.name: _arrow_type(column.pg_type) for column in available}
    buffer = io.BytesIO()
    cursor.copy_expert(
        sql.SQL("COPY (SELECT {} FROM {}) TO STDOUT WITH (FORMAT csv)")
        .format(
            sql.SQL(", ").join(_select_expression(column) for column in available),
            sql.Identifier(schema, table),
        )
        .as_string(cursor),
        buffer,
    )
    buffer.seek(0)
    names = [column.name for column in available]
    if buffer.getbuffer().nbytes == 0:
        empty = pa.schema([(name, arrow_types[name]) for name in names]).empty_table()
        return empty.to_pandas(types_mapper=_PANDAS_DTYPES.get)
    arrow_table = pa_csv.read_csv(
        buffer,
        read_options=pa_csv.ReadOptions(column_names=names),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=arrow_types,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    )
    return arrow_table.to_pandas(types_mapper=_PANDAS_DTYPES.get)


def table_exists(cursor: PgCursor, schema: str, table: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (f'"{schema}"."{table}"',))
    return bool(cursor.fetchone()[0])


def _arrow_type(pg_type_name: str) -> pa.DataType:
    if pg_type_name.startswith("numeric(") and "," in pg_type_name:
        precision, scale = pg_type_name[len("numeric(") : -1].split(",")
        return pa.decimal128(int(precision), int(scale))
    if pg_type_name == "numeric":
        # Without a declared scale there is no exact Arrow decimal to read into.
        return pa.float64()
    return _PG_TO_ARROW.get(pg_type_name, pa.string())


def _select_expression(column: Column) -> sql.Composable:
    if column.pg_type == "timestamp with time zone":
        # An ISO-8601 instant in UTC that Arrow parses whatever the session's TimeZone is.
        return sql.SQL("""to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""").format(
            sql.Identifier(column.name)
        )
    return sql.Identifier(column.name)
