"""The movie performance fact and IMDb's weighted rating, as SQL run inside PostgreSQL.

Each function returns the text of one SELECT. The fact is one day's slice: the day's staged
movies keyed to the dim_movies version valid that day and to their director. Keys are joined
with LEFT JOINs, so a movie or director without a key comes out with a NULL key (which the
table's NOT NULL refuses) instead of silently dropping out; `unresolved_movies_select` names
the rows that did not resolve and `unresolved_message` turns its rows into the error to show.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from imdb_pipeline.constants import SNAPSHOT_DATE
from imdb_pipeline.lib.rounding import NUDGE
from imdb_pipeline.lib.sql_text import day_sql, quote, text_sql

# IMDb's Top 250 formula: WR = v/(v+m) * R + m/(v+m) * C, where R is the movie's mean rating,
# v its number of votes, m the votes needed to be listed (the weight given to the prior) and C
# the mean rating across all movies of the day's snapshot. Few votes pull a movie towards C.
DEFAULT_MINIMUM_VOTES = 25_000
KEY_MEASURES = ("avg_rating", "total_votes", "total_gross_millions")
MOVIE_VERSION_MISSING = "dim_movies version valid that day"

# Binary floats store 8.725 as 8.72499999...; the nudge staging rounds with (`rounding`)
# restores the decimal reading, so halves round away from zero as numeric ROUND does.
_NUDGE = f"float8 '{NUDGE!r}'"


def round_half_up_sql(value_sql: str, decimals: int) -> str:
    """Float rounding, halves away from zero, with the same float8 arithmetic at every step."""
    scale = f"float8 '{10 ** int(decimals)}'"
    return (
        f"(sign({value_sql}) * "
        f"(floor(abs({value_sql}) * {scale} + float8 '0.5' + {_NUDGE}) / {scale}))"
    )


def weighted_rating_sql(rating_sql: str, votes_sql: str, minimum_votes: int, mean_sql: str) -> str:
    """IMDb's weighted rating, rounded half up to 3 decimals; NULL when votes + m is 0."""
    weight = f"({votes_sql}::float8 / nullif({votes_sql} + {int(minimum_votes)}, 0)::float8)"
    raw = f"({weight} * {rating_sql} + (float8 '1' - {weight}) * {mean_sql})"
    return round_half_up_sql(raw, 3)


def movie_version_join(dim_movies: str, movie_id_sql: str, day: dt.date, alias: str = "m") -> str:
    """The LEFT JOIN to the version valid on `day` (half-open validity)."""
    return (
        f"LEFT JOIN {dim_movies} AS {alias} ON {alias}.movie_id = {movie_id_sql} "
        f"AND {alias}.valid_from <= {day_sql(day)} AND {day_sql(day)} < {alias}.valid_to"
    )


def mean_rating_select(stg_movies: str, day: dt.date) -> str:
    """C of the weighted rating: the day's mean rating (0 for an empty day), one row.

    Summed as numeric, so the mean is exact and does not depend on how a parallel plan splits
    the rows (a float sum could change in its last bit between runs)."""
    return (
        "SELECT coalesce(avg(rating::numeric), 0)::float8 AS mean_rating "
        f"FROM {stg_movies} WHERE {quote(SNAPSHOT_DATE)} = {day_sql(day)}"
    )


def fact_movie_performance_select(
    stg_movies: str,
    dim_movies: str,
    dim_directors: str,
    day: dt.date,
    minimum_votes: int = DEFAULT_MINIMUM_VOTES,
) -> str:
    """One row per movie of the day's snapshot, keyed to the movie version valid that day."""
    weighted = weighted_rating_sql("s.rating", "s.votes", minimum_votes, "c.mean_rating")
    return f"""
        SELECT {day_sql(day)} AS {quote(SNAPSHOT_DATE)}, m.movie_key, d.director_key,
               s.rating, s.metascore, s.votes, s.gross_millions, {weighted} AS weighted_rating
        FROM {stg_movies} AS s
        CROSS JOIN ({mean_rating_select(stg_movies, day)}) AS c
        {movie_version_join(dim_movies, "s.movie_id", day)}
        LEFT JOIN {dim_directors} AS d ON d.director_name = s.director
        WHERE s.{quote(SNAPSHOT_DATE)} = {day_sql(day)}
    """


