"""Every warehouse table, declared once: columns and their PostgreSQL types, keys, partitioning.

The SQL that builds a table selects exactly these columns in this order; the loader creates the
table from this declaration, so a table's shape never depends on what a query happened to infer.
Daily tables (`partition_column` set) are PostgreSQL partitioned tables with one partition per day.
"""

import datetime as dt
from dataclasses import dataclass, replace

from imdb_pipeline.constants import SNAPSHOT_DATE
from imdb_pipeline.lib import contract
from imdb_pipeline.lib.sql_text import day_sql, quote


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str
    nullable: bool
    # What a value means, its unit, and what NULL means: the column's comment in PostgreSQL
    # (which BI tools show) and its description in Dagster.
    description: str = ""
    # A value BI tools must not see as it is (a person's contact, an identifier of a person):
    # they read the table through its masking view (`masking_views`). No IMDb column is.
    sensitive: bool = False


def _contract(name: str, more: str) -> str:
    """A source column's description (`contract`), and what the warehouse adds to it."""
    return f"{contract.BY_NAME[name].description}{more}"


# Columns that mean the same in every table that has them; a table's own text wins.
SHARED_DESCRIPTIONS = {
    SNAPSHOT_DATE: "Day of the daily snapshot (the export) this row comes from",
    "movie_id": _contract("movie_id", "; the movie's natural key"),
    "title": _contract("title", "; NULL when the source has none"),
    "year": _contract("year", " of the movie"),
    "certificate": _contract("certificate", ", as written in the source; NULL when unknown"),
    "runtime_minutes": _contract("runtime_minutes", "; NULL when unknown"),
    "rating": _contract("rating", ", 0 to 10, one decimal"),
    "metascore": _contract("metascore", ", 0 to 100; NULL when unknown, never 0"),
    "votes": _contract("votes", " on the snapshot day"),
    "gross_millions": "US box-office gross in millions of USD (2 decimals); NULL when unknown, "
    "never 0",
    "description": _contract("description", "; NULL when the source has none"),
    "director": _contract("director", ", trimmed"),
    "weighted_rating": "IMDb's Bayesian weighted rating, v/(v+m)*R + m/(v+m)*C, 3 decimals: R the "
    "rating, v the votes, m the minimum votes (default 25,000), C the day's mean rating",
    "movie_key": "The movie version valid on snapshot_date: core.dim_movies.movie_key",
    "source_line": "Line on which the row starts in the source file (the header is line 1; "
    "title.basics for IMDb's datasets)",
}


def declared_columns(spec: str) -> tuple[Column, ...]:
    """`name type [not null] [-- description]` per line, a line of its own starting with `--`
    going on with the description: a compact, readable way to declare a table. A column
    without a description takes its `SHARED_DESCRIPTIONS` one; there must be one. A column named
    as a sensitive source column (`contract`) is sensitive: a value keeps its column's name
    through the warehouse."""
    columns: list[Column] = []
    for line in spec.strip().splitlines():
        line = line.strip()
        if line.startswith("--"):
            last = columns.pop()
            columns.append(replace(last, description=f"{last.description} {line[2:].strip()}"))
            continue
        declaration, _, description = (part.strip() for part in line.partition(" -- "))
        name, type_ = declaration.split(" ", 1)
        description = description or SHARED_DESCRIPTIONS.get(name, "")
        if not description:
            raise ValueError(f"column {name} has no description")
        not_null = type_.endswith(" not null")
        source = contract.BY_NAME.get(name)
        columns.append(Column(name, type_.removesuffix(" not null"), not not_null, description,
                              sensitive=bool(source and source.sensitive)))  # fmt: skip
    return tuple(columns)


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    # Natural keys kept unique besides the primary key (e.g. a dimension's name).
    unique: tuple[tuple[str, ...], ...] = ()
    # The day column of daily tables: one PostgreSQL partition per day.
    partition_column: str | None = None
    # One line on its grain and meaning: the table's comment in PostgreSQL.
    description: str = ""

    @property
    def qualified(self) -> str:
        """`"schema"."name"`, quoted for SQL text."""
        return f"{quote(self.schema)}.{quote(self.name)}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def sensitive(self) -> bool:
        """Whether any column is sensitive: BI readers then read the table's masking view."""
        return any(column.sensitive for column in self.columns)


STG_MOVIES = Table("staging", "stg_movies", declared_columns("""
    snapshot_date date not null
    movie_id text not null
    title text
    year integer
    certificate text
    runtime_minutes integer
    genre text -- Genres, comma-separated, de-duplicated, in source order; NULL when none
    rating double precision
    metascore integer
    description text
    director text
    stars text -- Leading actors, comma-separated in billing order; NULL when the source has none
    votes bigint
    gross_millions double precision
    source_line bigint
"""), primary_key=(SNAPSHOT_DATE, "movie_id"), partition_column=SNAPSHOT_DATE,
    description="Per day, one typed and trimmed row per valid source movie (a repeated movie_id "
    "keeps its last row). Internal: read the core and analytics tables instead.",
)  # fmt: skip

