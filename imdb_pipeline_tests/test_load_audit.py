"""The audit trail of loads (`audit.load_log`) on a real PostgreSQL: one committed row per table
and day a run loads, written in the load's transaction; failed loads recorded after rollback.

The module's database is loaded three times: the whole graph for a day; the dimensions alone,
with dim_genres' commit made to fail; the analytics alone, with their swap's commit made to fail.
A deferred trigger on the log makes a commit fail after the load's audit row is inserted and
everything else is done: the table and its row must both be rolled back.
"""

import datetime as dt
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import pandas as pd
import psycopg2
import pytest

from imdb_pipeline.assets.analytics import build_analytics
from imdb_pipeline.assets.core import DIM_GENRES_KEY, build_dimensions
from imdb_pipeline.assets.warehouse_table import table_key
from imdb_pipeline.constants import WAREHOUSE_IO_MANAGER_KEY
from imdb_pipeline.io_managers.postgres import WarehouseIOManager
from imdb_pipeline.lib import load_audit
from imdb_pipeline.lib.warehouse_tables import (
    AGG_TOP_MOVIES,
    AGG_YEARLY_REVENUE,
    WAREHOUSE_TABLES,
)
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline_tests.conftest import SAMPLE, module_warehouse, query
from imdb_pipeline_tests.warehouse_state import DAY, materialize_all, table_fingerprints

COLUMNS = "run_id, snapshot_date, asset, table_name, rows_written, rows_rejected, source_sha256, " \
    "db_user, started, finished, status, error_class"  # fmt: skip
FAILING_COMMIT = """
    CREATE FUNCTION audit.fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'commit refused for %%', NEW.asset USING ERRCODE = 'check_violation';
    END $$;
    CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON audit.load_log DEFERRABLE INITIALLY
    DEFERRED FOR EACH ROW WHEN (NEW.status = 'committed' AND NEW.asset = ANY(%s))
    EXECUTE FUNCTION audit.fail_commit();
"""


@dataclass(frozen=True)
class Runs:
    url: str
    whole: dg.ExecuteInProcessResult
    loaded: dict[str, tuple[int, str]]  # table fingerprints after the whole graph
    dimensions: dg.ExecuteInProcessResult
    analytics: dg.ExecuteInProcessResult
    after: dict[str, tuple[int, str]]  # and after the two failed runs
    oids: tuple[dict[str, int], dict[str, int]]  # the tables' OIDs, before and after them


@dataclass(frozen=True)
class Row:
    run_id: str
    snapshot_date: dt.date | None
    asset: str
    table_name: str
    rows_written: int | None
    rows_rejected: int | None
    source_sha256: str | None
    db_user: str
    started: dt.datetime
    finished: dt.datetime
    status: str
    error_class: str | None


def execute(url: str, statement, parameters=None) -> None:
    """Run a statement (or a function of a cursor) and commit."""
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            statement(cursor) if callable(statement) else cursor.execute(statement, parameters)
    finally:
        connection.close()


def table_oids(url: str) -> dict[str, int]:
    """Each whole table's OID: a table put in place by a swap is a new table, with a new OID."""
    return dict(query(url, "SELECT n.nspname || '.' || c.relname, c.oid::bigint FROM pg_class c "
                      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND "
                      "n.nspname IN ('core', 'analytics') AND NOT c.relispartition"))  # fmt: skip


def log(url: str, run_id: str | None = None) -> list[Row]:
    where, parameters = ("WHERE run_id = %s", (run_id,)) if run_id else ("", None)
    rows = query(url, f"SELECT {COLUMNS} FROM audit.load_log {where} ORDER BY load_id", parameters)
    return [Row(*row) for row in rows]


