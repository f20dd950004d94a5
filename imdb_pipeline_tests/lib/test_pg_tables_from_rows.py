"""A whole table replaced by Arrow rows sent with COPY, and tables without keys."""

import datetime as dt

import psycopg2
import pyarrow as pa
import pytest

from imdb_pipeline.lib import pg_tables
from imdb_pipeline.lib.warehouse_tables import Column, Table, create_table_sql
from imdb_pipeline_tests.conftest import query
from imdb_pipeline_tests.lib.sql_fixtures import WHOLE, run

UNKEYED = Table("analytics", "loose", (Column("snapshot_date", "date", False),
                                       Column("n", "integer", True)),
                primary_key=(), partition_column="snapshot_date")  # fmt: skip


def _rows(*pairs: tuple[int | None, str | None]) -> list[pa.RecordBatch]:
    ids, names = zip(*pairs)
    return [pa.record_batch({"id": pa.array(ids, pa.int64()), "name": pa.array(names, pa.string())})]


def test_a_whole_table_is_replaced_by_rows_keyed_as_declared(warehouse_url):
    run(warehouse_url, lambda c: pg_tables.replace_table_from_rows(c, WHOLE, _rows((1, "a"), (2, None))))
    rows = run(warehouse_url, lambda c: pg_tables.replace_table_from_rows(c, WHOLE, _rows((3, ""))))

    assert rows == 1
    assert query(warehouse_url, "SELECT id, name FROM core.things") == [(3, "")]
    assert query(
        warehouse_url, "SELECT conname FROM pg_constraint WHERE conrelid = 'core.things'::regclass "
        "AND contype IN ('p', 'u') ORDER BY 1",
    ) == [("things_key0",), ("things_pkey",)]  # fmt: skip


@pytest.mark.parametrize("bad", [(None, "x"), (2, "again")], ids=["not_null", "repeated_key"])
def test_rows_refused_at_the_end_leave_the_previous_table_and_nothing_else(warehouse_url, bad):
    run(warehouse_url, lambda c: pg_tables.replace_table_from_rows(c, WHOLE, _rows((1, "a"))))
    many = [(n, f"n{n}") for n in range(2, 20_000)] + [bad]

    with pytest.raises(psycopg2.IntegrityError):
        run(warehouse_url, lambda c: pg_tables.replace_table_from_rows(c, WHOLE, _rows(*many)))

    assert query(warehouse_url, "SELECT id, name FROM core.things") == [(1, "a")]
    assert query(warehouse_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'core'") == [(1,)]


def test_a_table_without_keys_is_created_and_written(warehouse_url):
    assert "PRIMARY KEY" not in create_table_sql(UNKEYED)
    batches = [pa.record_batch({"n": pa.array([1, 1, None], pa.int32())})]  # repeats are fine
    day = dt.date(2024, 6, 1)

    run(warehouse_url, lambda c: pg_tables.replace_partition_from_rows(c, UNKEYED, day, batches))

    assert query(warehouse_url, "SELECT snapshot_date, n FROM analytics.loose ORDER BY n") == [
        (day, 1), (day, 1), (day, None)
    ]  # fmt: skip
