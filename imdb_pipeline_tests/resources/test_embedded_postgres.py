"""The embedded PostgreSQL: started once, reused, reachable over TCP, stopped on request."""

import threading

import pytest

from imdb_pipeline.resources import embedded_postgres
from imdb_pipeline_tests.conftest import embedded_server_home, free_port, query


def test_start_is_idempotent_and_shared_by_concurrent_callers():
    port = free_port()
    with embedded_server_home() as home:
        servers, errors = [], []

        def start():
            try:
                servers.append(embedded_postgres.ensure_running(home, port, "imdb_warehouse"))
            except Exception as error:  # collected and asserted below
                errors.append(error)

        threads = [threading.Thread(target=start) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert {server.url("imdb_warehouse") for server in servers} == {
            f"postgresql://postgres@127.0.0.1:{port}/imdb_warehouse"
        }
        assert query(servers[0].url("imdb_warehouse"), "SELECT 1") == [(1,)]
        assert embedded_postgres.stop(home) is True
        assert embedded_postgres.stop(home) is False


def test_restart_keeps_the_data():
    port = free_port()
    with embedded_server_home() as home:
        url = embedded_postgres.ensure_running(home, port, "imdb_warehouse").url("imdb_warehouse")
        import psycopg2

        connection = psycopg2.connect(url)
        with connection, connection.cursor() as cursor:
            cursor.execute("CREATE TABLE kept AS SELECT 42 AS answer")
        connection.close()
        embedded_postgres.stop(home)

        embedded_postgres.ensure_running(home, port, "imdb_warehouse")

        assert query(url, "SELECT answer FROM kept") == [(42,)]


def test_asking_for_another_port_while_running_is_a_clear_error():
    port = free_port()
    with embedded_server_home() as home:
        embedded_postgres.ensure_running(home, port, "imdb_warehouse")
        with pytest.raises(RuntimeError, match=f"already runs on port {port}"):
            embedded_postgres.ensure_running(home, free_port(), "imdb_warehouse")
