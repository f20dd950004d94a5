"""The warehouse's roles (`imdb-pipeline warehouse setup`), logged in as each of them.

The embedded server authenticates by trust, so a test logs in as a role by naming it: what a
role may do is then decided by its rights alone, as on a server with passwords.
"""

import dataclasses
import datetime as dt
from urllib.parse import urlsplit

import psycopg2
import pytest
from psycopg2 import errors

from imdb_pipeline import cli
from imdb_pipeline.constants import (
    BI_READER_ROLE,
    ENV_BI_READER_PASSWORD,
    ENV_LOADER_PASSWORD,
    ENV_WAREHOUSE_ADMIN_URL,
    ENV_WAREHOUSE_URL,
    LOADER_ROLE,
    STEWARD_ROLE,
)
from imdb_pipeline.lib import pg_tables, warehouse_roles
from imdb_pipeline.lib.warehouse_tables import WAREHOUSE_TABLES, Column, Table
from imdb_pipeline_tests.warehouse_state import DAY, failure_messages, materialize_all

# Test-only declarations with a sensitive column; no IMDb column is sensitive.
CUSTOMERS = Table("core", "test_customers", (
    Column("customer_id", "bigint", False, "Customer"),
    Column("email", "text", True, "E-mail address", sensitive=True),
    Column("country", "text", True, "Country"),
), primary_key=("customer_id",))  # fmt: skip
VISITS = Table("analytics", "test_visits", (
    Column("snapshot_date", "date", False, "Day"),
    Column("customer_id", "bigint", False, "Customer"),
    Column("phone", "text", True, "Phone number", sensitive=True),
), primary_key=("snapshot_date", "customer_id"), partition_column="snapshot_date")  # fmt: skip
PREVIOUS_CUSTOMERS = dataclasses.replace(CUSTOMERS, schema="pipeline_state",
                                         name="test_customers_previous")  # fmt: skip
DAY_1, DAY_2 = dt.date(2024, 6, 1), dt.date(2024, 6, 2)


def as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}").geturl()


def run(url: str, statement: str, parameters=None) -> list[tuple] | None:
    """One statement in its own transaction, committed; its rows, if it returns any."""
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(statement, parameters)
            return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


def denied(url: str, statement: str) -> bool:
    try:
        run(url, statement)
    except errors.InsufficientPrivilege:
        return True
    return False


def in_transaction(url: str, work) -> None:
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            work(cursor)
    finally:
        connection.close()


def set_up(url: str, tables=WAREHOUSE_TABLES) -> None:
    in_transaction(url, lambda cursor: warehouse_roles.set_up(cursor, {}, tables))


def rights(url: str) -> list[tuple]:
    """Owners and privileges of the pipeline's schemas and their relations, and the default
    privileges: what setup decides."""
    return run(url, """
        SELECT 'schema', nspname, pg_get_userbyid(nspowner), nspacl::text FROM pg_namespace
        WHERE nspname = ANY(%(schemas)s)
        UNION ALL
        SELECT 'relation', n.nspname || '.' || c.relname, pg_get_userbyid(c.relowner),
               c.relacl::text
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'S')
        UNION ALL
        SELECT 'default', defaclnamespace::regnamespace::text, pg_get_userbyid(defaclrole),
               defaclacl::text FROM pg_default_acl
        ORDER BY 1, 2""", {"schemas": list(warehouse_roles.LOADER_SCHEMAS)})  # fmt: skip


