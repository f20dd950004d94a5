"""Analytics SELECTs on a real PostgreSQL: NULLs stay NULL, numbers round half up to 2 decimals,
only the latest day counts."""

import datetime as dt

import psycopg2
import pytest

from imdb_pipeline.lib.aggregates import (
    agg_director_stats_select,
    agg_genre_trends_select,
    agg_top_movies_select,
    agg_yearly_revenue_select,
    latest_movies_select,
)
from imdb_pipeline.lib.warehouse_tables import (
    AGG_DIRECTOR_STATS,
    AGG_GENRE_TRENDS,
    AGG_TOP_MOVIES,
    AGG_YEARLY_REVENUE,
    BRIDGE_MOVIE_GENRE,
    DIM_DIRECTORS,
    DIM_GENRES,
    DIM_MOVIES,
    FACT_MOVIE_PERFORMANCE,
    Table,
    create_table_sql,
    quote,
)

FACT, MOVIES, BRIDGE = (
    t.qualified for t in (FACT_MOVIE_PERFORMANCE, DIM_MOVIES, BRIDGE_MOVIE_GENRE)
)
DIRECTORS, GENRES = DIM_DIRECTORS.qualified, DIM_GENRES.qualified
LATEST_MOVIES = f"({latest_movies_select(FACT, MOVIES)})"
LATEST, EARLIER = dt.date(2026, 12, 1), dt.date(2026, 11, 30)

NA = None
# movie_key, movie_id, title, year, director_key, rating, metascore, votes, gross, weighted
BASE = [
    (1, "tt01", "A", 2000, 1, 7.1, 80, 30000, 10.0, 7.0),
    (2, "tt02", "B", 2000, 1, 7.2, NA, 40000, NA, 7.2),
    (3, "tt03", "C", 2000, 2, 7.4, 61, 50000, 5.0, 7.3),
    (4, "tt04", "D", 2001, 2, 6.0, NA, 10000, 30.0, 6.5),
    (5, "tt05", "E", 2003, 3, 8.0, NA, 5000, NA, 6.0),
]
# Drama (1): 1, 2, 4; Crime (2): 1, 3, 5
LINKS = [(1, 1), (1, 2), (2, 1), (3, 2), (4, 1), (5, 2)]

YEARLY_BASE = [
    (2000, 3, 2, 15.0, 7.5, None),  # avg is 15/2, not 15/3; no 1999 -> no growth
    (2001, 1, 1, 30.0, 30.0, 100.0),  # 100 * (30 - 15) / 15
    (2003, 1, 0, None, None, None),  # all gross NULL -> NULL; 2002 missing -> no growth
]
DIRECTORS_BASE = [
    (1, "Amy", 2, 7.15, 80.0, 70000, 10.0, 1, 2000, 2000, "tt02", "B", 7.2),
    (2, "Bob", 2, 6.7, 61.0, 60000, 35.0, 2, 2000, 2001, "tt03", "C", 7.3),
    (3, "Cy", 1, 8.0, None, 5000, None, 0, 2003, 2003, "tt05", "E", 6.0),
]
GENRES_BASE = [
    ("Crime", 2000, 2, 7.25, 15.0, 66.67),  # 2 of the 3 movies of 2000
    ("Crime", 2003, 1, 8.0, None, 100.0),
    ("Drama", 2000, 2, 7.15, 10.0, 66.67),  # gross of tt02 unknown: 10.0, not NULL
    ("Drama", 2001, 1, 6.0, 30.0, 100.0),
]

TIES = [
    (1, "tt10", "A", 2000, 1, 8.0, NA, 50000, NA, 8.0),
    (2, "tt11", "B", 2000, 1, 8.0, NA, 60000, NA, 8.0),
    (3, "tt09", "C", 2000, 1, 8.0, NA, 50000, NA, 8.0),
    (4, "tt12", "D", 2000, 1, 9.9, NA, 24999, NA, 9.0),
    (5, "tt13", "E", 2000, 1, 7.5, NA, 25000, NA, 7.0),
]


def execute(url: str, statement: str, rows=None) -> None:
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            if rows is None:
                cursor.execute(statement)
            else:
                cursor.executemany(statement, rows)
    finally:
        connection.close()


