"""Descriptions as PostgreSQL comments: declared for every table, written with every table,
kept through swaps and partition exchanges, restored on tables that stay in place."""

import dataclasses
import datetime as dt

import pyarrow as pa

from imdb_pipeline.lib import pg_tables, table_comments, warehouse_tables
from imdb_pipeline.lib.warehouse_tables import Column, Table
from imdb_pipeline_tests.conftest import query
from imdb_pipeline_tests.lib.sql_fixtures import DAILY, WHOLE, run, values

D1, D2 = dt.date(2024, 3, 1), dt.date(2024, 3, 2)
# Quotes, a backslash and a percent sign: each would break a comment pasted into SQL text.
AWKWARD = """It's a "quoted" 100% \\ back\\slash; DROP TABLE x; --"""


def _described(table: Table, prefix: str) -> Table:
    columns = tuple(
        dataclasses.replace(column, description=f"{prefix} {column.name}")
        for column in table.columns
    )
    return dataclasses.replace(table, columns=columns, description=f"{prefix} table")


COMMENTED = _described(WHOLE, AWKWARD)
COMMENTED_DAILY = _described(DAILY, "daily")


def _comments(url: str, schema: str, name: str) -> dict:
    return run(url, lambda cursor: table_comments.stored_comments(cursor, schema, name))


def test_every_declared_table_and_column_has_a_description():
    declared = [value for value in vars(warehouse_tables).values() if isinstance(value, Table)]
    assert set(declared) == set(warehouse_tables.WAREHOUSE_TABLES)
    for table in declared:
        assert table.description.strip(), table.name
        for column in table.columns:
            assert column.description.strip(), f"{table.name}.{column.name}"


def test_a_column_declared_without_a_description_is_refused():
    try:
        warehouse_tables.declared_columns("mystery_column integer not null")
    except ValueError as error:
        assert "mystery_column" in str(error)
    else:
        raise AssertionError("a column without a description was declared")


def test_a_description_goes_on_over_lines_starting_with_two_dashes():
    [column] = warehouse_tables.declared_columns("""
        weight double precision not null -- Weight in kilograms;
        -- NULL when unknown
    """)
    assert column == Column("weight", "double precision", False, "Weight in kilograms; NULL when unknown")


def test_comments_hold_any_text_exactly(warehouse_url):
    run(warehouse_url, lambda c: pg_tables.replace_table_as(c, COMMENTED, values([(1, "a")])))

    assert _comments(warehouse_url, "core", "things") == {
        None: f"{AWKWARD} table", "id": f"{AWKWARD} id", "name": f"{AWKWARD} name",
    }  # fmt: skip


def test_an_odd_column_name_is_commented(warehouse_url):
    odd = Table("core", "odd", (Column('50% "off"', "bigint", False, "Percent off"),),
                primary_key=('50% "off"',), description="Odd names")  # fmt: skip
    run(warehouse_url, lambda c: pg_tables.replace_table_as(c, odd, 'SELECT 1 AS "50% ""off"""'))

    assert _comments(warehouse_url, "core", "odd") == {None: "Odd names", '50% "off"': "Percent off"}


def test_a_table_replaced_again_and_again_keeps_its_comments(warehouse_url):
    for rows in ([(1, "a")], [(2, "b")]):
        run(warehouse_url, lambda c, rows=rows: pg_tables.replace_table_as(c, COMMENTED, values(rows)))
        assert _comments(warehouse_url, "core", "things") == table_comments.declared_comments(
            COMMENTED
        )


def test_the_parent_and_every_day_of_a_daily_table_are_commented(warehouse_url):
    def day(cursor, when, key):
        return pg_tables.replace_partition_as(
            cursor, COMMENTED_DAILY, when, values([(when, key, "a", 1)], DAILY)
        )

    run(warehouse_url, lambda c: day(c, D1, 1))
    batch = pa.record_batch({"id": pa.array([2], pa.int64()), "name": pa.array(["x"]),
                             "line": pa.array([7], pa.int64())})  # fmt: skip
    run(warehouse_url, lambda c: pg_tables.replace_partition_from_rows(c, COMMENTED_DAILY, D2, [batch]))
    run(warehouse_url, lambda c: day(c, D1, 3))  # the day's partition exchanged again

    assert _comments(warehouse_url, "core", "daily_things") == {
        None: "daily table", "snapshot_date": "daily snapshot_date", "id": "daily id",
        "name": "daily name", "line": "daily line",
    }  # fmt: skip
    for when in (D1, D2):
        partition = _comments(warehouse_url, "core", pg_tables.partition_name(DAILY, when))
        assert partition[None] == f"One day ({when}) of core.daily_things: daily table"
        assert partition["id"] == "daily id"


def test_tables_in_place_get_missing_or_stale_comments_on_their_next_write(warehouse_url):
    # Loaded before the descriptions existed: a partitioned parent and a dimension.
    run(warehouse_url, lambda c: pg_tables.replace_partition_as(
        c, DAILY, D1, values([(D1, 1, "a", 1)], DAILY)))  # fmt: skip
    run(warehouse_url, lambda c: pg_tables.insert_rows_as(c, WHOLE, lambda _: values([(1, "a")])))
    run(warehouse_url, lambda c: c.execute("COMMENT ON COLUMN core.things.name IS 'stale'"))

    run(warehouse_url, lambda c: pg_tables.replace_partition_as(
        c, COMMENTED_DAILY, D2, values([(D2, 2, "b", 2)], DAILY)))  # fmt: skip
    run(warehouse_url, lambda c: pg_tables.insert_rows_as(c, COMMENTED, lambda _: values([(2, "b")])))

    assert _comments(warehouse_url, "core", "daily_things") == table_comments.declared_comments(
        COMMENTED_DAILY
    )
    assert _comments(warehouse_url, "core", "things") == table_comments.declared_comments(COMMENTED)
    assert query(warehouse_url, "SELECT id FROM core.things ORDER BY id") == [(1,), (2,)]


def test_comments_up_to_date_are_left_alone(warehouse_url):
    run(warehouse_url, lambda c: pg_tables.replace_table_as(c, WHOLE, values([(1, "a")])))

    assert run(warehouse_url, lambda c: table_comments.bring_up_to_date(c, COMMENTED))
    assert not run(warehouse_url, lambda c: table_comments.bring_up_to_date(c, COMMENTED))
