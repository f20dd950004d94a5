"""The code location: every asset, job and resource of imdb_pipeline."""

import dagster as dg

from imdb_pipeline.assets import analytics, core, raw, staging
from imdb_pipeline.constants import RAW_IO_MANAGER_KEY, WAREHOUSE_IO_MANAGER_KEY
from imdb_pipeline.io_managers.postgres import PostgresPandasIOManager
from imdb_pipeline.io_managers.raw_files import RawFileIOManager
from imdb_pipeline.jobs import imdb_movies_etl
from imdb_pipeline.resources.file_stores import FileStoreResource
from imdb_pipeline.resources.source import SourceResource
from imdb_pipeline.resources.warehouse import WarehouseResource

warehouse = WarehouseResource()
files = FileStoreResource()

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([raw, staging, core, analytics]),
    jobs=[imdb_movies_etl],
    resources={
        "source": SourceResource(files=files),
        "warehouse": warehouse,
        WAREHOUSE_IO_MANAGER_KEY: PostgresPandasIOManager(warehouse=warehouse),
        RAW_IO_MANAGER_KEY: RawFileIOManager(files=files),
    },
)
