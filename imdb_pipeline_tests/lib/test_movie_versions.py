"""dim_movies as a slowly changing dimension of type 2, built by SQL from the staging history."""

import datetime as dt

import pytest

from imdb_pipeline.lib import movie_versions as mv
from imdb_pipeline.lib.facts import movie_version_join
from imdb_pipeline.lib.movie_versions import OPEN_END, dim_movies_select
from imdb_pipeline.lib.warehouse_tables import DIM_MOVIES, STG_MOVIES
from imdb_pipeline_tests.lib.sql_fixtures import (
    D1,
    D2,
    D3,
    D4,
    STAGED,
    declared_columns,
    execute,
    fetch,
    load,
    output_columns,
    rows,
    stage,
)

ALPHA = {"movie_id": "tt1", "title": "Alpha", "year": 1994, "certificate": "R",
         "runtime_minutes": 142, "description": "A heist.", "director": "Amy"}  # fmt: skip
BETA = {"movie_id": "tt2", "title": "Beta", "year": 2001, "certificate": None,
        "runtime_minutes": 89, "description": None, "director": "Bob"}  # fmt: skip
SCD = ("movie_key", "movie_id", "title", "valid_from", "valid_to", "is_current",
       "last_seen_date", "in_latest_snapshot")  # fmt: skip


def on(day: dt.date, movie: dict, **changes) -> dict:
    return {"snapshot_date": day, **movie, **changes}


@pytest.fixture
def url(warehouse_url) -> str:
    return warehouse_url


def versions(url: str, *staged: dict, keep_keys: bool = False, history: str = STAGED) -> None:
    """Stage the rows, then (re)build dim_movies from the whole history, like the loader."""
    if staged:
        stage(url, staged)
    load(url, DIM_MOVIES, dim_movies_select(history, DIM_MOVIES.qualified if keep_keys else None))


def got(url: str, *columns: str) -> list[list]:
    return rows(url, DIM_MOVIES, columns or DIM_MOVIES.column_names, ["movie_key"])


def at_once(url: str) -> list[list]:
    """Every version from the history alone, with no previous dim_movies."""
    return fetch(url, f"SELECT * FROM ({dim_movies_select(STAGED, None)}) q ORDER BY movie_key")


def test_unchanged_movie_over_three_days_is_one_open_current_version(url):
    versions(url, on(D1, ALPHA), on(D2, ALPHA), on(D3, ALPHA))
    assert got(url) == [[1, "tt1", "Alpha", 1994, 1990, "R", "MPAA", 142, "120-149 min", "A heist.",
                         "Amy", D1, OPEN_END, True, D3, True]]  # fmt: skip


def test_output_columns_and_types_are_the_declared_ones(url):
    stage(url, [on(D1, ALPHA)])
    assert output_columns(url, dim_movies_select(STAGED, None)) == declared_columns(DIM_MOVIES)
    versions(url)
    with_keys = dim_movies_select(STAGED, DIM_MOVIES.qualified)
    assert output_columns(url, with_keys) == declared_columns(DIM_MOVIES)


def test_open_end_is_9999_12_31():
    assert OPEN_END == dt.date(9999, 12, 31)


def test_title_change_closes_the_old_version_and_opens_one_with_a_new_key(url):
    versions(url, on(D1, ALPHA), on(D2, ALPHA, title="Alpha II"), on(D3, ALPHA, title="Alpha II"))
    assert got(url, *SCD) == [
        [1, "tt1", "Alpha", D1, D2, False, D1, False],
        [2, "tt1", "Alpha II", D2, OPEN_END, True, D3, True],
    ]


def test_decade_and_runtime_bucket_are_derived_per_version(url):
    versions(url, on(D1, ALPHA), on(D1, BETA), on(D2, ALPHA, year=2000, runtime_minutes=150))
    assert got(url, "movie_id", "year", "decade", "runtime_minutes", "runtime_bucket") == [
        ["tt1", 1994, 1990, 142, "120-149 min"],
        ["tt2", 2001, 2000, 89, "under 90 min"],
        ["tt1", 2000, 2000, 150, "150+ min"],
    ]


