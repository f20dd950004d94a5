"""Core layer: the star schema, built by SQL inside the warehouse.

Dimensions are slowly changing (movies type 2, names type 1) and derived from the whole staging
history; bridges and the fact hold one partition per day. Each step builds its tables at the
same time on separate connections: they do not depend on one another.
"""

import datetime as dt
from collections.abc import Callable

import dagster as dg
from psycopg2 import errors
from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.assets.load_context import step_run
from imdb_pipeline.assets.staging import STG_MOVIES_KEY
from imdb_pipeline.assets.warehouse_table import build_tables, table_key, table_spec, written
from imdb_pipeline.checks.blocking import blocked_upstream, kept_as_before
from imdb_pipeline.lib import (
    bridges,
    dimension_sources,
    dimensions,
    facts,
    movie_versions,
    pg_tables,
)
from imdb_pipeline.lib.warehouse_tables import (
    BRIDGE_MOVIE_ACTOR,
    BRIDGE_MOVIE_GENRE,
    DIM_ACTORS,
    DIM_DIRECTORS,
    DIM_GENRES,
    DIM_MOVIES,
    FACT_MOVIE_PERFORMANCE,
    STG_MOVIES,
    Table,
)
from imdb_pipeline.partitions import daily_snapshots
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline.retries import TRANSIENT_FAILURES

DIM_MOVIES_KEY = table_key(DIM_MOVIES)
DIM_DIRECTORS_KEY = table_key(DIM_DIRECTORS)
DIM_GENRES_KEY = table_key(DIM_GENRES)
DIM_ACTORS_KEY = table_key(DIM_ACTORS)
BRIDGE_MOVIE_GENRE_KEY = table_key(BRIDGE_MOVIE_GENRE)
BRIDGE_MOVIE_ACTOR_KEY = table_key(BRIDGE_MOVIE_ACTOR)
FACT_KEY = table_key(FACT_MOVIE_PERFORMANCE)

HISTORY = STG_MOVIES.qualified


def _names(table: Table, new_rows: Callable[[str, str | None, int], str]) -> Callable[[PgCursor], dict]:
    """Add the names of the days staged since the dimension was last written (all days the
    first time). Names are never removed, so a name missing from the dimension appears in no
    day it was derived from: the new days alone give every name to add, and its first day."""

    def build(cursor: PgCursor) -> dict:
        staged, before = dimension_sources.read_state(cursor, STG_MOVIES, table)
        days = dimension_sources.changed_days(staged, before)
        history = HISTORY if before is None else dimension_sources.days_of(STG_MOVIES, days)
        rows = 0
        if before is None or days:
            version = cursor.connection.server_version
            rows = pg_tables.insert_rows_as(
                cursor, table, lambda existing: new_rows(history, existing, version)
            )
        dimension_sources.record(cursor, table, staged)
        cursor.execute(f"SELECT count(*) FROM {table.qualified}")
        return written(cursor, table, rows, new_keys=rows, table_row_count=cursor.fetchone()[0],
                       staged_days_read=len(days))  # fmt: skip

    return build


PREVIOUS_DIM_MOVIES = dimension_sources.previous_state(DIM_MOVIES)


