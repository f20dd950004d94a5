"""Analytics layer: tables ready for BI tools, describing the latest daily snapshot.

They read only the latest day present in the fact and bridges, so re-running an older day
leaves them as they are.
"""

import dagster as dg
import pandas as pd

from imdb_pipeline.assets.core import (
    bridge_movie_genre,
    dim_directors,
    dim_genres,
    dim_movies,
    fact_movie_performance,
)
from imdb_pipeline.assets.warehouse_table import table_properties
from imdb_pipeline.constants import Layer
from imdb_pipeline.io_managers.postgres import LATEST_PARTITION_ONLY
from imdb_pipeline.lib import aggregates
from imdb_pipeline.retries import TRANSIENT_FAILURES

FACT = {
    "fact": dg.AssetIn(
        key=fact_movie_performance.key, metadata={LATEST_PARTITION_ONLY: True}
    )
}
MOVIES = {"movies": dg.AssetIn(key=dim_movies.key)}


def analytics_table(description: str, primary_key: list[str], ins: dict[str, dg.AssetIn]):
    """An asset stored as a table in the analytics schema."""
    return dg.asset(
        key_prefix=Layer.ANALYTICS.value,
        **table_properties(Layer.ANALYTICS, description, primary_key),
        ins={**FACT, **MOVIES, **ins},
        retry_policy=TRANSIENT_FAILURES,
    )


@analytics_table(
    "Per director: movies, average rating and metascore, votes, gross, career span, best movie.",
    ["director_name"],
    {"directors": dg.AssetIn(key=dim_directors.key)},
)
def agg_director_stats(
    fact: pd.DataFrame, movies: pd.DataFrame, directors: pd.DataFrame
) -> pd.DataFrame:
    return aggregates.agg_director_stats(fact, movies, directors)


@analytics_table(
    "Per genre and year: movies, average rating, gross and the genre's share of that year.",
    ["genre_name", "year"],
    {
        "bridge": dg.AssetIn(
            key=bridge_movie_genre.key, metadata={LATEST_PARTITION_ONLY: True}
        ),
        "genres": dg.AssetIn(key=dim_genres.key),
    },
)
def agg_genre_trends(
    fact: pd.DataFrame, movies: pd.DataFrame, bridge: pd.DataFrame, genres: pd.DataFrame
) -> pd.DataFrame:
    return aggregates.agg_genre_trends(fact, movies, bridge, genres)


@analytics_table(
    "Per release year: movies, box-office totals and averages, and year-over-year growth.",
    ["year"],
    {},
)
def agg_yearly_revenue(fact: pd.DataFrame, movies: pd.DataFrame) -> pd.DataFrame:
    return aggregates.agg_yearly_revenue(fact, movies)


class TopMoviesConfig(dg.Config):
    size: int = aggregates.DEFAULT_TOP_SIZE
    """How many movies the ranking keeps."""
    minimum_votes: int = aggregates.DEFAULT_TOP_MINIMUM_VOTES
    """Movies with fewer votes are not ranked."""


@analytics_table(
    "The top movies by weighted rating among those with enough votes, ranked 1..N.",
    ["rank"],
    {},
)
def agg_top_movies(
    context: dg.AssetExecutionContext,
    config: TopMoviesConfig,
    fact: pd.DataFrame,
    movies: pd.DataFrame,
) -> pd.DataFrame:
    context.add_output_metadata({"size": config.size, "minimum_votes": config.minimum_votes})
    return aggregates.agg_top_movies(fact, movies, config.size, config.minimum_votes)
