"""Anomaly checks warn on odd volumes; the raw snapshot's checks find a damaged file. (That a
failed blocking check keeps bad data out of the star schema: test_blocked_runs.py.)"""

import csv
import io
from pathlib import Path

import dagster as dg
import pytest

from imdb_pipeline.constants import ENV_SOURCE_URI
from imdb_pipeline_tests.conftest import SAMPLE
from imdb_pipeline_tests.warehouse_state import (
    materialize_all,
    run_checks_alone,
)

LINES = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)


def _records(count: int) -> list[str]:
    """The header and the first `count` records, whole (a quoted field may span lines)."""
    header, *rows = list(csv.reader(io.StringIO("".join(LINES))))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows[:count]])
    return [buffer.getvalue()]


def _write(path, lines) -> str:
    path.write_text("".join(lines), encoding="utf-8")
    return str(path)


def test_half_the_usual_rows_warns_and_normal_variation_passes(
    warehouse_url, tmp_path, monkeypatch
):
    instance = dg.DagsterInstance.ephemeral()
    staging_only = dg.AssetSelection.groups("raw", "staging")

    def load(day: str, lines: list[str]) -> dict[str, dg.AssetCheckEvaluation]:
        monkeypatch.setenv(ENV_SOURCE_URI, _write(tmp_path / f"{day}.csv", lines))
        result = materialize_all(
            day=day, instance=instance, selection=staging_only, with_checks=True
        )
        assert result.success  # a WARN never fails the run
        return {e.check_name: e for e in result.get_asset_check_evaluations()}

    for day in ("2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"):
        assert load(day, LINES)["row_count_is_usual"].passed

    halved = load("2024-03-05", _records(25))["row_count_is_usual"]
    assert not halved.passed
    assert halved.severity == dg.AssetCheckSeverity.WARN
    assert "below the median 53" in halved.metadata["anomalies"].value["dagster/row_count"]

    slightly_fewer = load("2024-03-06", _records(48))["row_count_is_usual"]
    assert slightly_fewer.passed


@pytest.mark.parametrize(
    ("damage", "failing", "reason"),
    [
        ("movie_id;title\ntt1;x\n", "header_matches_contract", "missing column(s) movie_id, title"),
        ("", "file_present_and_not_empty", None),
    ],
    ids=["bad header", "emptied"],
)
def test_a_damaged_raw_snapshot_fails_its_check(
    warehouse_url, sample_source, damage, failing, reason
):
    instance = dg.DagsterInstance.ephemeral()
    result = materialize_all(
        instance=instance, selection=dg.AssetSelection.groups("raw"), with_checks=True
    )
    assert all(e.passed for e in result.get_asset_check_evaluations())
    [raw] = result.asset_materializations_for_node("raw__raw_imdb_movies")
    snapshot = Path(raw.metadata["raw_uri"].value)
    snapshot.chmod(0o644)
    snapshot.write_text(damage, encoding="utf-8")
    raw_checks = {
        dg.AssetCheckKey(raw.asset_key, "header_matches_contract"),
        dg.AssetCheckKey(raw.asset_key, "file_present_and_not_empty"),
    }

    checked = run_checks_alone(instance, raw_checks)

    outcomes = {e.check_name: e for e in checked.get_asset_check_evaluations()}
    assert not outcomes[failing].passed
    assert outcomes[failing].severity == dg.AssetCheckSeverity.ERROR
    if reason:
        assert reason in outcomes[failing].metadata["reason"].value
        assert outcomes["file_present_and_not_empty"].passed


def test_a_changed_column_type_is_reported_as_schema_drift(warehouse_url):
    from imdb_pipeline.assets.warehouse_table import table_spec, written
    from imdb_pipeline.constants import WAREHOUSE_IO_MANAGER_KEY
    from imdb_pipeline.io_managers.postgres import WarehouseIOManager
    from imdb_pipeline.lib import pg_tables
    from imdb_pipeline.lib.warehouse_tables import Column, Table
    from imdb_pipeline.resources.warehouse import WarehouseResource

    # The same table declared with votes as a number, then (a careless change) as text.
    declarations = iter(
        Table("core", "drifting", (Column("votes", type_, False),), primary_key=("votes",))
        for type_ in ("bigint", "text")
    )

    @dg.multi_asset(specs=[table_spec(Table("core", "drifting", (), ()), "Votes, drifting.")])
    def drifting(warehouse: WarehouseResource):
        table = next(declarations)
        with warehouse.build_transaction() as cursor:
            rows = pg_tables.replace_table_as(cursor, table, "SELECT 1 AS votes")
            yield dg.MaterializeResult(metadata=written(cursor, table, rows))

    [schema_check] = dg.build_column_schema_change_checks(assets=[drifting])
    warehouse = WarehouseResource()
    resources = {"warehouse": warehouse,
                 WAREHOUSE_IO_MANAGER_KEY: WarehouseIOManager(warehouse=warehouse)}  # fmt: skip
    instance = dg.DagsterInstance.ephemeral()
    first = dg.materialize([drifting, schema_check], resources=resources, instance=instance)
    second = dg.materialize([drifting, schema_check], resources=resources, instance=instance)

    assert first.get_asset_check_evaluations()[0].passed
    [drift] = second.get_asset_check_evaluations()
    assert not drift.passed
    assert drift.severity == dg.AssetCheckSeverity.WARN
