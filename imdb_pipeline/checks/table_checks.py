"""The warehouse tables' data-quality checks, one check step per stage of the graph."""


from imdb_pipeline.checks import suites
from imdb_pipeline.checks.factory import build_table_checks

staging_checks = build_table_checks(
    "staging_quality",
    "Contract rules on the day's staged movies: ids, ranges, certificates, completeness, rejects.",
    [suites.stg_movies],
)

dimension_checks = build_table_checks(
    "dimension_quality",
    "Keys of the dimensions and consistency of the movie versions.",
    [
        lambda day, thresholds: suites.dim_movies(),
        lambda day, thresholds: suites.name_dimension("dim_directors", "director_key", "director_name"),
        lambda day, thresholds: suites.name_dimension("dim_genres", "genre_key", "genre_name"),
        lambda day, thresholds: suites.name_dimension("dim_actors", "actor_key", "actor_name"),
    ],
)

fact_checks = build_table_checks(
    "fact_and_bridge_quality",
    "The day's fact and bridge rows: unique, and every key resolves to its dimension.",
    [
        lambda day, thresholds: suites.fact_movie_performance(),
        lambda day, thresholds: suites.bridge("bridge_movie_genre", "genre_key", "dim_genres"),
        lambda day, thresholds: suites.bridge("bridge_movie_actor", "actor_key", "dim_actors"),
    ],
)

analytics_checks = build_table_checks(
    "analytics_quality",
    "The analytics tables reconcile with the fact's latest snapshot; the ranking has no gaps.",
    [
        lambda day, thresholds: suites.agg_yearly_revenue(),
        lambda day, thresholds: suites.agg_director_stats(),
        lambda day, thresholds: suites.agg_genre_trends(),
        lambda day, thresholds: suites.agg_top_movies(thresholds),
    ],
)

TABLE_CHECKS = [staging_checks, dimension_checks, fact_checks, analytics_checks]
