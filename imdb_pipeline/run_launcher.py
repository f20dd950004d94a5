"""Dagster's DefaultRunLauncher, plus a health check of run workers for run monitoring.

Dagster 1.13's DefaultRunLauncher does not support `check_run_worker_health`, so run monitoring
cannot tell a dead run worker from a live one: it only fails runs that stay STARTING too long or
exceed `max_runtime_seconds`. A worker that dies alone is noticed by the code server that
started it, which marks its run failed; but when the code server dies too (the daemon's machine
or container restarts, the OOM killer, `kill -9` of the process group), nothing does, and the run
stays STARTED, holding one of the queue's slots, with no alert.

This launcher launches runs exactly as DefaultRunLauncher does, records the launching host on
the run (tag `imdb/launch_host`, shown in the UI) and answers run monitoring's health check by
looking for the worker's process: the pid of the process that started the run, on that host. The
verdict is `lib.run_worker.worker_health`; a run it cannot judge is reported as running, since
run monitoring fails every run whose worker is not reported running.

Configured in dagster.yaml (`run_launcher: {module: imdb_pipeline.run_launcher, class:
LocalRunLauncher}`). Light imports only: every Dagster process that loads the instance imports it.
"""

import json
import socket

import psutil
from dagster import DagsterEventType
from dagster._core.launcher import CheckRunHealthResult, LaunchRunContext, WorkerStatus
from dagster._core.launcher.default_run_launcher import DefaultRunLauncher
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.storage.tags import GRPC_INFO_TAG

from imdb_pipeline.lib.run_worker import WorkerFacts, worker_health

LAUNCH_HOST_TAG = "imdb/launch_host"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class LocalRunLauncher(DefaultRunLauncher):
    """Launches each run in a process of its code server; tells run monitoring when it is gone."""

    def launch_run(self, context: LaunchRunContext) -> None:
        run_id = context.dagster_run.run_id
        self._instance.add_run_tags(run_id, {LAUNCH_HOST_TAG: socket.gethostname()})
        super().launch_run(context)

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        health = worker_health(self._worker_facts(run))
        status = WorkerStatus.FAILED if health.verdict == "dead" else WorkerStatus.RUNNING
        return CheckRunHealthResult(status, health.reason)

    def _worker_facts(self, run: DagsterRun) -> WorkerFacts:
        grpc_info = json.loads(run.tags.get(GRPC_INFO_TAG) or "{}")
        records = self._instance.get_records_for_run(
            run.run_id, of_type=DagsterEventType.RUN_START, limit=1, ascending=False
        ).records
        entry = records[0].event_log_entry if records else None
        pid = entry.dagster_event.pid if entry and entry.dagster_event else None
        return WorkerFacts(
            launch_host=run.tags.get(LAUNCH_HOST_TAG),
            # A Unix socket is always local; a port is local when the host is.
            local_code_server="socket" in grpc_info or grpc_info.get("host") in _LOCAL_HOSTS,
            this_host=socket.gethostname(),
            pid=pid,
            started_at=entry.timestamp if entry else None,
            process_created_at=_created_at(pid, entry.timestamp if entry else 0.0),
        )


def _created_at(pid: int | None, assumed: float) -> float | None:
    """When the process holding `pid` was created; None when there is none (or a zombie).
    `assumed` when the process exists but may not be inspected (another user's, hardened /proc):
    it is then taken to be the worker, since a live run must never be failed on a guess."""
    if pid is None:
        return None
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process.create_time()
    except psutil.NoSuchProcess:
        return None
    except psutil.AccessDenied:
        return assumed
