"""The warehouse IO manager on a real PostgreSQL: values, partitions, columns, failed writes."""

import datetime as dt

import dagster as dg
import pandas as pd
import pyarrow as pa
import pytest

from imdb_pipeline.assets.warehouse_table import table_key
from imdb_pipeline.constants import WAREHOUSE_IO_MANAGER_KEY
from imdb_pipeline.io_managers.postgres import WarehouseIOManager
from imdb_pipeline.lib.warehouse_tables import (
    AGG_YEARLY_REVENUE,
    STG_MOVIES,
    STG_MOVIES_REJECTS,
)
from imdb_pipeline.partitions import daily_snapshots
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline_tests.conftest import query
from imdb_pipeline_tests.warehouse_state import failure_messages

D1, D2 = "2024-06-01", "2024-06-02"
AWKWARD_KEY = dg.AssetKey(["analytics", "awkward_values"])
REJECTS_KEY = table_key(STG_MOVIES_REJECTS)
REVENUE_KEY = table_key(AGG_YEARLY_REVENUE)
TEXTS = ["", None, "tab\there", "new\nline\r\nwindows", "back\\slash\\", 'quo"te "', r"\N",
         "ünïcødé 映画 🎬", "a,b;c", " padded ", "NULL"]  # fmt: skip
N = len(TEXTS)
AWKWARD = {
    "id": list(range(N)),
    "small": [-32768, 32767, None] + [1] * (N - 3),
    "number": [-2147483648, None] + [7] * (N - 2),
    "big": [9223372036854775807, -9223372036854775808, None] + [0] * (N - 3),
    "ratio": [0.1, None, 1e-300, 1.7976931348623157e308, -2.5e-10, float("inf")] + [1.5] * (N - 6),
    "flag": [True, False, None] + [True] * (N - 3),
    "day": [dt.date(1, 1, 1), dt.date(9999, 12, 31), None, dt.date(2024, 2, 29)]
    + [dt.date(2024, 6, 1)] * (N - 4),
    "label": TEXTS,
}
AWKWARD_SCHEMA = pa.schema([("id", pa.int64()), ("small", pa.int16()), ("number", pa.int32()),
                            ("big", pa.int64()), ("ratio", pa.float64()), ("flag", pa.bool_()),
                            ("day", pa.date32()), ("label", pa.string())])  # fmt: skip


def _resources() -> dict:
    return {WAREHOUSE_IO_MANAGER_KEY: WarehouseIOManager(warehouse=WarehouseResource())}


def _as_arrow() -> pa.Table:
    return pa.Table.from_pydict(AWKWARD, schema=AWKWARD_SCHEMA)


def _as_pandas() -> pd.DataFrame:
    """The same values as pandas users build them: NumPy-backed nullable dtypes."""
    return pd.DataFrame({
        "id": pd.array(AWKWARD["id"], dtype="Int64"), "small": pd.array(AWKWARD["small"], dtype="Int16"),
        "number": pd.array(AWKWARD["number"], dtype="Int32"), "big": pd.array(AWKWARD["big"], dtype="Int64"),
        "ratio": pd.array(AWKWARD["ratio"], dtype="Float64"), "flag": pd.array(AWKWARD["flag"], dtype="boolean"),
        "day": pd.Series(AWKWARD["day"], dtype=object), "label": pd.array(TEXTS, dtype="string"),
    })  # fmt: skip


def _awkward_asset(make) -> dg.AssetsDefinition:
    @dg.asset(key=AWKWARD_KEY, io_manager_key=WAREHOUSE_IO_MANAGER_KEY)
    def awkward_values():
        return make()

    return awkward_values


@pytest.mark.parametrize("make", [_as_arrow, _as_pandas], ids=["from_arrow", "from_pandas"])
def test_awkward_values_round_trip_through_both_handlers(warehouse_url, make):
    asset = _awkward_asset(make)
    defs = dg.Definitions(assets=[asset], resources=_resources())
    for _ in range(2):  # materialized twice: replaced, not appended
        result = dg.materialize([asset], resources=_resources())
    metadata = result.asset_materializations_for_node(asset.op.name)[0].metadata

    assert metadata["dagster/row_count"].value == N
    assert metadata["dagster/table_name"].value == "analytics.awkward_values"
    assert [c.type for c in metadata["dagster/column_schema"].value.columns] == [
        "bigint", "smallint", "integer", "bigint", "double precision", "boolean", "date", "text"
    ]  # fmt: skip
    assert query(warehouse_url, "SELECT count(*) FROM analytics.awkward_values") == [(N,)]

    arrow = defs.load_asset_value(AWKWARD_KEY, python_type=pa.Table)
    assert isinstance(arrow, pa.Table)
    assert arrow.schema == AWKWARD_SCHEMA
    assert arrow.sort_by("id").to_pydict() == AWKWARD

    frame = defs.load_asset_value(AWKWARD_KEY)
    assert isinstance(frame, pd.DataFrame)
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == {
        "id": "int64[pyarrow]", "small": "int16[pyarrow]", "number": "int32[pyarrow]",
        "big": "int64[pyarrow]", "ratio": "double[pyarrow]", "flag": "bool[pyarrow]",
        "day": "date32[day][pyarrow]", "label": "string[pyarrow]",
    }  # fmt: skip
    back = pa.Table.from_pandas(frame.sort_values("id"), preserve_index=False)
    assert back.to_pydict() == AWKWARD
    assert frame.loc[frame["id"] == 2, "small"].isna().all()  # a NULL is <NA>, not a float NaN


