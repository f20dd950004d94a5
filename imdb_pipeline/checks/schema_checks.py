"""Schema drift: Dagster's built-in check compares each table's column schema (recorded by the
Postgres IO manager as `dagster/column_schema`) with its previous materialization."""

import dagster as dg

from imdb_pipeline.assets import analytics, core, staging
from imdb_pipeline.assets.raw import raw_imdb_movies

WAREHOUSE_TABLES = [
    asset
    for asset in dg.load_assets_from_modules([staging, core, analytics])
    if asset is not raw_imdb_movies
]
SCHEMA_CHECKS = list(dg.build_column_schema_change_checks(assets=WAREHOUSE_TABLES))
