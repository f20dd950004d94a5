"""Building warehouse tables inside a real PostgreSQL: whole tables, day partitions, new rows."""

import datetime as dt
import threading

import psycopg2
import pyarrow as pa
import pytest

from imdb_pipeline.lib import pg_tables, server_version
from imdb_pipeline.lib.warehouse_tables import Table
from imdb_pipeline_tests.conftest import query
from imdb_pipeline_tests.lib.sql_fixtures import DAILY, WHOLE, run, values

D1, D2 = dt.date(2024, 3, 1), dt.date(2024, 3, 2)
NASTY_TEXT = ["a,b", 'say "hi"', "tab\there", "new\nline\r\nwindows", "back\\slash", "\\N", "",
              None, "ünïcødé 🎬 日本", "O'Brien", ",", '"', "NULL", " padded "]  # fmt: skip


def batches(*rows: tuple[int, str | None, int | None], fail_after: int | None = None):
    for index, (key, name, line) in enumerate(rows):
        if fail_after is not None and index == fail_after:
            raise ValueError("the source broke in the middle")
        yield pa.record_batch({"id": pa.array([key], pa.int64()), "name": pa.array([name], pa.string()),
                               "line": pa.array([line], pa.int64())})  # fmt: skip


def test_whole_table_is_built_typed_keyed_and_replaced(warehouse_url):
    run(warehouse_url, lambda c: pg_tables.replace_table_as(c, WHOLE, values([(1, "a"), (2, "b")])))
    rows = run(warehouse_url, lambda c: pg_tables.replace_table_as(c, WHOLE, values([(3, "c")])))

    assert rows == 1
    assert query(warehouse_url, "SELECT id, name FROM core.things") == [(3, "c")]
    assert query(
        warehouse_url,
        "SELECT conname, contype FROM pg_constraint WHERE conrelid = 'core.things'::regclass "
                 "AND contype IN ('p', 'u') "
        "AND contype IN ('p', 'u') ORDER BY 1",
    ) == [("things_key0", "u"), ("things_pkey", "p")]
    assert query(
        warehouse_url, "SELECT format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
        "WHERE attrelid = 'core.things'::regclass AND attnum > 0 ORDER BY attnum",
    ) == [("bigint", True), ("text", False)]  # fmt: skip


