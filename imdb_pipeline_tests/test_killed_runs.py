"""A run killed with SIGKILL in the middle of a step: no table is half-written, the next run
sweeps what the killed one left, succeeds, and leaves the warehouse exactly as a run that was
never interrupted.

Day 1 of a generated 100k-row export is loaded once; day 2 (another export) is then loaded
without interruption into one copy of that warehouse, and into other copies by a run killed
during staging, the dimensions or the analytics, then run again. The runs are forked from the
test process, which has already imported the pipeline, so each costs its work only."""

import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest

from imdb_pipeline.constants import ENV_PIPELINE_HOME, ENV_SOURCE_URI, ENV_WAREHOUSE_URL
from imdb_pipeline.definitions import defs
from imdb_pipeline.run_report import run_changes
from imdb_pipeline_tests.conftest import admin, query
from imdb_pipeline_tests.warehouse_state import materialize_all, table_fingerprints

REPOSITORY = Path(__file__).parents[1]
DAY1, DAY2 = "2024-06-01", "2024-06-02"
ROWS = 100_000
# What the pipeline's connections run during each step (pg_stat_activity.query).
STEPS = {
    "staging": r"stg_movies__building",
    "dimensions": r'"core"\."dim_',
    "analytics": r'"analytics"\."agg_|__scratch_',
}
LEFT_BEHIND = r"__(building|scratch)_"


def _load(url: str, source: Path, day: str, home: Path) -> None:
    """Materialize every asset of `day` from `source` into `url`, in this process, recording
    the run in a Dagster instance under `home`."""
    os.environ.update({ENV_WAREHOUSE_URL: url, ENV_SOURCE_URI: str(source),
                       ENV_PIPELINE_HOME: str(home)})  # fmt: skip
    with _instance(home) as instance:
        materialize_all(day=day, instance=instance)


def _instance(home: Path) -> dg.DagsterInstance:
    (home / "dagster_home").mkdir(parents=True, exist_ok=True)
    (home / "dagster_home" / "dagster.yaml").touch()
    return dg.DagsterInstance.from_config(str(home / "dagster_home"))


def _killed_load(url: str, source: Path, day: str, home: Path, step: str) -> None:
    """Start `_load` in a forked process and kill it with SIGKILL at a random moment while
    its connections run `step`'s statements."""
    child = multiprocessing.get_context("fork").Process(target=_load, args=(url, source, day, home))
    child.start()
    pattern, deadline = re.compile(STEPS[step]), time.monotonic() + 120
    try:
        while child.is_alive() and time.monotonic() < deadline:
            active = query(url, "SELECT query FROM pg_stat_activity WHERE datname = "
                           "current_database() AND pid <> pg_backend_pid() AND state = 'active'")  # fmt: skip
            if any(pattern.search(text) for (text,) in active):
                time.sleep(random.uniform(0, 0.2))
                os.kill(child.pid, signal.SIGKILL)
                break
            time.sleep(0.01)
    finally:
        child.join(60)
    assert child.exitcode == -signal.SIGKILL, f"the run was not killed during {step}"


def _restore_loads_environment(patch: pytest.MonkeyPatch) -> None:
    """Have `patch` put back, when it is undone, the variables `_load` sets."""
    for name in (ENV_WAREHOUSE_URL, ENV_SOURCE_URI, ENV_PIPELINE_HOME):
        patch.setenv(name, "")


def _left_behind(url: str) -> list[str]:
    return [name for (name,) in query(url, "SELECT relname FROM pg_class WHERE relkind IN "
                                           "('r', 'p')") if re.search(LEFT_BEHIND, name)]  # fmt: skip


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("exports")
    files = folder / "day1.csv", folder / "day2.csv"
    for seed, path in enumerate(files, start=1):
        subprocess.run([sys.executable, str(REPOSITORY / "bench" / "generate_source.py"),
                        "--rows", str(ROWS), "--seed", str(seed), "--out", str(path)],
                       check=True, capture_output=True)  # fmt: skip
    return files


@pytest.fixture(scope="module")
def warehouses(postgres_server, exports, tmp_path_factory):
    """(a warehouse holding day 1, to copy; the tables of day 1 alone; those after day 2)"""
    day1, day2 = exports
    template, reference = (f"{kind}_{uuid.uuid4().hex[:8]}" for kind in ("day1", "reference"))
    with pytest.MonkeyPatch.context() as patch:
        _restore_loads_environment(patch)
        admin(postgres_server, f'CREATE DATABASE "{template}"')
        _load(postgres_server.url(template), day1, DAY1, tmp_path_factory.mktemp("home"))
        admin(postgres_server, f'CREATE DATABASE "{reference}" TEMPLATE "{template}"')
        before = table_fingerprints(postgres_server.url(template))
        _load(postgres_server.url(reference), day2, DAY2, tmp_path_factory.mktemp("home"))
        after = table_fingerprints(postgres_server.url(reference))
    yield template, before, after
    for database in (template, reference):
        admin(postgres_server, f'DROP DATABASE "{database}" WITH (FORCE)')


@pytest.mark.parametrize("step", list(STEPS))
def test_a_run_killed_during_a_step_leaves_whole_tables_and_the_next_run_completes_the_day(
    step, postgres_server, exports, warehouses, tmp_path, monkeypatch
):
    template, before, after = warehouses
    database = f"killed_{uuid.uuid4().hex[:8]}"
    admin(postgres_server, f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
    url = postgres_server.url(database)
    _restore_loads_environment(monkeypatch)

    _killed_load(url, exports[1], DAY2, tmp_path / "home", step)

    killed = table_fingerprints(url)
    half_written = {table: fingerprint for table, fingerprint in killed.items()
                    if fingerprint not in (before.get(table), after[table])}  # fmt: skip
    assert half_written == {}
    assert killed != after  # the day was not complete when the run died

    # What the CLI tells after such a run is true: every table that changed is reported as
    # committed or possibly committed, and every table reported unchanged is as it was.
    with _instance(tmp_path / "home") as instance:
        [run] = instance.get_runs()
        changes = run_changes(instance, run, defs)
    assert changes.unfinished_steps and not changes.failed_steps
    changed = {table for table, fingerprint in killed.items() if fingerprint != before.get(table)}
    assert changed <= {table for table, _ in changes.committed} | set(changes.possibly_changed)
    assert all(killed.get(table) == before.get(table) for table in changes.unchanged)

    _load(url, exports[1], DAY2, tmp_path / "rerun_home")

    assert _left_behind(url) == []
    assert table_fingerprints(url) == after
    admin(postgres_server, f'DROP DATABASE "{database}" WITH (FORCE)')
