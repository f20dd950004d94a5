"""The expectation suites of the star schema and analytics tables.

Pure functions: no Great Expectations import, no database. Thresholds a team may tune are in
`QualityThresholds`; everything else follows from the star schema. The staged movies' suite,
built from the source contract, is in staging_suite.py.
"""

from dataclasses import dataclass

from imdb_pipeline.checks.rules import (
    Expectation,
    Rule,
    Severity,
    TableSuite,
    expect,
    unexpected_rows,
)
from imdb_pipeline.lib.warehouse_tables import (
    AGG_DIRECTOR_STATS,
    AGG_GENRE_TRENDS,
    AGG_TOP_MOVIES,
    AGG_YEARLY_REVENUE,
    DIM_MOVIES,
    FACT_MOVIE_PERFORMANCE,
    Table,
)

LATEST_FACT_DAY = "(SELECT max(snapshot_date) FROM core.fact_movie_performance)"
# Money totals are rounded to cents on both sides; allow one cent of rounding difference.
CENT = 0.011


@dataclass(frozen=True)
class QualityThresholds:
    """Soft limits, tunable per deployment (see resources/quality.py)."""

    metascore_completeness: float = 0.5
    gross_completeness: float = 0.5
    reject_rate_ceiling: float = 0.05
    top_movies_size: int = 250


def unique(table: Table, *columns: str) -> Expectation:
    """The columns together identify one row of the slice (a day of a daily table).

    A primary key or unique constraint on exactly these columns (with the day, for a daily
    table) proves it without reading a row: PostgreSQL refused any repeat when it was written.
    Without one, the rows are counted: one hash aggregate that shows each repeated key. (GX's
    own uniqueness expectations took minutes on 100k rows for compound keys.)
    """
    names = ", ".join(columns)
    summary = f"{columns[0]} unique" if len(columns) == 1 else f"({names}) unique"
    keyed = sorted({*columns, *([table.partition_column] if table.partition_column else [])})
    wanted = ", ".join(f"'{name}'" for name in keyed)
    return unexpected_rows(
        f"SELECT {names}, count(*) AS copies FROM {{batch}} WHERE NOT EXISTS ("
        "SELECT 1 FROM pg_constraint c WHERE c.conrelid = "
        f"to_regclass('{table.qualified}') AND c.contype IN ('p', 'u') AND ARRAY(SELECT "
        "a.attname::text FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = "
        f"ANY (c.conkey) ORDER BY 1) = ARRAY[{wanted}]::text[]) "
        f"GROUP BY {names} HAVING count(*) > 1",
        summary,
    )


def _unique_keys(table: Table, key: str, *natural_key: str) -> Rule:
    expectations = [unique(table, key),
                    expect("ExpectColumnValuesToNotBeNull", f"{key} present", column=key)]  # fmt: skip
    if natural_key:
        expectations.append(unique(table, *natural_key))
    return Rule("keys_are_unique",
                f"The surrogate key {key} and the natural key ({', '.join(natural_key)}) each "
                "identify one row.", Severity.ERROR, tuple(expectations))  # fmt: skip


def name_dimension(table: Table, key: str, name: str) -> TableSuite:
    return TableSuite(table, (_unique_keys(table, key, name),))


def dim_movies() -> TableSuite:
    return TableSuite(
        target=DIM_MOVIES,
        rules=(
            _unique_keys(DIM_MOVIES, "movie_key", "movie_id", "valid_from"),
            Rule("versions_are_consistent",
                 "Each movie has exactly one current version, and its versions' validity "
                 "periods do not overlap.", Severity.ERROR, (
                     unexpected_rows(
                         "SELECT movie_id, count(*) FILTER (WHERE is_current) AS current_versions "
                         "FROM {batch} GROUP BY movie_id HAVING count(*) FILTER (WHERE is_current) <> 1",
                         "one current version per movie"),
                     unexpected_rows(
                         "SELECT a.movie_id, a.movie_key, b.movie_key AS overlapping_key FROM {batch} AS a "
                         "JOIN core.dim_movies b ON a.movie_id = b.movie_id AND a.movie_key < b.movie_key "
                         "AND a.valid_from < b.valid_to AND b.valid_from < a.valid_to",
                         "no overlapping validity"),
                     unexpected_rows(
                         "SELECT movie_id, movie_key FROM {batch} WHERE valid_from >= valid_to",
                         "valid_from before valid_to"),
                 )),
        ),
    )  # fmt: skip


def _resolves(column: str, dimension: str, summary: str, dated: bool = False) -> Expectation:
    version = (" AND b.snapshot_date >= d.valid_from AND b.snapshot_date < d.valid_to"
               if dated else "")  # fmt: skip
    return unexpected_rows(
        f"SELECT b.{column} FROM {{batch}} AS b LEFT JOIN core.{dimension} d "
        f"ON d.{column} = b.{column}{version} WHERE d.{column} IS NULL",
        summary,
    )


