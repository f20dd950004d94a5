"""The suite of the day's staged movies, built from the source contract.

Pure functions: no Great Expectations import, no database. Beside every rule a steward sees the
day's rejects: how many rows `stg_movies_rejects` holds for the day, and the query that lists
them with their line, `movie_id`, reasons and original record.
"""

import datetime as dt

from imdb_pipeline.checks.rules import (
    Rule,
    Severity,
    TableSuite,
    expect,
    unexpected_rows,
)
from imdb_pipeline.checks.suites import QualityThresholds, unique
from imdb_pipeline.lib import contract
from imdb_pipeline.lib.certificates import certificate_system_sql
from imdb_pipeline.lib.contract import Kind
from imdb_pipeline.lib.sql_text import day_sql, quote
from imdb_pipeline.lib.warehouse_tables import STG_MOVIES, STG_MOVIES_REJECTS

REJECTS_QUERY = "rejects_query"
# The day's certificates, each with its movies, a few of them, and whether it is known. Few
# distinct values: grouped first, classified once each.
_CERTIFICATES_OF_THE_DAY = (
    "SELECT certificate, count(*) AS movies, "
    "array_to_string((array_agg(movie_id ORDER BY movie_id))[1:5], ', ') AS sample_movie_ids, "
    f"{certificate_system_sql('certificate')} IS NOT NULL AS known "
    "FROM {batch} WHERE certificate IS NOT NULL GROUP BY certificate"
)


def _rejects_of(day: dt.date) -> str:
    """The day's rows of stg_movies_rejects (FROM and WHERE)."""
    return (f"FROM {STG_MOVIES_REJECTS.qualified} "
            f"WHERE {quote(STG_MOVIES_REJECTS.partition_column)} = {day_sql(day)}")  # fmt: skip


def rejects_query(day: dt.date) -> str:
    """The SQL a steward runs to list the day's rejected rows."""
    return (f"SELECT source_line, movie_id, reason, record\n{_rejects_of(day)}\n"
            "ORDER BY source_line;")  # fmt: skip


def _reject_rate(day: dt.date) -> str:
    """The day's rejected and staged rows. The rejects are counted by the day itself, not by the
    staged rows' day: a day whose every row was rejected stages none."""
    return ("SELECT r.rejected, s.staged FROM (SELECT count(*) AS staged FROM {batch} AS day_rows) s "
            f"CROSS JOIN (SELECT count(*) AS rejected {_rejects_of(day)}) r")  # fmt: skip


def stg_movies(day: dt.date, thresholds: QualityThresholds) -> TableSuite:
    ranges = []
    for column in contract.COLUMNS:
        if column.kind not in (Kind.INTEGER, Kind.DECIMAL):
            continue
        maximum = contract.last_valid_year(day) if column.name == "year" else column.maximum
        ranges.append(expect("ExpectColumnValuesToBeBetween",
                             f"{column.name} within {column.minimum}..{maximum}",
                             column=column.name, min_value=column.minimum, max_value=maximum))  # fmt: skip
    ceiling = thresholds.reject_rate_ceiling
    return TableSuite(
        target=STG_MOVIES,
        measure=f"SELECT count(*) AS rejected_rows {_rejects_of(day)}",
        queries=((REJECTS_QUERY, rejects_query(day)),),
        rules=(
            Rule("movie_id_is_valid",
                 "Every movie has a movie_id, once per day, shaped like tt1234567.",
                 Severity.ERROR, (
                     expect("ExpectColumnValuesToNotBeNull", "movie_id present", column="movie_id"),
                     unique(STG_MOVIES, "movie_id"),
                     expect("ExpectColumnValuesToMatchRegex", "movie_id matches ^tt\\d+$",
                            column="movie_id", regex=contract.MOVIE_ID_PATTERN),
                 )),
            Rule("values_within_ranges",
                 "Year, rating, metascore, runtime, votes and gross lie within the contract's "
                 "ranges.", Severity.ERROR, tuple(ranges)),
            Rule("certificates_are_known",
                 "Certificates belong to a known rating system (MPAA, US TV, CBFC, BBFC, ...). "
                 "An unknown one is kept; this lists them, with sample movies.", Severity.WARN, (
                     unexpected_rows(
                         "SELECT certificate, movies, sample_movie_ids FROM "
                         f"({_CERTIFICATES_OF_THE_DAY}) c WHERE NOT known "
                         "ORDER BY movies DESC, certificate",
                         "every certificate is known"),
                 ), measure=(
                     "SELECT coalesce(sum(movies) FILTER (WHERE NOT known), 0)::bigint "
                     "AS unexpected_count, "
                     "coalesce(round(100.0 * sum(movies) FILTER (WHERE NOT known) / "
                     "nullif(sum(movies), 0), 2), 0)::float8 AS unexpected_percent, "
                     "coalesce(string_agg(format('%s: %s (%s)', certificate, movies, "
                     "sample_movie_ids), '; ' ORDER BY movies DESC, certificate) FILTER (WHERE "
                     "NOT known AND rank <= 20), 'none') AS unknown_certificates "
                     f"FROM (SELECT *, row_number() OVER (PARTITION BY known ORDER BY movies "
                     f"DESC, certificate) AS rank FROM ({_CERTIFICATES_OF_THE_DAY}) c) c")),
            Rule("columns_complete_enough",
                 f"Every title is known; metascore known for at least "
                 f"{thresholds.metascore_completeness:.0%} and gross for at least "
                 f"{thresholds.gross_completeness:.0%} of movies.", Severity.WARN, (
                     expect("ExpectColumnValuesToNotBeNull", "title 100% complete", column="title"),
                     expect("ExpectColumnValuesToNotBeNull", "metascore complete enough",
                            column="metascore", mostly=thresholds.metascore_completeness),
                     expect("ExpectColumnValuesToNotBeNull", "gross complete enough",
                            column="gross_millions", mostly=thresholds.gross_completeness),
                 )),
            Rule("reject_rate_below_ceiling",
                 f"At most {ceiling:.0%} of the day's rows were rejected; more means the export "
                 "itself is broken.", Severity.ERROR, (
                     # Above the ceiling, the day's rejected rows are the offending ones:
                     # the samples name them (line, movie_id, reason), not just the counts.
                     unexpected_rows(
                         f"SELECT source_line, movie_id, reason {_rejects_of(day)} AND EXISTS ("
                         f"SELECT 1 FROM ({_reject_rate(day)}) r WHERE r.rejected + r.staged > 0 "
                         f"AND r.rejected::float / (r.rejected + r.staged) > {ceiling}) "
                         "ORDER BY source_line",
                         "reject rate under the ceiling"),
                 ), measure=(
                     # The rate itself (unexpected_percent stands for the rule), its parts and
                     # the ceiling, in percent, whether the rule passed or not.
                     "SELECT rejected AS unexpected_count, rate AS unexpected_percent, "
                     "rate AS reject_rate_percent, rejected AS rejected_rows, "
                     "staged AS staged_rows, "
                     f"{round(100 * ceiling, 2)}::float8 AS ceiling_percent FROM (SELECT *, "
                     "coalesce(round(100.0 * rejected / nullif(rejected + staged, 0), 2), 0)"
                     f"::float8 AS rate FROM ({_reject_rate(day)}) r) r")),
        ),
    )  # fmt: skip
