"""The deployment as it runs in production, on one machine: `dagster-daemon run` with the
repository's dagster.yaml (runs and schedules in PostgreSQL) and workspace.yaml. The source
sensor sees a new export, the run loads the warehouse; a broken export fails its run and the
failure alert arrives by email; a run whose process is killed with `kill -9` is marked failed by
run monitoring and its alert names the step it was in."""

import json
import logging
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import psycopg2

from imdb_pipeline.constants import SOURCE_URI_TAG
from imdb_pipeline_tests.conftest import SAMPLE, admin, query
from imdb_pipeline_tests.dagster_processes import (
    instance_storage_environment,
    process_environment,
    runs_with_status,
    stop_process_tree,
)
from imdb_pipeline_tests.lib.test_notifications import running_smtp_server

REPOSITORY = Path(__file__).parents[1]
logger = logging.getLogger(__name__)
WAIT_SECONDS = 240
# The step the killed run is in: about 2-3 s long at 100,000 rows, time enough to kill it there.
KILLED_STEP = "build_dimensions"


def _wait_for(predicate, what: str, daemon: subprocess.Popen, log: Path, interval: float = 1):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise AssertionError(f"the daemon exited while waiting for {what}:\n{log.read_text()[-3000:]}")
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


def _top_movies(url: str) -> int:
    try:
        return query(url, "SELECT count(*) FROM analytics.agg_top_movies")[0][0]
    except psycopg2.Error:
        return 0


def _run_of(url: str, source: Path) -> str | None:
    rows = query(url, "SELECT run_id FROM run_tags WHERE key = %s AND value = %s",
                 (SOURCE_URI_TAG, str(source)))  # fmt: skip
    return rows[0][0] if rows else None


def _events(url: str, run_id: str, event_type: str, step_key: str | None = None) -> list[dict]:
    rows = query(
        url,
        "SELECT event FROM event_logs WHERE run_id = %s AND dagster_event_type = %s"
        " AND step_key IS NOT DISTINCT FROM %s ORDER BY id",
        (run_id, event_type, step_key),
    )
    return [json.loads(event)["dagster_event"] for (event,) in rows]


def _instance_config(dagster_home: Path) -> None:
    """dagster.yaml as shipped, but run monitoring checks runs every 2 s instead of every 30 s,
    so the test need not wait; nothing else differs."""
    shipped = (REPOSITORY / "dagster.yaml").read_text()
    assert "  poll_interval_seconds: 30\n" in shipped
    (dagster_home / "dagster.yaml").write_text(
        shipped.replace("  poll_interval_seconds: 30\n", "  poll_interval_seconds: 2\n")
    )


def _kill_the_run_in(url: str, big: Path, daemon, log) -> tuple[str, float]:
    """kill -9 the run of `big` as soon as it starts KILLED_STEP; (run id, when killed)."""
    _wait_for(lambda: _run_of(url, big), "the run of the big file", daemon, log)
    run_id = _run_of(url, big)
    _wait_for(lambda: _events(url, run_id, "STEP_START", KILLED_STEP), f"step {KILLED_STEP}",
              daemon, log, interval=0.1)  # fmt: skip
    # Dagster records the run worker's pid on the run's start event. Its parent is the code
    # server the daemon started, which fails a run whose worker dies (within 0.5 s): it is
    # killed first, as when the daemon's machine or container goes down, so that only run
    # monitoring can notice.
    [start] = _events(url, run_id, "PIPELINE_START")
    worker = psutil.Process(start["pid"])
    code_server = worker.parent()
    assert "grpc" in code_server.cmdline() and code_server.ppid() == daemon.pid
    code_server.send_signal(signal.SIGKILL)
    worker.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    assert not _events(url, run_id, "STEP_SUCCESS", KILLED_STEP), "killed too late"
    return run_id, killed_at


