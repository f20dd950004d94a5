"""Reference approaches the pipeline is measured against, timed on the same CSV and PostgreSQL.

  python bench/baseline.py original CSV DB_URL   # the classic approach:
      pandas read_csv + split, DataFrame.to_sql for staging and dims,
      SQL joins for fact and bridges, aggregate SQL
  python bench/baseline.py floor CSV DB_URL      # near the physical floor on this box:
      COPY the raw file into an UNLOGGED staging table, then the whole
      star schema and aggregates as set-based SQL inside Postgres

Both end with the same tables: staging.stg_movies, core.dim_* , core.bridge_*,
core.fact_movie_performance, analytics.agg_*.  Prints seconds per phase.
"""
import io
import sys
import time

import pandas as pd
import sqlalchemy as sa

SCHEMAS = "DROP SCHEMA IF EXISTS staging, core, analytics CASCADE; CREATE SCHEMA staging; CREATE SCHEMA core; CREATE SCHEMA analytics;"

CORE_FROM_NAMES = """
CREATE TABLE core.fact_movie_performance AS
  SELECT m.movie_key, d.director_key, s.votes, s.gross_millions
  FROM staging.fact_names s JOIN core.dim_movies m USING (movie_id)
  JOIN core.dim_directors d ON d.director_name = s.director;
CREATE TABLE core.bridge_movie_genre AS
  SELECT m.movie_key, g.genre_key FROM staging.bridge_genre_names s
  JOIN core.dim_movies m USING (movie_id) JOIN core.dim_genres g USING (genre_name);
CREATE TABLE core.bridge_movie_actor AS
  SELECT m.movie_key, a.actor_key FROM staging.bridge_actor_names s
  JOIN core.dim_movies m USING (movie_id) JOIN core.dim_actors a USING (actor_name);
"""

AGGS = """
CREATE TABLE analytics.agg_director_stats AS
  SELECT d.director_name, COUNT(*) total_movies, ROUND(AVG(m.rating)::numeric,2) avg_rating,
         SUM(f.votes) total_votes, ROUND(SUM(f.gross_millions)::numeric,2) total_gross_millions
  FROM core.fact_movie_performance f JOIN core.dim_directors d USING (director_key)
  JOIN core.dim_movies m USING (movie_key) GROUP BY d.director_name;
CREATE TABLE analytics.agg_genre_trends AS
  SELECT g.genre_name, m.year, COUNT(*) total_movies, ROUND(AVG(m.rating)::numeric,2) avg_rating
  FROM core.bridge_movie_genre b JOIN core.dim_genres g USING (genre_key)
  JOIN core.dim_movies m USING (movie_key) GROUP BY g.genre_name, m.year;
CREATE TABLE analytics.agg_yearly_revenue AS
  SELECT m.year, COUNT(*) total_movies, ROUND(SUM(f.gross_millions)::numeric,2) total_gross_millions
  FROM core.fact_movie_performance f JOIN core.dim_movies m USING (movie_key) GROUP BY m.year;
CREATE TABLE analytics.agg_top_movies AS
  SELECT m.movie_id, m.title, m.rating, f.votes FROM core.fact_movie_performance f
  JOIN core.dim_movies m USING (movie_key) WHERE f.votes >= 25000
  ORDER BY m.rating DESC, f.votes DESC LIMIT 250;
"""


def phase(name, t0):
    t = time.perf_counter()
    print(f"{name:28s} {t - t0:8.2f} s", flush=True)
    return t