@pytest.mark.parametrize("select", [
    "SELECT 1 AS id, 'x' AS name UNION ALL SELECT 1 / 0, 'y'",  # fails while computing rows
    "SELECT 7 AS id, 'x' AS name UNION ALL SELECT 7, 'y'",  # fails building the primary key
    "SELECT NULL::bigint AS id, 'x' AS name",  # fails on NOT NULL
])  # fmt: skip
def test_a_failed_build_leaves_the_previous_table_and_nothing_else(warehouse_url, select):
    run(warehouse_url, lambda c: pg_tables.replace_table_as(c, WHOLE, values([(1, "a")])))

    with pytest.raises(psycopg2.Error):
        run(warehouse_url, lambda c: pg_tables.replace_table_as(c, WHOLE, select))

    assert query(warehouse_url, "SELECT id, name FROM core.things") == [(1, "a")]
    assert query(warehouse_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'core'") == [(1,)]


def test_a_dependent_view_stops_the_replace_instead_of_being_dropped(warehouse_url):
    run(warehouse_url, lambda c: pg_tables.replace_table_as(c, WHOLE, values([(1, "a")])))
    run(warehouse_url, lambda c: c.execute("CREATE VIEW core.v AS SELECT id FROM core.things"))

    with pytest.raises(psycopg2.errors.DependentObjectsStillExist):
        run(warehouse_url, lambda c: pg_tables.replace_table_as(c, WHOLE, values([(2, "b")])))

    assert query(warehouse_url, "SELECT id FROM core.v") == [(1,)]


KEPT = Table("kept", "things_previous", WHOLE.columns, WHOLE.primary_key, WHOLE.unique)


def _constraints(url: str, schema: str) -> list[tuple]:
    return query(url, "SELECT conrelid::regclass::text, conname FROM pg_constraint "
                      f"WHERE connamespace = '{schema}'::regnamespace AND contype IN ('p', 'u') "
                      "ORDER BY 2")  # fmt: skip


def test_a_replaced_table_can_be_kept_aside_keys_and_all(warehouse_url):
    for select in (values([(1, "a")]), values([(2, "b")]), values([(3, "c")])):
        run(warehouse_url, lambda c, select=select: pg_tables.replace_table_as(c, WHOLE, select, KEPT))

    assert query(warehouse_url, "SELECT id, name FROM core.things") == [(3, "c")]
    assert query(warehouse_url, "SELECT id, name FROM kept.things_previous") == [(2, "b")]
    assert _constraints(warehouse_url, "core") == [("core.things", "things_key0"),
                                                   ("core.things", "things_pkey")]  # fmt: skip
    assert _constraints(warehouse_url, "kept") == [
        ("kept.things_previous", "things_previous_key0"), ("kept.things_previous", "things_previous_pkey")
    ]  # fmt: skip


def test_a_dependent_view_stops_a_replace_that_keeps_the_old_table(warehouse_url):
    run(warehouse_url, lambda c: pg_tables.replace_table_as(c, WHOLE, values([(1, "a")])))
    run(warehouse_url, lambda c: c.execute("CREATE VIEW core.v AS SELECT id FROM core.things"))

    with pytest.raises(psycopg2.errors.DependentObjectsStillExist):
        run(warehouse_url, lambda c: pg_tables.replace_table_as(c, WHOLE, values([(2, "b")]), KEPT))

    assert query(warehouse_url, "SELECT id FROM core.v") == [(1,)]  # not left reading a moved table
    assert query(warehouse_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'kept'") == [(0,)]


def test_a_table_built_in_one_transaction_is_swapped_in_by_another(warehouse_url):
    run(warehouse_url, lambda c: pg_tables.replace_table_as(c, WHOLE, values([(1, "a")])))
    building, rows = run(warehouse_url, lambda c: pg_tables.build_table_as(c, WHOLE, values([(2, "b")])))

    assert rows == 1
    assert query(warehouse_url, "SELECT id FROM core.things") == [(1,)]  # not in place yet
    run(warehouse_url, lambda c: pg_tables.swap_in(c, WHOLE, building))
    assert query(warehouse_url, "SELECT id, name FROM core.things") == [(2, "b")]
    assert query(warehouse_url, "SELECT conname FROM pg_constraint WHERE conrelid = 'core.things'::regclass "
                 "AND contype IN ('p', 'u') ORDER BY 1") == [("things_key0",), ("things_pkey",)]  # fmt: skip
    run(warehouse_url, lambda c: pg_tables.drop_building(c, WHOLE, building))  # already gone: no-op


def test_a_built_table_that_is_never_swapped_in_can_be_dropped(warehouse_url):
    building, _ = run(warehouse_url, lambda c: pg_tables.build_table_as(c, WHOLE, values([(2, "b")])))
    run(warehouse_url, lambda c: pg_tables.drop_building(c, WHOLE, building))

    assert query(warehouse_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'core'") == [(0,)]


def test_a_scratch_table_is_unlogged_analyzed_and_read_by_other_connections(warehouse_url):
    scratch = run(warehouse_url, lambda c: pg_tables.create_scratch_as(
        c, "work", "latest", "SELECT g AS id FROM generate_series(1, 1000) AS g", "0123abcd"))  # fmt: skip

    assert scratch == '"work"."latest__scratch_0123abcd"'  # named after its owner
    assert query(warehouse_url, f"SELECT count(*), max(id) FROM {scratch}") == [(1000, 1000)]
    assert query(warehouse_url, "SELECT relpersistence, reltuples FROM pg_class "
                 f"WHERE oid = '{scratch}'::regclass") == [("u", 1000.0)]  # fmt: skip
    run(warehouse_url, lambda c: pg_tables.drop_scratch(c, scratch))
    run(warehouse_url, lambda c: pg_tables.drop_scratch(c, scratch))  # already gone: no-op
    assert query(warehouse_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'work'") == [(0,)]


def test_rows_copied_from_arrow_keep_every_character_and_null(warehouse_url):
    rows = [(i + 1, text, None if i % 3 else i) for i, text in enumerate(NASTY_TEXT)]
    kept, removed = run(warehouse_url, lambda c: pg_tables.replace_partition_from_rows(
        c, DAILY, D1, batches(*rows)))  # fmt: skip

    assert (kept, removed) == (len(rows), 0)
    assert query(warehouse_url, "SELECT id, name, line FROM core.daily_things ORDER BY id") == rows
    assert query(warehouse_url, "SELECT DISTINCT snapshot_date FROM core.daily_things") == [(D1,)]
    # Loaded frozen: readers never rewrite the pages to mark the rows committed, and from
    # PostgreSQL 14 on the pages are all-visible from the start (13 leaves that to VACUUM).
    all_visible = 1 if server_version.of(warehouse_url) >= 140000 else 0
    assert query(warehouse_url, "SELECT relpages, relallvisible FROM pg_class "
                 "WHERE relname = 'daily_things_p20240301'") == [(1, all_visible)]  # fmt: skip


def test_days_are_partitions_and_a_rerun_replaces_only_its_day(warehouse_url):
    for day, name in ((D1, "first"), (D2, "second"), (D1, "again")):
        run(warehouse_url, lambda c, day=day, name=name: pg_tables.replace_partition_as(
            c, DAILY, day, values([(day, 1, name, 10), (day, 2, name, 20)], DAILY)))  # fmt: skip

    assert query(
        warehouse_url, "SELECT snapshot_date, name, count(*) FROM core.daily_things GROUP BY 1, 2 ORDER BY 1"
    ) == [(D1, "again", 2), (D2, "second", 2)]  # fmt: skip
    assert query(
        warehouse_url, "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'core.daily_things'::regclass ORDER BY 1",
    ) == [("daily_things_p20240301",), ("daily_things_p20240302",)]  # fmt: skip


def test_rows_of_another_day_are_refused_and_the_day_is_kept(warehouse_url):
    run(warehouse_url, lambda c: pg_tables.replace_partition_as(c, DAILY, D1, values([(D1, 1, "a", 1)], DAILY)))

    with pytest.raises(psycopg2.errors.CheckViolation):
        run(warehouse_url, lambda c: pg_tables.replace_partition_as(
            c, DAILY, D1, values([(D1, 1, "a", 1), (D2, 2, "b", 2)], DAILY)))  # fmt: skip

    assert query(warehouse_url, "SELECT id FROM core.daily_things") == [(1,)]


def test_a_stream_that_breaks_half_way_surfaces_its_error_and_keeps_the_day(warehouse_url):
    run(warehouse_url, lambda c: pg_tables.replace_partition_from_rows(c, DAILY, D1, batches((1, "old", 1))))

    with pytest.raises(ValueError, match="broke in the middle"):
        run(warehouse_url, lambda c: pg_tables.replace_partition_from_rows(
            c, DAILY, D1, batches((5, "new", 1), (6, "new", 2), (7, "new", 3), fail_after=2)))  # fmt: skip

    assert query(warehouse_url, "SELECT id, name FROM core.daily_things") == [(1, "old")]


def test_repeated_keys_go_to_the_resolver_or_fail_the_load(warehouse_url):
    rows = [(1, "first", 1), (2, "b", 2), (1, "last", 3)]
    assert run(warehouse_url, lambda c: pg_tables.replace_partition_from_rows(
        c, DAILY, D1, batches(*rows), resolve_duplicates=pg_tables.keep_last("id", "line"))) == (2, 1)  # fmt: skip
    assert query(warehouse_url, "SELECT id, name FROM core.daily_things ORDER BY id") == [
        (1, "last"), (2, "b")]  # fmt: skip

    with pytest.raises(psycopg2.errors.UniqueViolation):
        run(warehouse_url, lambda c: pg_tables.replace_partition_from_rows(c, DAILY, D2, batches(*rows)))


def test_an_unpartitioned_table_of_an_earlier_layout_is_converted_with_its_rows(warehouse_url):
    run(warehouse_url, lambda c: c.execute(
        "CREATE SCHEMA core; CREATE TABLE core.daily_things (snapshot_date date NOT NULL, id bigint "
        "NOT NULL, name text, line bigint, PRIMARY KEY (snapshot_date, id)); INSERT INTO "
        "core.daily_things VALUES ('2024-03-01', 1, 'kept', 1), ('2024-03-02', 2, 'replaced', 1)"))  # fmt: skip

    run(warehouse_url, lambda c: pg_tables.replace_partition_as(c, DAILY, D2, values([(D2, 3, "new", 1)], DAILY)))

    assert query(warehouse_url, "SELECT snapshot_date, id, name FROM core.daily_things ORDER BY 1") == [
        (D1, 1, "kept"), (D2, 3, "new")]  # fmt: skip
    assert query(warehouse_url, "SELECT relkind FROM pg_class WHERE relname = 'daily_things'") == [("p",)]


def test_new_rows_are_added_to_a_table_created_on_first_use(warehouse_url):
    def add(names):
        return lambda c: pg_tables.insert_rows_as(c, WHOLE, lambda existing: (
            f"SELECT coalesce((SELECT max(id) FROM {existing}), 0) + row_number() OVER (ORDER BY n) AS id, "
            f"n AS name FROM unnest(ARRAY{names}) AS n WHERE n NOT IN (SELECT name FROM {existing})"))  # fmt: skip

    assert run(warehouse_url, add(["a", "b"])) == 2
    assert query(warehouse_url, "SELECT conname FROM pg_constraint WHERE conrelid = 'core.things'::regclass "
                 "AND contype IN ('p', 'u') ORDER BY 1") == [("things_key0",), ("things_pkey",)]  # fmt: skip
    assert run(warehouse_url, add(["b", "c"])) == 1
    assert query(warehouse_url, "SELECT id, name FROM core.things ORDER BY id") == [
        (1, "a"), (2, "b"), (3, "c")]  # fmt: skip


def test_readers_during_a_day_exchange_see_the_old_day_or_the_new_one(warehouse_url):
    def load(count):
        return lambda c: pg_tables.replace_partition_as(
            c, DAILY, D1, f"SELECT DATE '{D1}' AS snapshot_date, g AS id, 'x' AS name, g AS line "
            f"FROM generate_series(1, {count}) g")  # fmt: skip

    run(warehouse_url, load(1_000))
    loader = threading.Thread(target=run, args=(warehouse_url, load(300_000)))
    seen = set()
    loader.start()
    while loader.is_alive():
        seen.add(query(warehouse_url, "SELECT count(*) FROM core.daily_things")[0][0])
    loader.join()
    seen.add(query(warehouse_url, "SELECT count(*) FROM core.daily_things")[0][0])

    assert seen == {1_000, 300_000}
