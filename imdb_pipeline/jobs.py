"""Jobs of the code location."""

import dagster as dg

# The name a team moving from the Airflow DAG `imdb_movies_etl_dag` will look for.
imdb_movies_etl = dg.define_asset_job(
    name="imdb_movies_etl",
    selection=dg.AssetSelection.all(),
    description="Materialize the whole graph: raw file, staging, star schema and analytics.",
)
