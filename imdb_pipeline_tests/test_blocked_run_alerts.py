"""A run a blocking check stopped succeeds (so the UI does not show the tables after the check
as failed), yet engineers are alerted: the success sensor sends the failed check, saying the
tables after it kept their previous content, and PagerDuty is triggered, not resolved."""

import dagster as dg

from imdb_pipeline.checks.blocking import BLOCKED_METADATA, BLOCKED_TAG, reported
from imdb_pipeline.notification_sensors import notify_on_failed_error_checks
from imdb_pipeline_tests.test_notification_sensors import (  # noqa: F401 (fixtures)
    assert_mentions,
    evaluate,
    http_receiver,
    instance,
    one_per_channel,
    receivers,
    smtp_server,
    subject_of,
)


@dg.asset
def stg_movies() -> int:
    return 1


@dg.asset_check(asset=stg_movies, blocking=True)
def reject_rate_below_ceiling(context: dg.AssetCheckExecutionContext):
    yield from reported(context, dg.AssetCheckResult(
        passed=False, asset_key=stg_movies.key, check_name="reject_rate_below_ceiling",
        severity=dg.AssetCheckSeverity.ERROR, metadata={"reject_rate": 0.2},
    ))  # fmt: skip


DEFS = dg.Definitions(
    assets=[stg_movies], asset_checks=[reject_rate_below_ceiling],
    jobs=[dg.define_asset_job("blocked_etl", selection=[stg_movies])],
)  # fmt: skip


def test_a_blocked_run_alerts_and_says_what_was_kept(instance, receivers):  # noqa: F811
    mails, received = receivers
    result = DEFS.resolve_job_def("blocked_etl").execute_in_process(
        instance=instance, raise_on_error=False
    )
    # The check step does not fail (the tables after it: checks/test_blocked_runs.py).
    assert result.success
    assert instance.get_run_by_id(result.run_id).tags[BLOCKED_TAG] == (
        "stg_movies/reject_rate_below_ceiling"
    )

    evaluate(notify_on_failed_error_checks, instance, result)

    mail, slack, pagerduty = one_per_channel(mails, received)
    assert subject_of(mail) == (
        "[imdb_pipeline] Check failed: blocked_etl (stg_movies/reject_rate_below_ceiling)"
    )
    kept = f"{BLOCKED_METADATA}: The tables after stg_movies keep their previous content"
    assert_mentions(mail, slack, pagerduty, result.run_id, "Blocked: the tables after stg_movies",
                    kept)  # fmt: skip
    assert pagerduty["event_action"] == "trigger"
