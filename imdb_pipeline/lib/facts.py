"""The movie performance fact and IMDb's weighted rating."""

import datetime as dt

import pandas as pd

from imdb_pipeline.constants import SNAPSHOT_DATE
from imdb_pipeline.lib.rounding import round_half_up
from imdb_pipeline.lib.snapshots import with_snapshot_date

# IMDb's Top 250 formula: WR = v/(v+m) * R + m/(v+m) * C, where R is the movie's mean rating,
# v its number of votes, m the votes needed to be listed (the weight given to the prior) and C
# the mean rating across all movies of the day's snapshot. Few votes pull a movie towards C.
DEFAULT_MINIMUM_VOTES = 25_000
COLUMNS = [SNAPSHOT_DATE, "movie_key", "director_key", "rating", "metascore", "votes",
           "gross_millions", "weighted_rating"]  # fmt: skip


def weighted_rating(
    rating: pd.Series, votes: pd.Series, minimum_votes: int, mean_rating: float
) -> pd.Series:
    weight = votes / (votes + minimum_votes)
    return round_half_up(weight * rating + (1 - weight) * mean_rating, 3)


def require_keys(frame: pd.DataFrame, key: str, natural_key: str, what: str) -> None:
    """Every row must have found its dimension key: a silent inner-join loss would hide rows."""
    missing = frame.loc[frame[key].isna(), natural_key]
    if len(missing):
        sample = ", ".join(map(str, missing.drop_duplicates().head(5)))
        raise ValueError(f"{len(missing)} row(s) found no {what}, e.g. {natural_key} {sample}")


KEY_MEASURES = ("avg_rating", "total_votes", "total_gross_millions")


def key_measures(fact: pd.DataFrame) -> dict[str, float]:
    """The day's headline numbers, recorded with each materialization for anomaly checks."""
    return {
        "avg_rating": round(float(fact["rating"].mean()), 4) if len(fact) else 0.0,
        "total_votes": float(fact["votes"].sum()),
        "total_gross_millions": round(float(fact["gross_millions"].sum()), 2),
    }


def mean_rating(movies: pd.DataFrame) -> float:
    """C of the weighted rating: the day's mean rating."""
    return float(movies["rating"].mean()) if len(movies) else 0.0


def fact_movie_performance(
    movies: pd.DataFrame,
    movie_keys: pd.DataFrame,
    dim_directors: pd.DataFrame,
    day: dt.date,
    minimum_votes: int = DEFAULT_MINIMUM_VOTES,
) -> pd.DataFrame:
    """One row per movie of one day's snapshot, keyed to the movie version valid that day."""
    fact = movies.merge(movie_keys, on="movie_id", how="left", validate="one_to_one")
    fact = fact.merge(
        dim_directors[["director_key", "director_name"]],
        left_on="director",
        right_on="director_name",
        how="left",
        validate="many_to_one",
    )
    require_keys(fact, "movie_key", "movie_id", "dim_movies version valid that day")
    require_keys(fact, "director_key", "director", "dim_directors row")
    fact["weighted_rating"] = weighted_rating(
        fact["rating"], fact["votes"], minimum_votes, mean_rating(movies)
    )
    fact = fact[COLUMNS[1:]].sort_values("movie_key")
    return with_snapshot_date(fact, day)
