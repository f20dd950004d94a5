"""Decides, from the environment, where the source is and which PostgreSQL is the warehouse.

This is the only place that reads the pipeline's environment variables. It is called when a
resource is used, never at import time, so importing the code location has no side effects.
"""

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from imdb_pipeline.constants import (
    DATA_DOCS_SITE,
    DATE_PLACEHOLDER,
    DEFAULT_DATA_DOCS_URL,
    DEFAULT_EMBEDDED_PG_PORT,
    DEFAULT_PARTITIONS_START_DATE,
    DEFAULT_PIPELINE_HOME,
    DEFAULT_POKE_INTERVAL_SECONDS,
    DEFAULT_S3_MAX_ATTEMPTS,
    DEFAULT_SCHEDULE_TIMEZONE,
    DEFAULT_SENSOR_TIMEOUT_SECONDS,
    EMBEDDED_DATABASE,
    ENV_DASHBOARD_STORE_URI,
    ENV_DATA_DOCS_URL,
    ENV_EMBEDDED_PG_PORT,
    ENV_PARTITIONS_START_DATE,
    ENV_PIPELINE_HOME,
    ENV_RAW_STORE_URI,
    ENV_S3_ENDPOINT_URL,
    ENV_S3_MAX_ATTEMPTS,
    ENV_SCHEDULE_TIMEZONE,
    ENV_SENSOR_POKE_INTERVAL,
    ENV_SENSOR_SOFT_FAIL,
    ENV_SENSOR_TIMEOUT,
    ENV_SOURCE_LAYOUT,
    ENV_SOURCE_URI,
    ENV_WAREHOUSE_URL,
    LAYOUTS,
)
from imdb_pipeline.lib.postgres_url import libpq_url

BUNDLED_SAMPLE = Path(__file__).parent / "data" / "imdb_movies.csv"
# Under the pipeline home: the earliest day `imdb-pipeline materialize` processed.
FIRST_DAY_FILE = "first_day_processed"


@dataclass(frozen=True)
class ExternalWarehouse:
    """A PostgreSQL server the user runs, reached by URL."""

    url: str


@dataclass(frozen=True)
class EmbeddedWarehouse:
    """The embedded PostgreSQL kept under the pipeline home, listening on 127.0.0.1:port."""

    home: Path
    port: int


def pipeline_home(environ: Mapping[str, str] = os.environ) -> Path:
    """Folder for the pipeline's local state (embedded server, raw store, Dagster home)."""
    return Path(environ.get(ENV_PIPELINE_HOME) or DEFAULT_PIPELINE_HOME).expanduser().resolve()


def source_uri(snapshot_date: dt.date, environ: Mapping[str, str] = os.environ) -> str:
    """Where the day's source CSV is read from; the bundled sample when unset.

    A `{date}` in IMDB_SOURCE_URI is replaced by the day (YYYY-MM-DD), so each day reads its own
    export; without it every day reads the same location (the latest export).
    """
    return (environ.get(ENV_SOURCE_URI) or str(BUNDLED_SAMPLE)).replace(
        DATE_PLACEHOLDER, snapshot_date.isoformat()
    )


def source_layout(environ: Mapping[str, str] = os.environ) -> str | None:
    """The source layout IMDB_SOURCE_LAYOUT sets (`csv` or `imdb-datasets`); None when unset
    (or `auto`), and the layout is then recognised from the source's file names."""
    value = (environ.get(ENV_SOURCE_LAYOUT) or "auto").strip().lower()
    if value == "auto":
        return None
    if value not in LAYOUTS:
        raise ValueError(f"{ENV_SOURCE_LAYOUT}={value!r} is not one of auto, {', '.join(LAYOUTS)}")
    return value


def partitions_start_date(environ: Mapping[str, str] = os.environ) -> str:
    """First day of the daily snapshots (YYYY-MM-DD): IMDB_PARTITIONS_START_DATE when set; else
    the earliest day `imdb-pipeline materialize` processed with this pipeline home (so a new
    user's UI counts the days they loaded, not two years of empty days); else 2024-01-01.

    Read when the code location is loaded, because partitions are part of the asset graph's
    shape: the one setting that cannot wait until a run.
    """
    value = (environ.get(ENV_PARTITIONS_START_DATE)
             or first_day_processed(pipeline_home(environ))
             or DEFAULT_PARTITIONS_START_DATE)  # fmt: skip
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{ENV_PARTITIONS_START_DATE}={value!r} is not a date (YYYY-MM-DD)") from None
    return value


