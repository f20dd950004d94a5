"""Bridge tables, the performance fact and IMDb's weighted rating, one slice per day."""

import datetime as dt

import pandas as pd
import pytest

from imdb_pipeline.lib.bridges import bridge_movie_actor, bridge_movie_genre
from imdb_pipeline.lib.dimensions import list_item_history, new_named_rows
from imdb_pipeline.lib.facts import COLUMNS as FACT_COLUMNS
from imdb_pipeline.lib.facts import fact_movie_performance, mean_rating, weighted_rating
from imdb_pipeline.lib.movie_versions import movie_versions, versions_on
from imdb_pipeline.lib.snapshots import DATE_DTYPE

D1, D2 = dt.date(2024, 1, 1), dt.date(2024, 1, 2)


def staged_movies(day: dt.date = D1) -> pd.DataFrame:
    """One day of stg_movies: tt1 (R=9, v=75000) and tt2 (R=5, v=25000), so C = 7."""
    return pd.DataFrame({
        "snapshot_date": pd.array([day, day], dtype=DATE_DTYPE),
        "movie_id": pd.array(["tt1", "tt2"], dtype="string"),
        "title": pd.array(["A", "B"], dtype="string"),
        "year": pd.array([2000, 2001], dtype="Int32"),
        "certificate": pd.array(["R", "PG"], dtype="string"),
        "runtime_minutes": pd.array([100, 130], dtype="Int32"),
        "genre": pd.array(["Drama, Crime", "Crime"], dtype="string"),
        "rating": pd.array([9.0, 5.0], dtype="Float64"),
        "metascore": pd.array([80, None], dtype="Int32"),
        "description": pd.array(["a", "b"], dtype="string"),
        "director": pd.array(["Zed", "Amy"], dtype="string"),
        "stars": pd.array(["Pat, Quinn, Ray", "Quinn"], dtype="string"),
        "votes": pd.array([75000, 25000], dtype="Int64"),
        "gross_millions": pd.array([None, 10.0], dtype="Float64"),
    })  # fmt: skip


