"""Tables a step commits before putting them in place: abandoned ones are dropped, owned ones
kept (real PostgreSQL, real advisory locks)."""

import psycopg2

from imdb_pipeline.lib import pg_tables, table_owners
from imdb_pipeline_tests.conftest import query
from imdb_pipeline_tests.lib.sql_fixtures import WHOLE, run, values


def _tables(url: str) -> list[str]:
    return [name for (name,) in query(
        url, "SELECT schemaname || '.' || tablename FROM pg_tables "
             "WHERE schemaname IN ('core', 'work') ORDER BY 1")]  # fmt: skip


def test_tables_of_a_live_owner_are_kept_and_those_of_a_gone_one_dropped(warehouse_url):
    owner_connection = psycopg2.connect(warehouse_url)
    owner_connection.autocommit = True
    owner = table_owners.new_owner(owner_connection.cursor())
    run(warehouse_url, lambda c: pg_tables.replace_table_as(c, WHOLE, values([(1, "a")])))
    run(warehouse_url, lambda c: pg_tables.build_table_as(c, WHOLE, values([(2, "b")]), owner))
    run(warehouse_url, lambda c: pg_tables.create_scratch_as(c, "work", "latest", "SELECT 1 AS id", owner))
    # Left by an owner whose process was killed: no session holds its lock.
    run(warehouse_url, lambda c: pg_tables.create_scratch_as(c, "work", "latest", "SELECT 1 AS id", "dead0001"))
    run(warehouse_url, lambda c: c.execute("CREATE TABLE work.notes__building_notes AS SELECT 1 AS id"))
    before = _tables(warehouse_url)

    dropped = run(warehouse_url, lambda c: table_owners.drop_abandoned(c, ["core", "work"]))

    assert dropped == ["work.latest__scratch_dead0001"]
    assert _tables(warehouse_url) == [name for name in before if name not in dropped]
    assert f"core.things__building_{owner}" in before  # the live owner's are still there

    owner_connection.close()  # the owner's process ends: PostgreSQL releases its lock
    dropped = run(warehouse_url, lambda c: table_owners.drop_abandoned(c, ["core", "work"]))

    assert dropped == [f"core.things__building_{owner}", f"work.latest__scratch_{owner}"]
    assert _tables(warehouse_url) == ["core.things", "work.notes__building_notes"]


def test_only_the_given_schemas_are_looked_at(warehouse_url):
    run(warehouse_url, lambda c: pg_tables.create_scratch_as(c, "work", "latest", "SELECT 1 AS id", "dead0002"))

    assert run(warehouse_url, lambda c: table_owners.drop_abandoned(c, ["core"])) == []
    assert _tables(warehouse_url) == ["work.latest__scratch_dead0002"]
