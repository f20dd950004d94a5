"""Bridge tables between movies and their many genres and actors."""

import pandas as pd

from imdb_pipeline.lib.lists import explode_list


def bridge_movie_genre(
    movies: pd.DataFrame, dim_movies: pd.DataFrame, dim_genres: pd.DataFrame
) -> pd.DataFrame:
    pairs = _keyed_items(movies, "genre", dim_movies, dim_genres, "genre_key", "genre_name")
    return pairs[["movie_key", "genre_key"]].sort_values(["movie_key", "genre_key"], ignore_index=True)


def bridge_movie_actor(
    movies: pd.DataFrame, dim_movies: pd.DataFrame, dim_actors: pd.DataFrame
) -> pd.DataFrame:
    """Movie to actor, with the actor's billing order (1 = first-billed star)."""
    pairs = _keyed_items(movies, "stars", dim_movies, dim_actors, "actor_key", "actor_name")
    pairs = pairs.rename(columns={"position": "billing_order"}).astype({"billing_order": "Int32"})
    return pairs[["movie_key", "actor_key", "billing_order"]].sort_values(
        ["movie_key", "billing_order"], ignore_index=True
    )


def _keyed_items(movies, column, dim_movies, dimension, key, name) -> pd.DataFrame:
    items = explode_list(movies, "movie_id", column, name)
    items = items.merge(dim_movies[["movie_id", "movie_key"]], on="movie_id", validate="many_to_one")
    return items.merge(dimension[[key, name]], on=name, validate="many_to_one")
