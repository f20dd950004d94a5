"""The sample loaded once, with every check passing, and a copy of it per test to break."""

import uuid

import dagster as dg
import psycopg2
import pytest

from imdb_pipeline.constants import ENV_PIPELINE_HOME, ENV_WAREHOUSE_URL
from imdb_pipeline_tests.conftest import admin
from imdb_pipeline_tests.warehouse_state import DAY, materialize_all


@pytest.fixture(scope="session")
def clean_template(postgres_server, tmp_path_factory):
    """The sample loaded once (with every check passing); each test works on a copy of its
    database, with the same Dagster instance (for the checks that read run history)."""
    name = f"template_{uuid.uuid4().hex[:8]}"
    admin(postgres_server, f'CREATE DATABASE "{name}"')
    instance = dg.DagsterInstance.ephemeral()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_WAREHOUSE_URL, postgres_server.url(name))
        patch.setenv(ENV_PIPELINE_HOME, str(tmp_path_factory.mktemp("template_home")))
        result = materialize_all(instance=instance, with_checks=True)
    assert all(evaluation.passed for evaluation in result.get_asset_check_evaluations())
    # No connection may stay open on a template database.
    admin(postgres_server, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")  # fmt: skip
    yield name, instance
    admin(postgres_server, f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def warehouse_copy(postgres_server, clean_template, monkeypatch):
    template, instance = clean_template
    name = f"copy_{uuid.uuid4().hex[:8]}"
    admin(postgres_server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = postgres_server.url(name)
    monkeypatch.setenv(ENV_WAREHOUSE_URL, url)
    yield url, instance
    admin(postgres_server, f'DROP DATABASE "{name}" WITH (FORCE)')


def run_checks(
    copy, statements: str = "", run_config: dict | None = None, partition: str = DAY
) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    """Break the copy with `statements`, then run the checks-only job on it for a day, as
    `imdb-pipeline validate` does."""
    url, instance = copy
    if statements:
        connection = psycopg2.connect(url)
        with connection, connection.cursor() as cursor:
            cursor.execute(statements)
        connection.close()
    from imdb_pipeline.definitions import defs

    result = defs.resolve_job_def("validate_warehouse").execute_in_process(
        instance=instance, raise_on_error=False, run_config=run_config or {},
        partition_key=partition,
    )  # fmt: skip
    return {
        (evaluation.asset_key.to_user_string(), evaluation.check_name): evaluation
        for evaluation in result.get_asset_check_evaluations()
    }
