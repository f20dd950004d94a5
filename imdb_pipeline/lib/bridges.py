"""Bridge tables between movies and their many genres and actors, one slice per day, as SQL.

A slice is the day's staged movies keyed to the dim_movies version valid that day, one row per
item of their `genre` or `stars` list keyed by name. LEFT JOINs keep a row whose key is not found
(its key is NULL, which the table's NOT NULL refuses); the `unresolved_*_select` functions
name such rows for `facts.unresolved_message`.
"""

import datetime as dt

from imdb_pipeline.constants import SNAPSHOT_DATE
from imdb_pipeline.lib.dimensions import list_items_sql
from imdb_pipeline.lib.facts import (
    MOVIE_VERSION_MISSING,
    KeyCheck,
    movie_version_join,
    unresolved_select,
)
from imdb_pipeline.lib.server_version import NEWEST
from imdb_pipeline.lib.sql_text import day_sql, quote


def bridge_movie_genre_select(
    stg_movies: str, dim_movies: str, dim_genres: str, day: dt.date, server_version: int = NEWEST
) -> str:
    """(snapshot_date, movie_key, genre_key) for every genre of every movie of the day."""
    return f"""
        SELECT {day_sql(day)} AS {quote(SNAPSHOT_DATE)}, m.movie_key, g.genre_key
        {_items_from(stg_movies, dim_movies, "genre", day, server_version)}
        LEFT JOIN {dim_genres} AS g ON g.genre_name = item.name
        {_of_the_day(day)}
    """


def bridge_movie_actor_select(
    stg_movies: str, dim_movies: str, dim_actors: str, day: dt.date, server_version: int = NEWEST
) -> str:
    """(snapshot_date, movie_key, actor_key, billing_order) for every star of every movie of
    the day; billing_order is the star's place in the list, 1 = first billed."""
    return f"""
        SELECT {day_sql(day)} AS {quote(SNAPSHOT_DATE)}, m.movie_key, a.actor_key,
               item.position::integer AS billing_order
        {_items_from(stg_movies, dim_movies, "stars", day, server_version)}
        LEFT JOIN {dim_actors} AS a ON a.actor_name = item.name
        {_of_the_day(day)}
    """


def unresolved_genre_links_select(
    stg_movies: str, dim_movies: str, dim_genres: str, day: dt.date, server_version: int = NEWEST
) -> str:
    """Rows of `bridge_movie_genre_select` without a key, for `facts.unresolved_message`."""
    return _unresolved_links(stg_movies, dim_movies, dim_genres, "genre", "genre", day,
                             server_version)  # fmt: skip


def unresolved_actor_links_select(
    stg_movies: str, dim_movies: str, dim_actors: str, day: dt.date, server_version: int = NEWEST
) -> str:
    """Rows of `bridge_movie_actor_select` without a key, for `facts.unresolved_message`."""
    return _unresolved_links(stg_movies, dim_movies, dim_actors, "stars", "actor", day,
                             server_version)  # fmt: skip


def _unresolved_links(
    stg_movies: str, dim_movies: str, dimension: str, column: str, kind: str, day: dt.date,
    server_version: int,
) -> str:
    keyed = f"""
        SELECT s.movie_id, m.movie_key, item.name AS {kind}_name, d.{kind}_key
        {_items_from(stg_movies, dim_movies, column, day, server_version)}
        LEFT JOIN {dimension} AS d ON d.{kind}_name = item.name
        {_of_the_day(day)}
    """
    return unresolved_select(keyed, [
        KeyCheck("movie_key", "movie_id", MOVIE_VERSION_MISSING),
        KeyCheck(f"{kind}_key", f"{kind}_name", f"row in the {kind} dimension"),
    ])  # fmt: skip


def _items_from(
    stg_movies: str, dim_movies: str, column: str, day: dt.date, server_version: int
) -> str:
    """FROM staged movies (`s`), their version valid on `day` (`m`) and list items (`item`)."""
    return f"""
        FROM {stg_movies} AS s
        {movie_version_join(dim_movies, "s.movie_id", day)}
        {list_items_sql("s", column, server_version=server_version)}
    """


def _of_the_day(day: dt.date) -> str:
    return f"WHERE s.{quote(SNAPSHOT_DATE)} = {day_sql(day)} AND item.name <> ''"
