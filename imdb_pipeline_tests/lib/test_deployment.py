"""Where the source is and which PostgreSQL is the warehouse, from an environ mapping."""

import datetime as dt
from pathlib import Path

import pytest

from imdb_pipeline.deployment import (
    BUNDLED_SAMPLE,
    EmbeddedWarehouse,
    ExternalWarehouse,
    partitions_start_date,
    record_day_processed,
    pipeline_home,
    source_uri,
    warehouse_target,
)

HOME = "/srv/imdb"
DAY = dt.date(2024, 3, 2)


def test_embedded_target_defaults_to_port_54329_under_the_home():
    target = warehouse_target({"IMDB_PIPELINE_HOME": HOME})
    assert target == EmbeddedWarehouse(home=Path(HOME), port=54329)


def test_embedded_target_with_custom_port():
    target = warehouse_target({"IMDB_PIPELINE_HOME": HOME, "IMDB_EMBEDDED_PG_PORT": "6543"})
    assert target == EmbeddedWarehouse(home=Path(HOME), port=6543)


@pytest.mark.parametrize("port", ["1", "65535"])
def test_port_range_bounds_are_accepted(port):
    assert warehouse_target({"IMDB_EMBEDDED_PG_PORT": port}).port == int(port)


@pytest.mark.parametrize("port", ["0", "65536", "-1", "abc", " 5432", "54.3", "\u0663"])
def test_invalid_port_is_rejected(port):
    with pytest.raises(ValueError) as error:
        warehouse_target({"IMDB_EMBEDDED_PG_PORT": port})
    assert str(error.value) == f"IMDB_EMBEDDED_PG_PORT={port!r} is not a TCP port (1-65535)"


def test_empty_port_falls_back_to_the_default():
    assert warehouse_target({"IMDB_EMBEDDED_PG_PORT": ""}).port == 54329


def test_warehouse_url_wins_over_embedded_settings_and_is_normalised():
    target = warehouse_target(
        {"IMDB_WAREHOUSE_URL": "postgres://u:p@db:5432/imdb", "IMDB_EMBEDDED_PG_PORT": "abc"}
    )
    assert target == ExternalWarehouse(url="postgresql://u:p@db:5432/imdb")


def test_invalid_warehouse_url_is_rejected():
    with pytest.raises(ValueError, match="Not a PostgreSQL URL"):
        warehouse_target({"IMDB_WAREHOUSE_URL": "mysql://u:p@db/imdb"})


def test_pipeline_home_expands_the_user_folder():
    expected = (Path.home() / "imdb_state").resolve()
    assert pipeline_home({"IMDB_PIPELINE_HOME": "~/imdb_state"}) == expected


@pytest.mark.parametrize("environ", [{}, {"IMDB_PIPELINE_HOME": ""}])
def test_pipeline_home_defaults_to_dot_imdb_pipeline(environ):
    assert pipeline_home(environ) == Path.home().resolve() / ".imdb_pipeline"


def test_relative_pipeline_home_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert pipeline_home({"IMDB_PIPELINE_HOME": "state"}) == tmp_path.resolve() / "state"


@pytest.mark.parametrize("environ", [{}, {"IMDB_SOURCE_URI": ""}])
def test_default_source_is_the_bundled_sample(environ):
    assert source_uri(DAY, environ) == str(BUNDLED_SAMPLE)
    assert BUNDLED_SAMPLE.name == "imdb_movies.csv"
    assert BUNDLED_SAMPLE.is_file()


def test_source_uri_from_the_environment():
    environ = {"IMDB_SOURCE_URI": "s3://bucket/movies.csv"}
    assert source_uri(DAY, environ) == "s3://bucket/movies.csv"


def test_source_uri_date_placeholder_names_the_days_file():
    environ = {"IMDB_SOURCE_URI": "s3://bucket/exports/{date}/imdb_movies_{date}.csv.gz"}
    assert source_uri(DAY, environ) == (
        "s3://bucket/exports/2024-03-02/imdb_movies_2024-03-02.csv.gz"
    )


def test_partitions_start_date_default_and_override(tmp_path):
    home = {"IMDB_PIPELINE_HOME": str(tmp_path)}
    assert partitions_start_date(home) == "2024-01-01"
    assert partitions_start_date({**home, "IMDB_PARTITIONS_START_DATE": "2020-02-29"}) == "2020-02-29"


def test_partitions_start_at_the_earliest_day_processed_unless_set(tmp_path):
    home = {"IMDB_PIPELINE_HOME": str(tmp_path / "home")}
    record_day_processed(tmp_path / "home", "2026-12-06")
    assert partitions_start_date(home) == "2026-12-06"
    record_day_processed(tmp_path / "home", "2026-12-07")  # a later day: the start stays
    assert partitions_start_date(home) == "2026-12-06"
    record_day_processed(tmp_path / "home", "2026-11-30")  # an earlier day moves it back
    assert partitions_start_date(home) == "2026-11-30"
    assert partitions_start_date({**home, "IMDB_PARTITIONS_START_DATE": "2025-01-01"}) == "2025-01-01"


@pytest.mark.parametrize("value", ["2024-02-30", "01/02/2024", "yesterday"])
def test_partitions_start_date_must_be_a_date(value):
    with pytest.raises(ValueError, match="IMDB_PARTITIONS_START_DATE"):
        partitions_start_date({"IMDB_PARTITIONS_START_DATE": value})
