"""The analytics dashboard: one self-contained HTML page a day, kept in the dashboard store.

The page is named after the day it is built (UTC), not after a partition: the analytics
tables it shows describe the warehouse's latest snapshot whatever day a run processed, and
the scorecard describes the checks as they stand. A second build on one day replaces that
day's page; earlier days' pages stay, as a history. The store is IMDB_DASHBOARD_STORE_URI (a
folder or `s3://bucket/prefix`, default `$IMDB_PIPELINE_HOME/dashboards`); a page lives at
`<store>/analytics_dashboard/YYYY-MM-DD.html`.

Its lowest step priority makes it the last step of a run (with the in-process executor): the
checks of the same run, blocking or not, are in its scorecard.
"""

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pandas as pd

from imdb_pipeline.assets.analytics import (
    AGG_DIRECTOR_STATS_KEY,
    AGG_GENRE_TRENDS_KEY,
    AGG_TOP_MOVIES_KEY,
    AGG_YEARLY_REVENUE_KEY,
)
from imdb_pipeline.assets.core import DIM_MOVIES_KEY
from imdb_pipeline.assets.freshness import daily_run_freshness
from imdb_pipeline.assets.tags import layer_tags
from imdb_pipeline.checks.blocking import blocked_upstream, kept_as_before
from imdb_pipeline.constants import DATA_ENGINEERING_OWNER, Layer
from imdb_pipeline.deployment import dashboard_store_uri
from imdb_pipeline.lib.dashboard import previews, queries
from imdb_pipeline.lib.dashboard.scorecard import (
    DEFAULT_RUNS,
    NOT_RUN,
    STATUSES,
    CheckOutcome,
    build_scorecard,
)
from imdb_pipeline.lib.locations import S3Location, join, parse_location
from imdb_pipeline.resources.file_stores import FileStoreResource, StorageError
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline.retries import TRANSIENT_FAILURES

DASHBOARD_NAME = "analytics_dashboard"
DASHBOARD_KEY = dg.AssetKey([Layer.ANALYTICS.value, DASHBOARD_NAME])
# The metadata entry naming the stored page; `imdb-pipeline materialize` prints it.
PAGE_METADATA = "page"
HTML = "text/html; charset=utf-8"
# Today's scorecard totals, as numbers the UI plots run after run.
TODAY_COLUMNS = {status: f"today_{status.replace(' ', '_')}"
                 for status in (*STATUSES, NOT_RUN)}  # fmt: skip


def page_uri(day: dt.date) -> str:
    return join(dashboard_store_uri(), f"{DASHBOARD_NAME}/{day.isoformat()}.html")


def table_name(key: dg.AssetKey) -> str:
    """`schema.table`, as stewards name a table (see `table_key`)."""
    return ".".join(key.path)


def defined_check_keys() -> list[dg.AssetCheckKey]:
    """Every check of the code location. Read from its Definitions, not from the run: a run of
    part of the graph (the dashboard alone) knows only its own checks, and in-process runs have
    no repository to ask."""
    # Imported at run time: the definitions import this module.
    from imdb_pipeline.definitions import defs

    return sorted(defs.resolve_asset_graph().asset_check_keys, key=lambda key: key.to_user_string())


def check_outcomes(
    instance: dg.DagsterInstance, check_keys: list[dg.AssetCheckKey], runs: int
) -> list[CheckOutcome]:
    """Each check's evaluations among its `runs` latest executions (planned or skipped ones,
    which have no result, are left out)."""
    outcomes = []
    for key in check_keys:
        records = instance.event_log_storage.get_asset_check_execution_history(key, limit=runs)
        for record in records:
            evaluation = record.evaluation
            if not isinstance(evaluation, dg.AssetCheckEvaluation):
                continue
            outcomes.append(CheckOutcome(
                table=table_name(key.asset_key), check=key.name, run_id=record.run_id,
                at=dt.datetime.fromtimestamp(record.create_timestamp, dt.UTC),
                passed=evaluation.passed, severity=evaluation.severity.value,
            ))  # fmt: skip
    return outcomes


