"""Pure functions of the pipeline: no Dagster import, tested directly."""
