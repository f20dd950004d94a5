"""Where each column of the core and analytics tables comes from: the columns of the upstream
tables its values are computed from, read off the SQL that builds it (`dimensions`,
`movie_versions`, `bridges`, `facts`, `aggregates`). A surrogate key depends on the natural key
it stands for; a version's validity on the day and the columns whose change opens a version. A column that picks a row (the best movie, a rank) also depends on the columns
it is picked by. Filters that every row passes through (the day, the latest snapshot) are not
listed: they decide which rows there are, not what a column holds.

The analytics read the latest day's fact rows joined to their movie (`latest_movies_select`);
that join is a scratch table, not a table of the graph, so their columns name the fact and
`dim_movies` it reads.
"""

from imdb_pipeline.lib.warehouse_tables import (
    AGG_DIRECTOR_STATS,
    AGG_GENRE_TRENDS,
    AGG_TOP_MOVIES,
    AGG_YEARLY_REVENUE,
    BRIDGE_MOVIE_ACTOR,
    BRIDGE_MOVIE_GENRE,
    DIM_ACTORS,
    DIM_DIRECTORS,
    DIM_GENRES,
    DIM_MOVIES,
    FACT_MOVIE_PERFORMANCE,
    STG_MOVIES,
    Table,
)

# An upstream column: its table and its name.
Source = tuple[Table, str]
# Column -> the upstream columns it is computed from.
Lineage = dict[str, tuple[Source, ...]]


def _of(table: Table, *columns: str) -> tuple[Source, ...]:
    return tuple((table, column) for column in columns)


_STG, _FACT, _MOVIES = STG_MOVIES, FACT_MOVIE_PERFORMANCE, DIM_MOVIES
# What ranks movies: weighted rating, then votes, then movie_id (`aggregates._BEST_FIRST`).
_BEST_FIRST = _of(_FACT, "weighted_rating", "votes") + _of(_MOVIES, "movie_id")

# The columns whose change opens a new version of a movie (`movie_versions`).
_TRACKED = _of(_STG, "title", "year", "certificate", "runtime_minutes", "description", "director")
_VERSIONS = _of(_STG, "snapshot_date", "movie_id") + _TRACKED

LINEAGE: dict[Table, Lineage] = {
    DIM_MOVIES: {
        "movie_key": _of(_STG, "movie_id") + _TRACKED,
        "movie_id": _of(_STG, "movie_id"),
        "title": _of(_STG, "title"),
        "year": _of(_STG, "year"),
        "decade": _of(_STG, "year"),
        "certificate": _of(_STG, "certificate"),
        "certificate_system": _of(_STG, "certificate"),
        "runtime_minutes": _of(_STG, "runtime_minutes"),
        "runtime_bucket": _of(_STG, "runtime_minutes"),
        "description": _of(_STG, "description"),
        "director": _of(_STG, "director"),
        "valid_from": _VERSIONS,
        "valid_to": _VERSIONS,
        "is_current": _VERSIONS,
        "last_seen_date": _of(_STG, "snapshot_date", "movie_id"),
        "in_latest_snapshot": _of(_STG, "snapshot_date", "movie_id"),
    },
    DIM_DIRECTORS: {
        "director_key": _of(_STG, "director"),
        "director_name": _of(_STG, "director"),
    },
    DIM_GENRES: {
        "genre_key": _of(_STG, "genre"),
        "genre_name": _of(_STG, "genre"),
    },
    DIM_ACTORS: {
        "actor_key": _of(_STG, "stars"),
        "actor_name": _of(_STG, "stars"),
    },
    BRIDGE_MOVIE_GENRE: {
        "snapshot_date": _of(_STG, "snapshot_date"),
        "movie_key": _of(_MOVIES, "movie_key"),
        "genre_key": _of(DIM_GENRES, "genre_key"),
    },
    BRIDGE_MOVIE_ACTOR: {
        "snapshot_date": _of(_STG, "snapshot_date"),
        "movie_key": _of(_MOVIES, "movie_key"),
        "actor_key": _of(DIM_ACTORS, "actor_key"),
        "billing_order": _of(_STG, "stars"),
    },
    FACT_MOVIE_PERFORMANCE: {
        "snapshot_date": _of(_STG, "snapshot_date"),
        "movie_key": _of(_MOVIES, "movie_key"),
        "director_key": _of(DIM_DIRECTORS, "director_key"),
        "rating": _of(_STG, "rating"),
        "metascore": _of(_STG, "metascore"),
        "votes": _of(_STG, "votes"),
        "gross_millions": _of(_STG, "gross_millions"),
        # C, the day's mean rating, is computed from every staged rating of the day.
        "weighted_rating": _of(_STG, "rating", "votes"),
    },
    AGG_DIRECTOR_STATS: {
        "director_key": _of(DIM_DIRECTORS, "director_key") + _of(_FACT, "director_key"),
        "director_name": _of(DIM_DIRECTORS, "director_name"),
        "total_movies": _of(_FACT, "movie_key"),
        "avg_rating": _of(_FACT, "rating"),
        "avg_metascore": _of(_FACT, "metascore"),
        "total_votes": _of(_FACT, "votes"),
        "total_gross_millions": _of(_FACT, "gross_millions"),
        "movies_with_gross": _of(_FACT, "gross_millions"),
        "first_year": _of(_MOVIES, "year"),
        "last_year": _of(_MOVIES, "year"),
        "best_movie_id": _BEST_FIRST,
        "best_movie_title": _of(_MOVIES, "title") + _BEST_FIRST,
        "best_movie_weighted_rating": _of(_FACT, "weighted_rating"),
    },
    AGG_GENRE_TRENDS: {
        "genre_name": _of(DIM_GENRES, "genre_name"),
        "year": _of(_MOVIES, "year"),
        "total_movies": _of(BRIDGE_MOVIE_GENRE, "movie_key"),
        "avg_rating": _of(_FACT, "rating"),
        "total_gross_millions": _of(_FACT, "gross_millions"),
        "share_of_year_pct": _of(BRIDGE_MOVIE_GENRE, "movie_key")
        + _of(_FACT, "movie_key")
        + _of(_MOVIES, "year"),
    },
    AGG_YEARLY_REVENUE: {
        "year": _of(_MOVIES, "year"),
        "total_movies": _of(_FACT, "movie_key"),
        "movies_with_gross": _of(_FACT, "gross_millions"),
        "total_gross_millions": _of(_FACT, "gross_millions"),
        "avg_gross_millions": _of(_FACT, "gross_millions"),
        "yoy_growth_pct": _of(_FACT, "gross_millions") + _of(_MOVIES, "year"),
    },
    AGG_TOP_MOVIES: {
        "rank": _BEST_FIRST,
        "movie_id": _of(_MOVIES, "movie_id"),
        "title": _of(_MOVIES, "title"),
        "year": _of(_MOVIES, "year"),
        "weighted_rating": _of(_FACT, "weighted_rating"),
        "rating": _of(_FACT, "rating"),
        "votes": _of(_FACT, "votes"),
    },
}


def lineage(table: Table) -> Lineage | None:
    """The lineage of `table`'s columns; None for a table without declared lineage."""
    return LINEAGE.get(table)
