"""dagster.yaml and workspace.yaml work as shipped."""

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg

from imdb_pipeline_tests.conftest import admin, query
from imdb_pipeline_tests.warehouse_state import materialize_all

REPOSITORY = Path(__file__).parents[1]


def test_dagster_yaml_keeps_runs_in_postgres(postgres_server, warehouse_url, sample_source,
                                             monkeypatch, tmp_path):  # fmt: skip
    database = f"dagster_{uuid.uuid4().hex[:8]}"
    admin(postgres_server, f'CREATE DATABASE "{database}"')
    server = urlsplit(postgres_server.url(database))
    monkeypatch.setenv("DAGSTER_PG_HOST", server.hostname)
    monkeypatch.setenv("DAGSTER_PG_PORT", str(server.port))
    monkeypatch.setenv("DAGSTER_PG_USERNAME", server.username)
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "unused-with-trust-auth")
    monkeypatch.setenv("DAGSTER_PG_DB", database)

    # The instance writes compute logs beside its dagster.yaml: use a copy, not the repository.
    shutil.copy(REPOSITORY / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        result = materialize_all(instance=instance)
        assert instance.get_run_by_id(result.run_id).is_success

    stored = postgres_server.url(database)
    assert query(stored, "SELECT count(*) FROM runs WHERE run_id = %s", (result.run_id,)) == [(1,)]
    admin(postgres_server, f'DROP DATABASE "{database}" WITH (FORCE)')


def test_workspace_yaml_loads_the_code_location(tmp_path):
    completed = subprocess.run(
        ["dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=180,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
