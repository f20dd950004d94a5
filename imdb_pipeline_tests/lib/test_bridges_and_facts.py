"""Bridge tables, the performance fact and IMDb's weighted rating, one slice per day, in SQL."""

import datetime as dt

import psycopg2
import pytest

from imdb_pipeline.lib import dimensions, facts
from imdb_pipeline.lib.server_version import of as version
from imdb_pipeline.lib.bridges import (
    bridge_movie_actor_select,
    bridge_movie_genre_select,
    unresolved_actor_links_select,
    unresolved_genre_links_select,
)
from imdb_pipeline.lib.facts import (
    fact_movie_performance_select,
    key_measures_select,
    mean_rating_select,
    round_half_up_sql,
    unresolved_message,
    unresolved_movies_select,
    weighted_rating_sql,
)
from imdb_pipeline.lib.movie_versions import dim_movies_select
from imdb_pipeline.lib.warehouse_tables import (
    BRIDGE_MOVIE_ACTOR,
    BRIDGE_MOVIE_GENRE,
    DIM_ACTORS,
    DIM_DIRECTORS,
    DIM_GENRES,
    DIM_MOVIES,
    FACT_MOVIE_PERFORMANCE,
)
from imdb_pipeline_tests.lib.sql_fixtures import (
    D1,
    D2,
    STAGED,
    declared_columns,
    execute,
    fetch,
    insert,
    load,
    output_columns,
    stage,
)

MOVIES, GENRES = DIM_MOVIES.qualified, DIM_GENRES.qualified
ACTORS, DIRECTORS = DIM_ACTORS.qualified, DIM_DIRECTORS.qualified
FACT = FACT_MOVIE_PERFORMANCE.qualified


def staged_movies(day: dt.date = D1, **changes) -> list[dict]:
    """One day of stg_movies: tt1 (R=9, v=75000) and tt2 (R=5, v=25000), so C = 7."""
    tt1 = {"snapshot_date": day, "movie_id": "tt1", "title": "A", "year": 2000,
           "certificate": "R", "runtime_minutes": 100, "genre": "Drama, Crime", "rating": 9.0,
           "metascore": 80, "description": "a", "director": "Zed", "stars": "Pat, Quinn, Ray",
           "votes": 75000, "gross_millions": None}  # fmt: skip
    tt2 = {"snapshot_date": day, "movie_id": "tt2", "title": "B", "year": 2001,
           "certificate": "PG", "runtime_minutes": 130, "genre": "Crime", "rating": 5.0,
           "metascore": None, "description": "b", "director": "Amy", "stars": "Quinn",
           "votes": 25000, "gross_millions": 10.0}  # fmt: skip
    return [{**movie, **changes.get(movie["movie_id"], {})} for movie in (tt1, tt2)]


def build_dimensions(url: str) -> None:
    """The dimensions as the core layer derives them from the whole staging history."""
    load(url, DIM_MOVIES, dim_movies_select(STAGED, None))
    insert(url, DIM_DIRECTORS, dimensions.new_directors_select(STAGED, DIM_DIRECTORS.qualified))
    for table, select in ((DIM_GENRES, dimensions.new_genres_select),
                          (DIM_ACTORS, dimensions.new_actors_select)):  # fmt: skip
        insert(url, table, select(STAGED, table.qualified, version(url)))


@pytest.fixture
def url(warehouse_url) -> str:
    # Keys: movies tt1=1, tt2=2; directors Amy=1, Zed=2 (same day: by name);
    # genres Crime=1, Drama=2; actors Pat=1, Quinn=2, Ray=3.
    stage(warehouse_url, staged_movies())
    build_dimensions(warehouse_url)
    return warehouse_url


def slice_rows(url: str, select: str) -> list[list]:
    """The slice's rows by movie_key, then its next columns (NULLs last)."""
    return sorted(fetch(url, select), key=lambda row: [(v is None, v or 0) for v in row[1:4]])


def genres_on(url, day=D1):
    return slice_rows(url, bridge_movie_genre_select(STAGED, MOVIES, GENRES, day, version(url)))


def actors_on(url, day=D1):
    return slice_rows(url, bridge_movie_actor_select(STAGED, MOVIES, ACTORS, day, version(url)))


def fact_on(url, day=D1, **options):
    return slice_rows(url, fact_movie_performance_select(STAGED, MOVIES, DIRECTORS, day, **options))


def test_bridge_movie_genre_links_every_genre_by_key_on_the_day(url):
    assert genres_on(url) == [[D1, 1, 1], [D1, 1, 2], [D1, 2, 1]]


def test_bridge_movie_actor_keeps_billing_order_on_the_day(url):
    assert actors_on(url) == [[D1, 1, 1, 1], [D1, 1, 2, 2], [D1, 1, 3, 3], [D1, 2, 2, 1]]


def test_billing_order_follows_the_list_not_the_actor_key(url):
    execute(url, f"UPDATE {STAGED} SET stars = 'Ray, Pat' WHERE movie_id = 'tt1'")
    assert [row[1:] for row in actors_on(url)] == [[1, 1, 2], [1, 3, 1], [2, 2, 1]]


