"""Dagster's own processes (daemon, webserver, code server) started by a test: the environment
they run in, the runs they record, and stopping them with every process they started."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import psutil
import psycopg2

from imdb_pipeline_tests.conftest import query


def process_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without the pipeline's or Dagster's settings, plus `settings`."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("IMDB_", "DAGSTER_"))}
    return {**inherited, **settings}


def instance_storage_environment(postgres_server, database: str) -> dict[str, str]:
    """The DAGSTER_PG_* variables dagster.yaml reads, naming `database` on the test server."""
    port = postgres_server.url(database).split(":")[-1].split("/")[0]
    return {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": port,
            "DAGSTER_PG_USERNAME": "postgres", "DAGSTER_PG_PASSWORD": "trust",
            "DAGSTER_PG_DB": database}  # fmt: skip


LOCATIONS = """{ workspaceOrError { ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename } } } } }"""
RUN_STATUS = "query Run($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
DONE = ("SUCCESS", "FAILURE", "CANCELED")


def graphql(url: str, document: str, variables: dict | None = None) -> dict:
    """The data of one GraphQL request to the webserver at `url`; fails on any error."""
    request = urllib.request.Request(
        f"{url}/graphql", data=json.dumps({"query": document, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    assert "errors" not in answer, answer
    return answer["data"]


def location_loaded(url: str, name: str) -> bool:
    """Whether the webserver's only code location is `name`, loaded without error."""
    entries = graphql(url, LOCATIONS)["workspaceOrError"]["locationEntries"]
    return [(e["name"], e["loadStatus"], e["locationOrLoadError"]["__typename"]) for e in entries] \
        == [(name, "LOADED", "RepositoryLocation")]  # fmt: skip


def run_status(url: str, run_id: str) -> str:
    return graphql(url, RUN_STATUS, {"id": run_id})["runOrError"]["status"]


def runs_with_status(url: str, status: str) -> int:
    """Runs of the Dagster instance stored at `url` in `status`; 0 before its tables exist."""
    try:
        return query(url, "SELECT count(*) FROM runs WHERE status = %s", (status,))[0][0]
    except psycopg2.Error:
        return 0


def stop_process_tree(process: subprocess.Popen) -> None:
    """Stop a process started with start_new_session=True, and every process it started (the
    daemon and `dagster code-server start` each start a code server of their own)."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    for child in children:
        if child.is_running():
            child.terminate()
    psutil.wait_procs(children, timeout=30)


LOCATION_STATUS = """{ workspaceOrError { ... on Workspace { locationEntries {
  loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


@contextmanager
def running_webserver(environment: Mapping[str, str], log: Path,
                      wait_seconds: float = 120) -> Iterator[str]:  # fmt: skip
    """`dagster-webserver` on this code location, with `environment` (its DAGSTER_HOME is the
    instance it shows), on 127.0.0.1 and a free port; yields its URL once the code location is
    loaded (what the UI needs to draw the asset graph), and stops it afterwards."""
    from imdb_pipeline_tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    port = url.rsplit(":", 1)[1]
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "dagster_webserver", "-m", "imdb_pipeline.definitions",
             "-h", "127.0.0.1", "-p", port],
            env=dict(environment), stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the webserver exited:\n{log.read_text()[-3000:]}")
            try:
                entries = graphql(url, LOCATION_STATUS)["workspaceOrError"]["locationEntries"]
                if entries and all(entry["loadStatus"] == "LOADED" for entry in entries):
                    errors = [e["locationOrLoadError"] for e in entries
                              if e["locationOrLoadError"]["__typename"] != "RepositoryLocation"]
                    assert not errors, errors
                    break
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise AssertionError(f"the webserver did not load:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop_process_tree(process)
