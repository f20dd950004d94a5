"""Tables built side by side and put in place together, on a real PostgreSQL."""

import dagster as dg
import pytest

from imdb_pipeline.assets.warehouse_table import (
    build_aside,
    build_side_by_side_then_swap,
)
from imdb_pipeline.lib.load_audit import LoadRun
from imdb_pipeline.lib.warehouse_tables import Column, Table
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline_tests.conftest import query

FIRST = Table("analytics", "first", (Column("id", "bigint", False),), primary_key=("id",))
SECOND = Table("analytics", "second", (Column("id", "bigint", False),), primary_key=("id",))


def _group(table: Table, select: str):
    return lambda cursor: [
        build_aside(cursor, dg.AssetKey(["analytics", table.name]), table, select, "0000cafe")
    ]


def _tables(url: str) -> list[tuple]:
    return query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'analytics' ORDER BY 1")


def _load(url: str, first: str, second: str) -> None:
    run = LoadRun("test-run")
    loads = {dg.AssetKey(["analytics", t.name]): run.load(f"analytics/{t.name}", t.name)
             for t in (FIRST, SECOND)}  # fmt: skip
    build_side_by_side_then_swap(
        WarehouseResource(), [_group(FIRST, first), _group(SECOND, second)], ["analytics"], loads
    )


def test_every_table_is_put_in_place(warehouse_url):
    _load(warehouse_url, "SELECT 1 AS id", "SELECT 2 AS id")

    assert _tables(warehouse_url) == [("first",), ("second",)]
    assert query(warehouse_url, "SELECT id FROM analytics.second") == [(2,)]


def test_a_failed_group_leaves_every_table_as_it_was(warehouse_url):
    _load(warehouse_url, "SELECT 1 AS id", "SELECT 2 AS id")

    # Refused data fails at once: retrying would fail the same way.
    with pytest.raises(dg.Failure, match='null value in column "id"') as failed:
        _load(warehouse_url, "SELECT 10 AS id", "SELECT NULL::bigint AS id")
    assert not failed.value.allow_retries

    # The first group committed its table, which was never put in place, and is gone.
    assert _tables(warehouse_url) == [("first",), ("second",)]
    assert query(warehouse_url, "SELECT id FROM analytics.first") == [(1,)]