def test_certificate_system_is_derived_per_version(url):
    versions(url, on(D1, ALPHA, certificate="U"), on(D1, BETA, certificate="K-16"),
             on(D2, ALPHA, certificate="12A"), on(D2, BETA, certificate="K-16"))  # fmt: skip
    assert got(url, "movie_id", "certificate", "certificate_system", "valid_from") == [
        ["tt1", "U", "CBFC", D1], ["tt2", "K-16", None, D1], ["tt1", "12A", "BBFC", D2]
    ]  # fmt: skip


def test_folding_into_a_dim_movies_written_before_certificate_system_existed(url):
    # A warehouse loaded by an earlier version: its dim_movies has no certificate_system.
    versions(url, on(D1, ALPHA), on(D1, BETA, certificate="PG"), on(D2, BETA, certificate="U"))
    execute(url, f"ALTER TABLE {DIM_MOVIES.qualified} DROP COLUMN certificate_system")
    fold(url, [on(D3, ALPHA), on(D3, BETA, certificate="U")])
    assert got(url, "movie_id", "certificate", "certificate_system", "valid_from") == [
        ["tt1", "R", "MPAA", D1], ["tt2", "PG", "MPAA", D1], ["tt2", "U", "CBFC", D2]
    ]  # fmt: skip
    assert got(url) == at_once(url)


def test_null_staying_null_is_not_a_change(url):
    versions(url, on(D1, BETA), on(D2, BETA), on(D3, BETA))
    assert got(url, "movie_key", "certificate", "valid_from", "valid_to") == [
        [1, None, D1, OPEN_END]
    ]


def test_null_becoming_a_value_is_a_change(url):
    versions(url, on(D1, BETA), on(D2, BETA, certificate="PG"))
    assert got(url, "movie_key", "certificate", "valid_from", "valid_to", "is_current") == [
        [1, None, D1, D2, False],
        [2, "PG", D2, OPEN_END, True],
    ]


def test_a_value_becoming_null_is_a_change(url):
    versions(url, on(D1, ALPHA), on(D2, ALPHA, description=None))
    assert got(url, "movie_key", "description", "valid_from", "valid_to") == [
        [1, "A heist.", D1, D2],
        [2, None, D2, OPEN_END],
    ]


def test_zero_is_not_null(url):
    versions(url, on(D1, ALPHA, runtime_minutes=None), on(D2, ALPHA, runtime_minutes=0))
    assert got(url, "movie_key", "runtime_minutes", "runtime_bucket", "valid_from") == [
        [1, None, None, D1], [2, 0, "under 90 min", D2]
    ]  # fmt: skip


@pytest.mark.parametrize(("column", "value"), [
    ("title", "Alpha!"), ("year", 1995), ("certificate", "PG-13"), ("runtime_minutes", 143),
    ("description", "A caper."), ("director", "Ann"),
])  # fmt: skip
def test_each_tracked_attribute_opens_a_new_version(url, column, value):
    versions(url, on(D1, ALPHA), on(D2, ALPHA, **{column: value}))
    assert got(url, "movie_key", column, "valid_from") == [[1, ALPHA[column], D1], [2, value, D2]]


def test_tracked_attributes_are_exactly_the_descriptive_columns():
    assert mv.TRACKED_ATTRIBUTES == (
        "title", "year", "certificate", "runtime_minutes", "description", "director"
    )  # fmt: skip


def test_a_change_in_an_untracked_column_creates_no_version(url):
    versions(url, on(D1, ALPHA, rating=7.0, votes=100, genre="Drama"),
             on(D2, ALPHA, rating=7.5, votes=200, genre="Crime"),
             on(D3, ALPHA, rating=8.0, votes=300, genre="Drama, Crime"))  # fmt: skip
    assert got(url, "movie_key", "valid_from", "valid_to", "last_seen_date") == [
        [1, D1, OPEN_END, D3]
    ]


def test_only_the_history_columns_are_needed(url):
    stage(url, [on(D1, ALPHA), on(D2, ALPHA, title="Alpha II")])
    columns = ", ".join(mv.HISTORY_COLUMNS)
    execute(url, f"CREATE TABLE staging.history AS SELECT {columns} FROM {STAGED}")
    versions(url, history="staging.history")
    assert got(url, "movie_key", "title") == [[1, "Alpha"], [2, "Alpha II"]]


def test_movie_missing_from_the_latest_day_stays_current_but_not_in_latest_snapshot(url):
    versions(url, on(D1, ALPHA), on(D2, ALPHA), on(D1, BETA), on(D2, BETA), on(D3, BETA))
    assert got(url, *SCD) == [
        [1, "tt1", "Alpha", D1, OPEN_END, True, D2, False],
        [2, "tt2", "Beta", D1, OPEN_END, True, D3, True],
    ]