def first_day_processed(home: Path) -> str | None:
    """The earliest day recorded by `record_day_processed` under `home`; None before any."""
    try:
        return (home / FIRST_DAY_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


def record_day_processed(home: Path, day: str) -> None:
    """Make `day` a partition: the partitions start at the earliest day processed."""
    first = first_day_processed(home)
    if first is None or day < first:
        home.mkdir(parents=True, exist_ok=True)
        (home / FIRST_DAY_FILE).write_text(f"{day}\n")


def warehouse_target(
    environ: Mapping[str, str] = os.environ,
) -> ExternalWarehouse | EmbeddedWarehouse:
    """The warehouse: `IMDB_WAREHOUSE_URL` when set, else the embedded server."""
    url = environ.get(ENV_WAREHOUSE_URL)
    if url:
        return ExternalWarehouse(url=libpq_url(url))
    raw_port = environ.get(ENV_EMBEDDED_PG_PORT) or str(DEFAULT_EMBEDDED_PG_PORT)
    if not (raw_port.isascii() and raw_port.isdigit()) or not 1 <= int(raw_port) <= 65535:
        raise ValueError(f"{ENV_EMBEDDED_PG_PORT}={raw_port!r} is not a TCP port (1-65535)")
    return EmbeddedWarehouse(home=pipeline_home(environ), port=int(raw_port))


def warehouse_url(environ: Mapping[str, str] = os.environ) -> str:
    """The libpq URL of the configured warehouse, starting the embedded server if it is the one."""
    target = warehouse_target(environ)
    if isinstance(target, EmbeddedWarehouse):
        from imdb_pipeline.resources import embedded_postgres

        server = embedded_postgres.ensure_running(target.home, target.port, EMBEDDED_DATABASE)
        return server.url(EMBEDDED_DATABASE)
    return target.url


@dataclass(frozen=True)
class S3Settings:
    """How to reach S3; credentials and region come from the standard AWS variables."""

    endpoint_url: str | None
    max_attempts: int


def raw_store_uri(environ: Mapping[str, str] = os.environ) -> str:
    """Folder or `s3://bucket/prefix` of the raw store; default under the pipeline home."""
    return environ.get(ENV_RAW_STORE_URI) or str(pipeline_home(environ) / "raw")


def dashboard_store_uri(environ: Mapping[str, str] = os.environ) -> str:
    """Folder or `s3://bucket/prefix` of the dashboards' pages; default under the pipeline home."""
    return environ.get(ENV_DASHBOARD_STORE_URI) or str(pipeline_home(environ) / "dashboards")


def s3_settings(environ: Mapping[str, str] = os.environ) -> S3Settings:
    raw_attempts = environ.get(ENV_S3_MAX_ATTEMPTS) or str(DEFAULT_S3_MAX_ATTEMPTS)
    if not (raw_attempts.isascii() and raw_attempts.isdigit()) or int(raw_attempts) < 1:
        raise ValueError(f"{ENV_S3_MAX_ATTEMPTS}={raw_attempts!r} is not a positive integer")
    return S3Settings(
        endpoint_url=environ.get(ENV_S3_ENDPOINT_URL) or None, max_attempts=int(raw_attempts)
    )


def quality_project_root(environ: Mapping[str, str] = os.environ) -> Path:
    """The Great Expectations project (validation results, Data Docs) under the pipeline home."""
    return pipeline_home(environ) / "great_expectations"


def data_docs_folder(environ: Mapping[str, str] = os.environ) -> Path:
    """The folder of the Data Docs site (its index.html), inside the GX project."""
    return quality_project_root(environ).joinpath(*DATA_DOCS_SITE)


def data_docs_url(environ: Mapping[str, str] = os.environ) -> str:
    """The address the Data Docs are served at (`imdb-pipeline ui` serves them there, or a web
    server of yours does): check metadata links to the pages under it."""
    url = (environ.get(ENV_DATA_DOCS_URL) or DEFAULT_DATA_DOCS_URL).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"{ENV_DATA_DOCS_URL}={url!r} is not an http:// or https:// address")
    return url


def schedule_timezone(environ: Mapping[str, str] = os.environ) -> str:
    """Time zone of the 02:00 schedule (an IANA name). Read when the code location loads.

    UTC by default: in a zone with daylight saving, 02:00 does not exist on the day clocks
    spring forward, and the run then starts at 03:00.
    """
    import zoneinfo

    name = environ.get(ENV_SCHEDULE_TIMEZONE) or DEFAULT_SCHEDULE_TIMEZONE
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{ENV_SCHEDULE_TIMEZONE}={name!r} is not a time zone name") from None
    return name


@dataclass(frozen=True)
class SensorSettings:
    """Airflow's sensor knobs: poke_interval, timeout (seconds) and soft_fail."""

    poke_interval_seconds: int
    timeout_seconds: int
    soft_fail: bool


def sensor_settings(environ: Mapping[str, str] = os.environ) -> SensorSettings:
    def seconds(name: str, default: int) -> int:
        raw = environ.get(name) or str(default)
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            raise ValueError(f"{name}={raw!r} is not a positive number of seconds")
        return int(raw)

    soft_fail = (environ.get(ENV_SENSOR_SOFT_FAIL) or "false").strip().lower()
    if soft_fail not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"{ENV_SENSOR_SOFT_FAIL}={soft_fail!r} is not true or false")
    return SensorSettings(
        poke_interval_seconds=seconds(ENV_SENSOR_POKE_INTERVAL, DEFAULT_POKE_INTERVAL_SECONDS),
        timeout_seconds=seconds(ENV_SENSOR_TIMEOUT, DEFAULT_SENSOR_TIMEOUT_SECONDS),
        soft_fail=soft_fail in ("true", "1", "yes"),
    )