def _dim_movies(cursor: PgCursor) -> dict:
    """Fold the days staged since the last build into dim_movies when they all come after the
    days it was derived from. Otherwise fold them into the state before the last fold (kept
    aside for that) when they come after its days: the latest day staged again, as a re-run of
    today does. Otherwise rebuild the versions from the whole staging history. With no day
    staged since, the table stays as it is."""
    staged, before = dimension_sources.read_state(cursor, STG_MOVIES, DIM_MOVIES)
    keep_old_as, days, versions = None, [], None
    if staged == before:
        built_from = "unchanged"  # nothing staged since: already what the history gives
    elif before is not None and dimension_sources.only_later_days(staged, before):
        built_from, keep_old_as = "dim_movies and the new days", PREVIOUS_DIM_MOVIES
        days = dimension_sources.changed_days(staged, before)
        versions = movie_versions.dim_movies_fold_select(
            DIM_MOVIES.qualified, dimension_sources.days_of(STG_MOVIES, days)
        )
    elif before and (previous := dimension_sources.recorded(cursor, PREVIOUS_DIM_MOVIES)) and \
            dimension_sources.only_later_days(staged, previous):
        built_from = "the previous dim_movies and the days after it"
        days = dimension_sources.changed_days(staged, previous)
        versions = movie_versions.dim_movies_fold_select(
            PREVIOUS_DIM_MOVIES.qualified, dimension_sources.days_of(STG_MOVIES, days),
            keys_from=DIM_MOVIES.qualified,
        )  # fmt: skip
    else:
        built_from, days = "the whole history", sorted(staged)
        # A past day staged again: the previous state no longer comes before the changes.
        dimension_sources.forget(cursor, PREVIOUS_DIM_MOVIES)
        existing = DIM_MOVIES.qualified if pg_tables.table_exists(cursor, *DIM_MOVIES_KEY.path) else None
        versions = movie_versions.dim_movies_select(HISTORY, existing)
    if versions is not None:
        pg_tables.replace_table_as(cursor, DIM_MOVIES, versions, keep_old_as)
        if keep_old_as is not None:
            dimension_sources.record(cursor, keep_old_as, before)
    dimension_sources.record(cursor, DIM_MOVIES, staged)
    cursor.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_current), "
        f"count(*) FILTER (WHERE is_current AND NOT in_latest_snapshot) FROM {DIM_MOVIES.qualified}"
    )
    rows, current, missing = cursor.fetchone()
    return written(
        cursor, DIM_MOVIES, rows,
        versions=rows, current_versions=current, missing_from_latest_snapshot=missing,
        staged_days_read=len(days), built_from=built_from,
    )  # fmt: skip


# Longest first: with two connections, the short builds then fill in beside the long ones.
DIMENSION_BUILDS = {
    DIM_ACTORS_KEY: _names(DIM_ACTORS, dimensions.new_actors_select),
    DIM_MOVIES_KEY: _dim_movies,
    # A director is one value, not a list: the same SQL on every server version.
    DIM_DIRECTORS_KEY: _names(
        DIM_DIRECTORS, lambda history, existing, _: dimensions.new_directors_select(history, existing)
    ),
    DIM_GENRES_KEY: _names(DIM_GENRES, dimensions.new_genres_select),
}


