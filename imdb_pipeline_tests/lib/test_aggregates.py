"""Analytics tables: NULLs stay NULL, money and averages round to 2 decimals."""

import pandas as pd
import pytest

from imdb_pipeline.lib.aggregates import (
    agg_director_stats,
    agg_genre_trends,
    agg_top_movies,
    agg_yearly_revenue,
)

NA = None
# movie_key, movie_id, title, year, director_key, rating, metascore, votes, gross, weighted
BASE = [
    (1, "tt01", "A", 2000, 1, 7.1, 80, 30000, 10.0, 7.0),
    (2, "tt02", "B", 2000, 1, 7.2, NA, 40000, NA, 7.2),
    (3, "tt03", "C", 2000, 2, 7.4, 61, 50000, 5.0, 7.3),
    (4, "tt04", "D", 2001, 2, 6.0, NA, 10000, 30.0, 6.5),
    (5, "tt05", "E", 2003, 3, 8.0, NA, 5000, NA, 6.0),
]
DIRECTORS = pd.DataFrame({"director_key": pd.array([1, 2, 3], dtype="Int64"),
                          "director_name": pd.array(["Amy", "Bob", "Cy"], dtype="string")})
GENRES = pd.DataFrame({"genre_key": pd.array([1, 2], dtype="Int64"),
                       "genre_name": pd.array(["Drama", "Crime"], dtype="string")})
# Drama: 1, 2, 4; Crime: 1, 3, 5
BRIDGE = pd.DataFrame({"movie_key": pd.array([1, 1, 2, 3, 4, 5], dtype="Int64"),
                       "genre_key": pd.array([1, 2, 1, 2, 1, 2], dtype="Int64")})  # fmt: skip


