"""The comma-separated list columns: normalising and exploding."""

import pandas as pd
import pytest

from imdb_pipeline.lib.lists import explode_list, normalise_list


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Drama", "Drama"),
        ("Drama, Crime", "Drama, Crime"),
        (" Drama ,Crime,,Drama", "Drama, Crime"),
        ("Crime,Drama,Crime", "Crime, Drama"),
        ("a,A, a", "a, A"),
        (" , ,", ""),
        ("", ""),
    ],
)
def test_normalise_list_trims_drops_empties_and_repeats_keeping_order(raw, expected):
    assert normalise_list(raw) == expected


def test_explode_list_gives_one_row_per_item_with_its_position():
    frame = pd.DataFrame(
        {"movie_id": ["tt2", "tt1"], "stars": pd.array(["Ann, Bob, Cy", "Dee"], dtype="string")}
    )

    items = explode_list(frame, "movie_id", "stars", "actor")

    expected = pd.DataFrame(
        {
            "movie_id": ["tt2", "tt2", "tt2", "tt1"],
            "actor": pd.array(["Ann", "Bob", "Cy", "Dee"], dtype="string"),
            "position": [1, 2, 3, 1],
        }
    )
    pd.testing.assert_frame_equal(items, expected)


def test_explode_list_skips_missing_and_empty_lists():
    frame = pd.DataFrame(
        {"movie_id": ["tt1", "tt2", "tt3"], "genre": pd.array([None, "", "Drama"], dtype="string")}
    )

    items = explode_list(frame, "movie_id", "genre", "genre_name")

    assert items["movie_id"].tolist() == ["tt3"]
    assert items["genre_name"].tolist() == ["Drama"]
    assert items["position"].tolist() == [1]