@pytest.mark.every_server
def test_setup_is_idempotent_and_hands_the_loader_what_exists(
    warehouse_url, monkeypatch, capsys
):
    """Run twice from the command line on a warehouse where the admin made tables (one with a
    serial column, whose sequence moves with it): the second run changes nothing."""
    run(warehouse_url, "CREATE SCHEMA core; "
                       "CREATE TABLE core.made_by_admin (id serial PRIMARY KEY, note text); "
                       "CREATE VIEW core.admin_view AS SELECT note FROM core.made_by_admin")
    monkeypatch.setenv(ENV_WAREHOUSE_ADMIN_URL, warehouse_url)
    monkeypatch.setenv(ENV_WAREHOUSE_URL, "postgresql://nobody@127.0.0.1:1/elsewhere")
    monkeypatch.setenv(ENV_LOADER_PASSWORD, "loader's secret")
    monkeypatch.setenv(ENV_BI_READER_PASSWORD, "reader-secret")
    assert cli.main(["warehouse", "setup"]) == 0
    first = rights(warehouse_url)
    output = capsys.readouterr()
    # The table and its view; the table's sequence moved with it.
    assert "now owns 2 tables, views or sequences" in output.out
    assert cli.main(["warehouse", "setup"]) == 0
    assert rights(warehouse_url) == first
    again = capsys.readouterr()
    assert "now owns" not in again.out
    assert "secret" not in output.out + output.err + again.out + again.err
    owners = dict(run(warehouse_url, """
        SELECT n.nspname || '.' || c.relname, pg_get_userbyid(c.relowner) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'core'"""))  # fmt: skip
    assert set(owners.values()) == {LOADER_ROLE}, owners
    assert "core.made_by_admin_id_seq" in owners
    schemas = run(warehouse_url, "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace "
                                 "WHERE nspname = ANY(%s) ORDER BY 1",
                  (list(warehouse_roles.LOADER_SCHEMAS),))  # fmt: skip
    assert schemas == sorted((schema, LOADER_ROLE) for schema in warehouse_roles.LOADER_SCHEMAS)
    # Passwords are stored as SCRAM hashes; the steward, given none, has none.
    stored = dict(run(warehouse_url, "SELECT rolname, rolpassword FROM pg_authid "
                                     "WHERE rolname = ANY(%s)",
                      (list(warehouse_roles.ROLES),)))  # fmt: skip
    assert stored[LOADER_ROLE].startswith("SCRAM-SHA-256$")
    assert stored[BI_READER_ROLE].startswith("SCRAM-SHA-256$")
    assert stored[STEWARD_ROLE] is None
    reader = as_role(warehouse_url, BI_READER_ROLE)
    assert run(reader, "SELECT count(*) FROM core.made_by_admin") == [(0,)]
    assert run(reader, "SELECT count(*) FROM core.admin_view") == [(0,)]


def test_setup_needs_an_admin_url_for_an_external_warehouse(monkeypatch, capsys):
    monkeypatch.setenv(ENV_WAREHOUSE_URL, "postgresql://imdb_loader@127.0.0.1:1/imdb_warehouse")
    assert cli.main(["warehouse", "setup"]) == 1
    assert ENV_WAREHOUSE_ADMIN_URL in capsys.readouterr().err


