"""The 02:00 schedule, the source sensor (local disk and S3) and the retry policy."""

import datetime as dt
import json

import dagster as dg
import pytest

from imdb_pipeline.definitions import defs
from imdb_pipeline.lib import imdb_datasets, source_watch
from imdb_pipeline.lib.locations import FileVersion
from imdb_pipeline.resources.file_stores import FileStoreResource
from imdb_pipeline.retries import TRANSIENT_FAILURES
from imdb_pipeline.schedules import DAILY_CRON, imdb_movies_etl_daily
from imdb_pipeline.sensors import imdb_source_sensor

UTC = dt.timezone.utc


def test_the_schedule_runs_todays_partition_at_two():
    assert DAILY_CRON == "0 2 * * *"
    assert imdb_movies_etl_daily.execution_timezone == "UTC"
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2024, 6, 1, 2, 0, tzinfo=UTC)
    )
    request = imdb_movies_etl_daily(context)
    assert request.partition_key == "2024-06-01"
    assert imdb_movies_etl_daily.job_name == "imdb_movies_etl"


def _poke(cursor=None):
    context = dg.build_sensor_context(cursor=cursor, resources={"files": FileStoreResource()})
    result = imdb_source_sensor(context)
    return result, result.cursor


def _skip(result) -> str:
    return result.skip_reason.skip_message if result.skip_reason else ""


@pytest.fixture(autouse=True)
def generous_timeout(monkeypatch):
    """Two days: no test but the timeout tests reaches the deadline, whatever the hour."""
    monkeypatch.setenv("IMDB_SENSOR_TIMEOUT", str(2 * 24 * 3600))


@pytest.fixture
def watched_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("IMDB_SOURCE_URI", str(tmp_path / "imdb_movies_*.csv"))
    return tmp_path


def test_a_new_file_starts_one_run_once_it_stopped_changing(watched_folder):
    export = watched_folder / "imdb_movies_export.csv"
    export.write_text("movie_id\n")

    first, cursor = _poke()
    assert first.run_requests == [] and "Waiting" in _skip(first)
    second, cursor = _poke(cursor)
    [request] = second.run_requests
    assert request.partition_key == dt.datetime.now(UTC).date().isoformat()
    assert request.tags["imdb/source_uri"] == str(export)
    third, cursor = _poke(cursor)
    assert third.run_requests == [] and "No new file" in _skip(third)
    # A new version of the same file is a new run.
    export.write_text("movie_id\ntt1\n")
    _, cursor = _poke(cursor)
    again, _ = _poke(cursor)
    assert len(again.run_requests) == 1 and again.run_requests[0].run_key != request.run_key


def test_a_file_still_being_written_waits_until_stable(watched_folder):
    export = watched_folder / "imdb_movies_partial.csv"
    cursor = None
    for size in range(1, 4):
        export.write_text("x" * size)
        result, cursor = _poke(cursor)
        assert result.run_requests == []
    stable, _ = _poke(cursor)
    assert len(stable.run_requests) == 1


def test_the_same_file_after_a_restart_is_not_run_again(watched_folder):
    (watched_folder / "imdb_movies_a.csv").write_text("movie_id\n")
    _, cursor = _poke()
    first, cursor = _poke(cursor)
    # The daemon restarts: the cursor is all the sensor has, and it is enough.
    again, _ = _poke(json.loads(json.dumps(cursor)))
    assert len(first.run_requests) == 1 and again.run_requests == []


