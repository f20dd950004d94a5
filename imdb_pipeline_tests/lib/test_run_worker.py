"""The verdict on a run's worker process, from facts gathered by the run launcher."""

import dataclasses

from imdb_pipeline.lib.run_worker import WorkerFacts, worker_health

STARTED_AT = 1_800_000_000.0
ALIVE = WorkerFacts(
    launch_host="etl-1", local_code_server=True, this_host="etl-1", pid=4242,
    started_at=STARTED_AT, process_created_at=STARTED_AT - 1.5,
)  # fmt: skip


def verdict(**changes) -> str:
    return worker_health(dataclasses.replace(ALIVE, **changes)).verdict


def test_a_worker_created_before_its_run_started_is_alive():
    health = worker_health(ALIVE)
    assert health.verdict == "alive"
    assert health.reason == "The run worker process 4242 on etl-1 is alive."


def test_a_worker_whose_pid_is_free_is_dead():
    health = worker_health(dataclasses.replace(ALIVE, process_created_at=None))
    assert health.verdict == "dead"
    assert health.reason == "The run worker process 4242 on etl-1 is gone: it died or was killed."


def test_a_pid_taken_by_a_process_created_after_the_run_started_is_not_the_worker():
    assert verdict(process_created_at=STARTED_AT + 60) == "dead"
    # Start times are known to about a second: a process a second younger is still the worker.
    assert verdict(process_created_at=STARTED_AT + 1.0) == "alive"


def test_runs_launched_elsewhere_are_never_judged():
    # Not launched by LocalRunLauncher (the CLI, another launcher), by another host, or through a
    # code server on another host: a pid means nothing here.
    assert verdict(launch_host=None, process_created_at=None) == "not_judged"
    assert verdict(launch_host="etl-old", process_created_at=None) == "not_judged"
    assert verdict(local_code_server=False, process_created_at=None) == "not_judged"


def test_a_worker_that_has_not_reported_its_start_is_not_judged():
    assert verdict(pid=None, started_at=None, process_created_at=None) == "not_judged"