STG_MOVIES_REJECTS = Table("staging", "stg_movies_rejects", declared_columns("""
    snapshot_date date not null
    source_line bigint not null
    movie_id text -- movie_id as written in the rejected row; NULL when it had none
    reason text -- Why the row was rejected: each broken rule of the source contract, joined by ;
    record text -- The rejected row as read from the source file
"""), primary_key=(SNAPSHOT_DATE, "source_line"), partition_column=SNAPSHOT_DATE,
    description="Per day, the source rows that broke the source contract, with their line and "
    "the reason.",
)  # fmt: skip

DIM_MOVIES = Table("core", "dim_movies", declared_columns("""
    movie_key bigint not null -- Surrogate key of this movie version; never changes
    movie_id text not null
    title text
    year integer
    decade integer -- First year of the release decade: 1990 for 1994
    certificate text
    certificate_system text -- Rating system of the certificate: MPAA, US TV, CBFC, BBFC or
    -- Other; NULL when the certificate is unknown or unrecognised
    runtime_minutes integer
    runtime_bucket text -- Runtime band: under 90, 90-119, 120-149 or 150+ min; NULL when the
    -- runtime is unknown
    description text
    director text
    valid_from date not null -- First snapshot day of this version (inclusive)
    valid_to date not null -- Day the next version starts (exclusive); 9999-12-31 while current
    is_current boolean not null -- True for the movie's latest version (valid_to = 9999-12-31)
    last_seen_date date not null -- Last snapshot day this version was seen in
    in_latest_snapshot boolean not null -- True when the current version is in the latest
    -- snapshot; false for a movie gone from it, and for every past version
"""), primary_key=("movie_key",), unique=(("movie_id", "valid_from"),),
    description="Movies, one row per version (SCD type 2): a change of title, year, certificate, "
    "runtime, description or director opens a new version, valid [valid_from, valid_to).",
)  # fmt: skip


def _name_dimension(name: str, plural: str) -> Table:
    return Table("core", f"dim_{name}s", declared_columns(f"""
        {name}_key bigint not null -- Surrogate key of the {name}; never changes
        {name}_name text not null -- The {name}'s name as in the source, trimmed; unique
    """), primary_key=(f"{name}_key",), unique=((f"{name}_name",),),
        description=f"{plural}, one row per name, with a surrogate key that never changes "
        "(SCD type 1).",
    )  # fmt: skip


DIM_DIRECTORS = _name_dimension("director", "Directors")
DIM_GENRES = _name_dimension("genre", "Genres")
DIM_ACTORS = _name_dimension("actor", "Actors")

BRIDGE_MOVIE_GENRE = Table("core", "bridge_movie_genre", declared_columns("""
    snapshot_date date not null
    movie_key bigint not null
    genre_key bigint not null -- One of the movie's genres: core.dim_genres.genre_key
"""), primary_key=(SNAPSHOT_DATE, "movie_key", "genre_key"), partition_column=SNAPSHOT_DATE,
    description="Per day, one row per movie and genre: which genres each movie has.",
)  # fmt: skip

BRIDGE_MOVIE_ACTOR = Table("core", "bridge_movie_actor", declared_columns("""
    snapshot_date date not null
    movie_key bigint not null
    actor_key bigint not null -- One of the movie's leading actors: core.dim_actors.actor_key
    billing_order integer not null -- The actor's place in the movie's stars, 1 = first billed
"""), primary_key=(SNAPSHOT_DATE, "movie_key", "actor_key"), partition_column=SNAPSHOT_DATE,
    description="Per day, one row per movie and leading actor, in billing order.",
)  # fmt: skip

FACT_MOVIE_PERFORMANCE = Table("core", "fact_movie_performance", declared_columns("""
    snapshot_date date not null
    movie_key bigint not null
    director_key bigint not null -- The movie's director: core.dim_directors.director_key
    rating double precision
    metascore integer
    votes bigint
    gross_millions double precision
    weighted_rating double precision
"""), primary_key=(SNAPSHOT_DATE, "movie_key"), partition_column=SNAPSHOT_DATE,
    description="Per day, one row per movie: rating, metascore, votes, gross and IMDb's weighted "
    "rating, keyed to the movie version valid that day and its director.",
)  # fmt: skip

