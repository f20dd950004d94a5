"""The Postgres IO manager's partition slices, upserts and latest-partition reads."""

import datetime as dt

import dagster as dg
import pandas as pd
import pytest

from imdb_pipeline.io_managers.postgres import (
    LATEST_PARTITION_ONLY,
    UPSERT,
    UPSERT_KEY,
    WRITE_MODE,
    PostgresPandasIOManager,
)
from imdb_pipeline.lib.snapshots import with_snapshot_date
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline_tests.conftest import query
from imdb_pipeline_tests.warehouse_state import failure_messages

DAILY = dg.DailyPartitionsDefinition(start_date="2024-01-01")


def _resources() -> dict:
    warehouse = WarehouseResource()
    return {"warehouse": warehouse, "io_manager": PostgresPandasIOManager(warehouse=warehouse)}


def _daily_asset(rows_for_day):
    @dg.asset(
        key_prefix="core",
        partitions_def=DAILY,
        metadata={"partition_expr": "snapshot_date", "primary_key": ["snapshot_date", "id"]},
    )
    def daily(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return rows_for_day(dt.date.fromisoformat(context.partition_key))

    return daily


def _rows(day: dt.date, ids: list[int], value: str) -> pd.DataFrame:
    frame = pd.DataFrame({"id": pd.array(ids, dtype="Int64"), "value": [value] * len(ids)})
    return with_snapshot_date(frame, day)


def test_a_partition_replaces_its_own_rows_only(warehouse_url):
    versions = {"2024-01-01": "first", "2024-01-02": "first"}
    daily = _daily_asset(lambda day: _rows(day, [1, 2], versions[day.isoformat()]))
    for day in ("2024-01-01", "2024-01-02"):
        dg.materialize([daily], partition_key=day, resources=_resources())

    versions["2024-01-01"] = "second"
    daily = _daily_asset(lambda day: _rows(day, [1], versions[day.isoformat()]))
    dg.materialize([daily], partition_key="2024-01-01", resources=_resources())

    assert query(
        warehouse_url, "SELECT snapshot_date::text, id, value FROM core.daily ORDER BY 1, 2"
    ) == [("2024-01-01", 1, "second"), ("2024-01-02", 1, "first"), ("2024-01-02", 2, "first")]


def test_rows_outside_the_partition_are_refused(warehouse_url):
    daily = _daily_asset(lambda day: _rows(day + dt.timedelta(days=1), [1], "x"))
    result = dg.materialize(
        [daily], partition_key="2024-01-01", resources=_resources(), raise_on_error=False
    )
    assert not result.success
    assert query(warehouse_url, "SELECT to_regclass('core.daily') IS NULL") == [(True,)]


def test_downstream_can_read_only_the_latest_partition(warehouse_url):
    daily = _daily_asset(lambda day: _rows(day, [day.day], "x"))
    for day in ("2024-01-01", "2024-01-03", "2024-01-02"):
        dg.materialize([daily], partition_key=day, resources=_resources())
    seen = {}

    @dg.asset(ins={"daily": dg.AssetIn(key=daily.key, metadata={LATEST_PARTITION_ONLY: True})})
    def latest(daily: pd.DataFrame) -> None:
        seen["rows"] = daily[["snapshot_date", "id"]].values.tolist()

    dg.materialize([daily.to_source_asset(), latest], resources=_resources())

    assert seen["rows"] == [[dt.date(2024, 1, 3), 3]]


def test_upsert_inserts_new_rows_updates_matching_ones_and_keeps_the_rest(warehouse_url):
    batches = iter(
        [
            pd.DataFrame({"key": pd.array([1, 2], dtype="Int64"), "name": ["Ann", "Bob"]}),
            pd.DataFrame({"key": pd.array([3], dtype="Int64"), "name": ["Cy"]}),
            pd.DataFrame({"key": pd.array([9], dtype="Int64"), "name": ["Bob"]}),
        ]
    )

    @dg.asset(
        key_prefix="core",
        metadata={"primary_key": ["key"], WRITE_MODE: UPSERT, UPSERT_KEY: ["name"]},
    )
    def names() -> pd.DataFrame:
        return next(batches)

    for _ in range(3):
        dg.materialize([names], resources=_resources())

    assert query(warehouse_url, "SELECT key, name FROM core.names ORDER BY name") == [
        (1, "Ann"), (9, "Bob"), (3, "Cy")
    ]  # fmt: skip


@pytest.mark.parametrize("column_change", ["added", "retyped"])
def test_a_partition_with_other_columns_is_refused_and_the_table_kept(warehouse_url, column_change):
    daily = _daily_asset(lambda day: _rows(day, [1], "x"))
    dg.materialize([daily], partition_key="2024-01-01", resources=_resources())

    def changed(day):
        rows = _rows(day, [1], "x")
        if column_change == "added":
            return rows.assign(extra=1)
        return rows.assign(value=pd.array([1], dtype="Int64"))

    result = dg.materialize(
        [_daily_asset(changed)], partition_key="2024-01-01", resources=_resources(),
        raise_on_error=False,
    )  # fmt: skip

    assert not result.success
    assert query(warehouse_url, "SELECT id, value FROM core.daily") == [(1, "x")]


def test_a_partition_into_a_table_of_another_layout_says_what_to_do(warehouse_url):
    import psycopg2

    connection = psycopg2.connect(warehouse_url)
    with connection, connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA core; CREATE TABLE core.daily (id bigint, value text)")
    connection.close()
    daily = _daily_asset(lambda day: _rows(day, [1], "x"))

    result = dg.materialize(
        [daily], partition_key="2024-01-01", resources=_resources(), raise_on_error=False
    )

    assert not result.success
    assert "core.daily has no column(s) snapshot_date" in failure_messages(result)
