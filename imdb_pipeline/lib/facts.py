"""The movie performance fact and IMDb's weighted rating."""

import pandas as pd

from imdb_pipeline.lib.rounding import round_half_up

# IMDb's Top 250 formula: WR = v/(v+m) * R + m/(v+m) * C, where R is the movie's mean rating,
# v its number of votes, m the votes needed to be listed (the weight given to the prior) and C
# the mean rating across all movies in the fact. A movie with few votes is pulled towards C.
DEFAULT_MINIMUM_VOTES = 25_000


def weighted_rating(
    rating: pd.Series, votes: pd.Series, minimum_votes: int, mean_rating: float
) -> pd.Series:
    weight = votes / (votes + minimum_votes)
    return round_half_up(weight * rating + (1 - weight) * mean_rating, 3)


def fact_movie_performance(
    movies: pd.DataFrame,
    dim_movies: pd.DataFrame,
    dim_directors: pd.DataFrame,
    minimum_votes: int = DEFAULT_MINIMUM_VOTES,
) -> pd.DataFrame:
    """One row per movie of the current source, keyed to its movie and director."""
    fact = movies.merge(dim_movies[["movie_id", "movie_key"]], on="movie_id", validate="one_to_one")
    fact = fact.merge(
        dim_directors[["director_key", "director_name"]],
        left_on="director",
        right_on="director_name",
        validate="many_to_one",
    )
    mean_rating = float(fact["rating"].mean()) if len(fact) else 0.0
    fact["weighted_rating"] = weighted_rating(
        fact["rating"], fact["votes"], minimum_votes, mean_rating
    ).astype("Float64")
    columns = ["movie_key", "director_key", "rating", "metascore", "votes", "gross_millions",
               "weighted_rating"]  # fmt: skip
    return fact[columns].sort_values("movie_key", ignore_index=True)