@pytest.fixture(scope="module")
def runs(postgres_server, tmp_path_factory) -> Iterator[Runs]:
    with module_warehouse(postgres_server, tmp_path_factory) as url:
        instance = dg.DagsterInstance.ephemeral()
        whole = materialize_all(instance=instance)
        loaded, before = table_fingerprints(url), table_oids(url)
        failing = [DIM_GENRES_KEY.to_user_string(), table_key(AGG_TOP_MOVIES).to_user_string()]
        execute(url, FAILING_COMMIT, (failing,))
        dimensions = materialize_all(raise_on_error=False, instance=instance, day=None,
                                     selection=dg.AssetSelection.assets(build_dimensions))
        analytics = materialize_all(raise_on_error=False, instance=instance, day=None,
                                    selection=dg.AssetSelection.assets(build_analytics))
        after = table_fingerprints(url)
        yield Runs(url, whole, loaded, dimensions, analytics, after, (before, table_oids(url)))


def test_every_table_loaded_has_one_committed_row_with_its_rows(runs):
    rows = log(runs.url, runs.whole.run_id)
    by_table = {(row.table_name, row.snapshot_date): row for row in rows}
    day = dt.date.fromisoformat(DAY)
    expected = {(f"{t.schema}.{t.name}", day if t.partition_column else None): t
                for t in WAREHOUSE_TABLES}  # fmt: skip
    assert len(rows) == len(by_table) == len(expected)  # exactly one row each
    assert by_table.keys() == expected.keys()
    for (name, day_loaded), table in expected.items():
        row = by_table[(name, day_loaded)]
        assert (row.status, row.error_class) == ("committed", None), name
        assert row.asset == table_key(table).to_user_string()
        assert row.rows_written == runs.loaded[name][0], name  # the first load: every row
    assert by_table[("staging.stg_movies", day)].rows_rejected == runs.loaded[
        "staging.stg_movies_rejects"][0] == 2  # fmt: skip
    others = [row for row in rows if row.table_name != "staging.stg_movies"]
    assert {row.rows_rejected for row in others} == {None}


def test_each_row_names_the_run_the_snapshot_the_user_and_when(runs):
    [raw] = runs.whole.asset_materializations_for_node("raw__raw_imdb_movies")
    sha256 = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert raw.metadata["sha256"].value == sha256
    [(user,)] = query(runs.url, "SELECT current_user")
    for row in log(runs.url, runs.whole.run_id):
        assert row.source_sha256 == sha256, row.table_name
        assert row.db_user == user
        assert row.started.tzinfo is not None and row.started <= row.finished


def test_a_commit_failing_after_the_audit_row_leaves_neither_table_nor_row(runs):
    assert not runs.dimensions.success
    rows = log(runs.url, runs.dimensions.run_id)
    [genres] = [row for row in rows if row.asset == DIM_GENRES_KEY.to_user_string()]  # one: failed
    assert (genres.status, genres.error_class) == ("failed", "psycopg2.errors.CheckViolation")
    assert (genres.rows_written, genres.source_sha256) == (None, None)
    assert genres.started <= genres.finished
    # The other dimensions committed, each in its own transaction; the names had nothing to add.
    others = {row.asset: (row.status, row.rows_written) for row in rows if row is not genres}
    assert others == {"core/dim_movies": ("committed", 53), "core/dim_directors": ("committed", 0),
                      "core/dim_actors": ("committed", 0)}  # fmt: skip
    assert all(row.source_sha256 is None for row in rows)  # the run read no raw snapshot
    assert runs.after["core.dim_genres"] == runs.loaded["core.dim_genres"]


def test_tables_put_in_place_together_fail_together(runs):
    assert not runs.analytics.success
    rows = log(runs.url, runs.analytics.run_id)
    assert sorted(row.table_name for row in rows) == sorted(
        f"{t.schema}.{t.name}" for t in WAREHOUSE_TABLES if t.schema == "analytics")
    assert {(row.status, row.error_class) for row in rows} == {
        ("failed", "psycopg2.errors.CheckViolation")}  # fmt: skip
    # No table was swapped in: the same tables as before, not new ones with the same rows.
    before, after = runs.oids
    assert {name: oid for name, oid in after.items() if name.startswith("analytics.")} == {
        name: oid for name, oid in before.items() if name.startswith("analytics.")}  # fmt: skip
    assert all(runs.after[name] == runs.loaded[name] for name in runs.loaded)


