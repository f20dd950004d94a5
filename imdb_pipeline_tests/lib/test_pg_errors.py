"""Errors about the data, told apart from transient ones, from a real PostgreSQL."""

import io

import psycopg2
import pytest

from imdb_pipeline.lib.pg_errors import copy_position, described, is_data_error
from imdb_pipeline_tests.conftest import free_port


def _error(url: str, *statements: str, copy: str | None = None) -> psycopg2.Error:
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            if copy is not None:
                cursor.copy_expert("COPY t (id, name) FROM STDIN WITH (FORMAT csv)", io.StringIO(copy))
    except psycopg2.Error as error:
        return error
    finally:
        connection.close()
    raise AssertionError("no error")


def test_a_value_a_copy_refuses_is_a_data_error_at_its_row_and_column(warehouse_url):
    error = _error(warehouse_url, "CREATE TABLE t (id int, name varchar(5))",
                   copy="1,Ann\n2,Bob\n3,Barbara\n")  # fmt: skip
    assert is_data_error(error)
    assert copy_position(error) == (3, "name")
    assert described(error) == "value too long for type character varying(5)"


def test_a_value_beyond_an_index_limit_is_a_data_error_with_its_detail(warehouse_url):
    error = _error(
        warehouse_url, "CREATE TABLE t (id int, name text UNIQUE)",
        "INSERT INTO t SELECT 1, string_agg(md5(g::text), '') FROM generate_series(1, 250) g",
    )  # fmt: skip
    assert is_data_error(error)
    assert copy_position(error) is None
    assert described(error).startswith("index row size 8016 exceeds btree version 4 maximum 2704")
    assert "; detail: Index row references tuple" in described(error)


def test_a_repeated_key_is_a_data_error(warehouse_url):
    error = _error(warehouse_url, "CREATE TABLE t (id int PRIMARY KEY, name text)",
                   copy="1,Ann\n1,Bob\n")  # fmt: skip
    assert is_data_error(error)


@pytest.mark.parametrize("statement", ["SELECT pg_sleep(1)", "SELECT * FROM missing_table"])
def test_other_errors_are_not_data_errors(warehouse_url, statement):
    connection = psycopg2.connect(warehouse_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 10")
            with pytest.raises(psycopg2.Error) as raised:
                cursor.execute(statement)
    finally:
        connection.close()
    assert not is_data_error(raised.value)


def test_a_server_that_cannot_be_reached_is_no_data_error():
    with pytest.raises(psycopg2.OperationalError) as raised:
        psycopg2.connect(host="127.0.0.1", port=free_port(), connect_timeout=2)
    assert not is_data_error(raised.value)