@pytest.fixture
def warehouse(warehouse_url) -> str:
    """Empty core tables as declared, with three directors and two genres."""
    execute(warehouse_url, "CREATE SCHEMA core")
    for table in (DIM_MOVIES, DIM_DIRECTORS, DIM_GENRES, BRIDGE_MOVIE_GENRE, FACT_MOVIE_PERFORMANCE):
        execute(warehouse_url, create_table_sql(table))
    execute(warehouse_url, f"INSERT INTO {DIRECTORS} VALUES (1, 'Amy'), (2, 'Bob'), (3, 'Cy')")
    execute(warehouse_url, f"INSERT INTO {GENRES} VALUES (1, 'Drama'), (2, 'Crime')")
    return warehouse_url


def load(url: str, rows, links=(), day: dt.date = LATEST, movies: bool = True) -> None:
    """Fact rows of `day` (and their movies unless already there) and genre links of `day`."""
    if movies:
        execute(
            url,
            f"INSERT INTO {MOVIES} (movie_key, movie_id, title, year, valid_from, valid_to,"
            " is_current, last_seen_date, in_latest_snapshot)"
            " VALUES (%s, %s, %s, %s, '2020-01-01', '9999-12-31', true, %s, true)",
            [(*row[:4], day) for row in rows],
        )
    execute(
        url,
        f"INSERT INTO {FACT} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [(day, row[0], *row[4:]) for row in rows],
    )
    execute(url, f"INSERT INTO {BRIDGE} VALUES (%s, %s, %s)", [(day, *link) for link in links])


def run(url: str, table: Table, select: str) -> list[tuple]:
    """The SELECT as the loader runs it: declared columns cast to their types, by primary key."""
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({select}) AS q LIMIT 0")
            assert tuple(column.name for column in cursor.description) == table.column_names
            columns = ", ".join(f"q.{quote(c.name)}::{c.pg_type}" for c in table.columns)
            order = ", ".join(f"q.{quote(name)}" for name in table.primary_key)
            cursor.execute(f"SELECT {columns} FROM ({select}) AS q ORDER BY {order}")
            return cursor.fetchall()
    finally:
        connection.close()


def yearly(url):
    return run(url, AGG_YEARLY_REVENUE, agg_yearly_revenue_select(LATEST_MOVIES))


def directors(url):
    return run(url, AGG_DIRECTOR_STATS, agg_director_stats_select(LATEST_MOVIES, DIRECTORS))


def genres(url):
    return run(url, AGG_GENRE_TRENDS, agg_genre_trends_select(LATEST_MOVIES, BRIDGE, GENRES))


def top(url, size=10, minimum_votes=25000):
    return run(url, AGG_TOP_MOVIES, agg_top_movies_select(LATEST_MOVIES, size, minimum_votes))


def test_yearly_revenue_ignores_nulls_and_compares_with_the_previous_calendar_year(warehouse):
    load(warehouse, BASE)
    assert yearly(warehouse) == YEARLY_BASE


def test_yearly_growth_is_negative_when_gross_falls_and_rounded(warehouse):
    load(warehouse, [(1, "tt1", "A", 2010, 1, 7.0, NA, 1, 30.0, 7.0),
                     (2, "tt2", "B", 2011, 1, 7.0, NA, 1, 20.0, 7.0)])  # fmt: skip
    assert [row[5] for row in yearly(warehouse)] == [None, -33.33]  # 100 * (20 - 30) / 30


def test_yearly_growth_needs_known_gross_in_the_previous_calendar_year(warehouse):
    load(warehouse, [(1, "tt1", "A", 2010, 1, 7.0, NA, 1, NA, 7.0),
                     (2, "tt2", "B", 2011, 1, 7.0, NA, 1, 20.0, 7.0),
                     (3, "tt3", "C", 2013, 1, 7.0, NA, 1, 40.0, 7.0),  # 2012 missing
                     (4, "tt4", "D", NA, 1, 7.0, NA, 1, 5.0, 7.0)])  # fmt: skip
    assert yearly(warehouse) == [
        (2010, 1, 0, None, None, None),
        (2011, 1, 1, 20.0, 20.0, None),
        (2013, 1, 1, 40.0, 40.0, None),
    ]  # and no row for the movie of unknown year


def test_director_stats_skip_nulls_and_pick_the_best_movie(warehouse):
    load(warehouse, BASE)
    assert directors(warehouse) == DIRECTORS_BASE


