"""Bridge tables, the performance fact and IMDb's weighted rating."""

import pandas as pd
import pytest

from imdb_pipeline.lib.bridges import bridge_movie_actor, bridge_movie_genre
from imdb_pipeline.lib.dimensions import dim_movies, list_items, named_dimension
from imdb_pipeline.lib.facts import fact_movie_performance, weighted_rating


def staged_movies() -> pd.DataFrame:
    """Two staged movies: tt1 (R=9, v=75000) and tt2 (R=5, v=25000), so C = 7."""
    return pd.DataFrame({
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


@pytest.fixture
def model():
    movies = staged_movies()
    return {
        "movies": movies,
        "dim_movies": dim_movies(movies, None),
        "dim_directors": named_dimension(movies["director"], None, "director_key", "director_name"),
        "dim_genres": named_dimension(list_items(movies, "genre"), None, "genre_key", "genre_name"),
        "dim_actors": named_dimension(list_items(movies, "stars"), None, "actor_key", "actor_name"),
    }


def test_bridge_movie_genre_links_every_genre_by_key(model):
    # genre keys: Crime=1, Drama=2; movie keys: tt1=1, tt2=2
    bridge = bridge_movie_genre(model["movies"], model["dim_movies"], model["dim_genres"])

    expected = pd.DataFrame(
        {"movie_key": pd.array([1, 1, 2], dtype="Int64"),
         "genre_key": pd.array([1, 2, 1], dtype="Int64")}
    )  # fmt: skip
    pd.testing.assert_frame_equal(bridge, expected)


def test_bridge_movie_actor_keeps_billing_order(model):
    # actor keys: Pat=1, Quinn=2, Ray=3
    bridge = bridge_movie_actor(model["movies"], model["dim_movies"], model["dim_actors"])

    expected = pd.DataFrame({
        "movie_key": pd.array([1, 1, 1, 2], dtype="Int64"),
        "actor_key": pd.array([1, 2, 3, 2], dtype="Int64"),
        "billing_order": pd.array([1, 2, 3, 1], dtype="Int32"),
    })  # fmt: skip
    pd.testing.assert_frame_equal(bridge, expected)


def test_billing_order_follows_the_list_not_the_actor_key(model):
    movies = model["movies"].assign(stars=pd.array(["Ray, Pat", "Quinn"], dtype="string"))
    bridge = bridge_movie_actor(movies, model["dim_movies"], model["dim_actors"])
    assert bridge.values.tolist() == [[1, 3, 1], [1, 1, 2], [2, 2, 1]]


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


def test_fact_has_keys_measures_and_weighted_rating(model):
    fact = fact_movie_performance(model["movies"], model["dim_movies"], model["dim_directors"])

    expected = pd.DataFrame({
        "movie_key": pd.array([1, 2], dtype="Int64"),
        "director_key": pd.array([2, 1], dtype="Int64"),  # Amy=1, Zed=2
        "rating": pd.array([9.0, 5.0], dtype="Float64"),
        "metascore": pd.array([80, None], dtype="Int32"),
        "votes": pd.array([75000, 25000], dtype="Int64"),
        "gross_millions": pd.array([None, 10.0], dtype="Float64"),
        "weighted_rating": pd.array([8.5, 6.0], dtype="Float64"),
    })  # fmt: skip
    pd.testing.assert_frame_equal(fact, expected)


def test_fact_uses_the_given_minimum_votes(model):
    # m = 75000: tt1 weight 1/2 -> 8.0; tt2 weight 1/4 -> 6.5
    fact = fact_movie_performance(
        model["movies"], model["dim_movies"], model["dim_directors"], minimum_votes=75000
    )
    assert fact["weighted_rating"].tolist() == [8.0, 6.5]


def test_fact_keeps_existing_movie_keys(model):
    older = model["dim_movies"].assign(movie_key=pd.array([10, 20], dtype="Int64"))
    fact = fact_movie_performance(model["movies"], older, model["dim_directors"])
    assert fact["movie_key"].tolist() == [10, 20]