def test_a_folder_of_imdb_datasets_starts_a_run_once_all_five_files_are_there_and_stable(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("IMDB_SOURCE_URI", str(tmp_path / "{date}"))
    folder = tmp_path / dt.datetime.now(UTC).date().isoformat()
    folder.mkdir()
    for file in imdb_datasets.FILES[:-1]:
        (folder / file.name).write_bytes(b"x")
    _, cursor = _poke()
    incomplete, cursor = _poke(cursor)
    assert incomplete.run_requests == []
    (folder / imdb_datasets.NAME_BASICS.name).write_bytes(b"x")
    _, cursor = _poke(cursor)
    complete, cursor = _poke(cursor)
    [request] = complete.run_requests
    assert request.tags["imdb/source_uri"] == str(folder)
    # A new version of any one file is a new version of the day.
    (folder / imdb_datasets.TITLE_RATINGS.name).write_bytes(b"xy")
    _, cursor = _poke(cursor)
    again, _ = _poke(cursor)
    assert len(again.run_requests) == 1 and again.run_requests[0].run_key != request.run_key


def test_the_sensor_watches_s3_keys(s3_client, bucket, monkeypatch):
    monkeypatch.setenv("IMDB_SOURCE_URI", f"s3://{bucket}/exports/imdb_movies_*.csv")
    s3_client.put_object(Bucket=bucket, Key="exports/imdb_movies_1.csv", Body=b"movie_id\n")
    s3_client.put_object(Bucket=bucket, Key="other/imdb_movies_1.csv", Body=b"movie_id\n")

    _, cursor = _poke()
    result, cursor = _poke(cursor)

    [request] = result.run_requests
    assert request.tags["imdb/source_uri"] == f"s3://{bucket}/exports/imdb_movies_1.csv"
    assert _poke(cursor)[0].run_requests == []


NOW = dt.datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
DEADLINE = source_watch.deadline(dt.date(2024, 6, 1), 2, UTC, 6 * 3600)


def test_the_deadline_is_the_scheduled_time_plus_the_timeout():
    assert DEADLINE == dt.datetime(2024, 6, 1, 8, 0, tzinfo=UTC)


def test_no_file_by_the_deadline_times_out_once_per_day():
    result = source_watch.poke(None, "/x/*.csv", {}, "2024-06-01", NOW, DEADLINE)
    assert result.timed_out and result.skip_reason.startswith("Timed out: no new file at /x/*.csv")
    later = source_watch.poke(result.cursor, "/x/*.csv", {}, "2024-06-01", NOW, DEADLINE)
    assert not later.timed_out


def test_before_the_deadline_or_after_a_run_there_is_no_timeout():
    early = source_watch.poke(None, "/x/*.csv", {}, "2024-06-01", DEADLINE - dt.timedelta(1), DEADLINE)
    assert not early.timed_out
    version = FileVersion(size=10, tag="abc")
    seen = source_watch.poke(None, "/x/*.csv", {"/x/a.csv": version}, "2024-06-01", NOW, DEADLINE)
    ran = source_watch.poke(seen.cursor, "/x/*.csv", {"/x/a.csv": version}, "2024-06-01", NOW, DEADLINE)
    assert len(ran.runs) == 1
    assert not source_watch.poke(ran.cursor, "/x/*.csv", {}, "2024-06-01", NOW, DEADLINE).timed_out


@pytest.mark.parametrize(("soft_fail", "signal"), [("true", "WARN"), ("false", "ERROR")])
def test_a_timeout_is_a_warning_with_soft_fail_and_an_error_with_an_alert_without(
    watched_folder, monkeypatch, soft_fail, signal
):
    from imdb_pipeline_tests.lib.test_notifications import running_smtp_server

    monkeypatch.setenv("IMDB_SENSOR_SOFT_FAIL", soft_fail)
    # 02:00 in UTC+14 on today's UTC date is always past; one second later is the deadline.
    monkeypatch.setenv("IMDB_SCHEDULE_TIMEZONE", "Etc/GMT-14")
    monkeypatch.setenv("IMDB_SENSOR_TIMEOUT", "1")

    with running_smtp_server() as (port, mails):
        monkeypatch.setenv("IMDB_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("IMDB_SMTP_PORT", str(port))
        monkeypatch.setenv("IMDB_SMTP_FROM", "dagster@example.com")
        monkeypatch.setenv("IMDB_SMTP_TO", "oncall@example.com")
        result, cursor = _poke()
        again = _poke(cursor)[0]

    assert result.run_requests == []
    assert _skip(result).startswith(f"{signal} Timed out: no new file at")
    assert len(mails) == (0 if soft_fail == "true" else 1)
    if mails:
        assert mails[0]["Subject"].startswith("[imdb_pipeline] Source late: imdb_movies_etl")
    assert _skip(again).startswith("No new file")
    assert _skip(result).endswith("(soft_fail: skipped)") == (soft_fail == "true")


def test_every_step_that_touches_s3_or_postgres_retries_with_backoff_and_jitter():
    assert TRANSIENT_FAILURES.backoff == dg.Backoff.EXPONENTIAL
    assert TRANSIENT_FAILURES.jitter == dg.Jitter.PLUS_MINUS
    for asset in defs.assets:
        assert asset.op.retry_policy == TRANSIENT_FAILURES, asset.op.name
    for check in defs.asset_checks:
        if check.op.name.endswith("_quality") and check.op.name != "raw_file_quality":
            assert check.op.retry_policy == TRANSIENT_FAILURES, check.op.name
