"""The README's first command, as a newcomer runs it: `imdb-pipeline materialize` with nothing
configured but a pipeline home, starting its own embedded PostgreSQL on a chosen port."""

import datetime as dt
import os
import subprocess

import dagster as dg

from imdb_pipeline.deployment import partitions_start_date
from imdb_pipeline.resources import embedded_postgres
from imdb_pipeline_tests.conftest import embedded_server_home, free_port, query

TODAY = dt.datetime.now(dt.UTC).date().isoformat()


def test_materialize_command_loads_the_sample_and_prints_how_to_connect():
    port = free_port()
    with embedded_server_home() as home:
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("IMDB_") and name != "DAGSTER_HOME"
        }
        environment.update(IMDB_PIPELINE_HOME=str(home), IMDB_EMBEDDED_PG_PORT=str(port))

        completed = subprocess.run(
            ["imdb-pipeline", "materialize"], env=environment, capture_output=True, text=True,
            timeout=240, check=False,
        )  # fmt: skip

        assert completed.returncode == 0, completed.stderr[-3000:]
        url = f"postgresql://postgres@127.0.0.1:{port}/imdb_warehouse"
        assert f"psql {url}" in completed.stdout
        assert "imdb-pipeline ui" in completed.stdout
        assert query(url, "SELECT count(*) FROM analytics.agg_top_movies") == [(51,)]
        assert "then browse http://127.0.0.1:3000" in completed.stdout
        # ... and where the day's dashboard page is.
        page = home / "dashboards" / "analytics_dashboard" / f"{TODAY}.html"
        assert f"analytics dashboard (one HTML page, works offline):\n  {page.as_uri()}" in (
            completed.stdout
        )
        assert page.read_text().startswith("<!DOCTYPE html>")
        # The run is the scheduled job's, recorded in a persistent Dagster instance under the
        # pipeline home: the UI lists it under imdb_movies_etl.
        with dg.DagsterInstance.from_config(str(home / "dagster_home")) as instance:
            [run] = instance.get_runs()
            assert (run.job_name, run.tags["dagster/partition"]) == ("imdb_movies_etl", TODAY)
        # The daily partitions start at the day loaded: the UI shows one partition, filled,
        # not two years of empty days.
        assert partitions_start_date({"IMDB_PIPELINE_HOME": str(home)}) == TODAY
        # A steward re-runs the checks on what was loaded, without loading anything.
        validated = subprocess.run(
            ["imdb-pipeline", "validate"], env=environment, capture_output=True, text=True,
            timeout=240, check=False,
        )  # fmt: skip
        assert validated.returncode == 0, validated.stderr[-3000:]
        assert "RUN_SUCCESS" in validated.stdout + validated.stderr
        # The server outlives the command, for psql, BI tools and the UI.
        assert embedded_postgres.stop(home)
