"""Bridge tables between movies and their many genres and actors, per daily snapshot."""

import datetime as dt

import pandas as pd

from imdb_pipeline.lib.facts import require_keys
from imdb_pipeline.lib.lists import explode_list
from imdb_pipeline.lib.snapshots import with_snapshot_date


def bridge_movie_genre(
    movies: pd.DataFrame, movie_keys: pd.DataFrame, dim_genres: pd.DataFrame, day: dt.date
) -> pd.DataFrame:
    pairs = _keyed_items(movies, "genre", movie_keys, dim_genres, "genre_key", "genre_name")
    pairs = pairs[["movie_key", "genre_key"]].sort_values(["movie_key", "genre_key"])
    return with_snapshot_date(pairs, day)


def bridge_movie_actor(
    movies: pd.DataFrame, movie_keys: pd.DataFrame, dim_actors: pd.DataFrame, day: dt.date
) -> pd.DataFrame:
    """Movie to actor, with the actor's billing order (1 = first-billed star)."""
    pairs = _keyed_items(movies, "stars", movie_keys, dim_actors, "actor_key", "actor_name")
    pairs = pairs.rename(columns={"position": "billing_order"}).astype({"billing_order": "Int32"})
    pairs = pairs[["movie_key", "actor_key", "billing_order"]].sort_values(
        ["movie_key", "billing_order"]
    )
    return with_snapshot_date(pairs, day)


def _keyed_items(movies, column, movie_keys, dimension, key, name) -> pd.DataFrame:
    """`movies` is one day's snapshot; `movie_keys` maps movie_id to the version valid that day."""
    items = explode_list(movies, "movie_id", column, name)
    items = items.merge(movie_keys, on="movie_id", how="left", validate="many_to_one")
    items = items.merge(dimension[[key, name]], on=name, how="left", validate="many_to_one")
    require_keys(items, "movie_key", "movie_id", "dim_movies version valid that day")
    require_keys(items, key, name, f"row in the {name.split('_')[0]} dimension")
    return items.astype({"movie_key": "Int64", key: "Int64"})
