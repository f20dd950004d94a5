"""The processes of docker/docker-compose.yml, run outside containers with the container's
docker/dagster.yaml and docker/workspace.yaml: after the one-shot `dagster instance migrate`,
the code server, the webserver and the daemon, started with the compose file's own commands
(the code server on 127.0.0.1 and a free port, through IMDB_CODE_SERVER_HOST/PORT), pass the compose file's healthchecks; a run launched through
the webserver's GraphQL API is queued, launched by the daemon on the code server, and loads the
warehouse."""

import shutil
import subprocess
import time
import uuid
from pathlib import Path

import yaml

from imdb_pipeline.jobs import imdb_movies_etl
from imdb_pipeline.lib.sql_text import quote
from imdb_pipeline.run_launcher import LAUNCH_HOST_TAG
from imdb_pipeline_tests.conftest import SAMPLE, admin, free_port, query
from imdb_pipeline_tests.dagster_processes import (
    DONE,
    graphql,
    instance_storage_environment,
    location_loaded,
    process_environment,
    run_status,
    stop_process_tree,
)

REPOSITORY = Path(__file__).parents[1]
DOCKER = REPOSITORY / "docker"
WAIT_SECONDS = 90
DAY = "2024-01-02"

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
def _wait_for(what: str, predicate, processes: dict[str, subprocess.Popen], logs: Path):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited while waiting for {what}:\n{_tails(logs)}")
        try:
            if predicate():
                return
        except OSError:
            pass  # the webserver is not listening yet
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}:\n{_tails(logs)}")


def _tails(logs: Path) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in sorted(logs.iterdir()))


def _outside_containers(command: list[str], port: int, dagster_home: Path) -> list[str]:
    """A compose command as run here: on 127.0.0.1 and `port`, with this DAGSTER_HOME."""
    replaced = {"0.0.0.0": "127.0.0.1", "/opt/dagster/dagster_home": str(dagster_home)}
    local = [replaced.get(part, part).replace("/opt/dagster/dagster_home", str(dagster_home))
             for part in command]  # fmt: skip
    if "-p" in local:
        local[local.index("-p") + 1] = str(port)
    return local


def test_the_compose_processes_launch_a_run_from_the_webserver(postgres_server, warehouse_url,
                                                               tmp_path):  # fmt: skip
    services = yaml.safe_load((DOCKER / "docker-compose.yml").read_text())["services"]
    instance_db = f"dagster_{uuid.uuid4().hex[:8]}"
    admin(postgres_server, f'CREATE DATABASE "{instance_db}"')
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    for config in ("dagster.yaml", "workspace.yaml"):
        shutil.copy(DOCKER / config, dagster_home / config)  # as the Dockerfile does
    code_port, web_port = free_port(), free_port()
    environment = process_environment({
        **instance_storage_environment(postgres_server, instance_db),
        "DAGSTER_HOME": str(dagster_home),
        "IMDB_COMPUTE_LOGS_DIR": str(tmp_path / "compute_logs"),
        "IMDB_CODE_SERVER_HOST": "127.0.0.1", "IMDB_CODE_SERVER_PORT": str(code_port),
        "IMDB_WAREHOUSE_URL": warehouse_url,
        "IMDB_PIPELINE_HOME": str(tmp_path / "pipeline_home"),
        "IMDB_SOURCE_URI": str(SAMPLE),
    })  # fmt: skip
    ports = {"user_code": code_port, "webserver": web_port, "daemon": 0}
    logs = tmp_path / "logs"
    logs.mkdir()
    # Dagster's tables first, once, as the compose file's one-shot service makes them: the
    # webserver and the daemon, each finding the database empty, would race to create them.
    migrated = subprocess.run(services["instance_migrate"]["command"], env=environment, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, port in ports.items():
            with open(logs / f"{name}.log", "wb") as output:
                processes[name] = subprocess.Popen(
                    _outside_containers(services[name]["command"], port, dagster_home),
                    env=environment, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
        web = f"http://127.0.0.1:{web_port}"
        _wait_for("the code location", lambda: location_loaded(web, "imdb_pipeline"), processes,
                  logs)  # fmt: skip

        # The compose file's healthchecks pass against these processes.
        for name in ("user_code", "webserver"):
            check = _outside_containers(services[name]["healthcheck"]["test"][1:], ports[name],
                                        dagster_home)  # fmt: skip
            check = [part.replace("127.0.0.1:3000", f"127.0.0.1:{web_port}") for part in check]
            done = subprocess.run(check, env=environment, capture_output=True, text=True,
                                  timeout=60, check=False)  # fmt: skip
            assert done.returncode == 0, (name, done.stdout, done.stderr)

        launched = graphql(web, LAUNCH, {"params": {
            "selector": {"repositoryLocationName": "imdb_pipeline",
                         "repositoryName": "__repository__", "jobName": imdb_movies_etl.name},
            "runConfigData": {},
            "executionMetadata": {"tags": [{"key": "dagster/partition", "value": DAY}]},
        }})["launchRun"]  # fmt: skip
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        _wait_for("the run to end",
                  lambda: run_status(web, run_id) in DONE,
                  processes, logs)  # fmt: skip
        assert run_status(web, run_id) == "SUCCESS", _tails(logs)

        # The run waited in the queue, and the daemon took it from there and launched it (the
        # webserver never launches a queued run): LocalRunLauncher tagged the launching host.
        instance = postgres_server.url(instance_db)
        assert query(instance, "SELECT count(*) FROM event_logs WHERE run_id = %s AND "
                     "dagster_event_type = 'PIPELINE_ENQUEUED'", (run_id,)) == [(1,)]  # fmt: skip
        assert query(instance, "SELECT count(*) FROM run_tags WHERE run_id = %s AND key = %s",
                     (run_id, LAUNCH_HOST_TAG)) == [(1,)]  # fmt: skip
        for schema, table in (("core", "dim_movies"), ("core", "fact_movie_performance"),
                              ("analytics", "agg_top_movies")):  # fmt: skip
            [(rows,)] = query(warehouse_url, f"SELECT count(*) FROM {quote(schema)}.{quote(table)}")
            assert rows > 0, table
        # Step logs went to IMDB_COMPUTE_LOGS_DIR, the folder the compose services share.
        assert any((tmp_path / "compute_logs").rglob("*.err")), "no compute logs written"

        done = subprocess.run(services["daemon"]["healthcheck"]["test"][1:], env=environment,
                              capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 0, (done.stdout, done.stderr)
    finally:
        for process in processes.values():
            stop_process_tree(process)
    admin(postgres_server, f'DROP DATABASE "{instance_db}" WITH (FORCE)')
