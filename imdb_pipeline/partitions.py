"""Daily snapshots: the raw file, staging, bridges and the fact are partitioned by day (UTC)."""

import dagster as dg

from imdb_pipeline.deployment import partitions_start_date

# end_offset=1 makes today a partition, so the 02:00 run can process today's export.
daily_snapshots = dg.DailyPartitionsDefinition(
    start_date=partitions_start_date(), timezone="UTC", end_offset=1
)