def fact_movie_performance() -> TableSuite:
    return TableSuite(
        target=FACT_MOVIE_PERFORMANCE,
        rules=(
            Rule("keys_are_unique", "One fact row per movie and day.", Severity.ERROR, (
                unique(FACT_MOVIE_PERFORMANCE, "movie_key"),
            )),
            Rule("keys_resolve_to_dimensions",
                 "Every fact row points at the movie version valid that day and at a director.",
                 Severity.ERROR, (
                     _resolves("movie_key", "dim_movies", "movie version valid that day", True),
                     _resolves("director_key", "dim_directors", "director exists"),
                 )),
            Rule("movies_have_a_director", "Every movie of the day has a director.",
                 Severity.ERROR, (
                     expect("ExpectColumnValuesToNotBeNull", "director known", column="director_key"),
                 )),
            # A WARN: a movie nobody has classified yet is real (IMDb's datasets hold some).
            Rule("movies_have_a_genre", "Every movie of the day has at least one genre.",
                 Severity.WARN, (
                     unexpected_rows(
                         "SELECT f.movie_key FROM (SELECT * FROM {batch}) f WHERE NOT EXISTS (SELECT 1 FROM "
                         "core.bridge_movie_genre g WHERE g.snapshot_date = f.snapshot_date "
                         "AND g.movie_key = f.movie_key)", "at least one genre"),
                 )),
        ),
    )  # fmt: skip


def bridge(table: Table, key: str, dimension: str) -> TableSuite:
    return TableSuite(
        target=table,
        rules=(
            Rule("keys_are_unique", f"Each (movie_key, {key}) pair once per day.", Severity.ERROR, (
                unique(table, "movie_key", key),
            )),
            Rule("keys_resolve_to_dimensions",
                 f"Every row points at the movie version valid that day and at a {dimension}.",
                 Severity.ERROR, (
                     _resolves("movie_key", "dim_movies", "movie version valid that day", True),
                     _resolves(key, dimension, f"{dimension} exists"),
                 )),
        ),
    )  # fmt: skip


def _reconciliation(group: str, join: str, compare: str, summary: str) -> Expectation:
    return unexpected_rows(
        f"SELECT * FROM {{batch}} AS a FULL JOIN (SELECT {group}, count(*) AS fact_movies, "
        "sum(f.votes) AS fact_votes, sum(f.gross_millions) AS fact_gross "
        f"FROM core.fact_movie_performance f {join} WHERE f.snapshot_date = {LATEST_FACT_DAY} "
        f"GROUP BY {group}) x USING ({group.split('.')[-1]}) WHERE {compare}",
        summary,
    )


_MOVIES = "JOIN core.dim_movies m ON m.movie_key = f.movie_key"
_GROSS_DIFFERS = (f"abs(coalesce(a.total_gross_millions, 0) - coalesce(x.fact_gross, 0)) > {CENT} "
                  "OR (a.total_gross_millions IS NULL) <> (x.fact_gross IS NULL)")  # fmt: skip


def agg_yearly_revenue() -> TableSuite:
    return TableSuite(AGG_YEARLY_REVENUE, (
        Rule("reconciles_with_fact",
             "Movies and gross per year add up to the fact's latest snapshot.", Severity.ERROR, (
                 _reconciliation("m.year", _MOVIES,
                                 "a.total_movies IS DISTINCT FROM x.fact_movies OR " + _GROSS_DIFFERS,
                                 "per-year totals equal the fact"),
             )),
    ))  # fmt: skip


def agg_director_stats() -> TableSuite:
    return TableSuite(AGG_DIRECTOR_STATS, (
        Rule("reconciles_with_fact",
             "Movies, votes and gross per director add up to the fact's latest snapshot.",
             Severity.ERROR, (
                 _reconciliation("d.director_name",
                                 "JOIN core.dim_directors d ON d.director_key = f.director_key",
                                 "a.total_movies IS DISTINCT FROM x.fact_movies OR "
                                 "a.total_votes IS DISTINCT FROM x.fact_votes OR " + _GROSS_DIFFERS,
                                 "per-director totals equal the fact"),
             )),
    ))  # fmt: skip


def agg_genre_trends() -> TableSuite:
    return TableSuite(AGG_GENRE_TRENDS, (
        Rule("reconciles_with_fact",
             "Movies per genre and year add up to the latest snapshot's genre links.",
             Severity.ERROR, (
                 unexpected_rows(
                     "SELECT * FROM {batch} AS a FULL JOIN (SELECT g.genre_name, m.year, count(*) AS n "
                     "FROM core.bridge_movie_genre b JOIN core.dim_genres g USING (genre_key) "
                     "JOIN core.dim_movies m USING (movie_key) "
                     f"WHERE b.snapshot_date = {LATEST_FACT_DAY} GROUP BY g.genre_name, m.year) x "
                     "USING (genre_name, year) WHERE a.total_movies IS DISTINCT FROM x.n",
                     "per genre and year counts equal the bridge"),
             )),
    ))  # fmt: skip


def agg_top_movies(thresholds: QualityThresholds) -> TableSuite:
    return TableSuite(AGG_TOP_MOVIES, (
        Rule("ranked_without_gaps",
             f"Ranks run 1..N without gaps or ties, N at most {thresholds.top_movies_size}.",
             Severity.ERROR, (
                 unique(AGG_TOP_MOVIES, "rank"),
                 expect("ExpectTableRowCountToBeBetween", "within the configured size",
                        min_value=0, max_value=thresholds.top_movies_size),
                 unexpected_rows(
                     "SELECT rank, position FROM (SELECT rank, row_number() OVER (ORDER BY rank) "
                     "AS position FROM {batch}) ranked WHERE rank <> position",
                     "ranks 1..N"),
             )),
    ))  # fmt: skip
