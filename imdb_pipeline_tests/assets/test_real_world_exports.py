"""Exports as users make them load completely; a value no table could store is a reject with
its reason, and never fails a day."""

import dagster as dg
import psycopg2

from imdb_pipeline.constants import ENV_SOURCE_URI
from imdb_pipeline.lib.column_rules import NUL_SHOWN
from imdb_pipeline_tests.assets.test_graph_on_sample import EXPECTED_ROW_COUNTS
from imdb_pipeline_tests.conftest import SAMPLE, query
from imdb_pipeline_tests.lib.test_staging import line
from imdb_pipeline_tests.real_world_exports import pandas_export
from imdb_pipeline_tests.warehouse_state import DAY, failure_messages, materialize_all

SAMPLE_MOVIES = EXPECTED_ROW_COUNTS["core.fact_movie_performance"]
SAMPLE_LINES = len(SAMPLE.read_text(encoding="utf-8").splitlines())  # the header included


def test_a_1000_row_pandas_export_with_certificates_of_many_countries_loads_completely(
    warehouse_url, tmp_path, monkeypatch
):
    export = pandas_export(1000)
    source = tmp_path / "imdb_movies.csv"
    export.to_csv(source, index=False)
    text = source.read_text(encoding="utf-8")
    assert ".0," in text and "UA 13+" in text and "12A" in text
    monkeypatch.setenv(ENV_SOURCE_URI, str(source))

    result = materialize_all(with_checks=True)

    failed = [(e.asset_key.to_user_string(), e.check_name, e.severity.value)
              for e in result.get_asset_check_evaluations() if not e.passed]  # fmt: skip
    assert [check for check in failed if check[2] == "ERROR"] == []
    counts = query(warehouse_url, """
        SELECT (SELECT count(*) FROM staging.stg_movies),
               (SELECT count(*) FROM staging.stg_movies_rejects),
               (SELECT count(*) FROM core.dim_movies),
               (SELECT count(*) FROM core.fact_movie_performance),
               (SELECT sum(total_movies) FROM analytics.agg_yearly_revenue),
               (SELECT sum(total_movies) FROM analytics.agg_director_stats)""")  # fmt: skip
    assert counts == [(1000, 0, 1000, 1000, 1000, 1000)]
    # Blank metascores are unknown, never 0; the others are the integers pandas wrote as 78.0.
    assert query(warehouse_url, "SELECT count(*) FILTER (WHERE metascore IS NULL), "
                 "sum(metascore) FROM core.fact_movie_performance") == [
        (int(export["metascore"].isna().sum()), int(export["metascore"].sum()))
    ]  # fmt: skip
    systems = dict(query(warehouse_url, "SELECT coalesce(certificate_system, '-'), count(*) "
                         "FROM core.dim_movies GROUP BY 1"))  # fmt: skip
    assert {"CBFC", "BBFC", "MPAA", "Other"} <= set(systems)
    assert systems.get("-", 0) == export["certificate"].isna().sum()


