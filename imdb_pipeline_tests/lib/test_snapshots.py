"""The snapshot_date column of daily-partitioned tables."""

import datetime as dt

import pandas as pd

from imdb_pipeline.lib.snapshots import DATE_DTYPE, with_snapshot_date

DAY = dt.date(2024, 3, 5)


def test_snapshot_date_is_inserted_as_the_first_column_with_the_day_on_every_row():
    frame = pd.DataFrame({"movie_key": pd.array([2, 1], dtype="Int64"), "x": ["a", "b"]})

    dated = with_snapshot_date(frame, DAY)

    assert list(dated.columns) == ["snapshot_date", "movie_key", "x"]
    assert dated["snapshot_date"].tolist() == [DAY, DAY]
    assert dated[["movie_key", "x"]].values.tolist() == [[2, "a"], [1, "b"]]


def test_snapshot_date_has_the_arrow_date_dtype():
    dated = with_snapshot_date(pd.DataFrame({"x": [1]}), DAY)
    assert dated["snapshot_date"].dtype == DATE_DTYPE
    assert str(DATE_DTYPE) == "date32[day][pyarrow]"


def test_empty_frame_keeps_a_date_typed_snapshot_date():
    empty = pd.DataFrame({"movie_key": pd.array([], dtype="Int64")})

    dated = with_snapshot_date(empty, DAY)

    assert len(dated) == 0
    assert list(dated.columns) == ["snapshot_date", "movie_key"]
    assert dated["snapshot_date"].dtype == DATE_DTYPE
    assert dated["movie_key"].dtype == "Int64"


def test_index_is_reset_and_the_input_frame_is_left_unchanged():
    frame = pd.DataFrame({"x": [10, 20]}, index=[7, 3])

    dated = with_snapshot_date(frame, DAY)

    assert dated.index.tolist() == [0, 1]
    assert dated["x"].tolist() == [10, 20]
    assert list(frame.columns) == ["x"]
    assert frame.index.tolist() == [7, 3]
