"""Analytics tables computed from the fact and its dimensions.

Unknown values stay NULL: averages skip them and a sum over nothing known is NULL, never 0.
Averages, totals of money and percentages are rounded to 2 decimals.
"""

import pandas as pd

from imdb_pipeline.lib.rounding import round_columns

DEFAULT_TOP_SIZE = 250
DEFAULT_TOP_MINIMUM_VOTES = 25_000


def _movies(fact: pd.DataFrame, dim_movies: pd.DataFrame) -> pd.DataFrame:
    return fact.merge(
        dim_movies[["movie_key", "movie_id", "title", "year"]], on="movie_key", validate="one_to_one"
    )


def _total(values: pd.Series) -> pd.Series:
    return values.sum(min_count=1)


def _ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """Best first: weighted rating, then votes, then movie id so ties are deterministic."""
    return frame.sort_values(
        ["weighted_rating", "votes", "movie_id"], ascending=[False, False, True], ignore_index=True
    )


def agg_director_stats(
    fact: pd.DataFrame, dim_movies: pd.DataFrame, dim_directors: pd.DataFrame
) -> pd.DataFrame:
    movies = _movies(fact, dim_movies).merge(dim_directors, on="director_key", validate="many_to_one")
    grouped = movies.groupby("director_name", sort=True)
    stats = grouped.agg(
        director_key=("director_key", "first"),
        total_movies=("movie_key", "count"),
        avg_rating=("rating", "mean"),
        avg_metascore=("metascore", "mean"),
        total_votes=("votes", "sum"),
        total_gross_millions=("gross_millions", _total),
        movies_with_gross=("gross_millions", "count"),
        first_year=("year", "min"),
        last_year=("year", "max"),
    )
    best = _ranked(movies).drop_duplicates("director_name").set_index("director_name")
    stats["best_movie_id"] = best["movie_id"]
    stats["best_movie_title"] = best["title"]
    stats["best_movie_weighted_rating"] = best["weighted_rating"]
    stats = round_columns(
        stats.reset_index(), {"avg_rating": 2, "avg_metascore": 2, "total_gross_millions": 2}
    )
    return stats.astype(
        {"total_movies": "Int64", "movies_with_gross": "Int64", "avg_metascore": "Float64"}
    )[
        ["director_key", "director_name", "total_movies", "avg_rating", "avg_metascore",
         "total_votes", "total_gross_millions", "movies_with_gross", "first_year", "last_year",
         "best_movie_id", "best_movie_title", "best_movie_weighted_rating"]
    ]  # fmt: skip


def agg_genre_trends(
    fact: pd.DataFrame,
    dim_movies: pd.DataFrame,
    bridge_movie_genre: pd.DataFrame,
    dim_genres: pd.DataFrame,
) -> pd.DataFrame:
    movies = _movies(fact, dim_movies)
    per_year = movies.groupby("year")["movie_key"].count().rename("year_movies")
    genres = (
        bridge_movie_genre.merge(movies, on="movie_key", validate="many_to_one")
        .merge(dim_genres, on="genre_key", validate="many_to_one")
    )
    trends = (
        genres.groupby(["genre_name", "year"], sort=True)
        .agg(
            total_movies=("movie_key", "count"),
            avg_rating=("rating", "mean"),
            total_gross_millions=("gross_millions", _total),
        )
        .reset_index()
        .merge(per_year, left_on="year", right_index=True)
    )
    trends["share_of_year_pct"] = 100 * trends["total_movies"] / trends["year_movies"]
    trends = round_columns(
        trends, {"avg_rating": 2, "total_gross_millions": 2, "share_of_year_pct": 2}
    )
    return trends.astype({"total_movies": "Int64", "share_of_year_pct": "Float64"})[
        ["genre_name", "year", "total_movies", "avg_rating", "total_gross_millions",
         "share_of_year_pct"]
    ].sort_values(["genre_name", "year"], ignore_index=True)  # fmt: skip


def agg_yearly_revenue(fact: pd.DataFrame, dim_movies: pd.DataFrame) -> pd.DataFrame:
    """Per year; growth compares with the previous calendar year and is NULL without one."""
    yearly = (
        _movies(fact, dim_movies)
        .groupby("year", sort=True)
        .agg(
            total_movies=("movie_key", "count"),
            movies_with_gross=("gross_millions", "count"),
            total_gross_millions=("gross_millions", _total),
            avg_gross_millions=("gross_millions", "mean"),
        )
    )
    previous = yearly["total_gross_millions"].reindex(yearly.index - 1).set_axis(yearly.index)
    previous = previous.where(previous != 0)
    yearly["yoy_growth_pct"] = 100 * (yearly["total_gross_millions"] - previous) / previous
    yearly = round_columns(
        yearly.reset_index(),
        {"total_gross_millions": 2, "avg_gross_millions": 2, "yoy_growth_pct": 2},
    )
    return yearly.astype(
        {"total_movies": "Int64", "movies_with_gross": "Int64", "yoy_growth_pct": "Float64"}
    )


def agg_top_movies(
    fact: pd.DataFrame,
    dim_movies: pd.DataFrame,
    size: int = DEFAULT_TOP_SIZE,
    minimum_votes: int = DEFAULT_TOP_MINIMUM_VOTES,
) -> pd.DataFrame:
    """The `size` best movies by weighted rating among those with at least `minimum_votes`."""
    movies = _movies(fact, dim_movies)
    top = _ranked(movies[movies["votes"] >= minimum_votes]).head(size)
    top.insert(0, "rank", pd.array(range(1, len(top) + 1), dtype="Int32"))
    return top[["rank", "movie_id", "title", "year", "weighted_rating", "rating", "votes"]]
