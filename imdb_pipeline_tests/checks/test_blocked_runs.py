"""After a day a blocking check stops, the tables after it keep their previous content, and
Dagster's UI shows them so: not failed, their last materialization the previous good one, each
with an observation of the run that kept it. Read through the GraphQL API of a real webserver,
which is what the UI draws from."""

import time

import dagster as dg

from imdb_pipeline import cli
from imdb_pipeline.assets.dashboard import DASHBOARD_KEY
from imdb_pipeline.checks.blocking import (
    BLOCKED_BY_METADATA,
    BLOCKED_TAG,
    KEPT_METADATA,
)
from imdb_pipeline.constants import Layer
from imdb_pipeline_tests.blocked_day import (
    BLOCKED_DAY,
    BLOCKING_CHECK,
    GOOD_DAY,
    run_good_then_blocked_day,
)
from imdb_pipeline_tests.dagster_processes import (
    graphql,
    process_environment,
    running_webserver,
)
from imdb_pipeline_tests.warehouse_state import table_fingerprints

# What the asset graph reads for each node (Dagster's AssetNode live data).
ASSETS = """query Assets($keys: [AssetKeyInput!]!) {
  assetsLatestInfo(assetKeys: $keys) {
    assetKey { path } latestRun { id status } latestMaterialization { runId partition }
  }
  assetNodes(assetKeys: $keys) {
    assetKey { path } partitionStats { numMaterialized numFailed }
    assetChecksOrError { ... on AssetChecks { checks {
      name executionForLatestMaterialization { runId status } } } }
  }
}"""
KEPT_LAYERS = (Layer.CORE.value, Layer.ANALYTICS.value)
BLOCKING_CHECK_NAME = "staging/stg_movies/reject_rate_below_ceiling"


def _served(url: str) -> dict:
    return {table: fingerprint for table, fingerprint in table_fingerprints(url).items()
            if table.split(".")[0] in KEPT_LAYERS}  # fmt: skip


