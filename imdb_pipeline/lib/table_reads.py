"""Reading a warehouse table into Arrow with `COPY (SELECT ...) TO STDOUT`.

The server prints the rows as CSV with `NULL '\\N'`: a NULL is an unquoted `\\N`, a text equal to
`\\N` is quoted, and an empty text is not `\\N`, so NULL and '' stay apart. Arrow's CSV reader
parses the stream as it arrives (a pipe fed by the COPY on another thread) straight into the
Arrow types of the declared columns: integers stay integers with their NULLs, dates are dates,
and text keeps its tabs, newlines, quotes, backslashes and unicode. Booleans are read from
PostgreSQL's `t`/`f`.
"""

import datetime as dt
import io
import os
import threading
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg2.errors import QueryCanceled
from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.lib.sql_text import day_sql, quote
from imdb_pipeline.lib.warehouse_tables import Column, Table

NULL = r"\N"
# A CSV block must hold a whole row: long texts (descriptions, raw records) fit many times over.
BLOCK_SIZE = 16 << 20
PIPE_BUFFER = 1 << 20


def day_ranges(days: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """The days as runs of consecutive days, (first, last) each, in order."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if ranges and day - ranges[-1][1] == dt.timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def days_condition(column: str, days: Sequence[dt.date]) -> str:
    """A WHERE condition keeping the rows of `days`: one BETWEEN per run of consecutive days,
    so a year of days is one range (and the partitions outside it are pruned)."""
    if not days:
        return "false"
    parts = [
        f"{quote(column)} = {day_sql(first)}" if first == last
        else f"{quote(column)} BETWEEN {day_sql(first)} AND {day_sql(last)}"
        for first, last in day_ranges(days)
    ]  # fmt: skip
    return " OR ".join(parts)


def copy_out_sql(table: Table, columns: Sequence[str], days: Sequence[dt.date] | None) -> str:
    """`COPY (SELECT columns FROM table [WHERE day in days]) TO STDOUT` as CSV with `\\N` NULLs;
    `days` None reads every row."""
    select = f"SELECT {', '.join(map(quote, columns))} FROM {table.qualified}"
    if days is not None:
        select += f" WHERE {days_condition(table.partition_column, days)}"
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv, NULL '{NULL}')"


def parse_options(schema: pa.Schema):
    """Arrow's CSV options reading COPY's output into `schema`."""
    return (
        pa_csv.ReadOptions(column_names=schema.names, block_size=BLOCK_SIZE),
        pa_csv.ParseOptions(newlines_in_values=True),
        pa_csv.ConvertOptions(
            column_types=schema,
            null_values=[NULL],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    )


def parse(stream: io.BufferedReader, schema: pa.Schema) -> pa.Table:
    """The CSV rows of `stream` as an Arrow table of `schema`; an empty stream has no rows."""
    if not stream.peek(1):
        return schema.empty_table()
    read, parse_, convert = parse_options(schema)
    # The streaming reader converts block by block, so a value it cannot convert fails at its
    # block; `read_csv` would read the whole stream before reporting it.
    batches = pa_csv.open_csv(stream, read_options=read, parse_options=parse_, convert_options=convert)
    return pa.Table.from_batches(list(batches)).cast(schema)  # the declared nullability


def copy_to_arrow(cursor: PgCursor, statement: str, schema: pa.Schema) -> pa.Table:
    """Run a `COPY ... TO STDOUT` statement (`copy_out_sql`) and parse its rows as they arrive.

    The COPY writes into a pipe on a thread of its own while Arrow reads the other end, so the
    CSV text is never held whole in memory. Should parsing fail, the COPY is cancelled (what the
    server had already sent is drained), which leaves the connection usable for a rollback; a
    COPY that fails (a missing table) raises its own error."""
    read_fd, write_fd = os.pipe()
    reader = os.fdopen(read_fd, "rb", buffering=PIPE_BUFFER)
    writer = os.fdopen(write_fd, "wb", buffering=PIPE_BUFFER)  # rows arrive one write each
    failure: list[Exception] = []

    def produce() -> None:
        try:
            cursor.copy_expert(statement, writer, size=1 << 20)
        except Exception as error:  # noqa: BLE001 - raised by the reading side once done
            failure.append(error)
        finally:
            writer.close()

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        try:
            table = parse(reader, schema)
        except Exception:
            cursor.connection.cancel()
            while reader.read(1 << 20):
                pass
            thread.join()
            if failure and not isinstance(failure[0], QueryCanceled):
                raise failure[0] from None  # the COPY failed first: the parser saw its end
            raise
        thread.join()
    finally:
        reader.close()
    if failure:
        raise failure[0]
    return table


def catalog_columns(cursor: PgCursor, schema: str, name: str) -> tuple[Column, ...]:
    """The columns of a table as the server describes them, in order; () if there is none."""
    cursor.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull "
        "FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 "
        "AND NOT a.attisdropped ORDER BY a.attnum",
        (f"{quote(schema)}.{quote(name)}",),
    )
    return tuple(Column(column, type_, nullable) for column, type_, nullable in cursor.fetchall())
