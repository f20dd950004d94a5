"""Shared test servers: one real PostgreSQL (embedded) for the session, a fresh database per test.

Nothing here mocks a database: every test that touches the warehouse talks to PostgreSQL 18
over TCP on 127.0.0.1.
"""

import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest

from imdb_pipeline.constants import ENV_PIPELINE_HOME, ENV_SOURCE_URI, ENV_WAREHOUSE_URL
from imdb_pipeline.resources import embedded_postgres

SAMPLE = Path(__file__).parents[1] / "imdb_pipeline" / "data" / "imdb_movies.csv"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def embedded_server_home() -> Iterator[Path]:
    """A folder for an embedded server's data, removed afterwards.

    Not under pytest's tmp_path: as root the server runs as another OS user that must traverse
    the folder's parents, and pytest resets its own base folder to mode 0700.
    """
    home = Path(tempfile.mkdtemp(prefix="imdb_pipeline_pg_"))
    try:
        yield home
    finally:
        embedded_postgres.stop(home)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[embedded_postgres.EmbeddedPostgres]:
    """A real PostgreSQL server for the whole session, stopped at the end."""
    with embedded_server_home() as home:
        yield embedded_postgres.ensure_running(home, free_port(), "postgres")


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