AGG_DIRECTOR_STATS = Table("analytics", "agg_director_stats", declared_columns("""
    director_key bigint not null -- core.dim_directors.director_key
    director_name text not null -- The director's name
    total_movies bigint not null -- The director's movies in the latest snapshot
    avg_rating double precision -- Average IMDb rating of those movies, 2 decimals
    avg_metascore double precision -- Average metascore of the movies that have one, 2
    -- decimals; NULL when none has
    total_votes bigint -- Sum of the movies' votes
    total_gross_millions double precision -- Sum of the known grosses, millions of USD, 2
    -- decimals; NULL when no movie has a known gross, never 0
    movies_with_gross bigint not null -- How many of the movies have a known gross
    first_year integer -- Release year of the director's first movie
    last_year integer -- Release year of the director's latest movie
    best_movie_id text -- movie_id of the director's best movie by weighted rating (ties: more
    -- votes, then movie_id)
    best_movie_title text -- Title of that best movie
    best_movie_weighted_rating double precision -- The highest weighted rating of the
    -- director's movies
"""), primary_key=("director_name",),
    description="Per director, from the latest snapshot: movies, average rating and metascore, "
    "votes, gross, career span and best movie.",
)  # fmt: skip

AGG_GENRE_TRENDS = Table("analytics", "agg_genre_trends", declared_columns("""
    genre_name text not null -- The genre: core.dim_genres.genre_name
    year integer not null -- Release year
    total_movies bigint not null -- Movies of the genre released that year
    avg_rating double precision -- Their average IMDb rating, 2 decimals
    total_gross_millions double precision -- Sum of their known grosses, millions of USD, 2
    -- decimals; NULL when none is known, never 0
    share_of_year_pct double precision -- Percent of all the year's movies (with a genre or
    -- not) that have this genre, 2 decimals; a movie with several genres counts in each
"""), primary_key=("genre_name", "year"),
    description="Per genre and release year, from the latest snapshot: movies, average rating, "
    "gross and the genre's share of that year's movies.",
)  # fmt: skip

AGG_YEARLY_REVENUE = Table("analytics", "agg_yearly_revenue", declared_columns("""
    year integer not null -- Release year
    total_movies bigint not null -- Movies released that year
    movies_with_gross bigint not null -- How many of them have a known gross
    total_gross_millions double precision -- Sum of the known grosses, millions of USD, 2
    -- decimals; NULL when none is known, never 0
    avg_gross_millions double precision -- Average of the known grosses, millions of USD, 2
    -- decimals; NULL when none is known
    yoy_growth_pct double precision -- Growth of total_gross_millions over the previous
    -- calendar year, percent, 2 decimals; NULL without that year or when its gross is
    -- unknown or 0
"""), primary_key=("year",),
    description="Per release year, from the latest snapshot: movies, box-office totals and "
    "averages, and year-over-year growth.",
)  # fmt: skip

AGG_TOP_MOVIES = Table("analytics", "agg_top_movies", declared_columns("""
    rank integer not null -- 1 = best, by weighted rating, then votes, then movie_id; no gaps
    movie_id text not null
    title text
    year integer
    weighted_rating double precision
    rating double precision
    votes bigint
"""), primary_key=("rank",),
    description="The top movies of the latest snapshot by weighted rating, among those with "
    "enough votes (default 250 movies of 25,000 votes or more), ranked 1..N.",
)  # fmt: skip


def create_table_sql(
    table: Table, name: str | None = None, day: dt.date | None = None, keys: bool = True
) -> str:
    """`CREATE TABLE` for the declared columns, NOT NULLs included, as a plain (unpartitioned)
    table; with its primary and unique keys unless `keys` is false.

    `name` overrides the table name (a table being built, or a fixture in tests); the schema
    stays. For one `day` of a daily table, that day is the day column's default and a CHECK.
    """
    parts = []
    for column in table.columns:
        definition = f"{quote(column.name)} {column.pg_type}{'' if column.nullable else ' NOT NULL'}"
        if day is not None and column.name == table.partition_column:
            definition += f" DEFAULT {day_sql(day)}"
        parts.append(definition)
    if day is not None:
        parts.append(
            f"CONSTRAINT {quote((name or table.name) + '_day')} "
            f"CHECK ({quote(table.partition_column)} = {day_sql(day)})"
        )
    if keys:
        if table.primary_key:  # a table of no declaration has none
            parts.append(f"PRIMARY KEY ({', '.join(map(quote, table.primary_key))})")
        parts.extend(f"UNIQUE ({', '.join(map(quote, columns))})" for columns in table.unique)
    return f"CREATE TABLE {quote(table.schema)}.{quote(name or table.name)} ({', '.join(parts)})"


WAREHOUSE_TABLES = (
    STG_MOVIES, STG_MOVIES_REJECTS,
    DIM_MOVIES, DIM_DIRECTORS, DIM_GENRES, DIM_ACTORS,
    BRIDGE_MOVIE_GENRE, BRIDGE_MOVIE_ACTOR, FACT_MOVIE_PERFORMANCE,
    AGG_DIRECTOR_STATS, AGG_GENRE_TRENDS, AGG_YEARLY_REVENUE, AGG_TOP_MOVIES,
)  # fmt: skip


def declared_table(schema: str, name: str) -> Table | None:
    """The declared table `schema.name`, or None if there is no such declaration."""
    return next((t for t in WAREHOUSE_TABLES if (t.schema, t.name) == (schema, name)), None)