def unresolved_movies_select(
    stg_movies: str, dim_movies: str, dim_directors: str, day: dt.date
) -> str:
    """The day's movies `fact_movie_performance_select` could not key (`unresolved_select`)."""
    keyed = f"""
        SELECT s.movie_id, m.movie_key, s.director, d.director_key
        FROM {stg_movies} AS s
        {movie_version_join(dim_movies, "s.movie_id", day)}
        LEFT JOIN {dim_directors} AS d ON d.director_name = s.director
        WHERE s.{quote(SNAPSHOT_DATE)} = {day_sql(day)}
    """
    return unresolved_select(keyed, [
        KeyCheck("movie_key", "movie_id", MOVIE_VERSION_MISSING),
        KeyCheck("director_key", "director", "dim_directors row"),
    ])  # fmt: skip


def key_measures_select(fact: str, day: dt.date) -> str:
    """The day's headline numbers (one row, 0 for an empty day), recorded with each
    materialization for anomaly checks; averaged and summed as numeric, rounded half up."""
    return f"""
        SELECT coalesce(round(avg(rating::numeric), 4), 0)::float8 AS avg_rating,
               coalesce(sum(votes), 0)::float8 AS total_votes,
               coalesce(round(sum(gross_millions::numeric), 2), 0)::float8
                   AS total_gross_millions
        FROM {fact} WHERE {quote(SNAPSHOT_DATE)} = {day_sql(day)}
    """


@dataclass(frozen=True)
class KeyCheck:
    """A surrogate key that must be found, the natural key it was looked up by, and what a
    miss means ("found no <missing>")."""

    key: str
    natural_key: str
    missing: str


EXAMPLES = 5


def unresolved_select(keyed: str, checks: Sequence[KeyCheck]) -> str:
    """One row per check that failed on some row of `keyed` (a SELECT with the key and natural
    key columns): missing, natural_key, row_count, examples (up to 5 distinct natural keys in
    byte order, NULL last). No rows when every key resolved.

    One pass over `keyed` keeps only the rows that missed a key, usually none, so the counting
    and sorting for the examples never touch the rows that resolved."""
    missed = " OR ".join(f"k.{quote(check.key)} IS NULL" for check in checks)
    unpivot = ", ".join(
        f"({index}, k.{quote(check.key)} IS NULL, k.{quote(check.natural_key)}::text)"
        for index, check in enumerate(checks)
    )
    described = ", ".join(
        f"({index}, {text_sql(check.missing)}, {text_sql(check.natural_key)})"
        for index, check in enumerate(checks)
    )
    return f"""
        WITH missed AS MATERIALIZED (
            SELECT u.check_no, u.value COLLATE "C" AS value
            FROM (SELECT * FROM ({keyed}) AS k WHERE {missed}) AS k
            CROSS JOIN LATERAL (VALUES {unpivot}) AS u (check_no, failed, value)
            WHERE u.failed
        )
        SELECT c.missing, c.natural_key, t.row_count,
               ARRAY(SELECT e.value FROM (SELECT DISTINCT m.value FROM missed AS m
                                          WHERE m.check_no = c.check_no) AS e
                     ORDER BY e.value LIMIT {EXAMPLES}) AS examples
        FROM (VALUES {described}) AS c (check_no, missing, natural_key)
        JOIN (SELECT m.check_no, count(*) AS row_count FROM missed AS m GROUP BY m.check_no) AS t
            ON t.check_no = c.check_no
        ORDER BY c.check_no
    """


def unresolved_message(rows: Iterable[Sequence], what: str = "row") -> str | None:
    """The error for the rows of an `unresolved_*_select` (None when there are none), e.g.
    "3 row(s) found no dim_movies version valid that day, e.g. movie_id tt1, tt2"; `what`
    names the rows of the table being built ("movie" gives "3 movie(s) found ...")."""
    problems = []
    for missing, natural_key, row_count, examples in rows:
        sample = ", ".join("NULL" if value is None else str(value) for value in examples)
        problems.append(f"{row_count} {what}(s) found no {missing}, e.g. {natural_key} {sample}")
    return "; ".join(problems) or None