def tables(rows) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fact, dim_movies) typed as the warehouse holds them."""
    columns = list(zip(*rows))
    dim = pd.DataFrame({
        "movie_key": pd.array(columns[0], dtype="Int64"),
        "movie_id": pd.array(columns[1], dtype="string"),
        "title": pd.array(columns[2], dtype="string"),
        "year": pd.array(columns[3], dtype="Int32"),
    })  # fmt: skip
    fact = pd.DataFrame({
        "movie_key": pd.array(columns[0], dtype="Int64"),
        "director_key": pd.array(columns[4], dtype="Int64"),
        "rating": pd.array(columns[5], dtype="Float64"),
        "metascore": pd.array(columns[6], dtype="Int32"),
        "votes": pd.array(columns[7], dtype="Int64"),
        "gross_millions": pd.array(columns[8], dtype="Float64"),
        "weighted_rating": pd.array(columns[9], dtype="Float64"),
    })  # fmt: skip
    return fact, dim


def records(frame: pd.DataFrame) -> list[list]:
    """Rows as plain lists with NULLs as None, for exact comparison."""
    return frame.astype(object).where(frame.notna(), None).values.tolist()


def test_yearly_revenue_ignores_nulls_and_compares_with_the_previous_calendar_year():
    result = agg_yearly_revenue(*tables(BASE))

    assert list(result.columns) == ["year", "total_movies", "movies_with_gross",
                                    "total_gross_millions", "avg_gross_millions",
                                    "yoy_growth_pct"]  # fmt: skip
    assert records(result) == [
        [2000, 3, 2, 15.0, 7.5, None],  # avg is 15/2, not 15/3; no 1999 -> no growth
        [2001, 1, 1, 30.0, 30.0, 100.0],  # 100 * (30 - 15) / 15
        [2003, 1, 0, None, None, None],  # all gross NULL -> NULL; 2002 missing -> no growth
    ]


def test_yearly_growth_is_negative_when_gross_falls_and_rounded():
    rows = [(1, "tt1", "A", 2010, 1, 7.0, NA, 1, 30.0, 7.0),
            (2, "tt2", "B", 2011, 1, 7.0, NA, 1, 20.0, 7.0)]  # fmt: skip
    result = agg_yearly_revenue(*tables(rows))
    assert result["yoy_growth_pct"].tolist()[1] == -33.33  # 100 * (20 - 30) / 30


def test_director_stats_skip_nulls_and_pick_the_best_movie():
    fact, dim = tables(BASE)

    result = agg_director_stats(fact, dim, DIRECTORS)

    assert records(result) == [
        [1, "Amy", 2, 7.15, 80.0, 70000, 10.0, 1, 2000, 2000, "tt02", "B", 7.2],
        [2, "Bob", 2, 6.7, 61.0, 60000, 35.0, 2, 2000, 2001, "tt03", "C", 7.3],
        [3, "Cy", 1, 8.0, None, 5000, None, 0, 2003, 2003, "tt05", "E", 6.0],
    ]


def test_director_stats_round_averages_and_money_to_two_decimals():
    rows = [(1, "tt1", "A", 2000, 1, 7.0, 1, 1, 1.111, 7.0),
            (2, "tt2", "B", 2001, 1, 7.0, 2, 1, 2.222, 7.0),
            (3, "tt3", "C", 2002, 1, 8.0, 2, 1, NA, 7.0)]  # fmt: skip
    fact, dim = tables(rows)

    result = agg_director_stats(fact, dim, DIRECTORS)

    assert records(result[["avg_rating", "avg_metascore", "total_gross_millions"]]) == [
        [7.33, 1.67, 3.33]
    ]


def test_genre_trends_count_share_of_year_in_percent():
    fact, dim = tables(BASE)

    result = agg_genre_trends(fact, dim, BRIDGE, GENRES)

    assert records(result) == [
        ["Crime", 2000, 2, 7.25, 15.0, 66.67],  # 2 of the 3 movies of 2000
        ["Crime", 2003, 1, 8.0, None, 100.0],
        ["Drama", 2000, 2, 7.15, 10.0, 66.67],  # gross of tt02 unknown: 10.0, not NULL
        ["Drama", 2001, 1, 6.0, 30.0, 100.0],
    ]


TIES = [
    (1, "tt10", "A", 2000, 1, 8.0, NA, 50000, NA, 8.0),
    (2, "tt11", "B", 2000, 1, 8.0, NA, 60000, NA, 8.0),
    (3, "tt09", "C", 2000, 1, 8.0, NA, 50000, NA, 8.0),
    (4, "tt12", "D", 2000, 1, 9.9, NA, 24999, NA, 9.0),
    (5, "tt13", "E", 2000, 1, 7.5, NA, 25000, NA, 7.0),
]


def test_top_movies_rank_without_gaps_with_deterministic_ties():
    result = agg_top_movies(*tables(TIES), size=10, minimum_votes=25000)

    assert result[["rank", "movie_id"]].values.tolist() == [
        [1, "tt11"], [2, "tt09"], [3, "tt10"], [4, "tt13"]
    ]
    assert list(result.columns) == ["rank", "movie_id", "title", "year", "weighted_rating",
                                    "rating", "votes"]  # fmt: skip
    assert str(result["rank"].dtype) == "Int32"


@pytest.mark.parametrize(("minimum_votes", "expected"), [
    (25000, ["tt11", "tt09", "tt10", "tt13"]),
    (25001, ["tt11", "tt09", "tt10"]),
    (24999, ["tt12", "tt11", "tt09", "tt10", "tt13"]),
])  # fmt: skip
def test_top_movies_minimum_votes_is_inclusive(minimum_votes, expected):
    result = agg_top_movies(*tables(TIES), size=10, minimum_votes=minimum_votes)
    assert result["movie_id"].tolist() == expected


def test_top_movies_size_limits_the_list():
    result = agg_top_movies(*tables(TIES), size=2, minimum_votes=0)
    assert result[["rank", "movie_id"]].values.tolist() == [[1, "tt12"], [2, "tt11"]]


def test_top_movies_order_does_not_depend_on_input_order():
    fact, dim = tables(list(reversed(TIES)))
    result = agg_top_movies(fact, dim, size=10, minimum_votes=0)
    assert result["movie_id"].tolist() == ["tt12", "tt11", "tt09", "tt10", "tt13"]
