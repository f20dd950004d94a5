"""The source sensor: Airflow's FileSensor / S3KeySensor in Dagster's terms.

| Airflow | here |
|---|---|
| `filepath` / `bucket_key` (wildcards allowed) | IMDB_SOURCE_URI: a path or `s3://bucket/key`, with `*`, `?`, `[...]`, and `{date}` for today; or a folder of IMDb's five dataset files, watched as one |
| `poke_interval` (60 s) | IMDB_SENSOR_POKE_INTERVAL -> `minimum_interval_seconds` (read when the code location loads) |
| `timeout` | IMDB_SENSOR_TIMEOUT seconds after today's 02:00 schedule: the deadline for today's file |
| `soft_fail` | IMDB_SENSOR_SOFT_FAIL: on timeout, skip with a warning instead of an error |
| `mode="reschedule"` | no meaning: a Dagster sensor never holds a worker; the daemon evaluates it every poke |

A file version (size and ETag or mtime) starts exactly one run, once it is unchanged across two
pokes; the run key is the file and its version, and the JSON cursor remembers what was seen.
"""

import datetime as dt
import zoneinfo

import dagster as dg

from imdb_pipeline.constants import (
    LAYOUT_CSV,
    LAYOUT_IMDB_DATASETS,
    SCHEDULED_HOUR,
    SOURCE_URI_TAG,
)
from imdb_pipeline.deployment import (
    schedule_timezone,
    sensor_settings,
    source_layout,
    source_uri,
)
from imdb_pipeline.jobs import imdb_movies_etl
from imdb_pipeline.lib import imdb_datasets, notifications, source_watch
from imdb_pipeline.lib.locations import FileVersion, join
from imdb_pipeline.resources.file_stores import FileStoreResource, StorageError
from imdb_pipeline.resources.notifications import (
    NotificationError,
    Notifier,
    notification_settings,
)


def _alert_late_source(context, pattern: str, reason: str) -> None:
    settings = notification_settings()
    if not settings.channels:
        return
    note = notifications.source_timeout(imdb_movies_etl.name, pattern, reason, settings.ui_base_url)
    try:
        Notifier(settings, context.log).send(note)
    except NotificationError as error:  # the timeout is already in the log; keep sensing
        context.log.error(f"Could not send the late-source alert: {error}")


def _observed(files: FileStoreResource, pattern: str) -> dict[str, FileVersion]:
    """The source versions at `pattern`: CSV files, or folders holding IMDb's five files."""
    layout = source_layout()
    if layout == LAYOUT_CSV or (layout is None and pattern.lower().endswith((".csv", ".csv.gz"))):
        return files.for_uri(pattern).matching(pattern)
    inside = join(pattern, "*.tsv*")
    folders = source_watch.complete_folders(files.for_uri(inside).matching(inside),
                                            imdb_datasets.BY_NAME)  # fmt: skip
    if folders or layout == LAYOUT_IMDB_DATASETS:
        return folders
    return files.for_uri(pattern).matching(pattern)


@dg.sensor(
    name="imdb_source_sensor",
    job=imdb_movies_etl,
    minimum_interval_seconds=sensor_settings().poke_interval_seconds,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts today's run once per new, fully written version of the source file "
    "(or of the folder of IMDb's five dataset files).",
)
def imdb_source_sensor(
    context: dg.SensorEvaluationContext, files: FileStoreResource
) -> dg.SensorResult:
    settings = sensor_settings()
    now = dt.datetime.now(dt.timezone.utc)
    today = now.date()
    pattern = source_uri(today)
    try:
        observed = _observed(files, pattern)
    except StorageError as error:
        context.log.warning(f"Cannot list {pattern}: {error}")
        return dg.SensorResult(skip_reason=f"Cannot list {pattern}: {error}", cursor=context.cursor)
    late_after = source_watch.deadline(
        today, SCHEDULED_HOUR, zoneinfo.ZoneInfo(schedule_timezone()), settings.timeout_seconds
    )
    result = source_watch.poke(context.cursor, pattern, observed, today.isoformat(), now, late_after)
    skip_reason = result.skip_reason
    if result.timed_out:
        # Airflow's soft_fail: a skip with a warning; without it, an error.
        if settings.soft_fail:
            skip_reason = f"WARN {skip_reason} (soft_fail: skipped)"
            context.log.warning(skip_reason)
        else:
            skip_reason = f"ERROR {skip_reason}"
            context.log.error(skip_reason)
            _alert_late_source(context, pattern, result.skip_reason)
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=decision.run_key,
                partition_key=decision.day,
                tags={SOURCE_URI_TAG: decision.source_uri, "imdb/trigger": "source_sensor"},
            )
            for decision in result.runs
        ],
        skip_reason=skip_reason,
        cursor=result.cursor,
    )
