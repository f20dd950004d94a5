"""Arrow data shaped to a warehouse table: types both ways, casts, and rows split by day."""

import datetime as dt

import pyarrow as pa
import pytest

from imdb_pipeline.lib.table_data import (
    DataShapeError,
    arrow_schema,
    arrow_type,
    conform,
    pg_type,
    split_by_day,
    table_for,
)
from imdb_pipeline.lib.warehouse_tables import (
    AGG_TOP_MOVIES,
    STG_MOVIES_REJECTS,
    WAREHOUSE_TABLES,
    declared_table,
)

D1, D2 = dt.date(2024, 6, 1), dt.date(2024, 6, 2)


def test_every_declared_column_has_an_exact_arrow_type():
    exact = {"bigint": pa.int64(), "integer": pa.int32(), "double precision": pa.float64(),
             "boolean": pa.bool_(), "date": pa.date32(), "text": pa.string()}  # fmt: skip
    for table in WAREHOUSE_TABLES:
        for column in table.columns:
            assert arrow_type(column.pg_type) == exact[column.pg_type], (table.name, column.name)
        assert arrow_schema(table).names == list(table.column_names)
    assert arrow_type("bigint") == pa.int64()
    assert arrow_type("integer") == pa.int32()
    assert arrow_type("Double  Precision") == pa.float64()
    assert arrow_type("date") == pa.date32()
    assert arrow_type("boolean") == pa.bool_()
    assert arrow_type("numeric(10,2)") == pa.string()  # read as PostgreSQL prints it


def test_arrow_types_map_to_postgres_types_wide_enough():
    assert pg_type(pa.int8(), "c") == "smallint"
    assert pg_type(pa.uint16(), "c") == "integer"
    assert pg_type(pa.uint32(), "c") == "bigint"
    assert pg_type(pa.int64(), "c") == "bigint"
    assert pg_type(pa.float32(), "c") == "real"
    assert pg_type(pa.date32(), "c") == "date"
    assert pg_type(pa.large_string(), "c") == "text"
    assert pg_type(pa.null(), "c") == "text"
    assert pg_type(pa.timestamp("us", tz="UTC"), "c") == "timestamp with time zone"
    with pytest.raises(DataShapeError, match="column 'c'"):
        pg_type(pa.uint64(), "c")
    with pytest.raises(DataShapeError, match="column 'tags'"):
        pg_type(pa.list_(pa.string()), "tags")


def test_declared_tables_are_found_by_schema_and_name():
    assert declared_table("analytics", "agg_top_movies") is AGG_TOP_MOVIES
    assert declared_table("core", "agg_top_movies") is None
    assert len({(t.schema, t.name) for t in WAREHOUSE_TABLES}) == len(WAREHOUSE_TABLES) == 13


def test_an_undeclared_table_takes_its_columns_from_the_data():
    data = pa.schema([("n", pa.int32()), ("label", pa.string())])
    whole = table_for("analytics", "extra", data, None)
    assert [(c.name, c.pg_type, c.nullable) for c in whole.columns] == [
        ("n", "integer", True), ("label", "text", True)
    ]  # fmt: skip
    assert whole.primary_key == () and whole.partition_column is None
    daily = table_for("analytics", "extra", data, "snapshot_date")
    assert daily.columns[0].name == "snapshot_date" and not daily.columns[0].nullable
    assert daily.partition_column == "snapshot_date"


def test_data_is_cast_to_the_declared_types_in_declared_order():
    data = pa.table({
        "votes": pa.array([10, None], pa.int64()), "rank": pa.array([1, 2], pa.int64()),
        "movie_id": ["tt1", "tt2"], "title": ["A", None], "year": pa.array([1999.0, None]),
        "weighted_rating": pa.array([8, 7], pa.int64()), "rating": pa.array([8.5, None]),
    })  # fmt: skip
    conformed = conform(data, AGG_TOP_MOVIES)
    assert conformed.column_names == list(AGG_TOP_MOVIES.column_names)
    assert conformed.schema.field("rank").type == pa.int32()
    assert conformed.column("year").to_pylist() == [1999, None]
    assert conformed.column("weighted_rating").to_pylist() == [8.0, 7.0]


@pytest.mark.parametrize("column, values, problem", [
    ("rank", pa.array([2**31], pa.int64()), "'rank'"),  # too large for integer
    ("year", pa.array([1999.5]), "'year'"),  # a fraction for an integer
    ("rank", pa.array(["first"]), "'rank'"),  # text for an integer
])  # fmt: skip
def test_a_value_that_does_not_fit_its_column_is_refused_naming_it(column, values, problem):
    row = {"rank": pa.array([1], pa.int32()), "movie_id": ["tt1"], "title": ["A"],
           "year": pa.array([1999], pa.int32()), "weighted_rating": [8.0], "rating": [8.0],
           "votes": pa.array([1], pa.int64()), column: values}  # fmt: skip
    with pytest.raises(DataShapeError, match=problem):
        conform(pa.table(row), AGG_TOP_MOVIES)


def test_missing_and_unknown_columns_are_refused():
    data = pa.table({"rank": [1], "movie_id": ["tt1"], "surprise": [True]})
    with pytest.raises(DataShapeError, match=r"lacks \['title'.*no place for \['surprise'\]"):
        conform(data, AGG_TOP_MOVIES)


def test_a_daily_write_of_one_day_may_leave_out_the_day_column():
    data = pa.table({"source_line": [3], "movie_id": ["tt1"], "reason": ["r"], "record": ["x"]})
    conformed = conform(data, STG_MOVIES_REJECTS)
    assert split_by_day(conformed, STG_MOVIES_REJECTS, [D1]) == {D1: conformed}
    with pytest.raises(DataShapeError, match="2 days needs its 'snapshot_date' column"):
        split_by_day(conformed, STG_MOVIES_REJECTS, [D1, D2])


def test_rows_are_split_by_their_day_and_rows_of_other_days_refused():
    data = conform(pa.table({
        "snapshot_date": [D1, D2, D1], "source_line": [1, 2, 3], "movie_id": ["a", "b", "c"],
        "reason": [None] * 3, "record": [""] * 3,
    }), STG_MOVIES_REJECTS)  # fmt: skip
    parts = split_by_day(data, STG_MOVIES_REJECTS, [D1, D2])
    assert parts[D1].column("source_line").to_pylist() == [1, 3]
    assert parts[D2].column("movie_id").to_pylist() == ["b"]
    assert "snapshot_date" not in parts[D1].column_names
    with pytest.raises(DataShapeError, match="1 row"):
        split_by_day(data, STG_MOVIES_REJECTS, [D1])