def test_a_declared_table_takes_its_declared_types_from_a_plain_dataframe(warehouse_url):
    # As pandas users make frames: integers with blanks are float64 with NaN, dates are text.
    @dg.asset(key=table_key(STG_MOVIES), partitions_def=daily_snapshots,
              io_manager_key=WAREHOUSE_IO_MANAGER_KEY)  # fmt: skip
    def stg_movies():
        return pd.DataFrame({
            "movie_id": ["tt1", "tt2"], "title": ["Amélie", ""], "year": [2001.0, float("nan")],
            "certificate": [None, "R"], "runtime_minutes": [122, 90], "genre": ["Comedy", None],
            "rating": [8.3, float("nan")], "metascore": [69.0, None], "description": ["a\nb", "\\N"],
            "director": ["Jean-Pierre Jeunet", None], "stars": ["Audrey Tautou", ""],
            "votes": [2**40, None], "gross_millions": [33.2, None], "source_line": [2, 3],
        })  # fmt: skip

    dg.materialize([stg_movies], resources=_resources(), partition_key=D1)
    defs = dg.Definitions(assets=[stg_movies], resources=_resources())
    frame = defs.load_asset_value(stg_movies.key, partition_key=D1).sort_values("source_line")

    assert list(frame.columns) == list(STG_MOVIES.column_names)
    assert str(frame["year"].dtype) == "int32[pyarrow]" and str(frame["votes"].dtype) == "int64[pyarrow]"
    assert frame["year"].tolist() == [2001, pd.NA]
    assert frame["votes"].tolist() == [2**40, pd.NA]
    assert frame["rating"].isna().tolist() == [False, True]  # NaN from pandas is NULL
    assert frame["snapshot_date"].tolist() == [dt.date(2024, 6, 1)] * 2
    assert frame["title"].tolist() == ["Amélie", ""] and frame["description"].tolist() == ["a\nb", "\\N"]


def _rejects_asset() -> dg.AssetsDefinition:
    @dg.asset(key=REJECTS_KEY, partitions_def=daily_snapshots, io_manager_key=WAREHOUSE_IO_MANAGER_KEY)
    def stg_movies_rejects(context: dg.AssetExecutionContext) -> pd.DataFrame:
        day = context.partition_key
        return pd.DataFrame({"source_line": [1, 2], "movie_id": [f"{day}-a", None],
                             "reason": ["bad rating", ""], "record": ["x\ty", "z"]})  # fmt: skip

    return stg_movies_rejects


def test_a_run_reads_its_own_day_or_the_days_its_input_maps_to(warehouse_url):
    rejects = _rejects_asset()
    seen = {}

    @dg.asset(partitions_def=daily_snapshots, ins={"rows": dg.AssetIn(REJECTS_KEY)})
    def one_day(rows: pd.DataFrame) -> None:
        seen["one_day"] = rows

    @dg.asset(partitions_def=daily_snapshots, ins={"rows": dg.AssetIn(
        REJECTS_KEY, partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1))})
    def two_days(rows: pa.Table) -> None:
        seen["two_days"] = rows

    @dg.asset(partitions_def=daily_snapshots, ins={"rows": dg.AssetIn(
        REJECTS_KEY, metadata={"columns": ["reason", "source_line"]})})
    def some_columns(rows: pd.DataFrame) -> None:
        seen["some_columns"] = rows

    for day in (D1, D2, D2):  # D2 twice: its partition is replaced, not appended to
        dg.materialize([rejects], resources=_resources(), partition_key=day)
    assert query(warehouse_url, "SELECT snapshot_date::text, count(*) FROM staging.stg_movies_rejects "
                 "GROUP BY 1 ORDER BY 1") == [(D1, 2), (D2, 2)]  # fmt: skip

    readers = [one_day, two_days, some_columns]
    dg.materialize([rejects, *readers], resources=_resources(), partition_key=D2,
                   selection=[reader.key for reader in readers])  # fmt: skip

    assert seen["one_day"]["movie_id"].tolist() == [f"{D2}-a", pd.NA]
    assert set(seen["one_day"]["snapshot_date"]) == {dt.date(2024, 6, 2)}
    assert isinstance(seen["two_days"], pa.Table)
    assert sorted(map(str, seen["two_days"].column("snapshot_date").to_pylist())) == [D1, D1, D2, D2]
    assert list(seen["some_columns"].columns) == ["reason", "source_line"]
    assert sorted(seen["some_columns"]["reason"].tolist()) == ["", "bad rating"]

    defs = dg.Definitions(assets=[rejects], resources=_resources())
    assert len(defs.load_asset_value(REJECTS_KEY, partition_key=D1)) == 2
    assert len(defs.load_asset_value(REJECTS_KEY)) == 4  # no partition asked: every day
    with defs.get_asset_value_loader() as loader:
        some = loader.load_asset_value(REJECTS_KEY, partition_key=D1,
                                       input_definition_metadata={"columns": ["record"]})  # fmt: skip
        assert sorted(some["record"].tolist()) == ["x\ty", "z"] and list(some.columns) == ["record"]
        with pytest.raises(dg.Failure, match="has no column nope"):
            loader.load_asset_value(REJECTS_KEY, input_definition_metadata={"columns": ["nope"]})