def test_the_daemon_runs_the_sensor_loads_the_warehouse_and_alerts(
    postgres_server, warehouse_url, tmp_path
):
    instance_db = f"dagster_{uuid.uuid4().hex[:8]}"
    admin(postgres_server, f'CREATE DATABASE "{instance_db}"')
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    _instance_config(dagster_home)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    big = tmp_path / "imdb_movies_large.csv"
    generator = subprocess.Popen(
        [sys.executable, str(REPOSITORY / "bench" / "generate_source.py"),
         "--rows", "100000", "--out", str(big)], stdout=subprocess.DEVNULL,
    )  # fmt: skip
    server = postgres_server.url(instance_db)
    with running_smtp_server() as (smtp_port, mails):
        environment = process_environment({
            **instance_storage_environment(postgres_server, instance_db),
            "DAGSTER_HOME": str(dagster_home),
            "IMDB_WAREHOUSE_URL": warehouse_url,
            "IMDB_PIPELINE_HOME": str(tmp_path / "pipeline_home"),
            "IMDB_SOURCE_URI": str(incoming / "imdb_movies_*.csv"),
            "IMDB_SENSOR_POKE_INTERVAL": "1", "IMDB_SENSOR_TIMEOUT": str(2 * 24 * 3600),
            "IMDB_SMTP_HOST": "127.0.0.1", "IMDB_SMTP_PORT": str(smtp_port),
            "IMDB_SMTP_FROM": "dagster@example.com", "IMDB_SMTP_TO": "oncall@example.com",
        })  # fmt: skip
        workspace = ["-w", str(REPOSITORY / "workspace.yaml")]
        subprocess.run(["dagster", "sensor", "start", "imdb_source_sensor", *workspace],
                       env=environment, check=True, capture_output=True, cwd=tmp_path)  # fmt: skip
        log = tmp_path / "daemon.log"
        with open(log, "wb") as output:
            daemon = subprocess.Popen(
                ["dagster-daemon", "run", *workspace], env=environment, cwd=tmp_path,
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            # Run monitoring checks the worker of this run every 2 s: a live one is left alone.
            shutil.copy(SAMPLE, incoming / "imdb_movies_day.csv")
            _wait_for(lambda: runs_with_status(server, "SUCCESS") == 1, "a successful run",
                      daemon, log)  # fmt: skip
            assert _top_movies(warehouse_url) == 51

            # A broken export and a big one land together. The day's runs take turns: the
            # broken one (first by name) fails on its own, the big one is killed in a step.
            assert generator.wait(timeout=120) == 0
            (incoming / "imdb_movies_broken.csv").write_text("movie_id;title\ntt1;x\n")
            shutil.copy(big, incoming / big.name)
            run_id, killed_at = _kill_the_run_in(server, incoming / big.name, daemon, log)
            _wait_for(lambda: runs_with_status(server, "FAILURE") == 2, "the killed run to fail",
                      daemon, log)  # fmt: skip
            failed_after = time.monotonic() - killed_at
            _wait_for(lambda: len(mails) >= 2, "both failure alerts", daemon, log)
            alerted_after = time.monotonic() - killed_at
            time.sleep(3)  # nothing more may arrive for the same failures
            [broken_mail] = [mail for mail in mails if "imdb_movies_broken.csv" in mail.get_content()]
            [killed_mail] = [mail for mail in mails if run_id in mail.get_content()]
            assert len(mails) == 2
            assert "imdb_movies_etl" in broken_mail["Subject"]

            [failure] = _events(server, run_id, "PIPELINE_FAILURE")
            assert failure["message"].startswith("Detected run worker status FAILED"), failure
            assert f"(step {KILLED_STEP})" in killed_mail["Subject"]
            text = killed_mail.get_content()
            assert f"process died (or was killed) during step {KILLED_STEP}" in text
            assert _top_movies(warehouse_url) == 51  # the analytics were never reached
            # The alert waits for the daemon to replace its code server, where the alert sensor
            # runs: it does so when it refreshes code locations, every 60 s.
            logger.info("killed run failed after %.1f s, alerted after %.1f s",
                        failed_after, alerted_after)  # fmt: skip
            assert failed_after < 60 and alerted_after < 120, (failed_after, alerted_after)
        finally:
            generator.kill()
            stop_process_tree(daemon)
    admin(postgres_server, f'DROP DATABASE "{instance_db}" WITH (FORCE)')
