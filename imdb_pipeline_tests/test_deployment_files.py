"""dagster.yaml and workspace.yaml work as shipped."""

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import yaml

from imdb_pipeline_tests.conftest import admin, query
from imdb_pipeline_tests.warehouse_state import materialize_all

REPOSITORY = Path(__file__).parents[1]


def test_dagster_yaml_keeps_runs_in_postgres(postgres_server, warehouse_url, sample_source,
                                             monkeypatch, tmp_path):  # fmt: skip
    database = f"dagster_{uuid.uuid4().hex[:8]}"
    admin(postgres_server, f'CREATE DATABASE "{database}"')
    _point_dagster_storage_at(postgres_server, database, monkeypatch)

    # The instance writes compute logs beside its dagster.yaml: use a copy, not the repository.
    shutil.copy(REPOSITORY / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        result = materialize_all(instance=instance)
        assert instance.get_run_by_id(result.run_id).is_success

    stored = postgres_server.url(database)
    assert query(stored, "SELECT count(*) FROM runs WHERE run_id = %s", (result.run_id,)) == [(1,)]
    admin(postgres_server, f'DROP DATABASE "{database}" WITH (FORCE)')


def test_the_queue_launches_one_run_per_day_at_a_time(postgres_server, monkeypatch, tmp_path):
    from dagster._core.remote_origin import (
        RegisteredCodeLocationOrigin,
        RemoteJobOrigin,
        RemoteRepositoryOrigin,
    )
    from dagster._core.test_utils import create_run_for_test
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
        QueuedRunCoordinatorDaemon,
    )

    origin = RemoteJobOrigin(RemoteRepositoryOrigin(
        RegisteredCodeLocationOrigin("imdb_pipeline"), "__repository__"), "imdb_movies_etl")  # fmt: skip

    database = f"dagster_{uuid.uuid4().hex[:8]}"
    admin(postgres_server, f'CREATE DATABASE "{database}"')
    _point_dagster_storage_at(postgres_server, database, monkeypatch)
    shutil.copy(REPOSITORY / "dagster.yaml", tmp_path / "dagster.yaml")
    queued, started = dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTED
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        def run(day: str | None, status=queued) -> str:
            tags = {"dagster/partition": day} if day else {}
            return create_run_for_test(instance, "imdb_movies_etl", status=status, tags=tags,
                                       remote_job_origin=origin).run_id  # fmt: skip

        run("2024-06-01", started)  # the sensor's run of the day, in progress
        rerun_same_day, other_day, validation = run("2024-06-01"), run("2024-06-02"), run(None)

        # Dagster's queue, with the shipped limits: the same day waits, other runs may start
        # (two at a time in all: the one in progress and one more).
        daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
        chosen = daemon._get_runs_to_dequeue(instance, instance.get_concurrency_config(), None)

        assert [r.run_id for r in chosen] in ([other_day], [validation])
        assert rerun_same_day not in [r.run_id for r in chosen]
    admin(postgres_server, f'DROP DATABASE "{database}" WITH (FORCE)')


def _point_dagster_storage_at(postgres_server, database: str, monkeypatch) -> None:
    server = urlsplit(postgres_server.url(database))
    monkeypatch.setenv("DAGSTER_PG_HOST", server.hostname)
    monkeypatch.setenv("DAGSTER_PG_PORT", str(server.port))
    monkeypatch.setenv("DAGSTER_PG_USERNAME", server.username)
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "unused-with-trust-auth")
    monkeypatch.setenv("DAGSTER_PG_DB", database)


def test_workspace_yaml_loads_the_code_location(tmp_path):
    completed = subprocess.run(
        ["dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=180,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_docker_image_monitors_runs_with_the_health_checking_launcher():
    dockerfile = (REPOSITORY / "docker" / "Dockerfile").read_text()
    [copy] = [line.split() for line in dockerfile.splitlines() if "$DAGSTER_HOME/" in line
              and line.startswith("COPY")]  # fmt: skip
    [instance_config] = [name for name in copy[1:-1] if name.endswith("dagster.yaml")]
    config = yaml.safe_load((REPOSITORY / instance_config).read_text())

    assert config["run_launcher"] == {"module": "imdb_pipeline.run_launcher",
                                      "class": "LocalRunLauncher"}  # fmt: skip
    monitoring = config["run_monitoring"]
    assert monitoring["enabled"] is True
    assert monitoring["max_resume_run_attempts"] == 0
    # A dead worker is failed, and a run that cannot be judged is stopped, within bounds.
    assert monitoring["poll_interval_seconds"] <= 60
    assert 0 < monitoring["max_runtime_seconds"] <= 4 * 3600
