"""Core layer: the star schema. Dimensions are slowly changing (movies type 2, names type 1)
and derived from the staging history; bridges and the fact hold one slice per day."""

import datetime as dt

import dagster as dg
import pandas as pd

from imdb_pipeline.assets.staging import STG_MOVIES
from imdb_pipeline.assets.warehouse_table import table_properties
from imdb_pipeline.constants import SNAPSHOT_DATE, Layer
from imdb_pipeline.io_managers.postgres import UPSERT, UPSERT_KEY, WRITE_MODE
from imdb_pipeline.lib import bridges, dimensions, facts, movie_versions
from imdb_pipeline.partitions import daily_snapshots
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline.retries import TRANSIENT_FAILURES


def core_table(description: str, primary_key: list[str], daily: bool = False, **kwargs):
    """An asset stored as a table in the core schema; `daily` ones hold a slice per day."""
    properties = table_properties(Layer.CORE, description, primary_key)
    if daily:
        properties["metadata"]["partition_expr"] = SNAPSHOT_DATE
        kwargs["partitions_def"] = daily_snapshots
    return dg.asset(
        key_prefix=Layer.CORE.value, retry_policy=TRANSIENT_FAILURES, **properties, **kwargs
    )


def staging_history(*columns: str) -> dict[str, dg.AssetIn]:
    """Every day of stg_movies, only these columns."""
    return {"history": dg.AssetIn(key=STG_MOVIES, metadata={"columns": [SNAPSHOT_DATE, *columns]})}


DAY_OF_STAGING = {"stg_movies": dg.AssetIn(key=STG_MOVIES)}


def _new_names(context, warehouse, history, key: str, name: str) -> pd.DataFrame:
    existing = warehouse.read_table(context.asset_key)
    rows = dimensions.new_named_rows(history, "item", existing, key, name)
    context.add_output_metadata({"new_keys": len(rows)})
    return rows


def name_dimension(description: str, key: str, name: str, history: dict[str, dg.AssetIn]):
    """A type 1 dimension of names: each run upserts the names not seen before, with new keys;
    no row is ever removed or renumbered."""
    properties = table_properties(Layer.CORE, description, [key])
    properties["metadata"].update({WRITE_MODE: UPSERT, UPSERT_KEY: [name]})
    return dg.asset(
        key_prefix=Layer.CORE.value, ins=history, retry_policy=TRANSIENT_FAILURES, **properties
    )


@name_dimension("Directors, one row per name, with a surrogate key that never changes.",
                "director_key", "director_name", staging_history("director"))  # fmt: skip
def dim_directors(
    context: dg.AssetExecutionContext, history: pd.DataFrame, warehouse: WarehouseResource
) -> pd.DataFrame:
    names = history.rename(columns={"director": "item"})
    return _new_names(context, warehouse, names, "director_key", "director_name")


@name_dimension("Genres, one row per name, with a surrogate key that never changes.",
                "genre_key", "genre_name", staging_history("movie_id", "genre"))  # fmt: skip
def dim_genres(
    context: dg.AssetExecutionContext, history: pd.DataFrame, warehouse: WarehouseResource
) -> pd.DataFrame:
    names = dimensions.list_item_history(history, "genre", "item")
    return _new_names(context, warehouse, names, "genre_key", "genre_name")


@name_dimension("Actors, one row per name, with a surrogate key that never changes.",
                "actor_key", "actor_name", staging_history("movie_id", "stars"))  # fmt: skip
def dim_actors(
    context: dg.AssetExecutionContext, history: pd.DataFrame, warehouse: WarehouseResource
) -> pd.DataFrame:
    names = dimensions.list_item_history(history, "stars", "item")
    return _new_names(context, warehouse, names, "actor_key", "actor_name")


@core_table(
    "Movie versions (SCD type 2): a change of title, year, certificate, runtime, description or "
    "director opens a new version with a new movie_key.",
    ["movie_key"],
    ins=staging_history("movie_id", *movie_versions.TRACKED_ATTRIBUTES),
)
def dim_movies(
    context: dg.AssetExecutionContext, history: pd.DataFrame, warehouse: WarehouseResource
) -> pd.DataFrame:
    existing = warehouse.read_table(context.asset_key)
    table = movie_versions.movie_versions(history, existing)
    context.add_output_metadata(
        {
            "versions": len(table),
            "current_versions": int(table["is_current"].sum()),
            "missing_from_latest_snapshot": int(
                (table["is_current"] & ~table["in_latest_snapshot"]).sum()
            ),
        }
    )
    return table


def _day(context: dg.AssetExecutionContext) -> dt.date:
    return dt.date.fromisoformat(context.partition_key)


@core_table("Which genres each movie has, per day.", [SNAPSHOT_DATE, "movie_key", "genre_key"],
            daily=True, ins=DAY_OF_STAGING)  # fmt: skip
def bridge_movie_genre(
    context: dg.AssetExecutionContext,
    stg_movies: pd.DataFrame,
    dim_movies: pd.DataFrame,
    dim_genres: pd.DataFrame,
) -> pd.DataFrame:
    day = _day(context)
    keys = movie_versions.versions_on(dim_movies, day)
    return bridges.bridge_movie_genre(stg_movies, keys, dim_genres, day)


@core_table("Which actors star in each movie, in billing order, per day.",
            [SNAPSHOT_DATE, "movie_key", "actor_key"], daily=True, ins=DAY_OF_STAGING)  # fmt: skip
def bridge_movie_actor(
    context: dg.AssetExecutionContext,
    stg_movies: pd.DataFrame,
    dim_movies: pd.DataFrame,
    dim_actors: pd.DataFrame,
) -> pd.DataFrame:
    day = _day(context)
    keys = movie_versions.versions_on(dim_movies, day)
    return bridges.bridge_movie_actor(stg_movies, keys, dim_actors, day)


class WeightedRatingConfig(dg.Config):
    minimum_votes: int = facts.DEFAULT_MINIMUM_VOTES
    """`m` in IMDb's weighted rating: votes at which a movie's own rating weighs half."""


FACT_KEY = dg.AssetKey([Layer.CORE.value, "fact_movie_performance"])


@core_table(
    "Ratings, votes and gross per movie and day, with IMDb's Bayesian weighted rating.",
    [SNAPSHOT_DATE, "movie_key"],
    daily=True,
    ins=DAY_OF_STAGING,
    # Each day after the one before: a backfill processes days in date order.
    deps=[dg.AssetDep(FACT_KEY, partition_mapping=dg.TimeWindowPartitionMapping(-1, -1))],
)
def fact_movie_performance(
    context: dg.AssetExecutionContext,
    config: WeightedRatingConfig,
    stg_movies: pd.DataFrame,
    dim_movies: pd.DataFrame,
    dim_directors: pd.DataFrame,
) -> pd.DataFrame:
    day = _day(context)
    keys = movie_versions.versions_on(dim_movies, day)
    fact = facts.fact_movie_performance(stg_movies, keys, dim_directors, day, config.minimum_votes)
    context.add_output_metadata(
        {
            "weighted_rating_m": config.minimum_votes,
            "weighted_rating_C": round(facts.mean_rating(stg_movies), 4),
            **facts.key_measures(fact),
        }
    )
    return fact
