"""The code location: every asset, job and resource of imdb_pipeline."""

import dagster as dg

from imdb_pipeline.assets import analytics, core, dashboard, raw, staging
from imdb_pipeline.checks.anomaly_checks import ANOMALY_CHECKS
from imdb_pipeline.checks.raw_checks import RAW_CHECKS
from imdb_pipeline.checks.schema_checks import SCHEMA_CHECKS
from imdb_pipeline.checks.table_checks import TABLE_CHECKS
from imdb_pipeline.constants import RAW_IO_MANAGER_KEY, WAREHOUSE_IO_MANAGER_KEY
from imdb_pipeline.io_managers.postgres import WarehouseIOManager
from imdb_pipeline.io_managers.raw_files import RawFileIOManager
from imdb_pipeline.jobs import imdb_movies_etl, validate_warehouse
from imdb_pipeline.notification_sensors import (
    notify_on_failed_error_checks,
    notify_on_run_failure,
)
from imdb_pipeline.resources.file_stores import FileStoreResource
from imdb_pipeline.resources.quality import QualityResource
from imdb_pipeline.resources.source import SourceResource
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline.schedules import imdb_movies_etl_daily
from imdb_pipeline.sensors import imdb_source_sensor

warehouse = WarehouseResource()
files = FileStoreResource()

defs = dg.Definitions(
    # One process per run: on a small machine, a process per step costs more in start-up
    # (Dagster, pandas and Great Expectations imports) and memory than its parallelism gains.
    executor=dg.in_process_executor,
    assets=dg.load_assets_from_modules([raw, staging, core, analytics, dashboard]),
    asset_checks=[*RAW_CHECKS, *TABLE_CHECKS, *ANOMALY_CHECKS, *SCHEMA_CHECKS],
    jobs=[imdb_movies_etl, validate_warehouse],
    schedules=[imdb_movies_etl_daily],
    sensors=[imdb_source_sensor, notify_on_run_failure, notify_on_failed_error_checks],
    resources={
        "files": files,
        "source": SourceResource(files=files),
        "warehouse": warehouse,
        "quality": QualityResource(),
        RAW_IO_MANAGER_KEY: RawFileIOManager(files=files),
        WAREHOUSE_IO_MANAGER_KEY: WarehouseIOManager(warehouse=warehouse),
    },
)
