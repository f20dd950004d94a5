"""When the analytics are stale: the 02:00 run must have rebuilt them by 04:00.

A cron freshness policy (`dg.FreshnessPolicy.cron`): at each day's deadline, SCHEDULED_HOUR plus
a grace period in the schedule's time zone, the asset passes if it was materialized since the
scheduled hour, and is stale until its next materialization otherwise. The grace covers a run
at full size (about 10 minutes) and its retries, with room for a late source file."""

import datetime as dt

import dagster as dg

from imdb_pipeline.constants import SCHEDULED_HOUR
from imdb_pipeline.deployment import schedule_timezone

GRACE = dt.timedelta(hours=2)


def daily_run_freshness() -> dg.FreshnessPolicy:
    deadline_hour = SCHEDULED_HOUR + int(GRACE.total_seconds() // 3600)
    return dg.FreshnessPolicy.cron(
        deadline_cron=f"0 {deadline_hour} * * *",
        lower_bound_delta=GRACE,
        timezone=schedule_timezone(),
    )
