"""The benchmark keeps working (a few hundred rows; no timing is asserted)."""

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).parents[1]


def test_benchmark_runs_end_to_end_on_a_small_source():
    completed = subprocess.run(
        [sys.executable, "bench/run.py", "--rows", "500", "--floor"],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "rows                          500" in completed.stdout
    for line in ("stage_movies", "build_analytics", "analytics/agg_top_movies", "total wall seconds",
                 "peak memory", "speed-up", "set-based SQL only"):
        assert line in completed.stdout


def test_benchmark_runs_two_days_of_imdb_datasets():
    completed = subprocess.run(
        [sys.executable, "bench/run.py", "--layout", "imdb-datasets", "--titles", "10000",
         "--days", "2"],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "titles                     10,000" in completed.stdout
    assert completed.stdout.count("total wall seconds") == 2
    for line in ("raw__raw_imdb_movies", "stage_movies", "core/dim_movies", "titles per second"):
        assert line in completed.stdout
