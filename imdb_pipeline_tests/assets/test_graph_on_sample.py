"""The whole graph on the bundled sample, against a real PostgreSQL."""

import dagster as dg
import psycopg2
import pytest

from imdb_pipeline_tests.conftest import query
from imdb_pipeline_tests.warehouse_state import (
    failure_messages,
    materialize_all,
    table_fingerprints,
)

# Counted from imdb_pipeline/data/imdb_movies.csv: 56 rows, 2 rejected (rating 12.5 on line 21,
# movie_id tt12ab34 on line 37), 1 repeated movie_id, so 53 movies. The last 6 rows are in
# real-world forms (CBFC, BBFC and age certificates, 67.0 for 67, "93 min", NA, spaces, "TT"):
# they add 6 directors, 19 actors, 14 genre links, 21 actor links, 11 genre-years, 3 years.
EXPECTED_ROW_COUNTS = {
    "staging.stg_movies": 53,
    "staging.stg_movies_rejects": 2,
    "core.dim_movies": 53,
    "core.dim_directors": 36,
    "core.dim_genres": 18,
    "core.dim_actors": 188,
    "core.bridge_movie_genre": 124,
    "core.bridge_movie_actor": 208,
    "core.fact_movie_performance": 53,
    "analytics.agg_director_stats": 36,
    "analytics.agg_genre_trends": 106,
    "analytics.agg_yearly_revenue": 34,
    "analytics.agg_top_movies": 51,
}

KEYS = {
    "core.dim_movies": ["movie_key", "movie_id"],
    "core.dim_directors": ["director_key", "director_name"],
    "core.dim_genres": ["genre_key", "genre_name"],
    "core.dim_actors": ["actor_key", "actor_name"],
}

FOREIGN_KEYS = [
    ("core.fact_movie_performance", "movie_key", "core.dim_movies"),
    ("core.fact_movie_performance", "director_key", "core.dim_directors"),
    ("core.bridge_movie_genre", "movie_key", "core.dim_movies"),
    ("core.bridge_movie_genre", "genre_key", "core.dim_genres"),
    ("core.bridge_movie_actor", "movie_key", "core.dim_movies"),
    ("core.bridge_movie_actor", "actor_key", "core.dim_actors"),
    ("analytics.agg_director_stats", "director_key", "core.dim_directors"),
]


@pytest.fixture
def loaded_sample(warehouse_url, sample_source) -> str:
    materialize_all()
    return warehouse_url