def test_the_readers_keep_reading_across_runs_as_the_loader(
    warehouse_url, sample_source, monkeypatch
):
    """A warehouse loaded before the roles existed (as the admin), then set up, then loaded
    twice as the loader: a day again (every table and that day's partitions replaced) and a
    new day (new partitions, dim_movies' old table moved aside), its checks included. The
    database grants nothing to PUBLIC, as in the compose stack: each role has only its own."""
    materialize_all()
    database = urlsplit(warehouse_url).path.lstrip("/")
    run(warehouse_url, f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
    set_up(warehouse_url)
    loader = as_role(warehouse_url, LOADER_ROLE)
    monkeypatch.setenv(ENV_WAREHOUSE_URL, loader)
    next_day = (dt.date.fromisoformat(DAY) + dt.timedelta(days=1)).isoformat()
    for day, with_checks in ((DAY, False), (next_day, True)):
        result = materialize_all(raise_on_error=False, day=day, with_checks=with_checks)
        assert result.success, failure_messages(result)
        evaluations = result.get_asset_check_evaluations()
        assert bool(evaluations) == with_checks
        assert [c for c in evaluations if not c.passed] == []

    tables = run(warehouse_url, """
        SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p') ORDER BY 1, 2""",
                 (list(warehouse_roles.LOADER_SCHEMAS),))  # fmt: skip
    assert {owner for _, _, owner in tables} == {LOADER_ROLE}
    reader = as_role(warehouse_url, BI_READER_ROLE)
    steward = as_role(warehouse_url, STEWARD_ROLE)
    served = [t for t in WAREHOUSE_TABLES if t.schema in ("core", "analytics")]
    assert {t.schema for t in served} == {"core", "analytics"}
    for table in served:
        [(rows,)] = run(reader, f"SELECT count(*) FROM {table.qualified}")
        assert rows > 0, table.qualified
        assert run(steward, f"SELECT count(*) FROM {table.qualified}") == [(rows,)]
    [(days,)] = run(reader, "SELECT count(DISTINCT snapshot_date) FROM core.fact_movie_performance")
    assert days == 2
    # The steward reads staging, rejects included, and the audit trail of the loads made as
    # the loader; the reader reads none of them, nor the state.
    [(rejects,)] = run(steward, "SELECT count(*) FROM staging.stg_movies_rejects")
    assert rejects > 0
    assert run(steward, "SELECT DISTINCT db_user FROM audit.load_log WHERE snapshot_date = %s",
               (next_day,)) == [(LOADER_ROLE,)]  # fmt: skip
    for statement in (
        "SELECT count(*) FROM audit.load_log",
        "SELECT count(*) FROM staging.stg_movies",
        "SELECT count(*) FROM staging.stg_movies_rejects",
        "SELECT count(*) FROM pipeline_state.dimension_sources",
        "INSERT INTO analytics.agg_top_movies SELECT * FROM analytics.agg_top_movies LIMIT 1",
        "UPDATE analytics.agg_top_movies SET title = 'x'",
        "DELETE FROM core.dim_genres",
        "TRUNCATE core.fact_movie_performance",
        "CREATE TABLE core.mine (x int)",
        "CREATE TABLE analytics.mine (x int)",
        "CREATE TABLE public.mine (x int)",
        "CREATE SCHEMA mine",
    ):
        assert denied(reader, statement), statement
    assert denied(steward, "SELECT count(*) FROM pipeline_state.dimension_sources")
    assert denied(steward, "DELETE FROM staging.stg_movies_rejects")
    assert denied(steward, "DELETE FROM audit.load_log")


@pytest.mark.every_server
def test_the_loader_stays_in_its_schemas(warehouse_url):
    set_up(warehouse_url)
    run(warehouse_url, "CREATE SCHEMA finance; CREATE TABLE finance.ledger (amount numeric); "
                       "CREATE TABLE public.settings (name text)")  # fmt: skip
    loader = as_role(warehouse_url, LOADER_ROLE)
    for statement in (
        "CREATE TABLE public.mine (x int)",
        "CREATE TABLE finance.mine (x int)",
        "SELECT count(*) FROM finance.ledger",
        "SELECT count(*) FROM public.settings",
        "DROP TABLE public.settings",
        "CREATE ROLE intruder",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT ALL ON TABLES TO {LOADER_ROLE}",
    ):
        assert denied(loader, statement), statement
    run(loader, "CREATE SCHEMA loader_made; CREATE TABLE core.mine (x int)")


@pytest.mark.every_server
def test_the_reader_sees_sensitive_columns_masked_whatever_the_loads_do(warehouse_url):
    """A table with a sensitive column, made by the admin before setup, then replaced by the
    loader in every way a load replaces tables; a daily one loaded day by day."""
    customers = "SELECT * FROM (VALUES (1::bigint, 'ann@example.com', 'FR'), " \
                "(2, 'bob@example.com', 'DE')) AS v(customer_id, email, country)"  # fmt: skip
    in_transaction(warehouse_url, lambda c: pg_tables.replace_table_as(c, CUSTOMERS, customers))
    set_up(warehouse_url, (*WAREHOUSE_TABLES, CUSTOMERS, VISITS))
    set_up(warehouse_url, (*WAREHOUSE_TABLES, CUSTOMERS, VISITS))
    loader = as_role(warehouse_url, LOADER_ROLE)
    reader = as_role(warehouse_url, BI_READER_ROLE)
    steward = as_role(warehouse_url, STEWARD_ROLE)

    def reader_sees_only_masked(rows: int) -> None:
        assert run(reader, "SELECT count(*), count(email), count(country) "
                           "FROM core.test_customers_masked") == [(rows, 0, rows)]  # fmt: skip
        assert denied(reader, "SELECT customer_id FROM core.test_customers")
        assert run(steward, "SELECT count(email) FROM core.test_customers") == [(rows,)]

    reader_sees_only_masked(2)
    # Replaced in one transaction, the old table moved aside (the view would stop that move).
    in_transaction(loader, lambda c: pg_tables.replace_table_as(
        c, CUSTOMERS, customers + " UNION ALL SELECT 3, 'cy@example.com', 'IT'",
        keep_old_as=PREVIOUS_CUSTOMERS))  # fmt: skip
    reader_sees_only_masked(3)
    # Built and committed first, swapped in later: the built table is never the reader's.
    built = {}
    in_transaction(loader, lambda c: built.update(
        name=pg_tables.build_table_as(c, CUSTOMERS, customers, owner="0123abcd")[0]))  # fmt: skip
    assert denied(reader, f'SELECT count(*) FROM core."{built["name"]}"')
    in_transaction(loader, lambda c: pg_tables.swap_in(c, CUSTOMERS, built["name"]))
    reader_sees_only_masked(2)

    # A daily table: the parent, made by the loader after setup, and each day's partition.
    visits = "SELECT {day}::date AS snapshot_date, 7::bigint AS customer_id, '+33 1 23' AS phone"
    for day in (DAY_1, DAY_2, DAY_1):
        in_transaction(loader, lambda c, day=day: pg_tables.replace_partition_as(
            c, VISITS, day, visits.format(day=f"'{day}'")))  # fmt: skip
    assert run(reader, "SELECT count(*), count(phone) FROM analytics.test_visits_masked") == [
        (2, 0)
    ]
    assert denied(reader, "SELECT count(*) FROM analytics.test_visits")
    for day in (DAY_1, DAY_2):
        partition = pg_tables.partition_name(VISITS, day)
        assert denied(reader, f"SELECT count(*) FROM analytics.{partition}")
    set_up(warehouse_url, (*WAREHOUSE_TABLES, CUSTOMERS, VISITS))
    reader_sees_only_masked(2)
    partition = pg_tables.partition_name(VISITS, DAY_2)
    assert denied(reader, f"SELECT count(*) FROM analytics.{partition}")
    assert run(reader, "SELECT count(*) FROM analytics.test_visits_masked") == [(2,)]


def test_a_table_without_sensitive_columns_has_no_masking_view(warehouse_url):
    set_up(warehouse_url)
    plain = dataclasses.replace(CUSTOMERS, name="test_plain", columns=tuple(
        dataclasses.replace(column, sensitive=False) for column in CUSTOMERS.columns))  # fmt: skip
    loader = as_role(warehouse_url, LOADER_ROLE)
    in_transaction(loader, lambda c: pg_tables.replace_table_as(
        c, plain, "SELECT 1::bigint AS customer_id, 'a@b' AS email, 'FR' AS country"))  # fmt: skip
    reader = as_role(warehouse_url, BI_READER_ROLE)
    assert run(reader, "SELECT email FROM core.test_plain") == [("a@b",)]
    assert run(warehouse_url, "SELECT to_regclass('core.test_plain_masked')") == [(None,)]
    assert not any(column.sensitive for table in WAREHOUSE_TABLES for column in table.columns)
