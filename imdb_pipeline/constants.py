"""Names shared across the code location: layers, owners and environment variables."""

from enum import Enum


class Layer(str, Enum):
    """A warehouse layer: its value is the asset group, the asset key prefix and the Postgres schema."""

    RAW = "raw"
    STAGING = "staging"
    CORE = "core"
    ANALYTICS = "analytics"


DATA_ENGINEERING_OWNER = "team:data-engineering"

# Environment variables are the configuration interface; keep these names stable.
ENV_SOURCE_URI = "IMDB_SOURCE_URI"
ENV_SOURCE_LAYOUT = "IMDB_SOURCE_LAYOUT"
ENV_WAREHOUSE_URL = "IMDB_WAREHOUSE_URL"
ENV_PIPELINE_HOME = "IMDB_PIPELINE_HOME"
ENV_EMBEDDED_PG_PORT = "IMDB_EMBEDDED_PG_PORT"
ENV_RAW_STORE_URI = "IMDB_RAW_STORE_URI"
ENV_DASHBOARD_STORE_URI = "IMDB_DASHBOARD_STORE_URI"
ENV_PARTITIONS_START_DATE = "IMDB_PARTITIONS_START_DATE"
ENV_SCHEDULE_TIMEZONE = "IMDB_SCHEDULE_TIMEZONE"
ENV_SENSOR_POKE_INTERVAL = "IMDB_SENSOR_POKE_INTERVAL"
ENV_SENSOR_TIMEOUT = "IMDB_SENSOR_TIMEOUT"
ENV_SENSOR_SOFT_FAIL = "IMDB_SENSOR_SOFT_FAIL"
ENV_S3_ENDPOINT_URL = "IMDB_S3_ENDPOINT_URL"
ENV_S3_MAX_ATTEMPTS = "IMDB_S3_MAX_ATTEMPTS"
ENV_DATA_DOCS_URL = "IMDB_DATA_DOCS_URL"
# `imdb-pipeline warehouse setup`: the login that creates the roles, and the roles' passwords.
ENV_WAREHOUSE_ADMIN_URL = "IMDB_WAREHOUSE_ADMIN_URL"
ENV_LOADER_PASSWORD = "IMDB_LOADER_PASSWORD"
ENV_BI_READER_PASSWORD = "IMDB_BI_READER_PASSWORD"
ENV_STEWARD_PASSWORD = "IMDB_STEWARD_PASSWORD"

# The warehouse's roles (lib/warehouse_roles.py): the pipeline's login, which owns every table;
# BI tools', which read core and analytics, sensitive columns masked; data stewards', which
# also read staging (the rejects) and the audit trail.
LOADER_ROLE = "imdb_loader"
BI_READER_ROLE = "imdb_bi_reader"
STEWARD_ROLE = "imdb_steward"

DEFAULT_PIPELINE_HOME = "~/.imdb_pipeline"
DEFAULT_EMBEDDED_PG_PORT = 54329
EMBEDDED_DATABASE = "imdb_warehouse"
DEFAULT_S3_MAX_ATTEMPTS = 5
DEFAULT_PARTITIONS_START_DATE = "2024-01-01"
# Where `imdb-pipeline ui` serves the Data Docs, beside the UI on 3000; check metadata links here.
DEFAULT_DATA_DOCS_URL = "http://127.0.0.1:3001"
# The Data Docs site inside the Great Expectations project.
DATA_DOCS_SITE = ("gx", "uncommitted", "data_docs", "local_site")

DEFAULT_SCHEDULE_TIMEZONE = "UTC"
SCHEDULED_HOUR = 2
DEFAULT_POKE_INTERVAL_SECONDS = 60
DEFAULT_SENSOR_TIMEOUT_SECONDS = 6 * 60 * 60
# Metadata of a failed blocking check's evaluation: what the run kept (`checks.blocking`).
BLOCKED_METADATA = "blocked_downstream"
# Run tag naming the exact file a sensor run should read (a wildcard may match several).
SOURCE_URI_TAG = "imdb/source_uri"

# The column that holds a row's daily snapshot in partitioned tables.
SNAPSHOT_DATE = "snapshot_date"
# Placeholder in IMDB_SOURCE_URI for the day's file, e.g. s3://bucket/imdb_movies_{date}.csv
DATE_PLACEHOLDER = "{date}"
# What the source is: the movies CSV, or IMDb's five official dataset files in one folder.
LAYOUT_CSV = "csv"
LAYOUT_IMDB_DATASETS = "imdb-datasets"
LAYOUTS = (LAYOUT_CSV, LAYOUT_IMDB_DATASETS)


# Resource key of the raw files' IO manager, shared by definitions.py and the raw asset.
RAW_IO_MANAGER_KEY = "raw_io_manager"
# Resource key of the IO manager behind every staging, core and analytics table.
WAREHOUSE_IO_MANAGER_KEY = "warehouse_io_manager"
