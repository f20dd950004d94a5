"""What a data steward sees in the real Dagster UI, in a real browser.

One webserver on 127.0.0.1 (`-m imdb_pipeline.definitions`, as `imdb-pipeline ui` starts it)
with an instance of its own (DefaultRunCoordinator: runs launched from the UI start without a
daemon), the Data Docs served as `imdb-pipeline ui` serves them, and two days of source files
behind one IMDB_SOURCE_URI with `{date}`: a good day, then a day whose export is broken (far
more rows rejected than the ceiling allows). Both runs are launched by clicking "Materialize
all" on the asset graph and choosing the day; the runs' outcomes are read through GraphQL,
everything else from the pages. Screenshots of each step are saved in test-artifacts/.
"""

import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from imdb_pipeline import cli
from imdb_pipeline.constants import (
    DATE_PLACEHOLDER,
    ENV_DATA_DOCS_URL,
    ENV_PIPELINE_HOME,
    ENV_SOURCE_URI,
    ENV_WAREHOUSE_URL,
    Layer,
)
from imdb_pipeline_tests.browser import browser_page, screenshot
from imdb_pipeline_tests.conftest import SAMPLE, free_port
from imdb_pipeline_tests.dagster_processes import (
    DONE,
    process_environment,
    run_status,
    running_webserver,
)

GOOD_DAY, BROKEN_DAY = "2024-06-01", "2024-06-02"
WAIT_SECONDS = 120
# Ten rows with a rating of 99: rejected by the source contract. With the sample's own two
# rejects, 12 of 65 rows (18.46 %) are rejected, above the 5 % ceiling.
BROKEN_ROW = ("tt{:07d},Broken Export,2001,R,100,Drama,99.0,50,Rating out of range.,A B,"
              '"C D, E F",10,\n')
BROKEN_IDS = [f"tt{9_000_000 + n:07d}" for n in range(10)]
INSTANCE = """\
# Runs launched from the UI start at once: no daemon in this test.
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
nux:
  enabled: false
telemetry:
  enabled: false
"""


