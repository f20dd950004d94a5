"""Jobs of the code location."""

import dagster as dg

# The name a team moving from the Airflow DAG `imdb_movies_etl_dag` will look for.
imdb_movies_etl = dg.define_asset_job(
    name="imdb_movies_etl",
    selection=dg.AssetSelection.all(),
    description="Materialize the whole graph: raw file, staging, star schema and analytics.",
)

# For a steward who wants to re-validate the warehouse as it is, without loading anything.
# Daily tables are checked on their newest day.
validate_warehouse = dg.define_asset_job(
    name="validate_warehouse",
    selection=dg.AssetSelection.all_asset_checks(),
    description="Run every data-quality check on the warehouse as it is; load nothing.",
)
