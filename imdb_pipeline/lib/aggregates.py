"""Analytics tables as set-based SQL: each function returns one SELECT run inside PostgreSQL.

Every SELECT yields exactly the declared columns of its table (`warehouse_tables`), in order,
and describes only the latest day present: the fact's latest `snapshot_date` and, for genres,
the bridge's. They all read `movies`, the latest day's fact rows joined once to their movie's
id, title and year (`latest_movies_select`): the loader keeps that join in a scratch table
rather than making each aggregate repeat it over a million rows. Table names arrive as
qualified, quoted SQL text.

Unknown values stay NULL: averages skip them and a sum over nothing known is NULL, never 0.
Averages, money totals and percentages are computed in numeric and rounded half up to 2
decimals by `round(numeric, 2)`, so 8.725 gives 8.73 where binary floats would give 8.72.
"""

DEFAULT_TOP_SIZE = 250
DEFAULT_TOP_MINIMUM_VOTES = 25_000

# Best first; NULLs last as in any ranking; movie ids by code point so ties never depend on
# the database's locale.
_BEST_FIRST = (
    'weighted_rating DESC NULLS LAST, votes DESC NULLS LAST, movie_id COLLATE "C"'
)


def _round(expression: str) -> str:
    return f"round({expression}, 2)::double precision"


def _latest(table: str, alias: str) -> str:
    """Restricts `alias` to the latest day of `table` (an index lookup on the day key)."""
    return f"{alias}.snapshot_date = (SELECT max(snapshot_date) FROM {table})"


def latest_movies_select(fact: str, dim_movies: str) -> str:
    """The latest day's fact rows, each with its movie's id, title and year."""
    return f"""
        SELECT f.movie_key, f.director_key, f.rating, f.metascore, f.votes,
               f.gross_millions, f.weighted_rating, m.movie_id, m.title, m.year
        FROM {fact} AS f
        JOIN {dim_movies} AS m ON m.movie_key = f.movie_key
        WHERE {_latest(fact, "f")}"""


def agg_director_stats_select(movies: str, dim_directors: str) -> str:
    """Per director: counts, averages, totals, career span and best movie.

    The movies are sorted once by director and rank; that one sort feeds every aggregate and
    makes the best movie the first element of its ordered array, with no second pass. The
    best movie's weighted rating is simply the director's highest one.
    """

    def best(column: str) -> str:
        return f"(array_agg({column} ORDER BY {_BEST_FIRST}))[1]"

    return f"""
    SELECT d.director_key, d.director_name, s.total_movies, s.avg_rating, s.avg_metascore,
           s.total_votes, s.total_gross_millions, s.movies_with_gross, s.first_year,
           s.last_year, s.best_movie_id, s.best_movie_title, s.best_movie_weighted_rating
    FROM (
        SELECT director_key,
               count(*) AS total_movies,
               {_round("avg(rating::numeric)")} AS avg_rating,
               {_round("avg(metascore)")} AS avg_metascore,
               sum(votes)::bigint AS total_votes,
               {_round("sum(gross_millions::numeric)")} AS total_gross_millions,
               count(gross_millions) AS movies_with_gross,
               min(year) AS first_year,
               max(year) AS last_year,
               {best("movie_id")} AS best_movie_id,
               {best("title")} AS best_movie_title,
               max(weighted_rating) AS best_movie_weighted_rating
        FROM {movies} AS movies
        GROUP BY director_key
    ) AS s
    JOIN {dim_directors} AS d ON d.director_key = s.director_key"""


def agg_genre_trends_select(movies: str, bridge_movie_genre: str, dim_genres: str) -> str:
    """Per genre and release year; the share is of all the year's movies, with a genre or not."""
    return f"""
    SELECT g.genre_name, gy.year, gy.total_movies,
           {_round("gy.avg_rating")} AS avg_rating,
           {_round("gy.total_gross_millions")} AS total_gross_millions,
           {_round("100.0 * gy.total_movies / y.year_movies")} AS share_of_year_pct
    FROM (
        SELECT b.genre_key, mv.year,
               count(*) AS total_movies,
               avg(mv.rating::numeric) AS avg_rating,
               sum(mv.gross_millions::numeric) AS total_gross_millions
        FROM {bridge_movie_genre} AS b
        JOIN {movies} AS mv ON mv.movie_key = b.movie_key
        WHERE {_latest(bridge_movie_genre, "b")} AND mv.year IS NOT NULL
        GROUP BY b.genre_key, mv.year
    ) AS gy
    JOIN {dim_genres} AS g ON g.genre_key = gy.genre_key
    JOIN (
        SELECT year, count(*) AS year_movies
        FROM {movies} AS mv
        WHERE mv.year IS NOT NULL
        GROUP BY year
    ) AS y ON y.year = gy.year"""


def agg_yearly_revenue_select(movies: str) -> str:
    """Per release year; growth compares with the previous calendar year and is NULL without one
    (or when that year's gross is unknown or zero)."""
    growth = _round("100 * (total - lag(total) OVER by_year) / nullif(lag(total) OVER by_year, 0)")
    return f"""
    SELECT year, total_movies, movies_with_gross,
           {_round("total")} AS total_gross_millions,
           {_round("average")} AS avg_gross_millions,
           CASE WHEN lag(year) OVER by_year = year - 1 THEN {growth} END AS yoy_growth_pct
    FROM (
        SELECT year,
               count(*) AS total_movies,
               count(gross_millions) AS movies_with_gross,
               sum(gross_millions::numeric) AS total,
               avg(gross_millions::numeric) AS average
        FROM {movies} AS mv
        WHERE mv.year IS NOT NULL
        GROUP BY year
    ) AS yearly
    WINDOW by_year AS (ORDER BY year)"""


def agg_top_movies_select(
    movies: str, size: int = DEFAULT_TOP_SIZE, minimum_votes: int = DEFAULT_TOP_MINIMUM_VOTES
) -> str:
    """The `size` best movies by weighted rating among those with at least `minimum_votes`."""
    size, minimum_votes = int(size), int(minimum_votes)
    return f"""
    SELECT row_number() OVER (ORDER BY {_BEST_FIRST}) AS rank,
           movie_id, title, year, weighted_rating, rating, votes
    FROM (
        SELECT movie_id, title, year, weighted_rating, rating, votes
        FROM {movies} AS mv
        WHERE votes >= {minimum_votes}
        ORDER BY {_BEST_FIRST}
        LIMIT {size}
    ) AS top"""
