"""Every warehouse table, declared once: columns and their PostgreSQL types, keys, partitioning.

The SQL that builds a table selects exactly these columns in this order; the loader creates the
table from this declaration, so a table's shape never depends on what a query happened to infer.
Daily tables (`partition_column` set) are PostgreSQL partitioned tables with one partition per day.
"""

import datetime as dt
from dataclasses import dataclass

from imdb_pipeline.constants import SNAPSHOT_DATE
from imdb_pipeline.lib.sql_text import day_sql, quote


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str
    nullable: bool


def _columns(spec: str) -> tuple[Column, ...]:
    """`name type [not null]` per line: a compact, readable way to declare a table."""
    columns = []
    for line in spec.strip().splitlines():
        name, type_ = line.strip().split(" ", 1)
        not_null = type_.endswith(" not null")
        columns.append(Column(name, type_.removesuffix(" not null"), nullable=not not_null))
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

    @property
    def qualified(self) -> str:
        """`"schema"."name"`, quoted for SQL text."""
        return f"{quote(self.schema)}.{quote(self.name)}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


STG_MOVIES = Table("staging", "stg_movies", _columns("""
    snapshot_date date not null
    movie_id text not null
    title text
    year integer
    certificate text
    runtime_minutes integer
    genre text
    rating double precision
    metascore integer
    description text
    director text
    stars text
    votes bigint
    gross_millions double precision
    source_line bigint
"""), primary_key=(SNAPSHOT_DATE, "movie_id"), partition_column=SNAPSHOT_DATE)

STG_MOVIES_REJECTS = Table("staging", "stg_movies_rejects", _columns("""
    snapshot_date date not null
    source_line bigint not null
    movie_id text
    reason text
    record text
"""), primary_key=(SNAPSHOT_DATE, "source_line"), partition_column=SNAPSHOT_DATE)

DIM_MOVIES = Table("core", "dim_movies", _columns("""
    movie_key bigint not null
    movie_id text not null
    title text
    year integer
    decade integer
    certificate text
    certificate_system text
    runtime_minutes integer
    runtime_bucket text
    description text
    director text
    valid_from date not null
    valid_to date not null
    is_current boolean not null
    last_seen_date date not null
    in_latest_snapshot boolean not null
"""), primary_key=("movie_key",), unique=(("movie_id", "valid_from"),))


def _name_dimension(name: str) -> Table:
    return Table("core", f"dim_{name}s", _columns(f"""
        {name}_key bigint not null
        {name}_name text not null
    """), primary_key=(f"{name}_key",), unique=((f"{name}_name",),))


DIM_DIRECTORS = _name_dimension("director")
DIM_GENRES = _name_dimension("genre")
DIM_ACTORS = _name_dimension("actor")

BRIDGE_MOVIE_GENRE = Table("core", "bridge_movie_genre", _columns("""
    snapshot_date date not null
    movie_key bigint not null
    genre_key bigint not null
"""), primary_key=(SNAPSHOT_DATE, "movie_key", "genre_key"), partition_column=SNAPSHOT_DATE)

BRIDGE_MOVIE_ACTOR = Table("core", "bridge_movie_actor", _columns("""
    snapshot_date date not null
    movie_key bigint not null
    actor_key bigint not null
    billing_order integer not null
"""), primary_key=(SNAPSHOT_DATE, "movie_key", "actor_key"), partition_column=SNAPSHOT_DATE)

FACT_MOVIE_PERFORMANCE = Table("core", "fact_movie_performance", _columns("""
    snapshot_date date not null
    movie_key bigint not null
    director_key bigint not null
    rating double precision
    metascore integer
    votes bigint
    gross_millions double precision
    weighted_rating double precision
"""), primary_key=(SNAPSHOT_DATE, "movie_key"), partition_column=SNAPSHOT_DATE)

AGG_DIRECTOR_STATS = Table("analytics", "agg_director_stats", _columns("""
    director_key bigint not null
    director_name text not null
    total_movies bigint not null
    avg_rating double precision
    avg_metascore double precision
    total_votes bigint
    total_gross_millions double precision
    movies_with_gross bigint not null
    first_year integer
    last_year integer
    best_movie_id text
    best_movie_title text
    best_movie_weighted_rating double precision
"""), primary_key=("director_name",))

AGG_GENRE_TRENDS = Table("analytics", "agg_genre_trends", _columns("""
    genre_name text not null
    year integer not null
    total_movies bigint not null
    avg_rating double precision
    total_gross_millions double precision
    share_of_year_pct double precision
"""), primary_key=("genre_name", "year"))

AGG_YEARLY_REVENUE = Table("analytics", "agg_yearly_revenue", _columns("""
    year integer not null
    total_movies bigint not null
    movies_with_gross bigint not null
    total_gross_millions double precision
    avg_gross_millions double precision
    yoy_growth_pct double precision
"""), primary_key=("year",))

AGG_TOP_MOVIES = Table("analytics", "agg_top_movies", _columns("""
    rank integer not null
    movie_id text not null
    title text
    year integer
    weighted_rating double precision
    rating double precision
    votes bigint
"""), primary_key=("rank",))

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
