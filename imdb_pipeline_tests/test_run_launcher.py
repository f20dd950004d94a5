"""LocalRunLauncher's health check on real runs and real processes.

Runs are executed in this process (alive) or in a child process that has exited (dead), on one
instance on disk; the launcher is loaded from instance config as dagster.yaml loads it. The whole
path under the daemon (a worker killed with its code server, then run monitoring and the alert)
is in test_daemon_end_to_end.py.
"""

import json
import signal
import socket
import subprocess
import sys
import time

import dagster as dg
import psutil
import pytest
from dagster._core.launcher import WorkerStatus
from dagster._core.storage.tags import GRPC_INFO_TAG

from imdb_pipeline.run_launcher import LAUNCH_HOST_TAG, LocalRunLauncher, _created_at

LAUNCHER = {"module": "imdb_pipeline.run_launcher", "class": "LocalRunLauncher"}
# A run of `tiny` in a process of its own, which has ended by the time its run is judged.
RUN_IN_A_CHILD = """
import sys
import dagster as dg
from imdb_pipeline_tests.test_run_launcher import tiny

with dg.DagsterInstance.local_temp(sys.argv[1]) as instance:
    print(tiny.execute_in_process(instance=instance).run_id)
"""


@dg.op
def noop():
    pass


@dg.job
def tiny():
    noop()


@pytest.fixture
def instance(tmp_path):
    with dg.DagsterInstance.local_temp(str(tmp_path), overrides={"run_launcher": LAUNCHER}) as it:
        yield it


def launched_here(instance, run_id: str, host: str | None = None) -> dg.DagsterRun:
    """The run as LocalRunLauncher and DefaultRunLauncher tag one they launch."""
    instance.add_run_tags(run_id, {
        LAUNCH_HOST_TAG: host or socket.gethostname(),
        GRPC_INFO_TAG: json.dumps({"host": "localhost", "socket": "/tmp/code-server.sock"}),
    })  # fmt: skip
    return instance.get_run_by_id(run_id)


def test_dagster_yaml_config_loads_the_launcher(instance):
    assert isinstance(instance.run_launcher, LocalRunLauncher)
    assert instance.run_launcher.supports_check_run_worker_health
    assert not instance.run_launcher.supports_resume_run


def test_dagster_refuses_to_resume_runs_with_this_launcher(tmp_path):
    # Why dagster.yaml says max_resume_run_attempts: 0 (Dagster's own default here).
    overrides = {"run_launcher": LAUNCHER,
                 "run_monitoring": {"enabled": True, "max_resume_run_attempts": 1}}  # fmt: skip
    with pytest.raises(Exception, match="does not support resuming runs"):
        dg.DagsterInstance.local_temp(str(tmp_path), overrides=overrides)


def test_a_run_whose_worker_lives_is_running(instance):
    # Executed in this process: its RUN_START names this (live) process.
    run = launched_here(instance, tiny.execute_in_process(instance=instance).run_id)

    health = instance.run_launcher.check_run_worker_health(run)

    assert health.status == WorkerStatus.RUNNING, health.msg


def test_a_run_whose_worker_exited_has_failed(instance, tmp_path):
    completed = subprocess.run([sys.executable, "-c", RUN_IN_A_CHILD, str(tmp_path)],
                               capture_output=True, text=True, check=True, timeout=120)  # fmt: skip
    run = launched_here(instance, completed.stdout.split()[-1])

    health = instance.run_launcher.check_run_worker_health(run)

    assert health.status == WorkerStatus.FAILED
    assert "is gone: it died or was killed" in health.msg


def test_a_run_launched_on_another_host_is_left_to_max_runtime(instance, tmp_path):
    completed = subprocess.run([sys.executable, "-c", RUN_IN_A_CHILD, str(tmp_path)],
                               capture_output=True, text=True, check=True, timeout=120)  # fmt: skip
    run = launched_here(instance, completed.stdout.split()[-1], host="another-host")

    health = instance.run_launcher.check_run_worker_health(run)

    # Run monitoring fails any run not reported running: one it cannot judge must pass.
    assert health.status == WorkerStatus.RUNNING
    assert "another-host" in health.msg


def test_process_start_times_of_live_dead_and_zombie_processes():
    child = subprocess.Popen(["sleep", "60"])
    try:
        assert _created_at(child.pid, 0.0) == pytest.approx(time.time(), abs=30)
        child.send_signal(signal.SIGKILL)
        # Killed but not yet reaped by its parent (this test): a zombie is no worker.
        deadline = time.monotonic() + 10
        while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "the killed child never became a zombie"
            time.sleep(0.05)
        assert _created_at(child.pid, 0.0) is None
    finally:
        child.kill()
        child.wait()
    assert _created_at(child.pid, 0.0) is None
    assert _created_at(None, 0.0) is None