def test_a_write_refused_late_in_the_data_leaves_the_whole_table_as_it_was(warehouse_url):
    rows = {"year": [2000], "total_movies": [1], "movies_with_gross": [0],
            "total_gross_millions": [None], "avg_gross_millions": [None], "yoy_growth_pct": [None]}  # fmt: skip
    many = {name: list(range(1900, 11900)) if name == "year" else [1] * 10_000 for name in rows}
    many["total_movies"][-1] = None  # NOT NULL, refused at the very last row
    frames = iter([pd.DataFrame(rows), pd.DataFrame(many)])

    @dg.asset(key=REVENUE_KEY, io_manager_key=WAREHOUSE_IO_MANAGER_KEY)
    def agg_yearly_revenue():
        return next(frames)

    dg.materialize([agg_yearly_revenue], resources=_resources())
    result = dg.materialize([agg_yearly_revenue], resources=_resources(), raise_on_error=False)

    assert not result.success
    assert 'null value in column "total_movies"' in failure_messages(result)
    assert "keeps its previous content" in failure_messages(result)
    assert query(warehouse_url, "SELECT year, total_movies FROM analytics.agg_yearly_revenue") == [(2000, 1)]
    assert query(warehouse_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'analytics'") == [
        ("agg_yearly_revenue",)
    ]  # fmt: skip


def test_a_write_refused_late_in_the_data_leaves_the_day_as_it_was(warehouse_url):
    rejects = _rejects_asset()
    dg.materialize([rejects], resources=_resources(), partition_key=D1)
    bad = pd.DataFrame({"source_line": range(5000), "movie_id": ["m"] * 5000,
                        "reason": ["r"] * 5000, "record": ["ok"] * 4999 + ["nul\x00byte"]})  # fmt: skip

    @dg.asset(key=REJECTS_KEY, partitions_def=daily_snapshots, io_manager_key=WAREHOUSE_IO_MANAGER_KEY)
    def stg_movies_rejects():
        return bad

    result = dg.materialize([stg_movies_rejects], resources=_resources(), partition_key=D1,
                            raise_on_error=False)  # fmt: skip

    assert not result.success
    assert "0x00" in failure_messages(result)
    assert query(warehouse_url, "SELECT count(*), min(movie_id) FROM staging.stg_movies_rejects") == [
        (2, f"{D1}-a")
    ]  # fmt: skip


def test_data_that_does_not_fit_the_declaration_is_refused_before_the_server(warehouse_url):
    @dg.asset(key=REVENUE_KEY, io_manager_key=WAREHOUSE_IO_MANAGER_KEY)
    def agg_yearly_revenue():
        return pd.DataFrame({"year": [2000], "total_movies": [1]})

    result = dg.materialize([agg_yearly_revenue], resources=_resources(), raise_on_error=False)
    assert "lacks ['movies_with_gross'" in failure_messages(result)
    assert query(warehouse_url, "SELECT to_regclass('analytics.agg_yearly_revenue') IS NULL") == [(True,)]


def test_no_output_writes_nothing(warehouse_url):
    manager = WarehouseIOManager(warehouse=WarehouseResource())
    manager.handle_output(dg.build_output_context(asset_key=AWKWARD_KEY), None)
    assert query(warehouse_url, "SELECT to_regclass('analytics.awkward_values') IS NULL") == [(True,)]


def test_an_undeclared_daily_table_gets_a_day_column(warehouse_url):
    key = dg.AssetKey(["analytics", "daily_extra"])

    @dg.asset(key=key, partitions_def=daily_snapshots, io_manager_key=WAREHOUSE_IO_MANAGER_KEY)
    def daily_extra(context: dg.AssetExecutionContext) -> pa.Table:
        return pa.table({"n": pa.array([int(context.partition_key[-1])], pa.int32())})

    for day in (D1, D2):
        dg.materialize([daily_extra], resources=_resources(), partition_key=day)
    defs = dg.Definitions(assets=[daily_extra], resources=_resources())

    loaded = defs.load_asset_value(key, partition_key=D2, python_type=pa.Table)
    assert loaded.to_pydict() == {"snapshot_date": [dt.date(2024, 6, 2)], "n": [2]}
    assert loaded.schema.field("n").type == pa.int32()
    assert query(warehouse_url, "SELECT relkind::text FROM pg_class WHERE relname = 'daily_extra'") == [("p",)]
