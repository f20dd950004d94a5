"""The deployment as it runs in production, on one machine: `dagster-daemon run` with the
repository's dagster.yaml (runs and schedules in PostgreSQL) and workspace.yaml. The source
sensor sees a new export, the run loads the warehouse; a broken export fails its run and the
failure alert arrives by email."""

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import psutil
import psycopg2

from imdb_pipeline_tests.conftest import SAMPLE, admin, query
from imdb_pipeline_tests.lib.test_notifications import running_smtp_server

REPOSITORY = Path(__file__).parents[1]
WAIT_SECONDS = 240


def _wait_for(predicate, what: str, daemon: subprocess.Popen, log: Path):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise AssertionError(f"the daemon exited while waiting for {what}:\n{log.read_text()[-3000:]}")
        if predicate():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


def _top_movies(url: str) -> int:
    try:
        return query(url, "SELECT count(*) FROM analytics.agg_top_movies")[0][0]
    except psycopg2.Error:
        return 0


def _runs(url: str, status: str) -> int:
    try:
        return query(url, "SELECT count(*) FROM runs WHERE status = %s", (status,))[0][0]
    except psycopg2.Error:
        return 0


def test_the_daemon_runs_the_sensor_loads_the_warehouse_and_alerts(
    postgres_server, warehouse_url, tmp_path
):
    instance_db = f"dagster_{uuid.uuid4().hex[:8]}"
    admin(postgres_server, f'CREATE DATABASE "{instance_db}"')
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPOSITORY / "dagster.yaml", dagster_home / "dagster.yaml")
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    server = postgres_server.url(instance_db)
    with running_smtp_server() as (smtp_port, mails):
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("IMDB_", "DAGSTER_"))},
            "DAGSTER_HOME": str(dagster_home),
            "DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": server.split(":")[-1].split("/")[0],
            "DAGSTER_PG_USERNAME": "postgres", "DAGSTER_PG_PASSWORD": "trust", "DAGSTER_PG_DB": instance_db,
            "IMDB_WAREHOUSE_URL": warehouse_url,
            "IMDB_PIPELINE_HOME": str(tmp_path / "pipeline_home"),
            "IMDB_SOURCE_URI": str(incoming / "imdb_movies_*.csv"),
            "IMDB_SENSOR_POKE_INTERVAL": "1", "IMDB_SENSOR_TIMEOUT": str(2 * 24 * 3600),
            "IMDB_SMTP_HOST": "127.0.0.1", "IMDB_SMTP_PORT": str(smtp_port),
            "IMDB_SMTP_FROM": "dagster@example.com", "IMDB_SMTP_TO": "oncall@example.com",
        }  # fmt: skip
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
            shutil.copy(SAMPLE, incoming / "imdb_movies_day.csv")
            _wait_for(lambda: _runs(server, "SUCCESS") == 1, "a successful run", daemon, log)
            assert _top_movies(warehouse_url) == 51

            (incoming / "imdb_movies_broken.csv").write_text("movie_id;title\ntt1;x\n")
            _wait_for(lambda: len(mails) >= 1, "the failure alert", daemon, log)
            time.sleep(3)  # nothing more may arrive for the same failure
            [mail] = mails
            assert "imdb_movies_etl" in mail["Subject"]
            assert "imdb_movies_broken.csv" in mail.get_content()
            assert _top_movies(warehouse_url) == 51
        finally:
            # The daemon starts a code server of its own; stop the whole tree.
            children = psutil.Process(daemon.pid).children(recursive=True)
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=60)
            for child in children:
                if child.is_running():
                    child.terminate()
            psutil.wait_procs(children, timeout=30)
    admin(postgres_server, f'DROP DATABASE "{instance_db}" WITH (FORCE)')
