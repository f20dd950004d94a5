"""After a run that did not succeed, or that a blocking check stopped, `imdb-pipeline
materialize` exits non-zero and says what the run committed and what it left as it was, table
by table and day by day."""

import os
import subprocess

import psycopg2

from imdb_pipeline.cli import BLOCKED_EXIT_CODE
from imdb_pipeline_tests.blocked_day import broken_export
from imdb_pipeline_tests.conftest import SAMPLE, query

DAY = "2024-06-01"


def _cli_environment(warehouse_url: str, home) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("IMDB_") and name != "DAGSTER_HOME"}  # fmt: skip
    environment.update(IMDB_PIPELINE_HOME=str(home), IMDB_WAREHOUSE_URL=warehouse_url,
                       IMDB_SOURCE_URI=str(SAMPLE))  # fmt: skip
    return environment


def test_a_failed_run_lists_what_it_committed_and_what_it_left_unchanged(warehouse_url, tmp_path):
    # The server refuses to create dim_genres (a DBA's event trigger): the dimensions step
    # fails after the other three dimensions have committed.
    connection = psycopg2.connect(warehouse_url)
    with connection, connection.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION no_genres() RETURNS event_trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT FROM pg_event_trigger_ddl_commands()
                           WHERE object_identity = 'core.dim_genres') THEN
                    RAISE EXCEPTION 'no genres here' USING ERRCODE = 'check_violation';
                END IF;
            END $$;
            CREATE EVENT TRIGGER no_genres ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
                EXECUTE FUNCTION no_genres()""")
    connection.close()

    completed = subprocess.run(
        ["imdb-pipeline", "materialize", "--partition", DAY], capture_output=True, text=True,
        env=_cli_environment(warehouse_url, tmp_path / "home"), timeout=240, check=False,
    )  # fmt: skip

    assert completed.returncode != 0
    report = completed.stderr[completed.stderr.index("The run "):]
    assert "did not finish: step build_dimensions failed." in report
    assert (f"Committed by this run:\n  raw.raw_imdb_movies  (day {DAY})\n"
            f"  staging.stg_movies  (day {DAY})\n  staging.stg_movies_rejects  (day {DAY})\n") in report  # fmt: skip
    committed = report.split("Unchanged")[0]
    assert {"core.dim_actors", "core.dim_movies", "core.dim_directors"} <= set(committed.split())
    unchanged = report.split("Unchanged, as before the run: ")[1].split(", ")
    assert {"core.dim_genres", "core.fact_movie_performance", "analytics.agg_top_movies"} <= {
        name.strip() for name in unchanged
    }
    assert "previous tables" not in completed.stderr
    # What it says is what the warehouse holds.
    assert query(warehouse_url, "SELECT to_regclass('core.dim_genres'), "
                 "to_regclass('core.fact_movie_performance')") == [(None, None)]  # fmt: skip


def test_a_blocked_run_exits_non_zero_and_lists_the_tables_it_kept(warehouse_url, tmp_path):
    environment = _cli_environment(warehouse_url, tmp_path / "home")
    environment["IMDB_SOURCE_URI"] = str(broken_export(tmp_path))

    completed = subprocess.run(
        ["imdb-pipeline", "materialize", "--partition", DAY], capture_output=True, text=True,
        env=environment, timeout=240, check=False,
    )  # fmt: skip

    assert completed.returncode == BLOCKED_EXIT_CODE, completed.stderr[-3000:]
    report = completed.stderr[completed.stderr.index("The run "):]
    assert ("was blocked: the blocking check staging/stg_movies/reject_rate_below_ceiling "
            "failed; the tables after it were not rebuilt.") in report  # fmt: skip
    assert f"  staging.stg_movies  (day {DAY})" in report
    kept = report.split("Unchanged, as before the run: ")[1]
    unchanged = {name.strip() for name in kept.split(", ")}
    assert {"core.dim_movies", "core.fact_movie_performance", "analytics.agg_top_movies",
            "analytics.analytics_dashboard"} <= unchanged  # fmt: skip
    assert "The warehouse is loaded" not in completed.stdout
    assert query(warehouse_url, "SELECT to_regclass('core.dim_movies')") == [(None,)]