def test_movie_that_comes_back_unchanged_keeps_one_version(url):
    versions(url, on(D1, ALPHA), on(D3, ALPHA), on(D1, BETA), on(D2, BETA), on(D3, BETA))
    assert got(url, *SCD) == [
        [1, "tt1", "Alpha", D1, OPEN_END, True, D3, True],
        [2, "tt2", "Beta", D1, OPEN_END, True, D3, True],
    ]


def test_movie_that_comes_back_changed_starts_a_version_on_the_day_it_came_back(url):
    versions(url, on(D1, ALPHA), on(D3, ALPHA, title="Alpha Redux"), on(D1, BETA), on(D2, BETA),
             on(D3, BETA))  # fmt: skip
    # Absent on D2: the old version runs until the day the movie reappeared changed.
    assert got(url, *SCD) == [
        [1, "tt1", "Alpha", D1, D3, False, D1, False],
        [2, "tt2", "Beta", D1, OPEN_END, True, D3, True],
        [3, "tt1", "Alpha Redux", D3, OPEN_END, True, D3, True],
    ]


def test_change_back_to_an_earlier_value_is_a_third_version(url):
    versions(url, on(D1, ALPHA), on(D2, ALPHA, title="B"), on(D3, ALPHA))
    assert got(url, "movie_key", "title", "valid_from", "valid_to") == [
        [1, "Alpha", D1, D2], [2, "B", D2, D3], [3, "Alpha", D3, OPEN_END]
    ]  # fmt: skip


def test_each_version_is_last_seen_on_the_last_day_of_its_own_run(url):
    versions(url, on(D1, ALPHA), on(D2, ALPHA), on(D3, ALPHA, title="B"), on(D4, ALPHA, title="B"))
    assert got(url, "movie_key", "valid_from", "valid_to", "last_seen_date") == [
        [1, D1, D3, D2], [2, D3, OPEN_END, D4]
    ]  # fmt: skip


def test_two_movies_with_identical_attributes_are_two_versions(url):
    versions(url, on(D1, ALPHA), on(D1, ALPHA, movie_id="tt3"))
    assert got(url, "movie_key", "movie_id") == [[1, "tt1"], [2, "tt3"]]


def test_new_keys_follow_first_appearance_then_movie_id_in_byte_order(url):
    versions(url, on(D2, ALPHA, movie_id="tt0"), on(D1, BETA, movie_id="tt9"), on(D1, ALPHA),
             on(D2, ALPHA, title="Alpha II"), on(D2, BETA, movie_id="TT5"))  # fmt: skip
    assert got(url, "movie_key", "movie_id", "valid_from") == [
        [1, "tt1", D1], [2, "tt9", D1], [3, "TT5", D2], [4, "tt0", D2], [5, "tt1", D2]
    ]  # fmt: skip


def test_history_row_order_does_not_matter(url):
    staged = [on(D1, ALPHA), on(D2, ALPHA, title="Alpha II"), on(D1, BETA), on(D3, BETA)]
    forwards = stage(url, staged, name="forwards")
    backwards = stage(url, [staged[i] for i in (3, 1, 0, 2)], name="backwards")

    def select(history: str) -> str:
        return f"SELECT * FROM ({dim_movies_select(history, None)}) q ORDER BY movie_key"

    assert fetch(url, select(forwards)) == fetch(url, select(backwards))
    assert len(fetch(url, select(forwards))) == 3


def test_recomputing_with_the_previous_output_keeps_every_key(url):
    versions(url, on(D1, ALPHA), on(D2, ALPHA, title="Alpha II"), on(D1, BETA), on(D2, BETA))
    assert got(url, "movie_key", "movie_id", "title") == [
        [1, "tt1", "Alpha"], [2, "tt2", "Beta"], [3, "tt1", "Alpha II"]
    ]  # fmt: skip
    execute(url, f"UPDATE {DIM_MOVIES.qualified} SET movie_key = (ARRAY[30, 10, 20])[movie_key]")

    versions(url, keep_keys=True)

    assert got(url, "movie_key", "movie_id", "title", "valid_from") == [
        [10, "tt2", "Beta", D1], [20, "tt1", "Alpha II", D2], [30, "tt1", "Alpha", D1]
    ]  # fmt: skip