def test_the_log_is_commented_and_created_once(runs):
    [(table, columns)] = query(
        runs.url, "SELECT obj_description('audit.load_log'::regclass), array_agg(col_description("
        "attrelid, attnum)) FROM pg_attribute WHERE attrelid = 'audit.load_log'::regclass AND "
        "attnum > 0 AND NOT attisdropped")  # fmt: skip
    assert table == load_audit.LOAD_LOG.description
    assert all(columns) and len(columns) == len(load_audit.LOAD_LOG.columns)
    execute(runs.url, load_audit.ensure_log)  # again: nothing to do
    assert query(runs.url, "SELECT count(*) FROM pg_class WHERE relname = 'load_log'") == [(1,)]


def test_a_write_refused_half_way_has_a_failed_row_and_no_committed_one(warehouse_url):
    # As in test_postgres_io_manager: the second write is refused at its very last row.
    rows = {"year": [2000], "total_movies": [1], "movies_with_gross": [0], "yoy_growth_pct": [None],
            "total_gross_millions": [None], "avg_gross_millions": [None]}  # fmt: skip
    many = {name: list(range(1900, 11900)) if name == "year" else [1] * 10_000 for name in rows}
    many["total_movies"][-1] = None  # NOT NULL, refused at the very last row
    # A third write lacks a declared column: refused before the server, a failed load all the same.
    frames = iter([pd.DataFrame(rows), pd.DataFrame(many), pd.DataFrame({"year": [2001]})])

    @dg.asset(key=table_key(AGG_YEARLY_REVENUE), io_manager_key=WAREHOUSE_IO_MANAGER_KEY)
    def agg_yearly_revenue():
        return next(frames)

    resources = {WAREHOUSE_IO_MANAGER_KEY: WarehouseIOManager(warehouse=WarehouseResource())}
    first = dg.materialize([agg_yearly_revenue], resources=resources)
    second = dg.materialize([agg_yearly_revenue], resources=resources, raise_on_error=False)

    assert not second.success
    [committed] = log(warehouse_url, first.run_id)
    assert (committed.status, committed.rows_written, committed.asset) == (
        "committed", 1, "analytics/agg_yearly_revenue")  # fmt: skip
    [failed] = log(warehouse_url, second.run_id)
    assert (failed.status, failed.rows_written, failed.error_class) == (
        "failed", None, "psycopg2.errors.NotNullViolation")  # fmt: skip
    assert query(warehouse_url, "SELECT count(*) FROM analytics.agg_yearly_revenue") == [(1,)]
    third = dg.materialize([agg_yearly_revenue], resources=resources, raise_on_error=False)
    assert [(row.status, row.error_class) for row in log(warehouse_url, third.run_id)] == [
        ("failed", "imdb_pipeline.lib.table_data.DataShapeError")]  # fmt: skip


def test_two_steps_creating_the_log_at_once_both_go_on(warehouse_url):
    first = psycopg2.connect(warehouse_url)
    try:
        with first.cursor() as cursor:
            load_audit.ensure_log(cursor)  # created, not yet committed
        errors = []

        def create() -> None:
            try:
                execute(warehouse_url, load_audit.ensure_log)
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        second = threading.Thread(target=create)
        second.start()
        second.join(timeout=1)
        assert second.is_alive()  # waits for the first to commit its table
        first.commit()
        second.join(timeout=10)
        assert not second.is_alive() and errors == []
    finally:
        first.close()
    execute(warehouse_url, lambda cursor: load_audit.record(
        cursor, load_audit.LoadRun("r").load("a/b", "a.b"), 1))  # fmt: skip
    assert [row.status for row in log(warehouse_url)] == ["committed"]