@dataclass
class DagsterUI:
    url: str
    docs_url: str
    log: Path

    def wait_for_run(self, run_id: str) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while (status := run_status(self.url, run_id)) not in DONE:
            if time.monotonic() > deadline:
                raise AssertionError(f"run {run_id} did not end:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.5)
        return status


@pytest.fixture
def dagster_ui(warehouse_url, isolated_environment, tmp_path, monkeypatch) -> Iterator[DagsterUI]:
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy(SAMPLE, sources / f"imdb_movies_{GOOD_DAY}.csv")
    broken = SAMPLE.read_text(encoding="utf-8") + "".join(
        BROKEN_ROW.format(9_000_000 + n) for n in range(len(BROKEN_IDS)))  # fmt: skip
    (sources / f"imdb_movies_{BROKEN_DAY}.csv").write_text(broken, encoding="utf-8")
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(INSTANCE)
    docs_url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv(ENV_DATA_DOCS_URL, docs_url)
    docs_server = cli.serve_data_docs()  # in this process, from the same pipeline home
    assert docs_server is not None
    environment = process_environment({
        "DAGSTER_HOME": str(dagster_home),
        ENV_WAREHOUSE_URL: warehouse_url,
        ENV_SOURCE_URI: str(sources / f"imdb_movies_{DATE_PLACEHOLDER}.csv"),
        ENV_PIPELINE_HOME: str(isolated_environment),
        ENV_DATA_DOCS_URL: docs_url,
    })  # fmt: skip
    log = tmp_path / "webserver.log"
    try:
        with running_webserver(environment, log, WAIT_SECONDS) as url:
            yield DagsterUI(url, docs_url, log)
    finally:
        docs_server.shutdown()
        docs_server.server_close()


def _materialize_all_from_the_graph(page, ui: DagsterUI, day: str, step: str) -> str:
    """Click "Materialize all" on the asset graph, choose one day, launch; the run's id."""
    page.goto(f"{ui.url}/asset-groups")
    page.get_by_role("button", name="Materialize all").click()
    dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
    # The dialog offers the last 90 days at first; the day may be older.
    dialog.get_by_role("button", name="Show all partitions").click()
    partitions = dialog.get_by_role("textbox")
    partitions.fill(day)
    partitions.press("Enter")
    launch = dialog.get_by_role("button", name="Launch 1 run")  # one run, not a backfill
    launch.wait_for()
    _settled(page)
    screenshot(page, f"ui_{step}_partition_dialog")
    launch.click()
    view = page.locator("a[href^='/runs/']").filter(has_text="View")  # the "Launched run" toast
    view.wait_for()
    screenshot(page, f"ui_{step}_launched")
    return view.get_attribute("href").removeprefix("/runs/")


# An entry of the Checks tab's list: the check's name, then its latest status.
CHECK_ENTRY = "span:has(> div[title{}]):has(> span)"


def _check_list_entry(page, check: str):
    return page.locator(CHECK_ENTRY.format(f"='{check}'")).first


def _metadata_value(page, name: str) -> str:
    row = page.locator("tr").filter(has=page.get_by_text(name, exact=True))
    return row.locator("td").last.inner_text().strip()


def _open_check(page, ui: DagsterUI, check: str) -> None:
    page.goto(f"{ui.url}/assets/staging/stg_movies?view=checks")
    _check_list_entry(page, check).click()
    page.get_by_text("Latest execution").wait_for()


def _latest_execution(page) -> tuple[str, str]:
    """The evaluation result and partition under "Latest execution"."""
    section = page.locator("div").filter(has=page.get_by_text("Evaluation result", exact=True))
    result = section.last.get_by_text("Passed", exact=True).or_(
        section.last.get_by_text("Failed", exact=True))  # fmt: skip
    partition = page.get_by_text("Partition", exact=True).locator("xpath=following-sibling::*[1]")
    return result.first.inner_text(), partition.first.inner_text()


def _settled(page) -> None:
    """Wait for the dialogs' fade-in to end, so the screenshot shows what a person sees."""
    fading_in = page.locator(".bp5-overlay-appear-active, .bp5-overlay-enter-active")
    fading_in.first.wait_for(state="detached")


def _assert_downstream_shows_kept(page, ui: DagsterUI, good_run: str, blocked_run: str) -> None:
    """core/dim_movies after the blocked run: not "Failed", its latest materialization still the
    good run's, and its events say why the blocked run kept it."""
    page.goto(f"{ui.url}/assets/core/dim_movies")
    page.get_by_text("Latest materialization").wait_for()
    screenshot(page, "ui_6_downstream_overview")
    assert page.get_by_text("Failed", exact=False).count() == 0, page.locator("body").inner_text()
    page.goto(f"{ui.url}/assets/core/dim_movies?view=events")
    # The newest event, shown first: the blocked run's observation, saying why.
    page.get_by_text("Kept its previous content: blocked by the failed check "
                     "staging/stg_movies/reject_rate_below_ceiling.").wait_for()  # fmt: skip
    assert page.get_by_text(f"Observed in run {blocked_run[:8]}").count() == 1
    screenshot(page, "ui_6_downstream_events")
    # The event before it: the good run's materialization, the table's content.
    # The list of events, newest first, then the selected event's own heading: all dates.
    dates = page.get_by_text(re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2} [AP]M$"))
    assert dates.count() == 3, dates.all_inner_texts()  # two events, one heading
    dates.nth(1).click()
    page.get_by_text(f"Materialized in run {good_run[:8]}").wait_for()
    # The core group's graph: its tables materialized (by the good run), none failed.
    page.goto(f"{ui.url}/locations/{cli.CODE_LOCATION}/asset-groups/core")
    page.get_by_text("dim_movies", exact=True).first.wait_for()
    page.get_by_text("Materialized", exact=True).first.wait_for()  # statuses come after nodes
    screenshot(page, "ui_6_core_group_after_the_blocked_run")
    assert page.get_by_text("Failed").count() == 0, page.locator("body").inner_text()


def test_a_steward_materializes_from_the_ui_and_reads_the_checks(dagster_ui):
    ui = dagster_ui
    with browser_page() as page:
        # The asset graph shows the four layers as groups.
        page.goto(f"{ui.url}/asset-groups")
        page.get_by_role("button", name="Materialize all").wait_for()
        for layer in Layer:
            page.get_by_text(layer.value, exact=True).first.wait_for()
        screenshot(page, "ui_1_asset_groups")
        for layer in Layer:
            assert page.get_by_text(layer.value, exact=True).count() >= 2, layer  # tree + graph

        # A good day, launched from the UI, succeeds; every check of stg_movies passes for it.
        good_run = _materialize_all_from_the_graph(page, ui, GOOD_DAY, "2_good_day")
        assert ui.wait_for_run(good_run) == "SUCCESS", ui.log.read_text()[-3000:]
        _open_check(page, ui, "reject_rate_below_ceiling")
        screenshot(page, "ui_3_checks_of_the_good_day")
        entries = page.locator(CHECK_ENTRY.format(""))
        names = [entry.locator("div[title]").get_attribute("title") for entry in entries.all()]
        assert {"movie_id_is_valid", "values_within_ranges", "certificates_are_known",
                "columns_complete_enough", "reject_rate_below_ceiling"} <= set(names)  # fmt: skip
        statuses = {name: _check_list_entry(page, name).inner_text() for name in names}
        assert all(status.endswith("Succeeded") for status in statuses.values()), statuses
        assert _latest_execution(page) == ("Passed", GOOD_DAY)
        assert _metadata_value(page, "reject_rate_percent") == "3.64"  # 2 of 55 rows

        # An analytics table shows its tags and its freshness policy's deadline.
        page.goto(f"{ui.url}/assets/analytics/agg_top_movies")
        page.get_by_text("Latest materialization").wait_for()
        for shown in ("domain: movies", "layer: analytics", "tier: gold",
                      "Deadline: At 04:00 AM UTC"):  # fmt: skip
            page.get_by_text(shown, exact=True).first.wait_for()
        screenshot(page, "ui_3_analytics_overview")

        # A broken export: the blocking reject-rate check fails, and blocks the run: the tables
        # after staging keep their content, and the run ends with nothing failed in it.
        blocked_run = _materialize_all_from_the_graph(page, ui, BROKEN_DAY, "4_broken_day")
        assert ui.wait_for_run(blocked_run) == "SUCCESS", ui.log.read_text()[-3000:]
        _open_check(page, ui, "reject_rate_below_ceiling")
        assert _check_list_entry(page, "reject_rate_below_ceiling").inner_text().endswith("Failed")
        assert _latest_execution(page) == ("Failed", BROKEN_DAY)
        assert _metadata_value(page, "reject_rate_percent") == "18.46"  # 12 of 65 rows
        assert _metadata_value(page, "ceiling_percent") == "5"
        screenshot(page, "ui_5_failed_check")
        samples = page.locator("tr").filter(has=page.get_by_text("samples", exact=True))
        samples.get_by_text("[Show JSON]").click()
        shown = page.get_by_role("dialog").filter(has_text="samples")
        shown.wait_for()
        _settled(page)
        screenshot(page, "ui_5_failed_check_samples")
        text = shown.inner_text()
        assert '"movie_id"' in text
        assert all(movie in text for movie in BROKEN_IDS), text
        shown.get_by_role("button", name="Close").click()

        # The Data Docs link opens the validation's page, styled, with nothing from a CDN.
        data_docs = page.locator("tr").filter(has=page.get_by_text("data_docs", exact=True))
        link = data_docs.locator(f"a[href^='{ui.docs_url}/validations/staging/stg_movies/']")
        link = link.first  # the metadata value (its wider twin opens the same page)
        outside, stylesheets = [], {}

        def local_only(route):
            if route.request.url.startswith((ui.docs_url, ui.url)):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        def stylesheet(response):
            if response.request.resource_type == "stylesheet":
                stylesheets[response.url] = response.status

        page.context.route("**/*", local_only)
        page.context.on("response", stylesheet)
        with page.context.expect_page() as opened:
            link.click()  # target=_blank: a new tab, as a steward sees it
        docs = opened.value
        docs.wait_for_load_state("load")
        style = docs.evaluate("""() => ({
            title: document.title,
            padding: getComputedStyle(document.querySelector('.container-fluid')).paddingLeft,
            font: getComputedStyle(document.body).fontFamily,
        })""")
        screenshot(docs, "ui_5_data_docs_page")
        assert "stg_movies" in docs.content()
        assert any("bootstrap" in url for url in stylesheets), stylesheets
        assert set(stylesheets.values()) == {200}, stylesheets
        assert style["padding"] == "48px", style  # Bootstrap's pl-5: its stylesheet applies
        assert style["font"].startswith('"DejaVu Sans"'), style  # the project's stylesheet
        assert outside == []
        docs.close()

        _assert_downstream_shows_kept(page, ui, good_run, blocked_run)
