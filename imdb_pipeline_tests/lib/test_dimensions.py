"""Surrogate keys, name dimensions (SCD type 1) and runtime buckets."""

import datetime as dt

import pandas as pd
import pytest

from imdb_pipeline.lib.dimensions import (
    assign_keys,
    first_appearances,
    list_item_history,
    new_named_rows,
    runtime_bucket,
)

D1, D2, D3 = dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 3)


def name_history(*rows: tuple[dt.date, str | None]) -> pd.DataFrame:
    """(snapshot_date, item) rows, as core.py hands them to new_named_rows."""
    return pd.DataFrame({
        "snapshot_date": [day for day, _ in rows],
        "item": pd.array([name for _, name in rows], dtype="string"),
    })  # fmt: skip


def directors(pairs: list[tuple[int, str]]) -> pd.DataFrame:
    return pd.DataFrame({
        "director_key": pd.array([key for key, _ in pairs], dtype="Int64"),
        "director_name": pd.array([name for _, name in pairs], dtype="string"),
    })  # fmt: skip


def new_directors(history: pd.DataFrame, existing: pd.DataFrame | None) -> pd.DataFrame:
    return new_named_rows(history, "item", existing, "director_key", "director_name")


def merged(existing: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """What the warehouse holds after upserting `new` into `existing`."""
    return new if existing is None else pd.concat([existing, new], ignore_index=True)


# assign_keys


def versions(rows: list[tuple[str, dt.date]], keys: list[int] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({
        "movie_id": pd.array([movie_id for movie_id, _ in rows], dtype="string"),
        "valid_from": [day for _, day in rows],
    })  # fmt: skip
    if keys is not None:
        frame["movie_key"] = pd.array(keys, dtype="Int64")
    return frame


def assign_version_keys(candidates, existing) -> pd.DataFrame:
    return assign_keys(candidates, existing, "movie_key", ["movie_id", "valid_from"])


def test_assign_keys_numbers_from_one_in_candidate_order_when_nothing_exists():
    candidates = versions([("tt9", D1), ("tt1", D1), ("tt5", D2)])

    result = assign_version_keys(candidates, None)

    pd.testing.assert_frame_equal(
        result, versions([("tt9", D1), ("tt1", D1), ("tt5", D2)], keys=[1, 2, 3])
    )


def test_assign_keys_treats_an_empty_existing_frame_as_nothing_existing():
    existing = versions([], keys=[])
    result = assign_version_keys(versions([("tt1", D1)]), existing)
    assert result["movie_key"].tolist() == [1]


def test_assign_keys_keeps_existing_keys_on_the_whole_composite_natural_key():
    existing = versions([("tt1", D1), ("tt1", D2)], keys=[7, 3])
    candidates = versions([("tt2", D1), ("tt1", D2), ("tt1", D3), ("tt1", D1)])

    result = assign_version_keys(candidates, existing)

    # (tt2, D1) shares only the day and (tt1, D3) only the movie: both are new.
    # New keys follow max(existing) = 7, in candidate order.
    assert result[["movie_id", "valid_from", "movie_key"]].values.tolist() == [
        ["tt2", D1, 8],
        ["tt1", D2, 3],
        ["tt1", D3, 9],
        ["tt1", D1, 7],
    ]
    assert result["movie_key"].dtype == "Int64"


def test_assign_keys_keeps_the_other_candidate_columns():
    candidates = versions([("tt1", D1)]).assign(title=pd.array(["Alpha"], dtype="string"))
    result = assign_version_keys(candidates, None)
    assert list(result.columns) == ["movie_id", "valid_from", "title", "movie_key"]
    assert result["title"].tolist() == ["Alpha"]


def test_assign_keys_follows_the_existing_maximum_not_the_row_count():
    existing = directors([(40, "Nolan"), (2, "Bay")])
    candidates = pd.DataFrame({"director_name": pd.array(["Lee", "Bay"], dtype="string")})

    result = assign_keys(candidates, existing, "director_key", ["director_name"])

    assert result.values.tolist() == [["Lee", 41], ["Bay", 2]]


# first_appearances and list_item_history


def test_first_appearances_lists_each_name_once_by_first_day_then_name():
    history = name_history((D2, "Zoe"), (D1, "Mia"), (D2, "Aaron"), (D1, "Zoe"), (D3, None))

    result = first_appearances(history, "item")

    assert result[["item", "snapshot_date"]].values.tolist() == [
        ["Mia", D1], ["Zoe", D1], ["Aaron", D2]
    ]  # fmt: skip


def test_list_item_history_gives_every_item_of_every_day():
    history = pd.DataFrame({
        "snapshot_date": [D1, D1, D2],
        "movie_id": pd.array(["tt1", "tt2", "tt1"], dtype="string"),
        "genre": pd.array(["Drama, Crime", "Crime", "Action"], dtype="string"),
    })  # fmt: skip

    result = list_item_history(history, "genre", "item")

    assert list(result.columns) == ["snapshot_date", "item"]
    assert result.values.tolist() == [
        [D1, "Drama"], [D1, "Crime"], [D1, "Crime"], [D2, "Action"]
    ]  # fmt: skip


# new_named_rows (SCD type 1)


def test_first_run_keys_names_by_first_day_then_name():
    history = name_history((D1, "Zoe"), (D2, "Aaron"), (D2, "Zoe"), (D1, "Mia"))

    result = new_directors(history, None)

    # Day 1: Mia, Zoe (by name); day 2 adds Aaron, even though it sorts first.
    pd.testing.assert_frame_equal(result, directors([(1, "Mia"), (2, "Zoe"), (3, "Aaron")]))


def test_null_names_are_not_dimension_rows():
    result = new_directors(name_history((D1, None), (D1, "Zoe")), None)
    pd.testing.assert_frame_equal(result, directors([(1, "Zoe")]))


def test_only_unseen_names_are_returned_with_keys_after_the_existing_maximum():
    existing = directors([(4, "Zoe"), (9, "Mia")])
    history = name_history((D1, "Zoe"), (D1, "Mia"), (D2, "Lee"), (D2, "Bo"))

    result = new_directors(history, existing)

    pd.testing.assert_frame_equal(result, directors([(10, "Bo"), (11, "Lee")]))


def test_rerun_after_merging_the_result_returns_nothing_new():
    history = name_history((D1, "Zoe"), (D2, "Aaron"))
    first = new_directors(history, None)

    again = new_directors(history, merged(None, first))

    pd.testing.assert_frame_equal(again, directors([]))


def test_names_gone_from_later_days_keep_their_row_and_are_not_returned_again():
    # Zoe appears on day 1 only; day 2 lists Aaron only.
    day_1 = new_directors(name_history((D1, "Zoe")), None)
    dimension = merged(day_1, new_directors(name_history((D1, "Zoe"), (D2, "Aaron")), day_1))

    pd.testing.assert_frame_equal(dimension, directors([(1, "Zoe"), (2, "Aaron")]))
    third = new_directors(name_history((D1, "Zoe"), (D2, "Aaron"), (D3, "Aaron")), dimension)
    assert len(third) == 0


def test_day_by_day_gives_the_same_keys_as_all_days_at_once():
    day_1 = [(D1, "Zoe"), (D1, "Mia")]
    day_2 = [(D2, "Aaron"), (D2, "Zoe"), (D2, "Ben")]

    first = new_directors(name_history(*day_1), None)
    second = new_directors(name_history(*day_1, *day_2), first)
    day_by_day = merged(first, second)

    at_once = new_directors(name_history(*day_1, *day_2), None)

    pd.testing.assert_frame_equal(day_by_day, at_once)
    pd.testing.assert_frame_equal(
        at_once, directors([(1, "Mia"), (2, "Zoe"), (3, "Aaron"), (4, "Ben")])
    )


def test_history_rows_in_any_order_give_the_same_keys():
    rows = [(D1, "Zoe"), (D2, "Aaron"), (D1, "Mia")]
    forwards = new_directors(name_history(*rows), None)
    backwards = new_directors(name_history(*reversed(rows)), None)
    pd.testing.assert_frame_equal(forwards, backwards)


# runtime buckets


@pytest.mark.parametrize(("minutes", "bucket"), [
    (0, "under 90 min"), (89, "under 90 min"), (90, "90-119 min"), (119, "90-119 min"),
    (120, "120-149 min"), (149, "120-149 min"), (150, "150+ min"), (321, "150+ min"),
])  # fmt: skip
def test_runtime_bucket_boundaries(minutes, bucket):
    assert runtime_bucket(pd.Series([minutes], dtype="Int32")).tolist() == [bucket]


def test_runtime_bucket_of_unknown_runtime_is_null():
    result = runtime_bucket(pd.Series([None, 100], dtype="Int32"))
    assert result.isna().tolist() == [True, False]
    assert result.tolist()[1] == "90-119 min"
