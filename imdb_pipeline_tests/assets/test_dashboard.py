"""The analytics dashboard on the bundled sample, as a steward opens it: a page from the store,
in a real browser with no network, every chart drawn, and the checks that did not pass named.

One database and one Dagster instance for the module, three runs:
1. the whole graph with its checks, all passing (the dashboard is built last, so its scorecard
   counts every check of its own run);
2. a re-validation after the ranking was broken and with a completeness threshold no export
   meets: one ERROR check fails, one WARN check warns;
3. the dashboard alone, whose scorecard then shows both.
"""

import base64
import io
import os
import re
import uuid
from pathlib import Path

import dagster as dg
import psycopg2
import pytest

from imdb_pipeline.assets.analytics import (
    AGG_DIRECTOR_STATS_KEY,
    AGG_GENRE_TRENDS_KEY,
    AGG_TOP_MOVIES_KEY,
    AGG_YEARLY_REVENUE_KEY,
    CHART_METADATA,
)
from imdb_pipeline.assets.dashboard import DASHBOARD_KEY, PAGE_METADATA
from imdb_pipeline.constants import ENV_PIPELINE_HOME, ENV_SOURCE_URI, ENV_WAREHOUSE_URL
from imdb_pipeline_tests.browser import browser_page, screenshot
from imdb_pipeline_tests.conftest import SAMPLE, admin
from imdb_pipeline_tests.warehouse_state import DAY, materialize_all

AGGREGATES = [AGG_YEARLY_REVENUE_KEY, AGG_GENRE_TRENDS_KEY, AGG_TOP_MOVIES_KEY,
              AGG_DIRECTOR_STATS_KEY]  # fmt: skip
CHARTS = ["yearly-revenue-chart", "genre-trends-chart", "top-movies-chart", "directors-chart",
          "certificates-chart", "check-trend-chart"]  # fmt: skip
BREAK_THE_RANKING = "UPDATE analytics.agg_top_movies SET rank = rank + 100 WHERE rank = 10"
DEMANDING = {"resources": {"quality": {"config": {"metascore_completeness": 1.0}}}}


def materialization(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict:
    [event] = [e for e in result.get_asset_materialization_events()
               if e.asset_key == key]  # fmt: skip
    return event.materialization.metadata


def png_of(markdown: str) -> bytes:
    match = re.fullmatch(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown)
    assert match, markdown[:80]
    return base64.b64decode(match.group(1))


@pytest.fixture(scope="module")
def runs(postgres_server, tmp_path_factory):
    name = f"dashboard_{uuid.uuid4().hex[:8]}"
    admin(postgres_server, f'CREATE DATABASE "{name}"')
    url = postgres_server.url(name)
    instance = dg.DagsterInstance.ephemeral()
    try:
        with pytest.MonkeyPatch.context() as patch:
            for variable in [v for v in os.environ if v.startswith("IMDB_")] + ["DAGSTER_HOME"]:
                patch.delenv(variable, raising=False)
            patch.setenv(ENV_WAREHOUSE_URL, url)
            patch.setenv(ENV_PIPELINE_HOME, str(tmp_path_factory.mktemp("dashboard_home")))
            patch.setenv(ENV_SOURCE_URI, str(SAMPLE))
            clean = materialize_all(instance=instance, with_checks=True, with_dashboard=True)
            clean_page = Path(materialization(clean, DASHBOARD_KEY)[PAGE_METADATA].value)
            clean_html = clean_page.read_text()

            connection = psycopg2.connect(url)
            try:
                with connection, connection.cursor() as cursor:
                    cursor.execute(BREAK_THE_RANKING)
            finally:
                connection.close()
            from imdb_pipeline.definitions import defs

            defs.resolve_job_def("validate_warehouse").execute_in_process(
                instance=instance, raise_on_error=False, run_config=DEMANDING, partition_key=DAY
            )
            dashboard_only = materialize_all(
                instance=instance, with_checks=True, day=None,
                selection=dg.AssetSelection.assets(DASHBOARD_KEY),
            )  # fmt: skip
        yield {"clean": clean, "clean_html": clean_html, "dashboard_only": dashboard_only,
               "check_keys": defs.resolve_asset_graph().asset_check_keys}  # fmt: skip
    finally:
        admin(postgres_server, f'DROP DATABASE "{name}" WITH (FORCE)')


def test_each_aggregate_s_materialization_shows_a_chart_of_its_data(runs):
    from PIL import Image

    for key in AGGREGATES:
        markdown = materialization(runs["clean"], key)[CHART_METADATA]
        assert isinstance(markdown, dg.MarkdownMetadataValue), key
        image = Image.open(io.BytesIO(png_of(markdown.value)))
        assert image.format == "PNG" and image.size[0] >= 400, key


def test_the_dashboard_of_a_clean_run_counts_every_check_of_its_own_run(runs):
    metadata = materialization(runs["clean"], DASHBOARD_KEY)

    # The dashboard is the run's last step: no check of the run is missing from its scorecard.
    assert metadata["checks_passed_today"].value == len(runs["check_keys"])
    assert metadata["checks_not_run_today"].value == 0
    assert (metadata["checks_failed_today"].value, metadata["checks_warned_today"].value) == (0, 0)
    assert "Every check evaluated today passed." in runs["clean_html"]
    assert png_of(metadata["preview"].value).startswith(b"\x89PNG")


def test_the_stored_page_opens_offline_with_every_chart_drawn_and_the_failures_named(runs):
    metadata = materialization(runs["dashboard_only"], DASHBOARD_KEY)
    path = Path(metadata[PAGE_METADATA].value)
    assert path.name == f"{metadata['day'].value}.html"
    assert path.parent.name == DASHBOARD_KEY.path[-1]
    assert (metadata["checks_failed_today"].value, metadata["checks_warned_today"].value) == (1, 1)
    # A run of the dashboard alone still scores every check of the code location.
    counted = sum(metadata[f"checks_{status}_today"].value
                  for status in ("passed", "warned", "failed", "not_run"))  # fmt: skip
    assert counted == len(runs["check_keys"])
    requested = []

    with browser_page(width=1400, height=1000) as page:
        # Offline: anything but the file itself is refused (and recorded).
        def only_the_file(route):
            if route.request.url.startswith("file://"):
                return route.continue_()
            requested.append(route.request.url)
            return route.abort()

        page.route("**/*", only_the_file)
        page.goto(path.as_uri())
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {len(CHARTS)}"
        )
        marks = {
            chart: page.locator(
                f"#{chart} .main-svg .trace, #{chart} .main-svg .hm image"
            ).count()
            for chart in CHARTS
        }
        failing = page.locator("ul.failing li").all_inner_texts()
        top_movies_row = page.locator("table.scorecard tr", has_text="analytics.agg_top_movies")
        failed_today = top_movies_row.locator("td").nth(2).inner_text()
        screenshot(page, "analytics_dashboard")

    assert requested == []
    assert all(count > 0 for count in marks.values()), marks
    assert failing == ["failed analytics.agg_top_movies ranked_without_gaps",
                       "warned staging.stg_movies columns_complete_enough"]  # fmt: skip
    assert failed_today == "1"
