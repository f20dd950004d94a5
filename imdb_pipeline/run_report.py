"""What a run changed, read from the Dagster instance's event log (`lib/run_changes.py` tells
it). Used by the CLI after a run that did not succeed."""

import dagster as dg

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
    records = instance.get_records_for_run(run.run_id).records
    started, ended, failed, committed = [], set(), [], []
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            started.append(event.step_key)
        elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            ended.add(event.step_key)
            if event.event_type == dg.DagsterEventType.STEP_FAILURE:
                failed.append(event.step_key)
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            committed.append((_table(record.asset_key), record.partition_key))
    return RunChanges(
        run_id=run.run_id,
        committed=committed,
        planned=_tables_by_step(defs, run.asset_selection),
        failed_steps=failed,
        unfinished_steps=[step for step in dict.fromkeys(started) if step not in ended],
    )


def report(instance: dg.DagsterInstance, run: dg.DagsterRun, defs: dg.Definitions) -> str:
    return summary(run_changes(instance, run, defs))


def _tables_by_step(defs: dg.Definitions, selection) -> dict[str, list[str]]:
    """The tables each step of the run was to write: a step is the node of its assets."""
    planned: dict[str, list[str]] = {}
    for assets in defs.assets or []:
        if not isinstance(assets, dg.AssetsDefinition):
            continue
        keys = [key for key in assets.keys if selection is None or key in selection]
        if keys:
            planned.setdefault(assets.node_def.name, []).extend(_table(key) for key in keys)
    return planned


def _table(key: dg.AssetKey) -> str:
    return ".".join(key.path)
