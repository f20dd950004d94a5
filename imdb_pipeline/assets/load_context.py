"""What the audit trail of loads (`lib/load_audit.py`) learns from Dagster: a step's run, and the
raw snapshot that run loaded."""

import dagster as dg

from imdb_pipeline.assets.raw import raw_imdb_movies
from imdb_pipeline.io_managers.raw_files import (
    RAW_FILES_METADATA,
    SHA256_METADATA,
    DatasetFiles,
    RawSource,
)
from imdb_pipeline.lib.load_audit import Load, LoadRun, files_sha256
from imdb_pipeline.lib.warehouse_tables import Table


def step_run(context: dg.AssetExecutionContext) -> LoadRun:
    """The run of an asset's step, with the snapshot it loaded for the step's day (or its only
    one, for a step that loads whole tables)."""
    partition = context.partition_key if context.has_partition_key else None
    run = context.run
    return LoadRun(run.run_id, run_snapshot_sha256(context.instance, run, partition))


def output_run(context: dg.OutputContext) -> LoadRun:
    """The run of an output an IO manager writes; no snapshot outside a step (a context built
    by hand)."""
    try:
        step = context.step_context
    except dg.DagsterInvariantViolationError:
        return LoadRun(None)
    partition = context.asset_partition_key if context.has_asset_partitions and len(
        context.asset_partition_keys) == 1 else None  # fmt: skip
    run = step.dagster_run
    return LoadRun(run.run_id, run_snapshot_sha256(step.instance, run, partition))


def source_sha256(raw: RawSource) -> str:
    """The SHA-256 of a raw snapshot as read (`files_sha256` of IMDb's dataset files)."""
    if isinstance(raw, DatasetFiles):
        return files_sha256({name: file.sha256 for name, file in raw.files.items()})
    return raw.sha256


def table_load(run: LoadRun, key: dg.AssetKey, table: Table, day=None) -> Load:
    return run.load(key.to_user_string(), f"{table.schema}.{table.name}", day)


def run_snapshot_sha256(
    instance: dg.DagsterInstance, run: dg.DagsterRun | None, partition: str | None
) -> str | None:
    """The SHA-256 of the raw snapshot that `run` (or the run it re-executes) stored for
    `partition`; with no partition, of the one snapshot it stored. None if it stored none (or
    several, with no partition to choose)."""
    found: dict[str | None, str] = {}
    while run is not None and not found:
        for record in instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records:
            if record.asset_key == raw_imdb_movies.key:
                found[record.partition_key] = _sha256(record.asset_materialization.metadata)
        run = instance.get_run_by_id(run.parent_run_id) if run.parent_run_id else None
    if partition is not None:
        return found.get(partition)
    hashes = set(found.values())
    return hashes.pop() if len(hashes) == 1 else None


def _sha256(metadata) -> str | None:
    if SHA256_METADATA in metadata:
        return str(metadata[SHA256_METADATA].value)
    if RAW_FILES_METADATA in metadata:
        files = metadata[RAW_FILES_METADATA].value
        return files_sha256({name: facts["sha256"] for name, facts in files.items()})
    return None