def certificates(warehouse: WarehouseResource) -> pd.DataFrame:
    with warehouse.connect() as connection, connection.cursor() as cursor:
        cursor.execute(queries.certificates_select())
        rows = cursor.fetchall()
    return pd.DataFrame(rows, columns=list(queries.CERTIFICATE_COLUMNS))


def page_metadata(uri: str) -> dg.MetadataValue:
    if isinstance(parse_location(uri), S3Location):
        return dg.MetadataValue.url(uri)
    return dg.MetadataValue.path(uri)


@dg.asset(
    key=DASHBOARD_KEY,
    group_name=Layer.ANALYTICS.value,
    tags=layer_tags(Layer.ANALYTICS),
    freshness_policy=daily_run_freshness(),
    owners=[DATA_ENGINEERING_OWNER],
    kinds={"plotly", "html"},
    description="One offline HTML page of charts: box office, genres, top movies, directors, "
    "certificates, and the data-quality scorecard.",
    ins={
        "yearly_revenue": dg.AssetIn(AGG_YEARLY_REVENUE_KEY),
        "genre_trends": dg.AssetIn(AGG_GENRE_TRENDS_KEY),
        "top_movies": dg.AssetIn(AGG_TOP_MOVIES_KEY),
        "director_stats": dg.AssetIn(AGG_DIRECTOR_STATS_KEY),
    },
    # Read with a small SELECT: movies per certificate is in no analytics table.
    deps=[DIM_MOVIES_KEY],
    op_tags={"dagster/priority": "-10"},
    retry_policy=TRANSIENT_FAILURES,
    # After a failed blocking check on an analytics table, the last page stays (checks.blocking).
    output_required=False,
)
def analytics_dashboard(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    files: FileStoreResource,
    yearly_revenue: pd.DataFrame,
    genre_trends: pd.DataFrame,
    top_movies: pd.DataFrame,
    director_stats: pd.DataFrame,
) -> Iterator[dg.MaterializeResult | dg.AssetObservation]:
    """Renders the page from the analytics tables and the instance's check history, and stores
    it; the metadata names the page and shows its box-office chart."""
    if blockers := blocked_upstream(context):
        yield from kept_as_before(context, blockers)
        return
    # plotly is imported by the step that draws, not when the code location loads.
    from imdb_pipeline.lib.dashboard import page

    built_at = dt.datetime.now(dt.UTC)
    check_keys = defined_check_keys()
    scorecard = build_scorecard(
        [(table_name(key.asset_key), key.name) for key in check_keys],
        check_outcomes(context.instance, check_keys, DEFAULT_RUNS),
        built_at.date(),
    )
    tables = page.AnalyticsTables(
        yearly_revenue=yearly_revenue, genre_trends=genre_trends, top_movies=top_movies,
        director_stats=director_stats, certificates=certificates(warehouse),
    )  # fmt: skip
    html = page.render_page(tables, scorecard, built_at).encode("utf-8")
    uri = page_uri(built_at.date())
    try:
        files.for_uri(uri).write(uri, html, HTML)
    except StorageError as error:
        raise dg.Failure(f"Could not store the dashboard: {error}",
                         allow_retries=error.transient) from None  # fmt: skip
    context.log.info(f"Dashboard stored at {uri}")
    ordered = yearly_revenue.sort_values("year")
    chart = previews.yearly_bars_png(
        [int(year) for year in ordered["year"]], list(ordered["total_gross_millions"]),
        "Box office per release year (US$ M)",
    )  # fmt: skip
    yield dg.MaterializeResult(
        metadata={
            PAGE_METADATA: page_metadata(uri),
            "day": built_at.date().isoformat(),
            "size_bytes": len(html),
            **{f"checks_{status.replace(' ', '_')}_today": int(scorecard.tables[column].sum())
               for status, column in TODAY_COLUMNS.items()},
            "preview": dg.MetadataValue.md(previews.markdown_image(chart, "Box office per year")),
        }
    )
