"""The daily 02:00 run of the whole graph, as the Airflow DAG `imdb_movies_etl_dag` had."""

import dagster as dg

from imdb_pipeline.constants import SCHEDULED_HOUR
from imdb_pipeline.deployment import schedule_timezone
from imdb_pipeline.jobs import imdb_movies_etl

DAILY_CRON = f"0 {SCHEDULED_HOUR} * * *"


@dg.schedule(
    name="imdb_movies_etl_daily",
    cron_schedule=DAILY_CRON,
    job=imdb_movies_etl,
    execution_timezone=schedule_timezone(),
    description="Every day at 02:00 (IMDB_SCHEDULE_TIMEZONE, UTC by default): today's partition.",
)
def imdb_movies_etl_daily(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = context.scheduled_execution_time.date().isoformat()
    return dg.RunRequest(run_key=day, partition_key=day, tags={"imdb/trigger": "schedule"})
