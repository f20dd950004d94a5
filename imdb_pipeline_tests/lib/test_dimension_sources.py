"""Which staged days a dimension was derived from, and which it must read next."""

import datetime as dt

import psycopg2
import pytest

from imdb_pipeline.lib import dimension_sources, pg_tables
from imdb_pipeline.lib.dimension_sources import changed_days, only_later_days
from imdb_pipeline.lib.warehouse_tables import DIM_ACTORS, DIM_GENRES
from imdb_pipeline_tests.lib.sql_fixtures import D1, D2, D3, DAILY, run, values

BEFORE = {D1: 101, D2: 102}


def test_changed_days_are_the_new_days_and_the_days_staged_again():
    assert changed_days({D1: 101, D2: 102}, BEFORE) == []
    assert changed_days({D1: 101, D2: 102, D3: 103}, BEFORE) == [D3]
    assert changed_days({D3: 103, D1: 201, D2: 102}, BEFORE) == [D1, D3]
    assert changed_days({D1: 101}, BEFORE) == []  # a day gone adds nothing to read
    assert changed_days({D2: 102, D1: 101}, None) == [D1, D2]  # no record: every day


@pytest.mark.parametrize(("staged", "expected"), [
    ({D1: 101, D2: 102}, True),
    ({D1: 101, D2: 102, D3: 103}, True),
    ({D1: 201, D2: 102, D3: 103}, False),  # an old day staged again
    ({D1: 101, D2: 202}, False),  # the latest day staged again
    ({D2: 102, D3: 103}, False),  # a day gone
    ({D1: 101, D2: 102, dt.date(2023, 12, 31): 99}, False),  # a day before the others
])  # fmt: skip
def test_only_later_days(staged, expected):
    assert only_later_days(staged, BEFORE) is expected


def _stage_day(url: str, day: dt.date) -> None:
    run(url, lambda c: pg_tables.replace_partition_as(c, DAILY, day, values([(day, 1, "a", 1)], DAILY)))


def test_day_partitions_change_oid_when_a_day_is_staged_again(warehouse_url):
    _stage_day(warehouse_url, D1)
    _stage_day(warehouse_url, D2)
    first = run(warehouse_url, lambda c: pg_tables.day_partitions(c, DAILY))
    _stage_day(warehouse_url, D2)
    second = run(warehouse_url, lambda c: pg_tables.day_partitions(c, DAILY))

    assert sorted(first) == sorted(second) == [D1, D2]
    assert first[D1] == second[D1] and first[D2] != second[D2]


def test_a_record_is_kept_per_dimension(warehouse_url):
    run(warehouse_url, dimension_sources.ensure_table)
    run(warehouse_url, lambda c: c.execute(
        "CREATE SCHEMA core; CREATE TABLE core.dim_actors (); CREATE TABLE core.dim_genres ()"))  # fmt: skip
    assert run(warehouse_url, lambda c: dimension_sources.recorded(c, DIM_ACTORS)) is None

    run(warehouse_url, lambda c: dimension_sources.record(c, DIM_ACTORS, BEFORE))
    run(warehouse_url, lambda c: dimension_sources.record(c, DIM_GENRES, {D3: 3}))
    run(warehouse_url, lambda c: dimension_sources.record(c, DIM_ACTORS, {D2: 7}))

    assert run(warehouse_url, lambda c: dimension_sources.recorded(c, DIM_ACTORS)) == {D2: 7}
    assert run(warehouse_url, lambda c: dimension_sources.recorded(c, DIM_GENRES)) == {D3: 3}
    run(warehouse_url, lambda c: c.execute("DROP TABLE core.dim_genres"))
    assert run(warehouse_url, lambda c: dimension_sources.recorded(c, DIM_GENRES)) is None


def test_a_day_cannot_be_staged_again_while_a_dimension_reads_the_staged_days(warehouse_url):
    _stage_day(warehouse_url, D1)
    reader = psycopg2.connect(warehouse_url)
    try:
        with reader, reader.cursor() as cursor:
            assert list(dimension_sources.staged_partitions(cursor, DAILY)) == [D1]

            def stage_again(c):
                c.execute("SET lock_timeout = '300ms'")
                _ = pg_tables.replace_partition_as(c, DAILY, D1, values([(D1, 2, "b", 2)], DAILY))

            with pytest.raises(psycopg2.errors.LockNotAvailable):
                run(warehouse_url, stage_again)
    finally:
        reader.close()
    _stage_day(warehouse_url, D1)  # free again once the reader's transaction has ended



def _read_state_waiting_briefly(dimension):
    def action(cursor):
        cursor.execute("SET lock_timeout = '300ms'")
        return dimension_sources.read_state(cursor, DAILY, dimension)

    return action


def test_builds_of_one_dimension_take_turns_and_the_later_one_finds_the_record(warehouse_url):
    _stage_day(warehouse_url, D1)
    run(warehouse_url, dimension_sources.ensure_table)
    run(warehouse_url, lambda c: c.execute("CREATE TABLE core.dim_actors ()"))
    first = psycopg2.connect(warehouse_url)
    try:
        with first, first.cursor() as cursor:
            staged, before = dimension_sources.read_state(cursor, DAILY, DIM_ACTORS)
            assert (list(staged), before) == ([D1], None)
            with pytest.raises(psycopg2.errors.LockNotAvailable):
                run(warehouse_url, _read_state_waiting_briefly(DIM_ACTORS))
            # Another dimension goes on meanwhile.
            assert run(warehouse_url, _read_state_waiting_briefly(DIM_GENRES))[1] is None
            dimension_sources.record(cursor, DIM_ACTORS, staged)
    finally:
        first.close()
    assert run(warehouse_url, _read_state_waiting_briefly(DIM_ACTORS))[1] == staged
