"""Schema drift: Dagster's built-in check compares each table's column schema (recorded by the
Postgres IO manager as `dagster/column_schema`) with its previous materialization."""

import warnings

import dagster as dg

from imdb_pipeline.assets import analytics, core, staging
from imdb_pipeline.assets.raw import raw_imdb_movies

WAREHOUSE_TABLES = [
    asset
    for asset in dg.load_assets_from_modules([staging, core, analytics])
    if asset is not raw_imdb_movies
]
with warnings.catch_warnings():
    # A beta API in Dagster 1.13, used on purpose: it reads the IO manager's column schemas.
    warnings.simplefilter("ignore", dg.BetaWarning)
    SCHEMA_CHECKS = list(dg.build_column_schema_change_checks(assets=WAREHOUSE_TABLES))
