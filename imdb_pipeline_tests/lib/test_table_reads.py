"""Reading tables into Arrow with COPY ... TO STDOUT, on a real PostgreSQL."""

import datetime as dt
import time

import psycopg2
import pyarrow as pa
import pytest

from imdb_pipeline.lib import table_reads
from imdb_pipeline.lib.table_data import arrow_schema
from imdb_pipeline.lib.warehouse_tables import Column, Table, create_table_sql
from imdb_pipeline_tests.lib.sql_fixtures import execute

D1, D2, D3, D5 = (dt.date(2024, 6, day) for day in (1, 2, 3, 5))
TEXTS = ["", None, "tab\there", "new\nline\r\nwindows", "back\\slash\\", 'quo"te "', r"\N",
         "\\.", "ünïcødé 映画 🎬", "a,b;c", " padded ", "NULL", "'"]  # fmt: skip
VALUES = Table("core", "read_values", (
    Column("id", "integer", False), Column("small", "smallint", True),
    Column("big", "bigint", True), Column("ratio", "double precision", True),
    Column("flag", "boolean", True), Column("day", "date", True), Column("label", "text", True),
), primary_key=("id",))  # fmt: skip
N = len(TEXTS)
EXPECTED = {
    "id": list(range(N)),
    "small": [-32768, 32767, None] + [1] * (N - 3),
    "big": [9223372036854775807, -9223372036854775808, None] + [0] * (N - 3),
    "ratio": [0.1, None, 1e-300, 1.7976931348623157e308, -2.5e-10, float("inf"), float("-inf")]
    + [1.0] * (N - 7),
    "flag": [True, False, None] + [True] * (N - 3),
    "day": [dt.date(1, 1, 1), dt.date(9999, 12, 31), None, dt.date(2024, 2, 29)] + [D1] * (N - 4),
    "label": TEXTS,
}


def _read(url: str, statement: str, schema: pa.Schema) -> pa.Table:
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = '90s'")  # no test runs away
            return table_reads.copy_to_arrow(cursor, statement, schema)
    finally:
        connection.close()


@pytest.fixture
def values_table(warehouse_url) -> str:
    rows = list(zip(*EXPECTED.values()))
    connection = psycopg2.connect(warehouse_url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("CREATE SCHEMA core")
            cursor.execute(create_table_sql(VALUES))
            cursor.executemany(
                f"INSERT INTO {VALUES.qualified} VALUES ({', '.join(['%s'] * len(EXPECTED))})",
                rows,
            )
    finally:
        connection.close()
    return warehouse_url


def test_every_type_and_awkward_text_round_trip_exactly(values_table):
    schema = arrow_schema(VALUES)
    table = _read(values_table, table_reads.copy_out_sql(VALUES, schema.names, None), schema)

    assert table.schema == schema
    assert table.sort_by("id").to_pydict() == EXPECTED


def test_a_subset_of_columns_in_the_order_asked(values_table):
    schema = arrow_schema(VALUES, ("label", "id"))
    table = _read(values_table, table_reads.copy_out_sql(VALUES, schema.names, None), schema)
    assert table.column_names == ["label", "id"]
    assert sorted(table.column("id").to_pylist()) == EXPECTED["id"]


def test_no_rows_give_an_empty_table_of_the_schema(values_table):
    schema = arrow_schema(VALUES)
    statement = table_reads.copy_out_sql(VALUES, schema.names, None).replace(
        f"FROM {VALUES.qualified}", f"FROM {VALUES.qualified} WHERE false"
    )
    table = _read(values_table, statement, schema)
    assert table.num_rows == 0 and table.schema == schema


def test_a_missing_table_raises_the_servers_error(warehouse_url):
    schema = arrow_schema(VALUES)
    with pytest.raises(psycopg2.errors.UndefinedTable):
        _read(warehouse_url, table_reads.copy_out_sql(VALUES, schema.names, None), schema)


def test_rows_the_parser_refuses_stop_the_copy_without_hanging(warehouse_url):
    # A billion rows, streamed (a set-returning function in the select list is not
    # materialized first), whose text cannot be an integer: the parser fails at its first
    # block, and the COPY is cancelled rather than read to its end (many minutes).
    wrong = pa.schema([("n", pa.int64())])
    statement = "COPY (SELECT 'x' || generate_series(1, 1000000000)) TO STDOUT WITH (FORMAT csv)"
    started = time.monotonic()
    with pytest.raises(pa.ArrowInvalid):
        _read(warehouse_url, statement, wrong)
    assert time.monotonic() - started < 30


def test_days_are_read_as_ranges_of_consecutive_days():
    assert table_reads.day_ranges([D3, D1, D2, D5, D1]) == [(D1, D3), (D5, D5)]
    assert table_reads.days_condition("snapshot_date", [D1, D2, D5]) == (
        "\"snapshot_date\" BETWEEN DATE '2024-06-01' AND DATE '2024-06-02' "
        "OR \"snapshot_date\" = DATE '2024-06-05'"
    )
    assert table_reads.days_condition("snapshot_date", []) == "false"


def test_the_copy_statement_selects_the_days_asked(warehouse_url):
    daily = Table("core", "by_day", (Column("snapshot_date", "date", False),
                                     Column("n", "integer", False)),
                  primary_key=("snapshot_date", "n"), partition_column="snapshot_date")  # fmt: skip
    execute(warehouse_url, "CREATE SCHEMA core", create_table_sql(daily),
            "INSERT INTO core.by_day SELECT DATE '2024-06-01' + g % 5, g FROM generate_series(0, 9) g")  # fmt: skip
    schema = arrow_schema(daily)
    table = _read(warehouse_url, table_reads.copy_out_sql(daily, schema.names, [D2, D1, D5]), schema)
    assert sorted(table.column("snapshot_date").to_pylist()) == [D1, D1, D2, D2, D5, D5]


def test_the_catalog_describes_a_table(values_table):
    connection = psycopg2.connect(values_table)
    try:
        with connection, connection.cursor() as cursor:
            assert table_reads.catalog_columns(cursor, "core", "read_values") == VALUES.columns
            assert table_reads.catalog_columns(cursor, "core", "nothing") == ()
    finally:
        connection.close()
