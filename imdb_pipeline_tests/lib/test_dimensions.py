"""Dimension tables and their surrogate keys."""

import pandas as pd
import pytest

from imdb_pipeline.lib.dimensions import assign_keys, dim_movies, list_items, runtime_bucket


def names(*values) -> pd.Series:
    return pd.Series(values, dtype="string")


def keyed(pairs: list[tuple[int, str]]) -> pd.DataFrame:
    return pd.DataFrame({
        "director_key": pd.array([key for key, _ in pairs], dtype="Int64"),
        "director_name": pd.array([name for _, name in pairs], dtype="string"),
    })  # fmt: skip


def assign(natural: pd.Series, existing: pd.DataFrame | None) -> pd.DataFrame:
    return assign_keys(natural, existing, "director_key", "director_name")


def test_first_keys_start_at_one_in_name_order():
    result = assign(names("Nolan", "Anderson", "Coppola", "Nolan", None), None)
    pd.testing.assert_frame_equal(result, keyed([(1, "Anderson"), (2, "Coppola"), (3, "Nolan")]))


def test_existing_keys_are_kept_and_new_names_get_max_plus_one_in_sorted_order():
    existing = keyed([(5, "Zed"), (2, "Coppola")])

    result = assign(names("Nolan", "Coppola", "Bay"), existing)

    pd.testing.assert_frame_equal(
        result, keyed([(2, "Coppola"), (5, "Zed"), (6, "Bay"), (7, "Nolan")])
    )


def test_names_no_longer_in_the_source_keep_their_keys():
    existing = keyed([(1, "Gone"), (2, "Stays")])
    result = assign(names("Stays"), existing)
    pd.testing.assert_frame_equal(result, existing)


def test_rerunning_with_the_same_input_returns_identical_keys():
    first = assign(names("Nolan", "Bay"), keyed([(3, "Coppola")]))
    second = assign(names("Nolan", "Bay"), first)
    pd.testing.assert_frame_equal(second, first)


def test_empty_existing_frame_is_treated_as_no_dimension():
    result = assign(names("Bay"), keyed([]))
    pd.testing.assert_frame_equal(result, keyed([(1, "Bay")]))


def test_list_items_are_each_item_once_in_first_seen_order():
    movies = pd.DataFrame({
        "movie_id": ["tt1", "tt2"],
        "genre": pd.array(["Drama, Crime", "Crime, Action"], dtype="string"),
    })  # fmt: skip
    assert list_items(movies, "genre").tolist() == ["Drama", "Crime", "Action"]


@pytest.mark.parametrize(("minutes", "bucket"), [
    (0, "under 90 min"), (89, "under 90 min"), (90, "90-119 min"), (119, "90-119 min"),
    (120, "120-149 min"), (149, "120-149 min"), (150, "150+ min"), (321, "150+ min"),
])  # fmt: skip
def test_runtime_bucket_boundaries(minutes, bucket):
    assert runtime_bucket(pd.Series([minutes], dtype="Int32")).tolist() == [bucket]


def test_runtime_bucket_of_unknown_runtime_is_null():
    result = runtime_bucket(pd.Series([None, 100], dtype="Int32"))
    assert result.isna().tolist() == [True, False]


def movies_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.astype({"movie_id": "string", "title": "string", "year": "Int32",
                         "certificate": "string", "runtime_minutes": "Int32",
                         "description": "string"})  # fmt: skip


ALPHA = dict(movie_id="tt2", title="Alpha", year=1999, certificate="R", runtime_minutes=89,
             description="a")  # fmt: skip
BETA = dict(movie_id="tt1", title="Beta", year=2000, certificate=None, runtime_minutes=None,
            description=None)  # fmt: skip


def test_dim_movies_derives_decade_and_runtime_bucket():
    table = dim_movies(movies_frame([ALPHA, BETA]), None)

    expected = pd.DataFrame({
        "movie_key": pd.array([1, 2], dtype="Int64"),
        "movie_id": pd.array(["tt1", "tt2"], dtype="string"),
        "title": pd.array(["Beta", "Alpha"], dtype="string"),
        "year": pd.array([2000, 1999], dtype="Int32"),
        "decade": pd.array([2000, 1990], dtype="Int32"),
        "certificate": pd.array([None, "R"], dtype="string"),
        "runtime_minutes": pd.array([None, 89], dtype="Int32"),
        "runtime_bucket": pd.array([None, "under 90 min"], dtype="string"),
        "description": pd.array([None, "a"], dtype="string"),
    })  # fmt: skip
    pd.testing.assert_frame_equal(table, expected)


def test_movie_gone_from_the_source_keeps_its_row_and_key():
    first = dim_movies(movies_frame([ALPHA, BETA]), None)

    second = dim_movies(movies_frame([{**ALPHA, "title": "Alpha (Director's Cut)"}]), first)

    assert second[["movie_key", "movie_id", "title"]].values.tolist() == [
        [1, "tt1", "Beta"],
        [2, "tt2", "Alpha (Director's Cut)"],
    ]
    assert second["decade"].tolist() == [2000, 1990]


def test_new_movie_gets_the_next_key_after_existing_ones():
    first = dim_movies(movies_frame([ALPHA]), None)
    second = dim_movies(movies_frame([ALPHA, {**BETA, "movie_id": "tt0"}]), first)
    assert second[["movie_key", "movie_id"]].values.tolist() == [[1, "tt2"], [2, "tt0"]]