def test_a_slice_holds_only_its_own_days_movies_under_that_day(url):
    stage(url, staged_movies(D2, tt1={"genre": "Drama"}))
    assert genres_on(url, D2) == [[D2, 1, 2], [D2, 2, 1]]
    assert genres_on(url, D1) == [[D1, 1, 1], [D1, 1, 2], [D1, 2, 1]]


def test_slices_give_the_declared_columns_and_types(url):
    for table, select in (
        (BRIDGE_MOVIE_GENRE, bridge_movie_genre_select(STAGED, MOVIES, GENRES, D1, version(url))),
        (BRIDGE_MOVIE_ACTOR, bridge_movie_actor_select(STAGED, MOVIES, ACTORS, D1, version(url))),
        (FACT_MOVIE_PERFORMANCE, fact_movie_performance_select(STAGED, MOVIES, DIRECTORS, D1)),
    ):
        assert output_columns(url, select) == declared_columns(table)


@pytest.mark.parametrize(("rating", "votes", "m", "c", "expected"), [
    (9.0, 75000, 25000, 7.0, 8.5),      # 3/4 * 9 + 1/4 * 7
    (5.0, 25000, 25000, 7.0, 6.0),      # 1/2 * 5 + 1/2 * 7
    (8.0, 0, 25000, 6.0, 6.0),          # no votes: the prior only
    (8.0, 10000, 20000, 5.0, 6.0),      # 1/3 * 8 + 2/3 * 5
    (7.0, 1000, 2000, 8.0, 7.667),      # 7/3 + 16/3 = 23/3, rounded to 3 decimals
    (8.0, None, 25000, 6.0, None),      # unknown votes: unknown weighted rating
    (8.0, 0, 0, 6.0, None),             # no weight at all: unknown, not a division error
])  # fmt: skip
def test_weighted_rating_formula(warehouse_url, rating, votes, m, c, expected):
    votes_sql = "NULL::bigint" if votes is None else f"{votes}::bigint"
    expression = weighted_rating_sql(f"float8 '{rating}'", votes_sql, m, f"float8 '{c}'")
    assert fetch(warehouse_url, f"SELECT {expression}") == [[expected]]


@pytest.mark.parametrize(("value", "decimals", "expected"), [
    ("8.725", 2, 8.73), ("-8.725", 2, -8.73), ("2.5", 0, 3.0), ("0.0005", 3, 0.001),
    ("7.66666", 3, 7.667), ("0", 3, 0.0),
])  # fmt: skip
def test_rounding_takes_halves_away_from_zero(warehouse_url, value, decimals, expected):
    expression = round_half_up_sql(f"float8 '{value}'", decimals)
    assert fetch(warehouse_url, f"SELECT {expression}") == [[expected]]


def test_mean_rating_is_the_days_mean_and_zero_for_an_empty_day(url):
    assert fetch(url, mean_rating_select(STAGED, D1)) == [[7.0]]
    assert fetch(url, mean_rating_select(STAGED, D2)) == [[0.0]]


def test_fact_has_the_day_keys_measures_and_weighted_rating(url):
    assert fact_on(url) == [
        [D1, 1, 2, 9.0, 80, 75000, None, 8.5],  # Amy=1, Zed=2
        [D1, 2, 1, 5.0, None, 25000, 10.0, 6.0],
    ]


def test_fact_uses_the_given_minimum_votes(url):
    # m = 75000: tt1 weight 1/2 -> 8.0; tt2 weight 1/4 -> 6.5
    assert [row[-1] for row in fact_on(url, minimum_votes=75000)] == [8.0, 6.5]


def test_fact_takes_movie_keys_from_dim_movies(url):
    execute(url, f"UPDATE {MOVIES} SET movie_key = 30 - 10 * movie_key")  # tt1=20, tt2=10
    assert [row[1:3] for row in fact_on(url)] == [[10, 1], [20, 2]]


def test_day_slices_are_keyed_to_the_movie_version_valid_that_day(warehouse_url):
    # tt1 is retitled on day 2: versions tt1@D1=1, tt2@D1=2, tt1@D2=3.
    url = warehouse_url
    stage(url, staged_movies(D1) + staged_movies(D2, tt1={"title": "A II"}))
    build_dimensions(url)

    assert [row[1::6] for row in fact_on(url, D1)] == [[1, 8.5], [2, 6.0]]
    assert [row[1::6] for row in fact_on(url, D2)] == [[2, 6.0], [3, 8.5]]
    assert genres_on(url, D2) == [[D2, 2, 1], [D2, 3, 1], [D2, 3, 2]]


def test_a_day_without_movies_gives_empty_slices(url):
    assert genres_on(url, D2) == actors_on(url, D2) == fact_on(url, D2) == []


def test_slices_load_into_the_declared_tables(url):
    for table, select in (
        (BRIDGE_MOVIE_GENRE, bridge_movie_genre_select(STAGED, MOVIES, GENRES, D1, version(url))),
        (BRIDGE_MOVIE_ACTOR, bridge_movie_actor_select(STAGED, MOVIES, ACTORS, D1, version(url))),
        (FACT_MOVIE_PERFORMANCE, fact_movie_performance_select(STAGED, MOVIES, DIRECTORS, D1)),
    ):
        load(url, table, select)
    assert fetch(url, f"SELECT count(*) FROM {BRIDGE_MOVIE_ACTOR.qualified}") == [[4]]


