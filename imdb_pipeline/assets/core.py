"""Core layer: the star schema (dimensions with stable keys, bridges and the fact)."""

import dagster as dg
import pandas as pd

from imdb_pipeline.assets.staging import STG_MOVIES
from imdb_pipeline.assets.warehouse_table import table_properties
from imdb_pipeline.constants import Layer
from imdb_pipeline.lib import bridges, dimensions, facts
from imdb_pipeline.resources.warehouse import WarehouseResource


def core_table(description: str, primary_key: list[str], **kwargs):
    """An asset stored as a table in the core schema."""
    return dg.asset(
        key_prefix=Layer.CORE.value,
        **table_properties(Layer.CORE, description, primary_key),
        **kwargs,
    )


STAGED = {"stg_movies": dg.AssetIn(key=STG_MOVIES)}


def _named_dimension(context, warehouse, names: pd.Series, key: str, name: str) -> pd.DataFrame:
    previous = warehouse.read_table(context.asset_key)
    table = dimensions.named_dimension(names, previous, key, name)
    context.add_output_metadata({"new_keys": len(table) - (0 if previous is None else len(previous))})
    return table


@core_table("Directors, one row per name, with a surrogate key that never changes.",
            ["director_key"], ins=STAGED)  # fmt: skip
def dim_directors(
    context: dg.AssetExecutionContext, stg_movies: pd.DataFrame, warehouse: WarehouseResource
) -> pd.DataFrame:
    return _named_dimension(
        context, warehouse, stg_movies["director"], "director_key", "director_name"
    )


@core_table("Genres, one row per name, with a surrogate key that never changes.",
            ["genre_key"], ins=STAGED)  # fmt: skip
def dim_genres(
    context: dg.AssetExecutionContext, stg_movies: pd.DataFrame, warehouse: WarehouseResource
) -> pd.DataFrame:
    names = dimensions.list_items(stg_movies, "genre")
    return _named_dimension(context, warehouse, names, "genre_key", "genre_name")


@core_table("Actors, one row per name, with a surrogate key that never changes.",
            ["actor_key"], ins=STAGED)  # fmt: skip
def dim_actors(
    context: dg.AssetExecutionContext, stg_movies: pd.DataFrame, warehouse: WarehouseResource
) -> pd.DataFrame:
    names = dimensions.list_items(stg_movies, "stars")
    return _named_dimension(context, warehouse, names, "actor_key", "actor_name")


@core_table("Movies with their descriptive attributes, decade and runtime bucket.",
            ["movie_key"], ins=STAGED)  # fmt: skip
def dim_movies(
    context: dg.AssetExecutionContext, stg_movies: pd.DataFrame, warehouse: WarehouseResource
) -> pd.DataFrame:
    return dimensions.dim_movies(stg_movies, warehouse.read_table(context.asset_key))


@core_table("Which genres each movie belongs to.", ["movie_key", "genre_key"], ins=STAGED)
def bridge_movie_genre(
    stg_movies: pd.DataFrame, dim_movies: pd.DataFrame, dim_genres: pd.DataFrame
) -> pd.DataFrame:
    return bridges.bridge_movie_genre(stg_movies, dim_movies, dim_genres)


@core_table("Which actors star in each movie, in billing order.", ["movie_key", "actor_key"],
            ins=STAGED)  # fmt: skip
def bridge_movie_actor(
    stg_movies: pd.DataFrame, dim_movies: pd.DataFrame, dim_actors: pd.DataFrame
) -> pd.DataFrame:
    return bridges.bridge_movie_actor(stg_movies, dim_movies, dim_actors)


class WeightedRatingConfig(dg.Config):
    minimum_votes: int = facts.DEFAULT_MINIMUM_VOTES
    """`m` in IMDb's weighted rating: votes at which a movie's own rating weighs half."""


@core_table("Ratings, votes and gross per movie, with IMDb's Bayesian weighted rating.",
            ["movie_key"], ins=STAGED)  # fmt: skip
def fact_movie_performance(
    context: dg.AssetExecutionContext,
    config: WeightedRatingConfig,
    stg_movies: pd.DataFrame,
    dim_movies: pd.DataFrame,
    dim_directors: pd.DataFrame,
) -> pd.DataFrame:
    fact = facts.fact_movie_performance(stg_movies, dim_movies, dim_directors, config.minimum_votes)
    context.add_output_metadata(
        {
            "weighted_rating_m": config.minimum_votes,
            "weighted_rating_C": round(float(fact["rating"].mean()), 4) if len(fact) else None,
        }
    )
    return fact