def star_schema(history: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The dimensions as core.py derives them from the staging history."""
    genres = list_item_history(history, "genre", "item")
    actors = list_item_history(history, "stars", "item")
    return {
        "dim_movies": movie_versions(history, None),
        "dim_directors": new_named_rows(history, "director", None, "director_key", "director_name"),
        "dim_genres": new_named_rows(genres, "item", None, "genre_key", "genre_name"),
        "dim_actors": new_named_rows(actors, "item", None, "actor_key", "actor_name"),
    }


@pytest.fixture
def model():
    # Keys: movies tt1=1, tt2=2; directors Amy=1, Zed=2 (same day: by name);
    # genres Crime=1, Drama=2; actors Pat=1, Quinn=2, Ray=3.
    movies = staged_movies()
    schema = star_schema(movies)
    return {"movies": movies, "keys": versions_on(schema["dim_movies"], D1), **schema}


def dates(day: dt.date, count: int) -> pd.Series:
    return pd.Series(pd.array([day] * count, dtype=DATE_DTYPE), name="snapshot_date")


def test_bridge_movie_genre_links_every_genre_by_key_on_the_day(model):
    bridge = bridge_movie_genre(model["movies"], model["keys"], model["dim_genres"], D1)

    expected = pd.DataFrame({
        "snapshot_date": dates(D1, 3),
        "movie_key": pd.array([1, 1, 2], dtype="Int64"),
        "genre_key": pd.array([1, 2, 1], dtype="Int64"),
    })  # fmt: skip
    pd.testing.assert_frame_equal(bridge, expected)


def test_bridge_movie_actor_keeps_billing_order_on_the_day(model):
    bridge = bridge_movie_actor(model["movies"], model["keys"], model["dim_actors"], D1)

    expected = pd.DataFrame({
        "snapshot_date": dates(D1, 4),
        "movie_key": pd.array([1, 1, 1, 2], dtype="Int64"),
        "actor_key": pd.array([1, 2, 3, 2], dtype="Int64"),
        "billing_order": pd.array([1, 2, 3, 1], dtype="Int32"),
    })  # fmt: skip
    pd.testing.assert_frame_equal(bridge, expected)


def test_billing_order_follows_the_list_not_the_actor_key(model):
    movies = model["movies"].assign(stars=pd.array(["Ray, Pat", "Quinn"], dtype="string"))

    bridge = bridge_movie_actor(movies, model["keys"], model["dim_actors"], D1)

    assert bridge[["movie_key", "actor_key", "billing_order"]].values.tolist() == [
        [1, 3, 1], [1, 1, 2], [2, 2, 1]
    ]  # fmt: skip


def test_snapshot_date_is_the_given_day_not_the_staged_one(model):
    # The partition's day is what the slice is stored under.
    bridge = bridge_movie_genre(model["movies"], model["keys"], model["dim_genres"], D2)
    assert list(bridge.columns)[0] == "snapshot_date"
    assert bridge["snapshot_date"].tolist() == [D2, D2, D2]


@pytest.mark.parametrize(("rating", "votes", "m", "c", "expected"), [
    (9.0, 75000, 25000, 7.0, 8.5),      # 3/4 * 9 + 1/4 * 7
    (5.0, 25000, 25000, 7.0, 6.0),      # 1/2 * 5 + 1/2 * 7
    (8.0, 0, 25000, 6.0, 6.0),          # no votes: the prior only
    (8.0, 10000, 20000, 5.0, 6.0),      # 1/3 * 8 + 2/3 * 5
    (7.0, 1000, 2000, 8.0, 7.667),      # 7/3 + 16/3 = 23/3, rounded to 3 decimals
])  # fmt: skip
def test_weighted_rating_formula(rating, votes, m, c, expected):
    result = weighted_rating(pd.Series([rating]), pd.Series([votes]), m, c)
    assert result.tolist() == [expected]


def test_mean_rating_is_the_days_mean_and_zero_for_an_empty_day():
    assert mean_rating(staged_movies()) == 7.0
    assert mean_rating(staged_movies().iloc[:0]) == 0.0


def test_fact_has_the_day_keys_measures_and_weighted_rating(model):
    fact = fact_movie_performance(model["movies"], model["keys"], model["dim_directors"], D1)

    expected = pd.DataFrame({
        "snapshot_date": dates(D1, 2),
        "movie_key": pd.array([1, 2], dtype="Int64"),
        "director_key": pd.array([2, 1], dtype="Int64"),  # Amy=1, Zed=2
        "rating": pd.array([9.0, 5.0], dtype="Float64"),
        "metascore": pd.array([80, None], dtype="Int32"),
        "votes": pd.array([75000, 25000], dtype="Int64"),
        "gross_millions": pd.array([None, 10.0], dtype="Float64"),
        "weighted_rating": pd.array([8.5, 6.0], dtype="Float64"),
    })  # fmt: skip
    pd.testing.assert_frame_equal(fact, expected)
    assert list(fact.columns) == FACT_COLUMNS


def test_fact_uses_the_given_minimum_votes(model):
    # m = 75000: tt1 weight 1/2 -> 8.0; tt2 weight 1/4 -> 6.5
    fact = fact_movie_performance(
        model["movies"], model["keys"], model["dim_directors"], D1, minimum_votes=75000
    )
    assert fact["weighted_rating"].tolist() == [8.0, 6.5]


def test_fact_takes_movie_keys_from_the_given_mapping(model):
    keys = model["keys"].assign(movie_key=pd.array([20, 10], dtype="Int64"))  # tt1=20, tt2=10
    fact = fact_movie_performance(model["movies"], keys, model["dim_directors"], D1)
    assert fact[["movie_key", "director_key"]].values.tolist() == [[10, 1], [20, 2]]


def test_day_slices_are_keyed_to_the_movie_version_valid_that_day():
    # tt1 is retitled on day 2: versions tt1@D1=1, tt2@D1=2, tt1@D2=3.
    day_2 = staged_movies(D2).assign(title=pd.array(["A II", "B"], dtype="string"))
    schema = star_schema(pd.concat([staged_movies(D1), day_2], ignore_index=True))

    def fact_on(day, movies):
        keys = versions_on(schema["dim_movies"], day)
        return fact_movie_performance(movies, keys, schema["dim_directors"], day)

    assert fact_on(D1, staged_movies(D1))[["movie_key", "weighted_rating"]].values.tolist() == [
        [1, 8.5], [2, 6.0]
    ]  # fmt: skip
    assert fact_on(D2, day_2)[["movie_key", "weighted_rating"]].values.tolist() == [
        [2, 6.0], [3, 8.5]
    ]  # fmt: skip
    genre_d2 = bridge_movie_genre(
        day_2, versions_on(schema["dim_movies"], D2), schema["dim_genres"], D2
    )
    assert genre_d2.values.tolist() == [[D2, 2, 1], [D2, 3, 1], [D2, 3, 2]]


def test_empty_day_gives_empty_slices_with_a_date_typed_snapshot_date(model):
    empty = model["movies"].iloc[:0]

    genre = bridge_movie_genre(empty, model["keys"], model["dim_genres"], D1)
    actor = bridge_movie_actor(empty, model["keys"], model["dim_actors"], D1)
    fact = fact_movie_performance(empty, model["keys"], model["dim_directors"], D1)

    assert list(genre.columns) == ["snapshot_date", "movie_key", "genre_key"]
    assert list(actor.columns) == ["snapshot_date", "movie_key", "actor_key", "billing_order"]
    assert list(fact.columns) == FACT_COLUMNS
    for table in (genre, actor, fact):
        assert len(table) == 0
        assert table["snapshot_date"].dtype == DATE_DTYPE


def test_a_movie_without_a_valid_version_fails_instead_of_vanishing():
    import datetime as dt

    import pandas as pd

    from imdb_pipeline.lib.facts import fact_movie_performance
    from imdb_pipeline.lib.snapshots import with_snapshot_date

    day = dt.date(2024, 1, 1)
    movies = with_snapshot_date(
        pd.DataFrame({"movie_id": ["tt1", "tt2"], "director": ["D", "D"],
                      "rating": [8.0, 7.0], "metascore": [None, None], "votes": [10, 20],
                      "gross_millions": [None, None]}),
        day,
    )  # fmt: skip
    keys = pd.DataFrame({"movie_id": ["tt1"], "movie_key": pd.array([1], dtype="Int64")})
    directors = pd.DataFrame({"director_key": [1], "director_name": ["D"]})
    with pytest.raises(ValueError, match="1 row\\(s\\) found no dim_movies version valid that day, e.g. movie_id tt2"):
        fact_movie_performance(movies, keys, directors, day)