def test_key_measures_of_a_day_and_of_an_empty_day(url):
    load(url, FACT_MOVIE_PERFORMANCE, fact_movie_performance_select(STAGED, MOVIES, DIRECTORS, D1))
    assert facts.KEY_MEASURES == ("avg_rating", "total_votes", "total_gross_millions")
    assert fetch(url, key_measures_select(FACT, D1)) == [[7.0, 100000.0, 10.0]]
    assert fetch(url, key_measures_select(FACT, D2)) == [[0.0, 0.0, 0.0]]


def test_key_measures_round_half_up(url):
    execute(url, f"UPDATE {STAGED} SET rating = 7.00005, gross_millions = 0.005")
    load(url, FACT_MOVIE_PERFORMANCE, fact_movie_performance_select(STAGED, MOVIES, DIRECTORS, D1))
    assert fetch(url, key_measures_select(FACT, D1)) == [[7.0001, 100000.0, 0.01]]


# Keys that do not resolve: a NULL key (refused on load) and a clear message, never a lost row.


def unresolved(url: str, select: str) -> str | None:
    return unresolved_message(fetch(url, select))


def unresolved_genres(url: str) -> str | None:
    return unresolved(url, unresolved_genre_links_select(STAGED, MOVIES, GENRES, D1, version(url)))


def unresolved_actors(url: str) -> str | None:
    return unresolved(url, unresolved_actor_links_select(STAGED, MOVIES, ACTORS, D1, version(url)))


def test_the_message_can_name_the_kind_of_row():
    rows = [("dim_movies version valid that day", "movie_id", 2, ["tt1", "tt2"])]
    assert unresolved_message(rows, "movie") == (
        "2 movie(s) found no dim_movies version valid that day, e.g. movie_id tt1, tt2"
    )


def test_everything_resolves_on_a_consistent_day(url):
    assert unresolved(url, unresolved_movies_select(STAGED, MOVIES, DIRECTORS, D1)) is None
    assert unresolved_genres(url) is None
    assert unresolved_actors(url) is None


def test_a_movie_without_a_valid_version_fails_instead_of_vanishing(url):
    execute(url, f"DELETE FROM {MOVIES} WHERE movie_id = 'tt2'")

    assert fact_on(url)[1][:3] == [D1, None, 1]
    with pytest.raises(psycopg2.errors.NotNullViolation):
        load(url, FACT_MOVIE_PERFORMANCE,
             fact_movie_performance_select(STAGED, MOVIES, DIRECTORS, D1))  # fmt: skip
    assert unresolved(url, unresolved_movies_select(STAGED, MOVIES, DIRECTORS, D1)) == (
        "1 row(s) found no dim_movies version valid that day, e.g. movie_id tt2"
    )


def test_bridges_name_the_movies_and_items_they_could_not_key(url):
    execute(url, f"DELETE FROM {MOVIES} WHERE movie_id = 'tt1'",
            f"DELETE FROM {ACTORS} WHERE actor_name IN ('Quinn', 'Ray')",
            f"DELETE FROM {GENRES} WHERE genre_name = 'Drama'")  # fmt: skip

    assert [row[1:] for row in actors_on(url)] == [
        [2, None, 1], [None, 1, 1], [None, None, 2], [None, None, 3]
    ]  # fmt: skip
    assert unresolved_actors(url) == (
        "3 row(s) found no dim_movies version valid that day, e.g. movie_id tt1; "
        "3 row(s) found no row in the actor dimension, e.g. actor_name Quinn, Ray"
    )
    assert unresolved_genres(url) == (
        "2 row(s) found no dim_movies version valid that day, e.g. movie_id tt1; "
        "1 row(s) found no row in the genre dimension, e.g. genre_name Drama"
    )


def test_unknown_directors_are_named_null_included_and_at_most_five(url):
    stage(url, [{"snapshot_date": D1, "movie_id": f"tt{n}", "director": name}
                for n, name in enumerate(["G", "F", None, "E", "D", "C", "B", "A"], start=3)])
    load(url, DIM_MOVIES, dim_movies_select(STAGED, MOVIES))

    assert unresolved(url, unresolved_movies_select(STAGED, MOVIES, DIRECTORS, D1)) == (
        "8 row(s) found no dim_directors row, e.g. director A, B, C, D, E"
    )
    execute(url, f"DELETE FROM {STAGED} WHERE director IS DISTINCT FROM 'Zed' AND movie_id <> 'tt5'"
                 " AND movie_id <> 'tt2'")  # fmt: skip
    assert unresolved(url, unresolved_movies_select(STAGED, MOVIES, DIRECTORS, D1)) == (
        "1 row(s) found no dim_directors row, e.g. director NULL"
    )


def test_unresolved_message_of_no_rows_is_none():
    assert unresolved_message([]) is None
