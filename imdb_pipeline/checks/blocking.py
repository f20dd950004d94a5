"""A failed blocking check keeps the tables after it as they were, and the UI says so truthfully.

Dagster's own way (a failed blocking ERROR check fails its step, so the run fails) makes the UI
show every asset planned after the check as "Failed" (red, checks "0 / N Passed"): the UI
marks an asset failed when the latest run that planned it failed and did not materialize it,
and a day partition likewise. A steward then reads that the warehouse is broken, though those
tables still hold the last good data. (Dagster's ASSET_FAILED_TO_MATERIALIZE events of type
SKIPPED would say it, but its open-source storages drop them, and the UI does not read them.)

So a blocked run here ends as a successful run whose later steps were skipped:
- the check step records the failed evaluation without failing the step (`reported`), and tags
  the run `imdb/blocked_by` so the runs list shows it was blocked;
- each asset step right after a blocked table writes nothing (`blocked_upstream`): it records,
  for each table it and its descendants in the run would have written, an observation that the
  table kept its previous content, and why (`kept_as_before`). Dagster then skips every later
  step, as it does for a step whose upstream yielded no output.
The assets keep their last materialization (the previous good one) and their checks show as
skipped, not failed. Engineers still learn of it: the failed ERROR check alerts
(`notify_on_failed_error_checks`), and `imdb-pipeline materialize` exits non-zero and lists the
tables kept.
"""

from collections.abc import Iterator

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from imdb_pipeline.constants import BLOCKED_METADATA

BLOCKED_TAG = "imdb/blocked_by"
# On the observation of a table a blocked run did not rebuild.
KEPT_METADATA = "kept_previous_content"
BLOCKED_BY_METADATA = "blocked_by"
PARTITION_TAG = "dagster/partition"


def reported(
    context: dg.AssetCheckExecutionContext, result: dg.AssetCheckResult
) -> Iterator[dg.AssetCheckResult | dg.AssetCheckEvaluation | dg.Output]:
    """The result as the step yields it: a failed ERROR result of a blocking check becomes an
    evaluation that does not fail the step (the steps after its table stand down instead)."""
    key = dg.AssetCheckKey(result.asset_key, result.check_name)
    spec = next(spec for spec in context.check_specs if spec.key == key)
    if result.passed or result.severity != dg.AssetCheckSeverity.ERROR or not spec.blocking:
        yield result
        return
    day = context.run.tags.get(PARTITION_TAG) if spec.partitions_def else None
    table = result.asset_key.to_user_string()
    yield dg.AssetCheckEvaluation(
        asset_key=result.asset_key,
        check_name=result.check_name,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        # Dagster fails the step of a failed evaluation marked blocking: this one is not, and
        # the steps after the table do not run (see the module docstring).
        blocking=False,
        description=result.description or f"Blocked: the tables after {table} were not "
        "rebuilt in this run and keep their previous content.",
        metadata={
            **result.metadata,
            BLOCKED_METADATA: f"The tables after {table} keep their previous content.",
        },
        target_materialization_data=_latest_materialization(context, result.asset_key, day),
        partition=day,
    )
    # The check's output, so Dagster does not warn that the blocking check gave no result.
    assets_def = context.op_execution_context.assets_def
    yield dg.Output(None, output_name=assets_def.get_output_name_for_asset_check_key(key))
    _tag_blocked(context, f"{table}/{result.check_name}")


def blocked_upstream(context: dg.AssetExecutionContext) -> list[str]:
    """The blocking checks ("asset/check") on the step's upstream tables that failed in this
    run; empty when the step may build its tables."""
    upstream = set().union(*(context.assets_def.asset_deps[key]
                             for key in context.selected_asset_keys))  # fmt: skip
    return sorted(
        f"{evaluation.asset_key.to_user_string()}/{evaluation.check_name}"
        for evaluation in _blocking_failures(context.instance, context.run.run_id)
        if evaluation.asset_key in upstream
    )


def kept_as_before(
    context: dg.AssetExecutionContext, blockers: list[str]
) -> Iterator[dg.AssetObservation]:
    """An observation, for each table the step and its descendants in this run would have
    written, that the table kept its previous content, and why. Yields no output: Dagster skips
    the steps after this one."""
    layer = context.job_def.asset_layer
    graph = layer.asset_graph
    run_keys = context.run.asset_selection or layer.selected_asset_keys
    kept: list[dg.AssetKey] = []
    pending = sorted(context.selected_asset_keys)
    while pending:
        key = pending.pop(0)
        if key in kept or key not in run_keys:
            continue
        kept.append(key)
        pending.extend(sorted(graph.get(key).child_keys))
    reason = f"blocked by the failed check{'s' if len(blockers) > 1 else ''} {', '.join(blockers)}"
    context.log.warning(
        f"Not rebuilt, as {reason}; kept as they were: "
        + ", ".join(key.to_user_string() for key in kept)
    )
    for key in kept:
        partitioned = graph.get(key).partitions_def is not None and context.has_partition_key
        yield dg.AssetObservation(
            asset_key=key,
            partition=context.partition_key if partitioned else None,
            description=f"Kept its previous content: {reason}.",
            metadata={KEPT_METADATA: True, BLOCKED_BY_METADATA: ", ".join(blockers)},
        )


def blocking_failures(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The run's failed blocking checks ("asset/check"), in the order they were recorded."""
    return [
        f"{evaluation.asset_key.to_user_string()}/{evaluation.check_name}"
        for evaluation in _blocking_failures(instance, run_id)
    ]


def _blocking_failures(instance: dg.DagsterInstance, run_id: str) -> list[dg.AssetCheckEvaluation]:
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = [record.event_log_entry.dagster_event.event_specific_data for record in records]
    return [e for e in evaluations if not e.passed and BLOCKED_METADATA in e.metadata]


def _latest_materialization(
    context: dg.AssetCheckExecutionContext, key: dg.AssetKey, day: str | None
) -> AssetCheckEvaluationTargetMaterializationData | None:
    """The materialization the evaluation judged (as Dagster records it for a check result)."""
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day] if day else None), limit=1
    ).records
    if not records:
        return None
    return AssetCheckEvaluationTargetMaterializationData(
        storage_id=records[0].storage_id, run_id=records[0].run_id, timestamp=records[0].timestamp
    )


def _tag_blocked(context: dg.AssetCheckExecutionContext, check: str) -> None:
    """Name the check in the run's `imdb/blocked_by` tag, which the runs list shows."""
    run = context.instance.get_run_by_id(context.run.run_id)
    named = [name for name in (run.tags.get(BLOCKED_TAG) or "").split(", ") if name]
    if check not in named:
        context.instance.add_run_tags(run.run_id, {BLOCKED_TAG: ", ".join([*named, check])})
