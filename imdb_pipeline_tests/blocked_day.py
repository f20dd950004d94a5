"""A good day, then a day a blocking check stops: what the tests of a blocked run look at.

The second day's export has twelve of sixty rows rejected, far above the 5 % ceiling, so the
blocking check `staging/stg_movies` `reject_rate_below_ceiling` fails; every table after
staging must keep the first day's content, and Dagster's UI must show it so.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from imdb_pipeline.assets.staging import STG_MOVIES_KEY
from imdb_pipeline.constants import ENV_SOURCE_URI
from imdb_pipeline_tests.conftest import SAMPLE
from imdb_pipeline_tests.warehouse_state import materialize_all

GOOD_DAY, BLOCKED_DAY = "2024-03-01", "2024-03-02"
BLOCKING_CHECK = dg.AssetCheckKey(STG_MOVIES_KEY, "reject_rate_below_ceiling")
LINES = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
BAD_ROW = ("tt{:07d},Broken Export,2001,R,100,Drama,99.0,50,Rating out of range.,A B,"
           "\"C D, E F\",10,\n")


@dataclass(frozen=True)
class BlockedDay:
    good: dg.ExecuteInProcessResult
    blocked: dg.ExecuteInProcessResult


def broken_export(folder: Path) -> Path:
    """The sample plus ten rows whose rating is out of range (rejected at staging)."""
    path = folder / "broken_export.csv"
    rows = [BAD_ROW.format(9_000_000 + n) for n in range(10)]
    path.write_text("".join(LINES + rows), encoding="utf-8")
    return path


def run_good_then_blocked_day(
    instance: dg.DagsterInstance,
    folder: Path,
    monkeypatch,
    with_dashboard: bool = False,
    after_good_day: Callable[[], None] | None = None,
) -> BlockedDay:
    """Both days, every asset with its checks, into `instance` and the warehouse of
    IMDB_WAREHOUSE_URL; `after_good_day` is called between them (to note the tables).
    Use a persistent instance (`DagsterInstance.from_config(home)`) to show the result in a
    webserver started on that DAGSTER_HOME (`dagster_processes.running_webserver`)."""
    monkeypatch.setenv(ENV_SOURCE_URI, str(SAMPLE))
    good = materialize_all(day=GOOD_DAY, instance=instance, with_checks=True,
                           with_dashboard=with_dashboard)  # fmt: skip
    if after_good_day is not None:
        after_good_day()
    monkeypatch.setenv(ENV_SOURCE_URI, str(broken_export(folder)))
    blocked = materialize_all(day=BLOCKED_DAY, instance=instance, with_checks=True,
                              with_dashboard=with_dashboard, raise_on_error=False)  # fmt: skip
    return BlockedDay(good=good, blocked=blocked)
