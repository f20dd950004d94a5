"""The Postgres IO manager against a real server: round trips, atomic replace, metadata."""

import datetime as dt
import threading
from decimal import Decimal

import dagster as dg
import pandas as pd
import pytest

from imdb_pipeline.io_managers.postgres import PostgresPandasIOManager
from imdb_pipeline.lib import pg_tables
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline_tests.conftest import query

NASTY_TEXT = [
    "a,b", 'say "hi"', "tab\there", "new\nline\r\nwindows", "back\\slash", "\\N", "", None,
    "ünïcødé 🎬 日本", "O'Brien", ",", '"', "NULL", " padded ",
]  # fmt: skip


def nasty_frame() -> pd.DataFrame:
    rows = len(NASTY_TEXT)
    return pd.DataFrame(
        {
            "id": pd.array(range(1, rows + 1), dtype="Int64"),
            "small": pd.array([None if i % 3 == 0 else i for i in range(rows)], dtype="Int32"),
            "big": pd.array([2**62, -(2**62), None] + [0] * (rows - 3), dtype="Int64"),
            "ratio": pd.array(
                [0.1, 1 / 3, 1e-20, 123456789.123456789, -0.0, None, 1e300] + [2.5] * (rows - 7),
                dtype="Float64",
            ),
            "money": [Decimal("12345678901234567.89"), Decimal("-0.01"), None]
            + [Decimal("1.10")] * (rows - 3),
            "text": pd.array(NASTY_TEXT, dtype="string"),
            "flag": pd.array([True, False, None] + [True] * (rows - 3), dtype="boolean"),
            "day": [dt.date(2024, 2, 29), None] + [dt.date(1900, 1, 1)] * (rows - 2),
            "at": pd.to_datetime(
                ["2024-01-02 03:04:05.123456", None] + ["1999-12-31"] * (rows - 2), format="ISO8601"
            ),
            "at_utc": pd.to_datetime(["2024-06-30T23:59:59.5+02:00", None] * (rows // 2), utc=True),
        }
    )


def _definitions(frame_factory, metadata=None) -> dg.Definitions:
    @dg.asset(key_prefix="staging", metadata=metadata or {})
    def nasty() -> pd.DataFrame:
        return frame_factory()

    warehouse = WarehouseResource()
    return dg.Definitions(
        assets=[nasty],
        resources={"warehouse": warehouse, "io_manager": PostgresPandasIOManager(warehouse=warehouse)},
    )


def _materialize(defs: dg.Definitions, raise_on_error=True) -> dg.ExecuteInProcessResult:
    return dg.materialize(list(defs.assets), resources=dict(defs.resources),
                          raise_on_error=raise_on_error)  # fmt: skip


def test_round_trip_keeps_types_nulls_and_every_character(warehouse_url):
    defs = _definitions(nasty_frame)
    _materialize(defs)

    loaded = defs.load_asset_value(["staging", "nasty"])

    expected = nasty_frame()
    assert loaded["text"].tolist()[:7] == NASTY_TEXT[:7]
    assert loaded["text"].isna().tolist() == [value is None for value in NASTY_TEXT]
    pd.testing.assert_series_equal(loaded["id"], expected["id"])
    pd.testing.assert_series_equal(loaded["small"], expected["small"])
    pd.testing.assert_series_equal(loaded["big"], expected["big"])
    pd.testing.assert_series_equal(loaded["ratio"], expected["ratio"])
    pd.testing.assert_series_equal(loaded["flag"], expected["flag"])
    assert loaded["money"].tolist()[:3] == [Decimal("12345678901234567.89"), Decimal("-0.01"), None]
    assert loaded["day"].tolist()[:2] == [dt.date(2024, 2, 29), None]
    assert loaded["at"].iloc[0] == pd.Timestamp("2024-01-02 03:04:05.123456")
    assert pd.isna(loaded["at"].iloc[1])
    assert loaded["at_utc"].iloc[0] == pd.Timestamp("2024-06-30 21:59:59.5", tz="UTC")
    assert pd.isna(loaded["at_utc"].iloc[1])
    assert query(warehouse_url, "SELECT count(*) FROM staging.nasty WHERE text = ''") == [(1,)]
    assert query(warehouse_url, "SELECT count(*) FROM staging.nasty WHERE text IS NULL") == [(1,)]


def test_column_types_and_metadata_are_emitted(warehouse_url):
    result = _materialize(_definitions(nasty_frame, {"primary_key": ["id"]}))

    [materialization] = result.asset_materializations_for_node("staging__nasty")
    metadata = materialization.metadata
    assert metadata["dagster/row_count"].value == len(NASTY_TEXT)
    assert metadata["dagster/table_name"].value == "staging.nasty"
    columns = {c.name: c.type for c in metadata["dagster/column_schema"].value.columns}
    assert columns == {
        "id": "bigint", "small": "integer", "big": "bigint", "ratio": "double precision",
        "money": "numeric(19,2)", "text": "text", "flag": "boolean", "day": "date",
        "at": "timestamp without time zone", "at_utc": "timestamp with time zone",
    }  # fmt: skip
    assert query(
        warehouse_url,
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'staging.nasty'::regclass AND i.indisprimary",
    ) == [("id",)]


def test_identifiers_are_quoted(warehouse_url):
    frame = pd.DataFrame({'odd "name"': [1], "select": ["x"], "MixedCase": [2.5]})
    defs = _definitions(lambda: frame)
    _materialize(defs)
    assert list(defs.load_asset_value(["staging", "nasty"]).columns) == list(frame.columns)


def test_a_load_that_fails_halfway_leaves_the_old_table_readable_and_unchanged(
    warehouse_url, monkeypatch
):
    old = pd.DataFrame({"id": pd.array([1, 2], dtype="Int64"), "text": ["old", "rows"]})
    defs = _definitions(lambda: old)
    _materialize(defs)
    before = query(warehouse_url, "SELECT id, text FROM staging.nasty ORDER BY id")

    # Small batches so several COPY batches succeed before PostgreSQL rejects the last one
    # (a NUL character is not valid in a text value).
    monkeypatch.setattr(pg_tables, "COPY_BATCH_ROWS", 2)
    broken = pd.DataFrame(
        {"id": pd.array(range(7), dtype="Int64"), "text": ["new"] * 6 + ["bad\x00value"]}
    )
    result = _materialize(_definitions(lambda: broken), raise_on_error=False)

    assert not result.success
    assert query(warehouse_url, "SELECT id, text FROM staging.nasty ORDER BY id") == before
    assert query(
        warehouse_url, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%%__loading_%%'"
    ) == [(0,)]


def test_a_failing_constraint_keeps_the_previous_table(warehouse_url):
    metadata = {"primary_key": ["id"]}
    good = pd.DataFrame({"id": pd.array([1, 2], dtype="Int64")})
    _materialize(_definitions(lambda: good, metadata))
    duplicated = pd.DataFrame({"id": pd.array([5, 5], dtype="Int64")})

    result = _materialize(_definitions(lambda: duplicated, metadata), raise_on_error=False)

    assert not result.success
    assert query(warehouse_url, "SELECT id FROM staging.nasty ORDER BY id") == [(1,), (2,)]


def test_replacing_a_table_with_a_dependent_view_fails_instead_of_dropping_the_view(warehouse_url):
    defs = _definitions(lambda: pd.DataFrame({"id": pd.array([1], dtype="Int64")}))
    _materialize(defs)
    query_view = "CREATE VIEW staging.nasty_view AS SELECT id FROM staging.nasty"
    import psycopg2

    connection = psycopg2.connect(warehouse_url)
    with connection, connection.cursor() as cursor:
        cursor.execute(query_view)
    connection.close()

    result = _materialize(defs, raise_on_error=False)

    assert not result.success
    assert query(warehouse_url, "SELECT id FROM staging.nasty_view") == [(1,)]


@pytest.mark.parametrize("rows", [0, 1])
def test_empty_and_single_row_tables_round_trip(warehouse_url, rows):
    frame = pd.DataFrame(
        {"id": pd.array(range(rows), dtype="Int64"), "name": pd.array(["x"] * rows, dtype="string")}
    )
    defs = _definitions(lambda: frame)
    _materialize(defs)
    pd.testing.assert_frame_equal(defs.load_asset_value(["staging", "nasty"]), frame)


def test_readers_during_a_replace_see_the_old_table_or_the_new_one_never_a_partial_one(
    warehouse_url, monkeypatch
):
    old_rows, new_rows = 1_000, 300_000
    _materialize(_definitions(lambda: pd.DataFrame({"id": pd.array(range(old_rows), dtype="Int64")})))
    monkeypatch.setattr(pg_tables, "COPY_BATCH_ROWS", 25_000)
    new = _definitions(lambda: pd.DataFrame({"id": pd.array(range(new_rows), dtype="Int64")}))
    loader = threading.Thread(target=_materialize, args=(new,))

    seen = set()
    loader.start()
    while loader.is_alive():
        seen.add(query(warehouse_url, "SELECT count(*) FROM staging.nasty")[0][0])
    loader.join()
    seen.add(query(warehouse_url, "SELECT count(*) FROM staging.nasty")[0][0])

    # Both states were read (the loop ran during the load), and nothing in between.
    assert seen == {old_rows, new_rows}
