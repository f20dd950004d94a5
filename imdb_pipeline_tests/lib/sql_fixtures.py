"""Building blocks for tests of the warehouse SQL: staged rows in, declared tables built as
the loader builds them (every column cast to its declared type, keys and NOT NULLs enforced),
rows out."""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import psycopg2

from imdb_pipeline.lib.warehouse_tables import (
    STG_MOVIES,
    Column,
    Table,
    create_table_sql,
    quote,
)

D1, D2, D3, D4 = (dt.date(2024, 1, day) for day in (1, 2, 3, 4))
STAGED = STG_MOVIES.qualified
# Two small declared tables, a whole one and a daily one, for the table-writing functions.
WHOLE = Table("core", "things", (Column("id", "bigint", False), Column("name", "text", True)),
              primary_key=("id",), unique=(("name",),))  # fmt: skip
DAILY = Table(
    "core", "daily_things",
    (Column("snapshot_date", "date", False), Column("id", "bigint", False),
     Column("name", "text", True), Column("line", "bigint", True)),
    primary_key=("snapshot_date", "id"), partition_column="snapshot_date",
)  # fmt: skip


def run(url: str, action):
    """`action(cursor)` in one transaction, committed; returns what it returns."""
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            return action(cursor)
    finally:
        connection.close()


def values(rows: list[tuple], table: Table = WHOLE) -> str:
    """A SELECT of literal rows with the table's column names."""
    def literal(value):
        return "NULL" if value is None else f"DATE '{value}'" if isinstance(value, dt.date) else repr(value)

    return " UNION ALL ".join(
        "SELECT " + ", ".join(f"{literal(v)} AS {c.name}" for v, c in zip(row, table.columns))
        for row in rows
    )


def execute(url: str, *statements: str) -> None:
    """Run the statements in one transaction and commit."""
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


def fetch(url: str, select: str) -> list[list]:
    """The rows of `select` as lists."""
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(select)
            return [list(row) for row in cursor.fetchall()]
    finally:
        connection.close()


def stage(url: str, rows: Iterable[Mapping], table: Table = STG_MOVIES, name: str | None = None):
    """Add `rows` to the declared table (under `name` if given), created on first use; absent
    columns are NULL. Returns the qualified table name."""
    target = f"{quote(table.schema)}.{quote(name or table.name)}"
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(table.schema)}")
            cursor.execute(_if_not_exists(create_table_sql(table, name)))
            for row in rows:
                columns = ", ".join(map(quote, row))
                cursor.execute(
                    f"INSERT INTO {target} ({columns}) VALUES ({', '.join(['%s'] * len(row))})",
                    list(row.values()),
                )
    finally:
        connection.close()
    return target


def _if_not_exists(create: str) -> str:
    return create.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1)


def _casts(table: Table) -> str:
    return ", ".join(f"{quote(c.name)}::{c.pg_type} AS {quote(c.name)}" for c in table.columns)


def load(url: str, table: Table, select: str) -> None:
    """Replace the declared table with the rows of `select`, in one transaction; `select` may
    read the table it replaces (as dim_movies reads its previous keys)."""
    building = f"{table.name}__next"
    target = f"{quote(table.schema)}.{quote(building)}"
    execute(
        url,
        f"CREATE SCHEMA IF NOT EXISTS {quote(table.schema)}",
        create_table_sql(table, building),
        f"INSERT INTO {target} SELECT {_casts(table)} FROM ({select}) AS q",
        f"DROP TABLE IF EXISTS {table.qualified}",
        f"ALTER TABLE {target} RENAME TO {quote(table.name)}",
    )


def insert(url: str, table: Table, select: str) -> None:
    """Add the rows of `select` to the declared table, creating it empty on first use."""
    execute(
        url,
        f"CREATE SCHEMA IF NOT EXISTS {quote(table.schema)}",
        _if_not_exists(create_table_sql(table)),
        f"INSERT INTO {table.qualified} SELECT {_casts(table)} FROM ({select}) AS q",
    )


def rows(url: str, table: Table, columns: Sequence[str], order_by: Sequence[str]) -> list[list]:
    """The columns of a stored table, in the given order."""
    names = ", ".join(map(quote, columns))
    order = ", ".join(map(quote, order_by))
    return fetch(url, f"SELECT {names} FROM {table.qualified} ORDER BY {order}")


def output_columns(url: str, select: str) -> list[tuple[str, str]]:
    """(name, type) of the columns `select` itself produces, before any cast."""
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE probe AS SELECT * FROM ({select}) AS q WITH NO DATA")
            cursor.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'probe'::regclass AND attnum > 0 ORDER BY attnum"
            )
            return cursor.fetchall()
    finally:
        connection.rollback()
        connection.close()


def declared_columns(table: Table) -> list[tuple[str, str]]:
    return [(column.name, column.pg_type) for column in table.columns]
