"""Schema drift: Dagster's built-in check compares each table's column schema (recorded with
every materialization as `dagster/column_schema`) with its previous materialization, so a
deployment that changes a table's columns is flagged to the people and tools reading it."""

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
    # A beta API in Dagster 1.13, used on purpose: it reads the recorded column schemas.
    warnings.simplefilter("ignore", dg.BetaWarning)
    SCHEMA_CHECKS = list(dg.build_column_schema_change_checks(assets=WAREHOUSE_TABLES))
