"""Name dimensions (SCD type 1), surrogate keys and runtime buckets, built by SQL."""

import pytest

from imdb_pipeline.lib.dimensions import (
    list_items_sql,
    new_actors_select,
    new_directors_select,
    new_genres_select,
    runtime_bucket_sql,
)
from imdb_pipeline.lib.movie_versions import dim_movies_select
from imdb_pipeline.lib.server_version import of as version
from imdb_pipeline.lib.warehouse_tables import (
    DIM_ACTORS,
    DIM_DIRECTORS,
    DIM_GENRES,
    DIM_MOVIES,
)
from imdb_pipeline_tests.lib.sql_fixtures import (
    D1,
    D2,
    D3,
    STAGED,
    declared_columns,
    execute,
    fetch,
    insert,
    load,
    output_columns,
    rows,
    stage,
)


@pytest.fixture
def url(warehouse_url) -> str:
    return warehouse_url


def directors_on(url: str, *appearances: tuple) -> None:
    """Stage one movie per (day, director) appearance."""
    stage(url, [
        {"snapshot_date": day, "movie_id": f"tt{number}", "director": name}
        for number, (day, name) in enumerate(appearances)
    ])  # fmt: skip


def new_directors(url: str, existing: bool = True) -> list[list]:
    """The rows new_directors_select would add to dim_directors (None: no dimension yet)."""
    select = new_directors_select(STAGED, DIM_DIRECTORS.qualified if existing else None)
    return fetch(url, f"SELECT * FROM ({select}) q ORDER BY 1")


def upsert_directors(url: str) -> None:
    """What the loader does each run: add the new names to the dimension."""
    insert(url, DIM_DIRECTORS, new_directors_select(STAGED, DIM_DIRECTORS.qualified))


def directors(url: str) -> list[list]:
    return rows(url, DIM_DIRECTORS, ["director_key", "director_name"], ["director_key"])


def dimension(url: str, table, pairs: list[tuple[int, str]]) -> None:
    key, name = table.column_names
    stage(url, [{key: k, name: n} for k, n in pairs], table=table)


# name dimensions (SCD type 1)


def test_first_run_keys_names_by_first_day_then_name(url):
    directors_on(url, (D1, "Zoe"), (D2, "Aaron"), (D2, "Zoe"), (D1, "Mia"))
    # Day 1: Mia, Zoe (by name); day 2 adds Aaron, even though it sorts first.
    assert new_directors(url, existing=False) == [[1, "Mia"], [2, "Zoe"], [3, "Aaron"]]


def test_first_appearance_is_the_earliest_day_and_null_names_are_not_rows(url):
    directors_on(url, (D2, "Zoe"), (D1, "Mia"), (D2, "Aaron"), (D1, "Zoe"), (D3, None))
    assert new_directors(url, existing=False) == [[1, "Mia"], [2, "Zoe"], [3, "Aaron"]]


def test_names_of_one_day_are_keyed_in_byte_order_whatever_the_collation(url):
    # A linguistic collation would sort aaron, Bob, Émile, Zoe.
    directors_on(url, (D1, "aaron"), (D1, "Zoe"), (D1, "Émile"), (D1, "Bob"))
    assert new_directors(url, existing=False) == [
        [1, "Bob"], [2, "Zoe"], [3, "aaron"], [4, "Émile"]
    ]  # fmt: skip


def test_an_empty_dimension_numbers_from_one(url):
    dimension(url, DIM_DIRECTORS, [])
    directors_on(url, (D1, "Zoe"))
    assert new_directors(url) == [[1, "Zoe"]]


def test_only_unseen_names_are_returned_with_keys_after_the_existing_maximum(url):
    dimension(url, DIM_DIRECTORS, [(4, "Zoe"), (9, "Mia")])
    directors_on(url, (D1, "Zoe"), (D1, "Mia"), (D2, "Lee"), (D2, "Bo"))
    assert new_directors(url) == [[10, "Bo"], [11, "Lee"]]


def test_keys_follow_the_existing_maximum_not_the_row_count(url):
    dimension(url, DIM_DIRECTORS, [(40, "Nolan"), (2, "Bay")])
    directors_on(url, (D1, "Lee"), (D1, "Bay"))
    assert new_directors(url) == [[41, "Lee"]]


def test_rerun_after_adding_the_result_returns_nothing_new(url):
    directors_on(url, (D1, "Zoe"), (D2, "Aaron"))
    upsert_directors(url)
    assert directors(url) == [[1, "Zoe"], [2, "Aaron"]]
    assert new_directors(url) == []


def test_names_gone_from_later_days_keep_their_row_and_are_not_returned_again(url):
    directors_on(url, (D1, "Zoe"))
    upsert_directors(url)
    execute(url, f"INSERT INTO {STAGED} (snapshot_date, movie_id, director) VALUES "
                 f"('{D2}', 'tt8', 'Aaron'), ('{D3}', 'tt8', 'Aaron')")  # fmt: skip
    upsert_directors(url)

    assert directors(url) == [[1, "Zoe"], [2, "Aaron"]]
    assert new_directors(url) == []


def test_day_by_day_gives_the_same_keys_as_all_days_at_once(url):
    directors_on(url, (D1, "Zoe"), (D1, "Mia"))
    upsert_directors(url)
    stage(url, [{"snapshot_date": D2, "movie_id": f"tt{n}", "director": name}
                for n, name in enumerate(["Aaron", "Zoe", "Ben"])])  # fmt: skip
    upsert_directors(url)

    assert directors(url) == new_directors(url, existing=False)
    assert directors(url) == [[1, "Mia"], [2, "Zoe"], [3, "Aaron"], [4, "Ben"]]