def test_a_blocked_day_keeps_the_tables_after_it_and_shows_them_as_kept(
    warehouse_url, tmp_path, monkeypatch
):
    from imdb_pipeline.definitions import defs

    home = tmp_path / "dagster_home"
    home.mkdir()
    instance = dg.DagsterInstance.from_config(str(home))
    first_day_tables, second_day_started = None, None

    def remember_served():
        nonlocal first_day_tables, second_day_started
        first_day_tables = _served(warehouse_url)
        second_day_started = time.time()

    with instance:
        days = run_good_then_blocked_day(instance, tmp_path, monkeypatch,
                                         after_good_day=remember_served)  # fmt: skip
        good, blocked = days.good.run_id, days.blocked.run_id

        # The warehouse: the tables after staging hold the first day's content.
        assert _served(warehouse_url) == first_day_tables
        # The run: it ends without failing (that would show its assets as failed) and names
        # the check that blocked it, which failed.
        run = instance.get_run_by_id(blocked)
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags[BLOCKED_TAG] == BLOCKING_CHECK_NAME
        [failed] = [e for e in days.blocked.get_asset_check_evaluations() if not e.passed]
        assert failed.asset_check_key == BLOCKING_CHECK
        assert failed.severity == dg.AssetCheckSeverity.ERROR
        assert {e.asset_key.path[0] for e in days.blocked.get_asset_materialization_events()} \
            == {Layer.RAW.value, Layer.STAGING.value}  # fmt: skip

        kept = sorted(
            (key for key in defs.resolve_asset_graph().get_all_asset_keys()
             if key.path[0] in KEPT_LAYERS and key != DASHBOARD_KEY),
            key=lambda key: key.path,
        )  # fmt: skip
        assert len(kept) >= 10
        # Each kept table records, in the blocked run, that it kept its content and why.
        for key in kept:
            records = instance.fetch_observations(key, limit=5).records
            notes = [r.asset_observation.metadata for r in records if r.run_id == blocked]
            assert len(notes) == 1, key
            assert notes[0][KEPT_METADATA].value is True
            assert notes[0][BLOCKED_BY_METADATA].value == BLOCKING_CHECK_NAME

        # `imdb-pipeline materialize` exits non-zero and tells what was kept.
        code, report = cli.run_outcome({"DAGSTER_HOME": str(home)}, second_day_started,
                                       BLOCKED_DAY, 0)  # fmt: skip
        assert code == cli.BLOCKED_EXIT_CODE
        assert (f"The run {blocked} was blocked: the blocking check "
                "staging/stg_movies/reject_rate_below_ceiling failed") in report  # fmt: skip
        assert f"  staging.stg_movies  (day {BLOCKED_DAY})" in report
        assert "Unchanged, as before the run: " in report, report
        unchanged = set(report.split("Unchanged, as before the run: ")[1].split(", "))
        assert {".".join(key.path) for key in kept} == unchanged
        # What `imdb-pipeline validate` reads to exit non-zero.
        assert cli.failed_blocking_checks({"DAGSTER_HOME": str(home)}, second_day_started,
                                          BLOCKED_DAY) == BLOCKING_CHECK_NAME  # fmt: skip

        environment = process_environment({
            "DAGSTER_HOME": str(home), "IMDB_WAREHOUSE_URL": warehouse_url,
            "IMDB_PIPELINE_HOME": str(tmp_path / "pipeline_home"),
        })  # fmt: skip
        with running_webserver(environment, tmp_path / "webserver.log") as url:
            keys = [{"path": key.path} for key in [BLOCKING_CHECK.asset_key, *kept]]
            answer = graphql(url, ASSETS, {"keys": keys})

    latest = {tuple(info["assetKey"]["path"]): info for info in answer["assetsLatestInfo"]}
    nodes = {tuple(node["assetKey"]["path"]): node for node in answer["assetNodes"]}
    for key in kept:
        info, node = latest[tuple(key.path)], nodes[tuple(key.path)]
        # The UI shows an asset as failed when the latest run that planned it failed without
        # materializing it; a day partition the same way (partitionStats.numFailed).
        assert info["latestRun"] == {"id": blocked, "status": "SUCCESS"}, key
        assert info["latestMaterialization"]["runId"] == good, key
        if node["partitionStats"] is not None:
            assert node["partitionStats"] == {"numMaterialized": 1, "numFailed": 0}, key
            assert info["latestMaterialization"]["partition"] == GOOD_DAY, key
        statuses = {check["executionForLatestMaterialization"]["status"]
                    for check in node["assetChecksOrError"]["checks"]}  # fmt: skip
        assert statuses <= {"SUCCEEDED", "SKIPPED"}, (key, statuses)
    staging_checks = {check["name"]: check["executionForLatestMaterialization"]
                      for check in nodes[tuple(BLOCKING_CHECK.asset_key.path)]
                      ["assetChecksOrError"]["checks"]}  # fmt: skip
    assert staging_checks[BLOCKING_CHECK.name] == {"runId": blocked, "status": "FAILED"}


def test_a_raw_snapshot_outside_its_bounds_keeps_staging_as_it_was(warehouse_url, sample_source):
    from imdb_pipeline.definitions import defs
    from imdb_pipeline.resources.quality import QualityResource

    instance = dg.DagsterInstance.ephemeral()
    raw_and_staging = dg.AssetSelection.groups(Layer.RAW.value, Layer.STAGING.value)
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        resources={**defs.resources, "quality": QualityResource(raw_max_rows=10)},
        instance=instance, partition_key=GOOD_DAY, selection=raw_and_staging,
    )  # fmt: skip

    assert result.success
    assert instance.get_run_by_id(result.run_id).tags[BLOCKED_TAG] == (
        "raw/raw_imdb_movies/row_count_within_bounds"
    )
    assert {e.asset_key.path[0] for e in result.get_asset_materialization_events()} == {"raw"}
    observations = [e.asset_observation_data.asset_observation
                    for e in result.get_asset_observation_events()]  # fmt: skip
    # The staging tables (the step after the raw file, and everything the run had after them).
    assert {o.asset_key.to_user_string(): o.partition for o in observations} == {
        "staging/stg_movies": GOOD_DAY, "staging/stg_movies_rejects": GOOD_DAY,
    }  # fmt: skip