# A movie per fault, each a value that would make a later step fail or flood the tables.
FAULTS = [
    ("tt9000001", {"title": "Nul\x00Title"}, "title holds a NUL byte"),
    ("tt9000002", {"movie_id": "tt" + "9" * 8000}, "movie_id has 8,002 characters"),
    ("tt9000003", {"director": "D" * 8000}, "director has 8,000 characters"),
    ("tt9000004", {"stars": "Ann Actor, " + "S" * 8000}, "stars has an item of 8,000 characters"),
    ("tt9000005", {"stars": ", ".join(f"Extra {n}" for n in range(40_000))},
     "stars lists 40,000 items"),
]  # fmt: skip
def test_one_row_faults_are_rejects_the_rest_of_the_day_loads_and_so_does_the_next_day(
    warehouse_url, tmp_path, monkeypatch
):
    faulty = tmp_path / "faulty.csv"
    faulty.write_text(SAMPLE.read_text(encoding="utf-8")
                      + "".join(line(**{"movie_id": movie_id, **changes}) + "\n"
                                for movie_id, changes, _ in FAULTS),
                      encoding="utf-8")  # fmt: skip
    monkeypatch.setenv(ENV_SOURCE_URI, str(faulty))

    first = materialize_all()

    assert first.success
    assert not [e for e in first.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    rejects = query(warehouse_url, "SELECT source_line, reason, record FROM "
                    "staging.stg_movies_rejects WHERE source_line > %s ORDER BY 1",
                    (SAMPLE_LINES,))  # fmt: skip
    assert [(line, reason.startswith(expected)) for (line, reason, _), (_, _, expected)
            in zip(rejects, FAULTS, strict=True)] == [(SAMPLE_LINES + 1 + n, True)
                                                       for n in range(len(FAULTS))]
    assert f"Nul{NUL_SHOWN}Title" in rejects[0][2]
    assert query(warehouse_url, "SELECT count(*) FROM core.fact_movie_performance") == [
        (SAMPLE_MOVIES,)
    ]

    monkeypatch.setenv(ENV_SOURCE_URI, str(SAMPLE))
    assert materialize_all(day="2024-06-02").success
    assert query(warehouse_url, "SELECT snapshot_date::text, count(*) FROM "
                 "core.fact_movie_performance GROUP BY 1 ORDER BY 1") == [
        (DAY, SAMPLE_MOVIES), ("2024-06-02", SAMPLE_MOVIES)
    ]  # fmt: skip


def test_a_value_postgresql_refuses_fails_the_step_at_once_naming_the_table(
    warehouse_url, sample_source
):
    # A day staged before staging refused over-long names: dim_directors cannot index it.
    materialize_all(selection=dg.AssetSelection.groups("raw", "staging"))
    connection = psycopg2.connect(warehouse_url)
    with connection, connection.cursor() as cursor:
        # 8,000 characters that do not compress (an index compresses a value first).
        cursor.execute("UPDATE staging.stg_movies SET director = (SELECT string_agg(md5(g::text), "
                       "'') FROM generate_series(1, 250) g) WHERE movie_id = 'tt0111161'")  # fmt: skip
    connection.close()

    result = materialize_all(raise_on_error=False, day=None,
                             selection=dg.AssetSelection.assets(["core", "dim_directors"]))  # fmt: skip

    assert not result.success
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    message = failure_messages(result)
    assert "Building core/dim_directors: PostgreSQL refused the data: index row" in message
    assert "stage those days again" in message


def test_a_value_postgresql_refuses_at_staging_names_the_file_line_and_column(
    warehouse_url, sample_source
):
    # A rule of the server's that the contract does not know: a DBA's event trigger gives every
    # new staging table a director of at most 16 characters.
    connection = psycopg2.connect(warehouse_url)
    with connection, connection.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION short_directors() RETURNS event_trigger LANGUAGE plpgsql AS $$
            DECLARE created record;
            BEGIN
                FOR created IN SELECT object_identity FROM pg_event_trigger_ddl_commands()
                    WHERE object_identity LIKE 'staging.stg\\_movies\\_\\_building%' LOOP
                    EXECUTE format('ALTER TABLE %s ALTER COLUMN director TYPE varchar(16)',
                                   created.object_identity);
                END LOOP;
            END $$;
            CREATE EVENT TRIGGER short_directors ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
                EXECUTE FUNCTION short_directors()""")
    connection.close()

    result = materialize_all(raise_on_error=False,
                             selection=dg.AssetSelection.groups("raw", "staging"))  # fmt: skip

    assert not result.success
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    # Line 3 holds the first director longer than 16 characters, Francis Ford Coppola.
    assert (f"{SAMPLE}, line 3, column director: PostgreSQL refused a value: value too long "
            "for type character varying(16)") in failure_messages(result)  # fmt: skip
    assert query(warehouse_url, "SELECT to_regclass('staging.stg_movies_p20240601')") == [(None,)]
