"""Reading PostgreSQL tables into DataFrames with COPY ... TO STDOUT and Arrow's CSV reader.

PostgreSQL writes NULL as an unquoted empty field and an empty string as `""`; Arrow's reader,
told so, keeps them apart, and every other character comes back as it went in.
"""

import io
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg2 import sql
from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.lib.pg_types import PANDAS_DTYPES, Column, arrow_type


def table_exists(cursor: PgCursor, schema: str, table: str) -> bool:
    cursor.execute(
        "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = %s", (schema, table)
    )
    return cursor.fetchone() is not None


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
    cursor: PgCursor,
    schema: str,
    table: str,
    columns: Sequence[str] | None = None,
    where: sql.Composable | None = None,
) -> pd.DataFrame:
    """The table (some columns, some rows) as a DataFrame with nullable dtypes."""
    available = table_columns(cursor, schema, table)
    if not available:
        raise LookupError(f"Table {schema}.{table} does not exist")
    if columns:
        by_name = {column.name: column for column in available}
        missing = [name for name in columns if name not in by_name]
        if missing:
            raise LookupError(f"Table {schema}.{table} has no column(s) {missing}")
        available = [by_name[name] for name in columns]
    arrow_types = {column.name: arrow_type(column.pg_type) for column in available}
    query = sql.SQL("SELECT {} FROM {}").format(
        sql.SQL(", ").join(_select_expression(column) for column in available),
        sql.Identifier(schema, table),
    )
    if where is not None:
        query = sql.SQL("{} WHERE {}").format(query, where)
    buffer = io.BytesIO()
    cursor.copy_expert(
        sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv)").format(query).as_string(cursor), buffer
    )
    buffer.seek(0)
    names = [column.name for column in available]
    if buffer.getbuffer().nbytes == 0:
        empty = pa.schema([(name, arrow_types[name]) for name in names]).empty_table()
        return empty.to_pandas(types_mapper=PANDAS_DTYPES.get)
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
    return arrow_table.to_pandas(types_mapper=PANDAS_DTYPES.get)


def _select_expression(column: Column) -> sql.Composable:
    if column.pg_type == "timestamp with time zone":
        # An ISO-8601 instant in UTC that Arrow parses whatever the session's TimeZone is.
        return sql.SQL("""to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""").format(
            sql.Identifier(column.name)
        )
    return sql.Identifier(column.name)
