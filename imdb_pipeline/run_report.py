"""A run's events, read from the Dagster instance: what the run changed (`lib/run_changes.py`
tells it; the CLI prints it after a run that did not succeed or was blocked), and the step
events the run-failure alerts read (`lib/lost_steps.py`)."""

import dagster as dg

from imdb_pipeline.checks.blocking import blocking_failures
from imdb_pipeline.lib import lost_steps
from imdb_pipeline.lib.run_changes import RunChanges, summary


def latest_run(instance: dg.DagsterInstance, since: float, partition: str) -> dg.DagsterRun | None:
    """The newest run of `partition` created at or after `since` (a POSIX time)."""
    for record in instance.get_run_records(limit=20):
        if record.create_timestamp.timestamp() < since:
            break
        if record.dagster_run.tags.get("dagster/partition") == partition:
            return record.dagster_run
    return None


def run_changes(instance: dg.DagsterInstance, run: dg.DagsterRun, defs: dg.Definitions) -> RunChanges:
    events = run_events(instance, run.run_id)
    materializations = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    return RunChanges(
        run_id=run.run_id,
        committed=[(_table(record.asset_key), record.partition_key) for record in materializations],
        planned=_tables_by_step(defs, _planned(instance, run.run_id)),
        failed_steps=[event.step_key for event in events if event.kind == lost_steps.STEP_FAILURE],
        unfinished_steps=list(lost_steps.unfinished_steps(events)),
        blocked_by=blocking_failures(instance, run.run_id),
    )


def run_events(instance: dg.DagsterInstance, run_id: str) -> list[lost_steps.RunEvent]:
    """The run's step starts and ends and its engine events, in log order (`lib.lost_steps`)."""
    kinds = {dg.DagsterEventType(kind) for kind in lost_steps.KINDS}
    events = []
    for record in instance.get_records_for_run(run_id=run_id, of_type=kinds).records:
        event = record.event_log_entry.dagster_event
        error = getattr(event.event_specific_data, "error", None)
        events.append(lost_steps.RunEvent(
            kind=event.event_type_value, step_key=event.step_key, message=event.message or "",
            error=error_text(error) if error else None,
        ))  # fmt: skip
    return events


def error_text(error) -> str:
    """The error chain's messages, user error first; Dagster's "error while executing op" wrapper
    and stack traces are left to the run page."""
    messages = []
    while error is not None:
        if not (error.cls_name == "DagsterExecutionStepExecutionError" and error.cause):
            messages.append(error.message.strip())
        error = error.cause
    return "\n".join(messages) or "no error message"


def report(instance: dg.DagsterInstance, run: dg.DagsterRun, defs: dg.Definitions) -> str:
    return summary(run_changes(instance, run, defs))


def _planned(instance: dg.DagsterInstance, run_id: str) -> set[dg.AssetKey]:
    """The assets the run planned to materialize, as it recorded them when it started (a run's
    `asset_selection` is empty for some runs that materialize everything)."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    ).records
    return {record.asset_key for record in records}


def _tables_by_step(defs: dg.Definitions, selection: set[dg.AssetKey]) -> dict[str, list[str]]:
    """The tables each step of the run was to write: a step is the node of its assets."""
    planned: dict[str, list[str]] = {}
    for assets in defs.assets or []:
        if not isinstance(assets, dg.AssetsDefinition):
            continue
        keys = [key for key in assets.keys if key in selection]
        if keys:
            planned.setdefault(assets.node_def.name, []).extend(_table(key) for key in keys)
    return planned


def _table(key: dg.AssetKey) -> str:
    return ".".join(key.path)
