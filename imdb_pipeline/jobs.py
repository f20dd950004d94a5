"""Jobs of the code location."""

import dagster as dg

from imdb_pipeline.partitions import daily_snapshots

# The name a team moving from the Airflow DAG `imdb_movies_etl_dag` will look for.
imdb_movies_etl = dg.define_asset_job(
    name="imdb_movies_etl",
    selection=dg.AssetSelection.all(),
    description="Materialize the whole graph: raw file, staging, star schema and analytics.",
)

# For a steward who wants to re-validate the warehouse as it is, without loading anything.
# The checks of daily tables are partitioned, and Dagster runs them only for a day, so the job
# is partitioned too. Dagster infers a job's partitions from the assets it materializes, and
# this one materializes none: a partitioned config (with nothing to configure) gives them.
validate_warehouse = dg.define_asset_job(
    name="validate_warehouse",
    selection=dg.AssetSelection.all_asset_checks(),
    description="Run every data-quality check on the warehouse as it is, for a day of the daily "
    "tables; load nothing.",
    config=dg.PartitionedConfig(
        partitions_def=daily_snapshots, run_config_for_partition_key_fn=lambda _: {}
    ),
)
