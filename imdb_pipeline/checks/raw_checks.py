"""Checks of the raw snapshot itself: it exists, it has the contract's header, its size is sane.

They re-read the stored snapshot (not the source), so they also prove the raw store holds what
the run recorded.
"""

from collections.abc import Iterator

import dagster as dg

from imdb_pipeline.assets.raw import raw_imdb_movies
from imdb_pipeline.checks.factory import PARTITION_TAG
from imdb_pipeline.io_managers.raw_files import RAW_URI_METADATA
from imdb_pipeline.lib.source_file import SourceFileError, decode, iter_records, read_header
from imdb_pipeline.resources.file_stores import FileStoreResource
from imdb_pipeline.resources.quality import QualityResource

RAW = raw_imdb_movies.key
PRESENT, HEADER, ROWS = "file_present_and_not_empty", "header_matches_contract", "row_count_within_bounds"


def _spec(name: str, description: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset=RAW, description=f"[ERROR] {description}", blocking=True)


@dg.multi_asset_check(
    name="raw_file_quality",
    description="The stored raw snapshot: present, the contract's header, a sane row count.",
    specs=[
        _spec(PRESENT, "The day's raw snapshot is in the raw store and is not empty."),
        _spec(HEADER, "The snapshot's header has every column of the source contract."),
        _spec(ROWS, "The snapshot's data rows are within the configured bounds."),
    ],
    can_subset=True,
)
def raw_file_checks(
    context: dg.AssetCheckExecutionContext, files: FileStoreResource, quality: QualityResource
) -> Iterator[dg.AssetCheckResult]:
    selected = {key.name for key in context.selected_asset_check_keys}
    outcomes = _outcomes(context, files, quality)
    for name in (PRESENT, HEADER, ROWS):
        if name in selected:
            passed, metadata = outcomes[name]
            yield dg.AssetCheckResult(
                asset_key=RAW, check_name=name, passed=passed,
                severity=dg.AssetCheckSeverity.ERROR, metadata=metadata,
            )  # fmt: skip


def _outcomes(context, files, quality) -> dict[str, tuple[bool, dict]]:
    day = context.run.tags.get(PARTITION_TAG)
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RAW, asset_partitions=[day] if day else None), limit=1
    ).records
    metadata = records[0].asset_materialization.metadata if records else {}
    if RAW_URI_METADATA not in metadata:
        missing = (False, {"reason": f"no raw snapshot recorded{' for ' + day if day else ''}"})
        return {PRESENT: missing, HEADER: missing, ROWS: missing}
    uri = str(metadata[RAW_URI_METADATA].value)
    try:
        data = files.for_uri(uri).read(uri)
        text = decode(data, uri)
    except Exception as error:  # unreadable: every rule fails, none passes by default
        failed = (False, {"raw_uri": uri, "reason": str(error)})
        return {PRESENT: failed, HEADER: failed, ROWS: failed}
    base = {"raw_uri": uri, "size_bytes": len(data)}
    outcomes = {PRESENT: (len(data) > 0 and bool(text.strip()), base)}
    try:
        header = read_header(text, uri)
        outcomes[HEADER] = (True, {**base, "columns": list(header)})
    except SourceFileError as error:
        outcomes[HEADER] = (False, {**base, "reason": str(error)})
        outcomes[ROWS] = (False, {**base, "reason": "no usable header"})
        return outcomes
    rows = sum(1 for _ in iter_records(text))
    within = quality.raw_min_rows <= rows <= quality.raw_max_rows
    outcomes[ROWS] = (within, {**base, "rows": rows, "min_rows": quality.raw_min_rows,
                               "max_rows": quality.raw_max_rows})  # fmt: skip
    return outcomes


RAW_CHECKS = [raw_file_checks]
