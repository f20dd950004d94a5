"""Concurrent table builds on a real PostgreSQL."""

import threading

import dagster as dg
import pytest

from imdb_pipeline.lib import pg_tables
from imdb_pipeline.lib.warehouse_tables import Column, Table
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline_tests.conftest import query


def _table(name: str) -> Table:
    return Table("fresh_schema", name, (Column("id", "bigint", False),), primary_key=("id",))


def test_builds_in_a_schema_that_does_not_exist_yet_run_side_by_side(warehouse_url):
    # Each build waits for the other while its transaction is open: if one build's schema
    # creation held the other back until it committed, the barrier would break.
    both_started = threading.Barrier(2, timeout=10)

    def build(name: str):
        def run(cursor):
            rows = pg_tables.replace_table_as(cursor, _table(name), "SELECT 1 AS id")
            both_started.wait()
            return rows

        return run

    builds = {dg.AssetKey(["fresh_schema", name]): build(name) for name in ("first", "second")}
    built = list(WarehouseResource().build_concurrently(builds, schemas=["fresh_schema"]))

    assert sorted((key.path[1], rows) for key, rows, _ in built) == [("first", 1), ("second", 1)]
    assert query(warehouse_url, "SELECT count(*) FROM fresh_schema.first") == [(1,)]


def test_a_failed_build_lets_the_others_commit_then_raises(warehouse_url):
    def fails(cursor):
        pg_tables.replace_table_as(cursor, _table("broken"), "SELECT NULL::bigint AS id")

    def works(cursor):
        return pg_tables.replace_table_as(cursor, _table("fine"), "SELECT 1 AS id")

    builds = {dg.AssetKey(["fresh_schema", "broken"]): fails, dg.AssetKey(["fresh_schema", "fine"]): works}
    built = []
    with pytest.raises(Exception, match="null value"):
        for key, rows, _ in WarehouseResource().build_concurrently(builds, schemas=["fresh_schema"]):
            built.append((key.path[1], rows))

    assert built == [("fine", 1)]
    assert query(warehouse_url, "SELECT to_regclass('fresh_schema.broken')") == [(None,)]