def test_history_rows_in_any_order_give_the_same_keys(url):
    appearances = [(D1, "Zoe"), (D2, "Aaron"), (D1, "Mia")]
    forwards = stage(url, [{"snapshot_date": d, "movie_id": f"tt{n}", "director": name}
                           for n, (d, name) in enumerate(appearances)], name="forwards")
    backwards = stage(url, [{"snapshot_date": d, "movie_id": f"tt{n}", "director": name}
                            for n, (d, name) in enumerate(reversed(appearances))], name="backwards")

    def keyed(history: str) -> list[list]:
        return fetch(url, f"SELECT * FROM ({new_directors_select(history, None)}) q ORDER BY 1")

    assert keyed(forwards) == keyed(backwards) == [[1, "Mia"], [2, "Zoe"], [3, "Aaron"]]


def test_genres_and_actors_are_the_items_of_every_list_of_every_day(url):
    stage(url, [
        {"snapshot_date": D1, "movie_id": "tt1", "genre": "Drama, Crime", "stars": "Pat, Ann"},
        {"snapshot_date": D1, "movie_id": "tt2", "genre": "Crime", "stars": None},
        {"snapshot_date": D2, "movie_id": "tt1", "genre": "Action", "stars": "Pat, Al Bo"},
    ])  # fmt: skip
    for table, select in ((DIM_GENRES, new_genres_select), (DIM_ACTORS, new_actors_select)):
        insert(url, table, select(STAGED, table.qualified, version(url)))

    assert rows(url, DIM_GENRES, DIM_GENRES.column_names, ["genre_key"]) == [
        [1, "Crime"], [2, "Drama"], [3, "Action"]
    ]  # fmt: skip
    assert rows(url, DIM_ACTORS, DIM_ACTORS.column_names, ["actor_key"]) == [
        [1, "Ann"], [2, "Pat"], [3, "Al Bo"]
    ]  # fmt: skip


def test_list_items_come_with_their_position_in_the_list(url):
    stage(url, [
        {"snapshot_date": D1, "movie_id": "tt1", "genre": "Drama, Crime"},
        {"snapshot_date": D1, "movie_id": "tt2", "genre": "Crime"},
        {"snapshot_date": D2, "movie_id": "tt1", "genre": "Action"},
        {"snapshot_date": D2, "movie_id": "tt3", "genre": None},
    ])  # fmt: skip
    items = list_items_sql("s", "genre", server_version=version(url))
    select = (f"SELECT s.snapshot_date, s.movie_id, item.name, item.position FROM {STAGED} s "
              f"{items} ORDER BY 1, 2, 4")  # fmt: skip
    assert fetch(url, select) == [
        [D1, "tt1", "Drama", 1], [D1, "tt1", "Crime", 2], [D1, "tt2", "Crime", 1],
        [D2, "tt1", "Action", 1],
    ]  # fmt: skip


def test_name_selects_give_the_declared_columns_and_types(url):
    stage(url, [{"snapshot_date": D1, "movie_id": "tt1"}])
    selects = ((DIM_DIRECTORS, lambda existing: new_directors_select(STAGED, existing)),
               (DIM_GENRES, lambda existing: new_genres_select(STAGED, existing, version(url))),
               (DIM_ACTORS, lambda existing: new_actors_select(STAGED, existing, version(url))))  # fmt: skip
    for table, select in selects:
        dimension(url, table, [])
        for existing in (None, table.qualified):
            select_sql = select(existing)
            assert output_columns(url, select_sql) == declared_columns(table)


# surrogate keys of dim_movies versions


def test_movie_keys_are_kept_on_the_whole_composite_natural_key(url):
    stage(url, [{"snapshot_date": day, "movie_id": "tt1", "title": str(day)} for day in (D1, D2, D3)]
          + [{"snapshot_date": D1, "movie_id": "tt2", "title": "B"}])  # fmt: skip
    load(url, DIM_MOVIES, dim_movies_select(STAGED, None))
    # Keep (tt1, D1) = 7 and (tt1, D2) = 3 only.
    execute(url, f"DELETE FROM {DIM_MOVIES.qualified} WHERE movie_id = 'tt2' OR valid_from = '{D3}'",
            f"UPDATE {DIM_MOVIES.qualified} SET movie_key = CASE valid_from WHEN '{D1}' THEN 7 "
            f"ELSE 3 END")  # fmt: skip

    load(url, DIM_MOVIES, dim_movies_select(STAGED, DIM_MOVIES.qualified))

    # (tt2, D1) shares only the day and (tt1, D3) only the movie: both are new, keyed after
    # max(existing) = 7 by valid_from.
    assert rows(url, DIM_MOVIES, ["movie_id", "valid_from", "movie_key"], ["movie_key"]) == [
        ["tt1", D2, 3], ["tt1", D1, 7], ["tt2", D1, 8], ["tt1", D3, 9]
    ]  # fmt: skip


# runtime buckets


@pytest.mark.parametrize(("minutes", "bucket"), [
    (0, "under 90 min"), (89, "under 90 min"), (90, "90-119 min"), (119, "90-119 min"),
    (120, "120-149 min"), (149, "120-149 min"), (150, "150+ min"), (321, "150+ min"),
    (None, None),
])  # fmt: skip
def test_runtime_bucket_boundaries_and_unknown_runtime(url, minutes, bucket):
    value = "NULL::integer" if minutes is None else f"{minutes}::integer"
    assert fetch(url, f"SELECT {runtime_bucket_sql(value)}") == [[bucket]]