def test_recomputing_with_the_previous_output_gives_the_same_table(url):
    versions(url, on(D1, ALPHA), on(D2, ALPHA, title="Alpha II"), on(D1, BETA), on(D3, BETA))
    first = got(url)
    versions(url, keep_keys=True)
    assert got(url) == first


def test_new_versions_are_keyed_after_the_existing_maximum(url):
    versions(url, on(D1, ALPHA))
    execute(url, f"UPDATE {DIM_MOVIES.qualified} SET movie_key = 41")

    versions(url, on(D2, ALPHA, title="X"), on(D2, BETA), keep_keys=True)

    assert got(url, "movie_key", "movie_id", "valid_from") == [
        [41, "tt1", D1], [42, "tt1", D2], [43, "tt2", D2]
    ]  # fmt: skip


def test_day_by_day_equals_all_days_at_once(url):
    days = [
        [on(D1, ALPHA), on(D1, BETA)],
        [on(D2, ALPHA, title="Alpha II"), on(D2, BETA, movie_id="tt0")],
        [on(D3, ALPHA, title="Alpha II"), on(D3, BETA, certificate="PG")],
        [on(D4, BETA, certificate="PG"), on(D4, ALPHA, movie_id="tt5")],
    ]
    for number, day in enumerate(days):
        versions(url, *day, keep_keys=number > 0)

    assert got(url) == at_once(url)
    assert got(url, "movie_key", "movie_id", "valid_from", "valid_to", "in_latest_snapshot") == [
        [1, "tt1", D1, D2, False],
        [2, "tt2", D1, D3, False],
        [3, "tt0", D2, OPEN_END, False],
        [4, "tt1", D2, OPEN_END, False],
        [5, "tt2", D3, OPEN_END, True],
        [6, "tt5", D4, OPEN_END, True],
    ]  # fmt: skip


# Folding new days into the existing versions gives what the whole history gives.
GAMMA = {**BETA, "movie_id": "tt3", "title": "Gamma", "description": "Gone, then back."}
DAYS = [
    [on(D1, ALPHA), on(D1, BETA), on(D1, GAMMA)],
    [on(D2, ALPHA, title="Alpha II"), on(D2, BETA, movie_id="tt0"), on(D2, BETA)],
    [on(D3, ALPHA, title="Alpha II"), on(D3, BETA, certificate="PG"), on(D3, GAMMA)],
    [on(D4, BETA), on(D4, ALPHA, movie_id="tt5"), on(D4, GAMMA, description=None)],
]  # fmt: skip


def fold(url: str, *days: list[dict]) -> None:
    """Stage the days, then fold them into dim_movies from those days' rows alone."""
    new_days = stage(url, [], name=f"new_days_{days[0][0]['snapshot_date']:%d}")
    for staged in days:
        stage(url, staged)
        stage(url, staged, name=new_days.split(".")[1].strip('"'))
    load(url, DIM_MOVIES, mv.dim_movies_fold_select(DIM_MOVIES.qualified, new_days))


def test_folding_in_each_new_day_equals_the_whole_history(url):
    versions(url, *DAYS[0])
    for day in DAYS[1:]:
        fold(url, day)
        assert got(url) == at_once(url)
    assert got(url, "movie_id", "title", "valid_from", "valid_to", "last_seen_date",
               "in_latest_snapshot") == [
        ["tt1", "Alpha", D1, D2, D1, False],
        ["tt2", "Beta", D1, D3, D2, False],
        ["tt3", "Gamma", D1, D4, D3, False],  # absent on D2: its run spans D1 and D3
        ["tt0", "Beta", D2, OPEN_END, D2, False],
        ["tt1", "Alpha II", D2, OPEN_END, D3, False],
        ["tt2", "Beta", D3, D4, D3, False],  # certificate PG for one day
        ["tt2", "Beta", D4, OPEN_END, D4, True],
        ["tt3", "Gamma", D4, OPEN_END, D4, True],
        ["tt5", "Alpha", D4, OPEN_END, D4, True],
    ]  # fmt: skip


def test_folding_in_several_new_days_at_once_equals_the_whole_history(url):
    versions(url, *DAYS[0])
    fold(url, *DAYS[1:])
    assert got(url) == at_once(url)
    assert len(got(url)) == 9


