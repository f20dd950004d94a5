"""Analytics layer: tables ready for BI tools, describing the latest daily snapshot.

They read only the latest day present in the fact and bridges, so re-running an older day
leaves them as they are. Built by SQL inside the warehouse, side by side, and put in place all
four together, in one transaction.
"""

from collections.abc import Callable

import dagster as dg
from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.assets.core import (
    BRIDGE_MOVIE_GENRE_KEY,
    DIM_DIRECTORS_KEY,
    DIM_GENRES_KEY,
    DIM_MOVIES_KEY,
    FACT_KEY,
)
from imdb_pipeline.assets.freshness import daily_run_freshness
from imdb_pipeline.assets.load_context import step_run, table_load
from imdb_pipeline.assets.warehouse_table import (
    BuiltAside,
    build_aside,
    build_side_by_side_then_swap,
    owned_tables,
    scratch_table,
    table_key,
    table_spec,
    written,
)
from imdb_pipeline.checks.blocking import blocked_upstream, kept_as_before
from imdb_pipeline.lib import aggregates
from imdb_pipeline.lib.dashboard import previews
from imdb_pipeline.lib.warehouse_tables import (
    AGG_DIRECTOR_STATS,
    AGG_GENRE_TRENDS,
    AGG_TOP_MOVIES,
    AGG_YEARLY_REVENUE,
    BRIDGE_MOVIE_GENRE,
    DIM_DIRECTORS,
    DIM_GENRES,
    DIM_MOVIES,
    FACT_MOVIE_PERFORMANCE,
    STG_MOVIES,
    Table,
)
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline.retries import TRANSIENT_FAILURES

AGG_DIRECTOR_STATS_KEY = table_key(AGG_DIRECTOR_STATS)
AGG_GENRE_TRENDS_KEY = table_key(AGG_GENRE_TRENDS)
AGG_YEARLY_REVENUE_KEY = table_key(AGG_YEARLY_REVENUE)
AGG_TOP_MOVIES_KEY = table_key(AGG_TOP_MOVIES)

# The fact's partitions feed the analytics as a whole: they read its latest day.
FACT_AND_MOVIES = [FACT_KEY, DIM_MOVIES_KEY]
LATEST_MOVIES = "latest_movies"
# The scratch table of the latest day's movies lives beside the staged rows, out of BI's view.
SCRATCH_SCHEMA = STG_MOVIES.schema
# Built side by side, one group per connection: the genre trends (a join with the bridge) take
# about as long as the other three together.
BUILD_GROUPS = [
    [AGG_GENRE_TRENDS_KEY],
    [AGG_DIRECTOR_STATS_KEY, AGG_YEARLY_REVENUE_KEY, AGG_TOP_MOVIES_KEY],
]


# The metadata entry holding a small chart of the table's data (a PNG, in markdown).
CHART_METADATA = "chart"


def chart(cursor: PgCursor, table: Table) -> dict:
    """A chart of the table's shape for its asset page, from a few hundred rows at most."""
    cursor.execute(previews.preview_select(table))
    png = previews.preview_png(table, cursor.fetchall())
    markdown = previews.markdown_image(png, previews.TITLES[table.name])
    return {CHART_METADATA: dg.MetadataValue.md(markdown)}


class AnalyticsConfig(dg.Config):
    top_movies_size: int = aggregates.DEFAULT_TOP_SIZE
    """How many movies agg_top_movies keeps."""
    top_movies_minimum_votes: int = aggregates.DEFAULT_TOP_MINIMUM_VOTES
    """Movies with fewer votes are not ranked in agg_top_movies."""


@dg.multi_asset(
    name="build_analytics",
    specs=[
        table_spec(AGG_DIRECTOR_STATS, "Per director: movies, average rating and metascore, votes, "
                   "gross, career span, best movie.", deps=[*FACT_AND_MOVIES, DIM_DIRECTORS_KEY],
                   freshness_policy=daily_run_freshness()),
        table_spec(AGG_GENRE_TRENDS, "Per genre and year: movies, average rating, gross and the "
                   "genre's share of that year.",
                   deps=[*FACT_AND_MOVIES, BRIDGE_MOVIE_GENRE_KEY, DIM_GENRES_KEY],
                   freshness_policy=daily_run_freshness()),
        table_spec(AGG_YEARLY_REVENUE, "Per release year: movies, box-office totals and averages, "
                   "and year-over-year growth.", deps=FACT_AND_MOVIES,
                   freshness_policy=daily_run_freshness()),
        table_spec(AGG_TOP_MOVIES, "The top movies by weighted rating among those with enough "
                   "votes, ranked 1..N.", deps=FACT_AND_MOVIES,
                   freshness_policy=daily_run_freshness()),
    ],
    can_subset=True,
    retry_policy=TRANSIENT_FAILURES,
)
def build_analytics(
    context: dg.AssetExecutionContext, config: AnalyticsConfig, warehouse: WarehouseResource
):
    """The analytics tables of the latest snapshot. The latest day's movies are joined once to
    dim_movies into a scratch table; the tables are built from it side by side on two
    connections, then put in place together in one transaction: BI tools always see a set that
    describes the same day. Tables a killed earlier run left behind are dropped first."""
    if blockers := blocked_upstream(context):
        yield from kept_as_before(context, blockers)
        return
    latest_movies = aggregates.latest_movies_select(
        FACT_MOVIE_PERFORMANCE.qualified, DIM_MOVIES.qualified
    )
    schemas = [SCRATCH_SCHEMA, AGG_DIRECTOR_STATS.schema]
    with owned_tables(warehouse, schemas) as owner, \
            scratch_table(warehouse, SCRATCH_SCHEMA, LATEST_MOVIES, latest_movies, owner) as latest:
        builds = {
            AGG_DIRECTOR_STATS_KEY: (
                AGG_DIRECTOR_STATS,
                aggregates.agg_director_stats_select(latest, DIM_DIRECTORS.qualified), {},
            ),
            AGG_GENRE_TRENDS_KEY: (
                AGG_GENRE_TRENDS,
                aggregates.agg_genre_trends_select(
                    latest, BRIDGE_MOVIE_GENRE.qualified, DIM_GENRES.qualified
                ), {},
            ),
            AGG_YEARLY_REVENUE_KEY: (
                AGG_YEARLY_REVENUE, aggregates.agg_yearly_revenue_select(latest), {},
            ),
            AGG_TOP_MOVIES_KEY: (
                AGG_TOP_MOVIES,
                aggregates.agg_top_movies_select(
                    latest, config.top_movies_size, config.top_movies_minimum_votes
                ),
                {"size": config.top_movies_size, "minimum_votes": config.top_movies_minimum_votes},
            ),
        }  # fmt: skip

        def build_group(keys: list[dg.AssetKey]) -> Callable[[PgCursor], list[BuiltAside]]:
            return lambda cursor: [build_aside(cursor, key, *builds[key][:2], owner) for key in keys]

        selected = context.selected_asset_keys
        groups = [[key for key in group if key in selected] for group in BUILD_GROUPS]
        run = step_run(context)
        loads = {key: table_load(run, key, builds[key][0]) for key in selected}
        built = build_side_by_side_then_swap(
            warehouse, [build_group(keys) for keys in groups if keys], [AGG_DIRECTOR_STATS.schema],
            loads,
        )
    with warehouse.connect() as connection, connection.cursor() as cursor:
        results = [
            (table.key, written(cursor, table.table, table.rows, **builds[table.key][2],
                                build_seconds=table.seconds, **chart(cursor, table.table)))
            for table in built
        ]  # fmt: skip
    for key, metadata in results:
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)