@dg.multi_asset(
    name="build_dimensions",
    specs=[
        table_spec(DIM_MOVIES, "Movie versions (SCD type 2): a change of title, year, certificate, "
                   "runtime, description or director opens a new version with a new movie_key.",
                   deps=[STG_MOVIES_KEY]),
        table_spec(DIM_DIRECTORS, "Directors, one row per name, with a surrogate key that never "
                   "changes.", deps=[STG_MOVIES_KEY]),
        table_spec(DIM_GENRES, "Genres, one row per name, with a surrogate key that never changes.",
                   deps=[STG_MOVIES_KEY]),
        table_spec(DIM_ACTORS, "Actors, one row per name, with a surrogate key that never changes.",
                   deps=[STG_MOVIES_KEY]),
    ],  # fmt: skip
    can_subset=True,
    retry_policy=TRANSIENT_FAILURES,
)
def build_dimensions(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Every dimension as the whole staging history gives it, reading only the days staged
    since its last build where that gives the same result; existing keys are never changed."""
    if blockers := blocked_upstream(context):
        yield from kept_as_before(context, blockers)
        return
    builds = {key: build for key, build in DIMENSION_BUILDS.items() if key in context.selected_asset_keys}
    with warehouse.connect() as connection, connection.cursor() as cursor:
        dimension_sources.ensure_table(cursor)
    yield from build_tables(warehouse, builds, step_run(context))


class WeightedRatingConfig(dg.Config):
    minimum_votes: int = facts.DEFAULT_MINIMUM_VOTES
    """`m` in IMDb's weighted rating: votes at which a movie's own rating weighs half."""


def _day_table(
    table: Table,
    select: str,
    unresolved: str,
    what: str,
    day: dt.date,
    measures: Callable[[PgCursor], dict] | None = None,
) -> Callable[[PgCursor], dict]:
    """Build one day of a bridge or the fact. A row whose key does not resolve makes the load
    fail (NOT NULL); it is then reported by its natural key rather than a constraint name, and
    not retried: the same rows would fail again."""

    def build(cursor: PgCursor) -> dict:
        cursor.execute("SAVEPOINT day_table")
        try:
            rows = pg_tables.replace_partition_as(cursor, table, day, select)
        except errors.NotNullViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT day_table")
            cursor.execute(unresolved)
            raise dg.Failure(
                description=facts.unresolved_message(cursor.fetchall(), what), allow_retries=False
            ) from None
        return written(cursor, table, rows, day, **(measures(cursor) if measures else {}))

    return build


@dg.multi_asset(
    name="build_daily_star",
    specs=[
        table_spec(BRIDGE_MOVIE_GENRE, "Which genres each movie has, per day.",
                   deps=[STG_MOVIES_KEY, DIM_MOVIES_KEY, DIM_GENRES_KEY],
                   partitions_def=daily_snapshots),
        table_spec(BRIDGE_MOVIE_ACTOR, "Which actors star in each movie, in billing order, per day.",
                   deps=[STG_MOVIES_KEY, DIM_MOVIES_KEY, DIM_ACTORS_KEY],
                   partitions_def=daily_snapshots),
        table_spec(FACT_MOVIE_PERFORMANCE,
                   "Ratings, votes and gross per movie and day, with IMDb's Bayesian weighted rating.",
                   # Each day after the one before: a backfill processes days in date order.
                   deps=[STG_MOVIES_KEY, DIM_MOVIES_KEY, DIM_DIRECTORS_KEY,
                         dg.AssetDep(FACT_KEY, partition_mapping=dg.TimeWindowPartitionMapping(-1, -1))],
                   partitions_def=daily_snapshots),
    ],  # fmt: skip
    partitions_def=daily_snapshots,
    can_subset=True,
    retry_policy=TRANSIENT_FAILURES,
)
def build_daily_star(
    context: dg.AssetExecutionContext, config: WeightedRatingConfig, warehouse: WarehouseResource
):
    """The day's bridges and fact, keyed to the movie versions valid that day."""
    if blockers := blocked_upstream(context):
        yield from kept_as_before(context, blockers)
        return
    day = dt.date.fromisoformat(context.partition_key)
    version = warehouse.server_version()
    stg, movies = STG_MOVIES.qualified, DIM_MOVIES.qualified
    genres, actors, directors = DIM_GENRES.qualified, DIM_ACTORS.qualified, DIM_DIRECTORS.qualified

    def fact_measures(cursor: PgCursor) -> dict:
        """The day's headline numbers for anomaly checks, and m and C of the weighted rating.
        The fact holds every staged movie of the day, so C, the day's mean rating, is the
        fact's average rating: no second pass over staging."""
        cursor.execute(facts.key_measures_select(FACT_MOVIE_PERFORMANCE.qualified, day))
        measures = dict(zip(facts.KEY_MEASURES, map(float, cursor.fetchone())))
        return {"weighted_rating_m": config.minimum_votes,
                "weighted_rating_C": measures["avg_rating"], **measures}  # fmt: skip

    # Longest first (see DIMENSION_BUILDS).
    builds = {
        BRIDGE_MOVIE_ACTOR_KEY: _day_table(
            BRIDGE_MOVIE_ACTOR, bridges.bridge_movie_actor_select(stg, movies, actors, day, version),
            bridges.unresolved_actor_links_select(stg, movies, actors, day, version), "actor link",
            day,
        ),
        FACT_KEY: _day_table(
            FACT_MOVIE_PERFORMANCE,
            facts.fact_movie_performance_select(stg, movies, directors, day, config.minimum_votes),
            facts.unresolved_movies_select(stg, movies, directors, day), "movie", day,
            fact_measures,
        ),
        BRIDGE_MOVIE_GENRE_KEY: _day_table(
            BRIDGE_MOVIE_GENRE, bridges.bridge_movie_genre_select(stg, movies, genres, day, version),
            bridges.unresolved_genre_links_select(stg, movies, genres, day, version), "genre link",
            day,
        ),
    }  # fmt: skip
    selected = {key: build for key, build in builds.items() if key in context.selected_asset_keys}
    yield from build_tables(warehouse, selected, step_run(context), day)