def test_folding_into_versions_whose_keys_were_changed_keeps_them(url):
    versions(url, *DAYS[0])
    execute(url, f"UPDATE {DIM_MOVIES.qualified} SET movie_key = movie_key + 40")
    fold(url, DAYS[1])
    assert got(url, "movie_key", "movie_id", "valid_from") == [
        [41, "tt1", D1], [42, "tt2", D1], [43, "tt3", D1], [44, "tt0", D2], [45, "tt1", D2]
    ]  # fmt: skip


def test_folding_the_latest_day_staged_again_into_the_state_before_it_equals_a_rebuild(url):
    """The latest day staged again with other rows: folded into dim_movies as it was before
    that day, keyed by the table in place, it gives what the whole history gives."""
    versions(url, *DAYS[0])
    fold(url, DAYS[1])
    execute(url, f"CREATE TABLE core.before_d3 AS SELECT * FROM {DIM_MOVIES.qualified}")
    fold(url, DAYS[2])
    execute(url, f"DELETE FROM {STAGED} WHERE snapshot_date = '{D3}'")
    again = [on(D3, ALPHA, title="Alpha III"), on(D3, BETA, movie_id="tt0"),
             on(D3, GAMMA, year=1990), on(D3, BETA, movie_id="tt9")]  # fmt: skip
    stage(url, again)
    new_day = stage(url, again, name="again_d3")
    rebuilt = fetch(url, f"SELECT * FROM ({dim_movies_select(STAGED, DIM_MOVIES.qualified)}) q "
                         "ORDER BY movie_key")  # fmt: skip
    [[max_key]] = fetch(url, f"SELECT max(movie_key) FROM {DIM_MOVIES.qualified}")

    load(url, DIM_MOVIES, mv.dim_movies_fold_select("core.before_d3", new_day, DIM_MOVIES.qualified))

    assert got(url) == rebuilt
    # The versions the first D3 opened are gone; the new ones get keys never given before.
    assert got(url, "movie_key", "movie_id", "title", "valid_from", "valid_to", "last_seen_date",
               "in_latest_snapshot") == [
        [1, "tt1", "Alpha", D1, D2, D1, False],
        [2, "tt2", "Beta", D1, OPEN_END, D2, False],  # gone on D3 now: last seen D2
        [3, "tt3", "Gamma", D1, D3, D1, False],
        [4, "tt0", "Beta", D2, OPEN_END, D3, True],
        [5, "tt1", "Alpha II", D2, D3, D2, False],
        [max_key + 1, "tt1", "Alpha III", D3, OPEN_END, D3, True],
        [max_key + 2, "tt3", "Gamma", D3, OPEN_END, D3, True],
        [max_key + 3, "tt9", "Beta", D3, OPEN_END, D3, True],
    ]  # fmt: skip


def test_every_movie_has_exactly_one_current_version(url):
    versions(url, on(D1, ALPHA), on(D2, ALPHA, title="X"), on(D3, ALPHA, title="Y"), on(D1, BETA))
    current = [row for row in got(url, "movie_id", "valid_to", "is_current") if row[2]]
    assert current == [["tt2", OPEN_END, True], ["tt1", OPEN_END, True]]


def test_empty_history_gives_no_versions(url):
    stage(url, [])
    assert at_once(url) == []


# The join the daily slices use to find the version valid on their day.


@pytest.mark.parametrize(("day", "expected"), [
    (D1, [["tt1", 1], ["tt2", 2]]),
    (D2, [["tt1", 1], ["tt2", 2]]),
    (D3, [["tt1", 3], ["tt2", 2]]),  # valid_to is exclusive: D3 belongs to the new version
    (dt.date(2030, 1, 1), [["tt1", 3], ["tt2", 2]]),
    (dt.date(2023, 12, 31), [["tt1", None], ["tt2", None]]),  # before any version: no key
])  # fmt: skip
def test_version_join_picks_the_version_whose_interval_contains_the_day(url, day, expected):
    versions(url, on(D1, ALPHA), on(D2, ALPHA), on(D3, ALPHA, title="Alpha II"), on(D1, BETA))
    movies = f"(SELECT DISTINCT movie_id FROM {STG_MOVIES.qualified})"
    join = movie_version_join(DIM_MOVIES.qualified, "s.movie_id", day)
    assert fetch(url, f"SELECT s.movie_id, m.movie_key FROM {movies} s {join} ORDER BY 1") == (
        expected
    )
