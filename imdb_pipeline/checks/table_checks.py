"""The warehouse tables' data-quality checks, one check step per stage of the graph."""

from imdb_pipeline.checks import staging_suite, suites
from imdb_pipeline.checks.factory import SuiteBuilder, build_table_checks
from imdb_pipeline.checks.rules import TableSuite
from imdb_pipeline.lib.warehouse_tables import (
    BRIDGE_MOVIE_ACTOR,
    BRIDGE_MOVIE_GENRE,
    DIM_ACTORS,
    DIM_DIRECTORS,
    DIM_GENRES,
)


def fixed(suite: TableSuite) -> SuiteBuilder:
    """A suite that depends on neither the day nor the thresholds."""
    return lambda day, thresholds: suite


staging_checks = build_table_checks(
    "staging_quality",
    "Contract rules on the day's staged movies: ids, ranges, certificates, completeness, rejects.",
    [staging_suite.stg_movies],
)

dimension_checks = build_table_checks(
    "dimension_quality",
    "Keys of the dimensions and consistency of the movie versions.",
    [
        fixed(suites.dim_movies()),
        fixed(suites.name_dimension(DIM_DIRECTORS, "director_key", "director_name")),
        fixed(suites.name_dimension(DIM_GENRES, "genre_key", "genre_name")),
        fixed(suites.name_dimension(DIM_ACTORS, "actor_key", "actor_name")),
    ],
)

fact_checks = build_table_checks(
    "fact_and_bridge_quality",
    "The day's fact and bridge rows: unique, and every key resolves to its dimension.",
    [
        fixed(suites.fact_movie_performance()),
        fixed(suites.bridge(BRIDGE_MOVIE_GENRE, "genre_key", "dim_genres")),
        fixed(suites.bridge(BRIDGE_MOVIE_ACTOR, "actor_key", "dim_actors")),
    ],
)

analytics_checks = build_table_checks(
    "analytics_quality",
    "The analytics tables reconcile with the fact's latest snapshot; the ranking has no gaps.",
    [
        fixed(suites.agg_yearly_revenue()),
        fixed(suites.agg_director_stats()),
        fixed(suites.agg_genre_trends()),
        lambda day, thresholds: suites.agg_top_movies(thresholds),
    ],
)

TABLE_CHECKS = [staging_checks, dimension_checks, fact_checks, analytics_checks]