@pytest.mark.every_server
def test_every_data_quality_check_passes_on_the_sample(warehouse_url, sample_source):
    result = materialize_all(with_checks=True)
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) >= 40
    assert [
        (e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed
    ] == []


def test_every_table_has_the_expected_rows(loaded_sample):
    counts = {table: count for table, (count, _) in table_fingerprints(loaded_sample).items()}
    assert counts == EXPECTED_ROW_COUNTS


def test_keys_are_unique_and_every_foreign_key_resolves(loaded_sample):
    for table, columns in KEYS.items():
        for column in columns:
            assert query(
                loaded_sample, f"SELECT count(*) - count(DISTINCT {column}) FROM {table}"
            ) == [(0,)], f"{table}.{column} repeats"
    for table, column, dimension in FOREIGN_KEYS:
        assert query(
            loaded_sample,
            f"SELECT count(*) FROM {table} t LEFT JOIN {dimension} d USING ({column}) "
            f"WHERE d.{column} IS NULL",
        ) == [(0,)], f"{table}.{column} has keys missing from {dimension}"


def test_rejects_name_the_line_and_the_reason(loaded_sample):
    assert query(
        loaded_sample, "SELECT source_line, movie_id, reason FROM staging.stg_movies_rejects"
    ) == [
        (21, "tt0086879", "rating '12.5' is outside 0..10"),
        (37, "tt12ab34", "movie_id 'tt12ab34' does not match ^tt\\d+$"),
    ]


def test_unknown_values_stay_null(loaded_sample):
    assert query(
        loaded_sample,
        "SELECT count(*) FILTER (WHERE metascore IS NULL), "
        "count(*) FILTER (WHERE gross_millions IS NULL), "
        "count(*) FILTER (WHERE gross_millions = 0 OR metascore = 0) "
        "FROM core.fact_movie_performance",
    ) == [(8, 8, 0)]
    # No movie of 1957 has a known gross: the total is unknown, not zero.
    assert query(
        loaded_sample,
        "SELECT total_movies, movies_with_gross, total_gross_millions, avg_gross_millions "
        "FROM analytics.agg_yearly_revenue WHERE year = 1957",
    ) == [(2, 0, None, None)]


def test_hand_computed_aggregates(loaded_sample):
    # Nolan: ratings 9.0, 8.8, 8.7 and 8.4 average 8.725, rounded half up like numeric ROUND.
    assert query(
        loaded_sample,
        "SELECT total_movies, avg_rating, avg_metascore, total_votes, total_gross_millions, "
        "first_year, last_year, best_movie_title FROM analytics.agg_director_stats "
        "WHERE director_name = 'Christopher Nolan'",
    ) == [(4, 8.73, 78.75, 8639340, 1041.0, 2000, 2014, "The Dark Knight")]
    # Hitchcock: metascores 100 and 97; only Psycho has a known gross.
    assert query(
        loaded_sample,
        "SELECT avg_metascore, total_gross_millions, movies_with_gross "
        "FROM analytics.agg_director_stats WHERE director_name = 'Alfred Hitchcock'",
    ) == [(98.5, 32.0, 1)]
    # 1995 grossed 191.80 against 466.52 in 1994: (191.80 - 466.52) / 466.52 = -58.89 %.
    assert query(
        loaded_sample,
        "SELECT year, total_gross_millions, yoy_growth_pct FROM analytics.agg_yearly_revenue "
        "WHERE year IN (1994, 1995) ORDER BY year",
    ) == [(1994, 466.52, None), (1995, 191.8, -58.89)]
    # 2017 has 3 movies, 2 of them dramas: 66.67 % of that year.
    assert query(
        loaded_sample,
        "SELECT total_movies, share_of_year_pct FROM analytics.agg_genre_trends "
        "WHERE genre_name = 'Drama' AND year = 2017",
    ) == [(2, 66.67)]


def test_top_movies_are_ranked_without_gaps(loaded_sample):
    rows = query(loaded_sample, "SELECT rank, title, votes FROM analytics.agg_top_movies ORDER BY rank")
    assert [rank for rank, _, _ in rows] == list(range(1, len(rows) + 1))
    assert rows[0][1] == "The Shawshank Redemption"
    assert min(votes for _, _, votes in rows) >= 25_000


def test_text_survives_with_accents_apostrophes_commas_and_quotes(loaded_sample):
    names = {row[0] for row in query(loaded_sample, "SELECT actor_name FROM core.dim_actors")}
    assert {"Penélope Cruz", "Lupita Nyong'o"} <= names
    assert query(
        loaded_sample, "SELECT count(*) FROM core.dim_movies WHERE title LIKE '%,%\"%'"
    ) == [(1,)]


def test_real_world_forms_in_the_sample_are_normalised_and_classified(loaded_sample):
    assert query(
        loaded_sample,
        "SELECT movie_id, title, year, certificate, certificate_system, runtime_minutes "
        "FROM core.dim_movies WHERE movie_id IN ('tt0986264', 'tt0117951', 'tt0364569', "
        "'tt0425112', 'tt1187043') ORDER BY movie_id",
    ) == [
        ("tt0117951", "Trainspotting", 1996, "18", "BBFC", 93),
        ("tt0364569", "Oldboy", 2003, "18+", "Other", 120),
        ("tt0425112", "Hot Fuzz", 2007, "15", "BBFC", 121),
        ("tt0986264", "Taare Zameen Par", 2007, "U", "CBFC", 165),
        ("tt1187043", "3 Idiots", 2009, "UA", "CBFC", 170),
    ]
    assert query(
        loaded_sample,
        "SELECT m.movie_id, f.metascore, f.votes FROM core.fact_movie_performance f JOIN "
        "core.dim_movies m USING (movie_key) WHERE m.movie_id IN ('tt1187043', 'tt0986264') "
        "ORDER BY 1",
    ) == [("tt0986264", None, 200000), ("tt1187043", 67, 422000)]


def test_materializing_twice_changes_nothing(loaded_sample):
    first = table_fingerprints(loaded_sample)
    materialize_all()
    assert table_fingerprints(loaded_sample) == first


ANALYTICS = ["agg_director_stats", "agg_genre_trends", "agg_yearly_revenue", "agg_top_movies"]


def test_analytics_are_put_in_place_all_together_or_not_at_all(loaded_sample):
    # A BI view on one analytics table stops its replacement, and with it that of the other
    # three, although they were built (on another connection too) before the swap failed.
    def table_ids(schema="analytics"):
        return query(loaded_sample, "SELECT relname, oid FROM pg_class WHERE relnamespace = "
                     f"'{schema}'::regnamespace AND relkind IN ('r', 'p') ORDER BY 1")  # fmt: skip

    before, staging_before = table_ids(), table_ids("staging")
    # The latest day's movies are kept in a scratch table while the four are built: dropped.
    assert not [name for name, _ in staging_before if "scratch" in name]
    connection = psycopg2.connect(loaded_sample)
    with connection, connection.cursor() as cursor:
        cursor.execute("CREATE VIEW analytics.top_10 AS SELECT * FROM analytics.agg_top_movies "
                       "WHERE rank <= 10")  # fmt: skip
    connection.close()

    result = materialize_all(
        raise_on_error=False, day=None,
        selection=dg.AssetSelection.assets(*[["analytics", t] for t in ANALYTICS]),
    )

    assert not result.success
    assert "view analytics.top_10 depends on table analytics.agg_top_movies" in failure_messages(result)
    assert table_ids() == before  # same four tables, no building table left behind
    assert table_ids("staging") == staging_before  # nor the scratch table
    assert [name for name, _ in before] == sorted(ANALYTICS)


def test_tables_a_killed_analytics_run_left_behind_are_dropped_by_the_next_one(loaded_sample):
    # What a process killed in the middle of the analytics step leaves: its scratch table and a
    # table built but not put in place, named after an owner whose connection is gone.
    connection = psycopg2.connect(loaded_sample)
    with connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE staging.latest_movies__scratch_dead0003 AS SELECT 1 AS id")
        cursor.execute("CREATE TABLE analytics.agg_top_movies__building_dead0003 AS "
                       "SELECT * FROM analytics.agg_top_movies")  # fmt: skip
    connection.close()

    materialize_all(day=None, selection=dg.AssetSelection.assets(*[["analytics", t] for t in ANALYTICS]))

    leftovers = query(loaded_sample, "SELECT relname FROM pg_class WHERE relname LIKE '%dead0003'")
    assert leftovers == []


def test_a_key_that_does_not_resolve_fails_the_day_at_once_naming_the_rows(loaded_sample):
    before = table_fingerprints(loaded_sample)
    connection = psycopg2.connect(loaded_sample)
    with connection, connection.cursor() as cursor:
        cursor.execute("DELETE FROM core.dim_actors WHERE actor_name = 'Penélope Cruz'")
    connection.close()

    result = materialize_all(
        raise_on_error=False,
        selection=dg.AssetSelection.assets(["core", "bridge_movie_actor"], ["core", "fact_movie_performance"]),
    )

    assert not result.success
    assert "found no row in the actor dimension, e.g. actor_name Penélope Cruz" in failure_messages(result)
    assert not [event for event in result.all_events if event.event_type_value == "STEP_UP_FOR_RETRY"]
    after = table_fingerprints(loaded_sample)
    assert after.pop("core.dim_actors") != before.pop("core.dim_actors")
    assert after == before  # the day's bridge and fact kept as they were