def test_director_stats_round_averages_and_money_to_two_decimals(warehouse):
    load(warehouse, [(1, "tt1", "A", 2000, 1, 7.0, 1, 1, 1.111, 7.0),
                     (2, "tt2", "B", 2001, 1, 7.0, 2, 1, 2.222, 7.0),
                     (3, "tt3", "C", 2002, 1, 8.0, 2, 1, NA, 7.0)])  # fmt: skip
    assert [(r[3], r[4], r[6]) for r in directors(warehouse)] == [(7.33, 1.67, 3.33)]


def test_director_average_rounds_half_up_like_numeric_round(warehouse):
    # 9.0, 8.8, 8.7, 8.4 average 8.725: binary floats would round it to 8.72.
    load(warehouse, [(k, f"tt{k}", "T", 2000, 1, r, NA, NA, NA, r)
                     for k, r in enumerate([9.0, 8.8, 8.7, 8.4], start=1)])  # fmt: skip
    # No votes known at all: the total is unknown, not 0.
    assert [(r[3], r[5]) for r in directors(warehouse)] == [(8.73, None)]


def test_genre_trends_count_share_of_year_in_percent(warehouse):
    load(warehouse, BASE, LINKS)
    assert genres(warehouse) == GENRES_BASE


def test_only_the_latest_day_counts(warehouse):
    # An earlier day with other numbers, another movie and other genre links must not leak in.
    earlier = [(k, i, t, y, d, 1.0, 1, 10**6, 999.0, 9.9) for k, i, t, y, d, *_ in BASE]
    load(warehouse, earlier, [(2, 2), (3, 1), (4, 2)], day=EARLIER, movies=False)
    load(warehouse, [(9, "tt99", "Z", 1999, 3, 9.9, 99, 10**6, 500.0, 9.9)], [(9, 1)], EARLIER)
    load(warehouse, BASE, LINKS)

    assert yearly(warehouse) == YEARLY_BASE
    assert directors(warehouse) == DIRECTORS_BASE
    assert genres(warehouse) == GENRES_BASE
    assert [row[1] for row in top(warehouse, minimum_votes=0)] == [
        "tt03", "tt02", "tt01", "tt04", "tt05"
    ]


def test_top_movies_rank_without_gaps_with_deterministic_ties(warehouse):
    load(warehouse, TIES)
    assert top(warehouse) == [
        (1, "tt11", "B", 2000, 8.0, 8.0, 60000),
        (2, "tt09", "C", 2000, 8.0, 8.0, 50000),
        (3, "tt10", "A", 2000, 8.0, 8.0, 50000),
        (4, "tt13", "E", 2000, 7.0, 7.5, 25000),
    ]


@pytest.mark.parametrize(("minimum_votes", "expected"), [
    (25000, ["tt11", "tt09", "tt10", "tt13"]),
    (25001, ["tt11", "tt09", "tt10"]),
    (24999, ["tt12", "tt11", "tt09", "tt10", "tt13"]),
])  # fmt: skip
def test_top_movies_minimum_votes_is_inclusive(warehouse, minimum_votes, expected):
    load(warehouse, TIES)
    assert [row[1] for row in top(warehouse, minimum_votes=minimum_votes)] == expected


@pytest.mark.parametrize(("size", "expected"), [
    (2, [(1, "tt12"), (2, "tt11")]),
    (3, [(1, "tt12"), (2, "tt11"), (3, "tt09")]),  # the cut falls inside a tie on rating and votes
    (0, []),
])  # fmt: skip
def test_top_movies_size_limits_the_list(warehouse, size, expected):
    load(warehouse, TIES)
    assert [row[:2] for row in top(warehouse, size=size, minimum_votes=0)] == expected


def test_top_movies_order_does_not_depend_on_input_order(warehouse):
    load(warehouse, list(reversed(TIES)))
    assert [row[1] for row in top(warehouse, minimum_votes=0)] == [
        "tt12", "tt11", "tt09", "tt10", "tt13"
    ]


def test_top_movies_rank_unknown_weighted_ratings_last(warehouse):
    load(warehouse, [(1, "tt1", "A", 2000, 1, 7.0, NA, 30000, NA, NA),
                     (2, "tt2", "B", 2000, 1, 5.0, NA, 30000, NA, 5.0)])  # fmt: skip
    assert [row[:2] for row in top(warehouse)] == [(1, "tt2"), (2, "tt1")]
