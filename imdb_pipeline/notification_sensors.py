"""Email, Slack and PagerDuty alerts for failed runs and failed ERROR checks (Airflow's on_failure).

Two run-status sensors read what happened from the instance's event log and leave the decisions
to `lib.notifications`:
- `notify_on_run_failure` (failed runs): one message naming the failed steps and their errors,
  plus one per failed non-blocking ERROR check of that run. A run whose process died records no
  step failure: the step it was in is named instead, with what Dagster said (`lib.lost_steps`);
- `notify_on_failed_error_checks` (successful runs): a failed check does not fail a run, so a
  run-failure sensor never sees it; one message per failed ERROR check. A clean success resolves
  the job's PagerDuty incident, and says `recovered` when the job's previous run had failed.
The project's blocking checks do not fail the run (`checks.blocking`: the tables after them keep
their previous content and the run succeeds), so a blocked run is reported by the success
sensor, one message per failed check, which says what was kept. A Dagster blocking check that
fails its step is reported once, in the run-failure message (which names it), never again as a
check failure. The two sensors react to different run statuses, so no run is reported by both;
each sensor's cursor sees a run once.

A check's alert carries its counts and links (the check in the UI, its Data Docs page), not its
samples, unless IMDB_ALERT_INCLUDE_SAMPLES=true; sensitive columns are masked even then.

With no IMDB_SMTP_*, IMDB_SLACK_* or IMDB_PAGERDUTY_* variables set, both sensors send nothing.
"""

import dagster as dg
from dagster._core.events import RunFailureReason

from imdb_pipeline.lib import lost_steps, masking
from imdb_pipeline.lib import notifications as notes
from imdb_pipeline.lib.warehouse_tables import declared_table
from imdb_pipeline.resources.notifications import (
    NotificationError,
    NotificationSettings,
    Notifier,
    notification_settings,
)
from imdb_pipeline.run_report import error_text, run_events

_FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]


@dg.run_failure_sensor(
    name="notify_on_run_failure",
    description="Email, Slack and PagerDuty alert naming the failed steps and errors of a run.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def notify_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    settings = notification_settings()
    if not settings.channels:
        return
    step_failures = [
        notes.StepFailure(event.step_key or "run", error_text(event.event_specific_data.error))
        for event in _events(context.instance, run.run_id, dg.DagsterEventType.STEP_FAILURE)
    ]
    run_error = _run_error(context.failure_event)
    lost = lost_steps.lost_step(run_events(context.instance, run.run_id), run_error)
    if lost:
        step_failures.append(lost)
    planned = notes.for_failed_run(
        run.job_name, run.run_id, settings.ui_base_url, step_failures,
        _failed_error_checks(context.instance, run.run_id, settings), run_error,
        failed_from_outside=_failed_from_outside(context.failure_event),
    )  # fmt: skip
    _send_all(Notifier(settings, context.log), planned)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="notify_on_failed_error_checks",
    description="Alert once per failed ERROR check of a successful run; else resolve PagerDuty.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def notify_on_failed_error_checks(context: dg.RunStatusSensorContext) -> None:
    run = context.dagster_run
    settings = notification_settings()
    if not settings.channels:
        return
    failed_checks = _failed_error_checks(context.instance, run.run_id, settings)
    planned = notes.for_succeeded_run(
        run.job_name, run.run_id, settings.ui_base_url, failed_checks,
        previous_run_alerted=_previous_run_alerted(context.instance, run, settings),
    )  # fmt: skip
    notifier = Notifier(settings, context.log)
    _send_all(notifier, planned)
    # `recovered` already resolved PagerDuty in send().
    if notes.should_resolve(failed_checks) and not planned:
        notifier.resolve(run.job_name)


def _send_all(notifier: Notifier, planned: list[notes.Notification]) -> None:
    """Send every notification before reporting any failure, so one bad channel loses nothing else.

    Raising marks the sensor tick as failed (visible in the UI); Dagster still moves the cursor on,
    so a retry never repeats the messages that did go out.
    """
    errors = []
    for note in planned:
        try:
            notifier.send(note)
        except NotificationError as error:
            errors.append(str(error))
    if errors:
        raise NotificationError("; ".join(errors))


def _events(instance: dg.DagsterInstance, run_id: str, event_type: dg.DagsterEventType) -> list:
    records = instance.get_records_for_run(run_id=run_id, of_type=event_type).records
    return [record.event_log_entry.dagster_event for record in records]


def _failed_error_checks(
    instance: dg.DagsterInstance, run_id: str, settings: NotificationSettings
) -> list[notes.CheckFailure]:
    failures = []
    for event in _events(instance, run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = event.event_specific_data
        if evaluation.passed or evaluation.severity != dg.AssetCheckSeverity.ERROR:
            continue
        asset_path = evaluation.asset_key.path
        links = {"Check": notes.check_url(settings.ui_base_url, asset_path, evaluation.check_name)}
        metadata = {}
        for key, value in evaluation.metadata.items():
            if isinstance(value, dg.UrlMetadataValue):
                links[key] = value.value
            else:
                metadata[key] = value.value
        if evaluation.partition:
            metadata = {"partition": evaluation.partition, **metadata}
        failures.append(notes.CheckFailure(
            name=f"{evaluation.asset_key.to_user_string()}/{evaluation.check_name}",
            step_key=event.step_key,
            error=notes.check_error_text(
                evaluation.description, metadata, links,
                include_samples=settings.include_samples, sensitive=_sensitive(asset_path)),
        ))  # fmt: skip
    return failures


def _sensitive(asset_path: list[str]) -> frozenset[str]:
    """The sensitive columns of the checked table (none for an asset that is no table)."""
    table = declared_table(*asset_path) if len(asset_path) == 2 else None
    return masking.sensitive_columns(table) if table else frozenset()


def _run_error(failure_event: dg.DagsterEvent) -> str:
    data = failure_event.event_specific_data
    error = getattr(data, "error", None)
    return "\n".join(filter(None, [failure_event.message, error_text(error) if error else ""]))


def _failed_from_outside(failure_event: dg.DagsterEvent) -> bool:
    """Whether Dagster failed the run (run monitoring, a code server, a timeout) rather than the
    run's own process on a failed step: the failure event then carries no step-failure reason."""
    reason = getattr(failure_event.event_specific_data, "failure_reason", None)
    return reason != RunFailureReason.STEP_FAILURE


def _previous_run_alerted(
    instance: dg.DagsterInstance, run: dg.DagsterRun, settings: NotificationSettings
) -> bool:
    """Whether the job's previous finished run failed or failed an ERROR check."""
    record = instance.get_run_record_by_id(run.run_id)
    filters = dg.RunsFilter(
        job_name=run.job_name, statuses=_FINISHED, created_before=record.create_timestamp
    )
    previous = instance.get_runs(filters=filters, limit=1)
    if not previous:
        return False
    return previous[0].status == dg.DagsterRunStatus.FAILURE or bool(
        _failed_error_checks(instance, previous[0].run_id, settings)
    )