def original(csv, url):
    eng = sa.create_engine(url)
    t = t0 = time.perf_counter()
    with eng.begin() as c:
        c.exec_driver_sql(SCHEMAS)
    df = pd.read_csv(csv)
    t = phase("extract (read_csv)", t)
    df["metascore"] = df["metascore"].fillna(0)
    df["gross_millions"] = df["gross_millions"].fillna(0)
    dim_movies = df[["movie_id", "title", "year", "certificate", "runtime_minutes",
                     "rating", "metascore", "description"]].copy()
    dim_directors = pd.DataFrame({"director_name": df["director"].unique()})
    dim_genres = pd.DataFrame({"genre_name": df["genre"].str.split(", ").explode().unique()})
    dim_actors = pd.DataFrame({"actor_name": df["stars"].str.split(", ").explode().unique()})
    fact = df[["movie_id", "director", "votes", "gross_millions"]]
    bg = df[["movie_id", "genre"]].assign(genre=df["genre"].str.split(", ")).explode("genre")
    bg.columns = ["movie_id", "genre_name"]
    ba = df[["movie_id", "stars"]].assign(stars=df["stars"].str.split(", ")).explode("stars")
    ba.columns = ["movie_id", "actor_name"]
    t = phase("transform (pandas)", t)
    df.to_sql("stg_movies", eng, schema="staging", index=False)
    fact.to_sql("fact_names", eng, schema="staging", index=False)
    bg.to_sql("bridge_genre_names", eng, schema="staging", index=False)
    ba.to_sql("bridge_actor_names", eng, schema="staging", index=False)
    t = phase("load staging (to_sql)", t)
    with eng.begin() as c:
        for name, frame in [("dim_movies", dim_movies), ("dim_directors", dim_directors),
                            ("dim_genres", dim_genres), ("dim_actors", dim_actors)]:
            key = {"dim_movies": "movie_key", "dim_directors": "director_key",
                   "dim_genres": "genre_key", "dim_actors": "actor_key"}[name]
            frame.head(0).to_sql(name, c, schema="core", index=False)
            c.exec_driver_sql(f"ALTER TABLE core.{name} ADD COLUMN {key} SERIAL PRIMARY KEY")
    for name, frame in [("dim_movies", dim_movies), ("dim_directors", dim_directors),
                        ("dim_genres", dim_genres), ("dim_actors", dim_actors)]:
        frame.to_sql(name, eng, schema="core", index=False, if_exists="append")
    t = phase("load dims (to_sql)", t)
    with eng.begin() as c:
        c.exec_driver_sql(CORE_FROM_NAMES)
    t = phase("fact+bridges (SQL joins)", t)
    with eng.begin() as c:
        c.exec_driver_sql(AGGS)
    t = phase("aggregates (SQL)", t)
    phase("TOTAL", t0)


FLOOR_SQL = """
CREATE TABLE core.dim_movies AS
  SELECT row_number() OVER () AS movie_key, movie_id, title, year, certificate,
         runtime_minutes, rating, metascore, description FROM staging.stg_movies;
CREATE TABLE core.dim_directors AS
  SELECT row_number() OVER () AS director_key, director_name
  FROM (SELECT DISTINCT director AS director_name FROM staging.stg_movies) x;
CREATE TABLE staging.bridge_genre_names AS
  SELECT movie_id, trim(g) AS genre_name FROM staging.stg_movies,
  unnest(string_to_array(genre, ',')) g;
CREATE TABLE staging.bridge_actor_names AS
  SELECT movie_id, trim(a) AS actor_name FROM staging.stg_movies,
  unnest(string_to_array(stars, ',')) a;
CREATE TABLE core.dim_genres AS
  SELECT row_number() OVER () AS genre_key, genre_name
  FROM (SELECT DISTINCT genre_name FROM staging.bridge_genre_names) x;
CREATE TABLE core.dim_actors AS
  SELECT row_number() OVER () AS actor_key, actor_name
  FROM (SELECT DISTINCT actor_name FROM staging.bridge_actor_names) x;
CREATE TABLE staging.fact_names AS SELECT movie_id, director, votes, gross_millions FROM staging.stg_movies;
"""


def floor(csv, url):
    eng = sa.create_engine(url)
    t = t0 = time.perf_counter()
    with eng.begin() as c:
        c.exec_driver_sql(SCHEMAS)
        c.exec_driver_sql("""CREATE UNLOGGED TABLE staging.stg_movies (movie_id text, title text,
            year int, certificate text, runtime_minutes int, genre text, rating numeric,
            metascore numeric, description text, director text, stars text, votes bigint,
            gross_millions numeric)""")
    raw = eng.raw_connection()
    try:
        with open(csv, "rb") as f, raw.cursor() as cur:
            cur.copy_expert("COPY staging.stg_movies FROM STDIN WITH (FORMAT csv, HEADER true)", f)
        raw.commit()
    finally:
        raw.close()
    t = phase("extract+load (COPY)", t)
    with eng.begin() as c:
        c.exec_driver_sql(FLOOR_SQL)
    t = phase("dims+bridge names (SQL)", t)
    with eng.begin() as c:
        c.exec_driver_sql(CORE_FROM_NAMES)
    t = phase("fact+bridges (SQL joins)", t)
    with eng.begin() as c:
        c.exec_driver_sql(AGGS)
    t = phase("aggregates (SQL)", t)
    phase("TOTAL", t0)


if __name__ == "__main__":
    {"original": original, "floor": floor}[sys.argv[1]](sys.argv[2], sys.argv[3])
