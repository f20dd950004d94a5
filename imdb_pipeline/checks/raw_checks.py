"""Checks of the raw snapshot itself: it exists, it has the contract's header, its size is sane.

They read the stored snapshot (not the source) as a stream: its first line for the header, and
all of it for its SHA-256, which proves the raw store holds exactly the bytes the raw step
profiled, so the row count that step recorded is the snapshot's. IMDb's dataset files are
checked one by one, each against its own header; the row bounds apply to the file of titles.
"""

import hashlib
from collections.abc import Iterator

import dagster as dg

from imdb_pipeline.assets.raw import raw_imdb_movies
from imdb_pipeline.checks.blocking import reported
from imdb_pipeline.checks.factory import PARTITION_TAG, check_spec
from imdb_pipeline.io_managers.raw_files import (
    RAW_FILES_METADATA,
    RAW_URI_METADATA,
    ROW_COUNT_METADATA,
    SHA256_METADATA,
    SIZE_METADATA,
    recorded_snapshot,
)
from imdb_pipeline.lib import imdb_datasets
from imdb_pipeline.lib.source_file import (
    CHUNK_BYTES,
    SourceFileError,
    first_line,
    read_header,
)
from imdb_pipeline.resources.file_stores import FileStoreResource, StorageError
from imdb_pipeline.resources.quality import QualityResource

RAW = raw_imdb_movies.key
PRESENT, HEADER = "file_present_and_not_empty", "header_matches_contract"
ROWS = "row_count_within_bounds"


def _spec(name: str, description: str) -> dg.AssetCheckSpec:
    return check_spec(name, asset=RAW, description=f"[ERROR] {description}", blocking=True,
                      daily=True)  # fmt: skip


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
            yield from reported(context, dg.AssetCheckResult(
                asset_key=RAW, check_name=name, passed=passed,
                severity=dg.AssetCheckSeverity.ERROR, metadata=metadata,
            ))  # fmt: skip


def _outcomes(context, files, quality) -> dict[str, tuple[bool, dict]]:
    day = context.run.tags.get(PARTITION_TAG)
    metadata = recorded_snapshot(context.instance, RAW, day, context.run)
    if RAW_FILES_METADATA in metadata:
        return _dataset_outcomes(metadata[RAW_FILES_METADATA].value, files, quality)
    if RAW_URI_METADATA not in metadata:
        missing = (False, {"reason": f"no raw snapshot recorded{' for ' + day if day else ''}"})
        return {PRESENT: missing, HEADER: missing, ROWS: missing}
    uri = str(metadata[RAW_URI_METADATA].value)
    try:
        size, line, sha256 = _read_snapshot(files, uri)
    except (StorageError, OSError, ValueError) as error:  # unreadable: every rule fails
        failed = (False, {"raw_uri": uri, "reason": str(error)})
        return {PRESENT: failed, HEADER: failed, ROWS: failed}
    base = {"raw_uri": uri, "size_bytes": size}
    outcomes = {PRESENT: (size > 0 and bool(line.strip()), base)}
    try:
        header = read_header(line, uri)
        outcomes[HEADER] = (True, {**base, "columns": list(header)})
    except SourceFileError as error:
        outcomes[HEADER] = (False, {**base, "reason": str(error)})
        outcomes[ROWS] = (False, {**base, "reason": "no usable header"})
        return outcomes
    outcomes[ROWS] = _rows_outcome(metadata, size, sha256, quality, base)
    return outcomes


def _dataset_outcomes(stored: dict, files, quality) -> dict[str, tuple[bool, dict]]:
    """Each rule over every dataset file: it passes when it passes for each, and its metadata
    says, per file, what was found."""
    per_file: dict[str, dict[str, tuple[bool, dict]]] = {}
    for file in imdb_datasets.FILES:
        facts = stored.get(file.name)
        if facts is None:
            missing = (False, {"reason": f"no raw snapshot of {file.name} recorded"})
            per_file[file.name] = {PRESENT: missing, HEADER: missing, ROWS: missing}
            continue
        per_file[file.name] = _file_outcomes(file, facts, files, quality)
    outcomes = {}
    for name in (PRESENT, HEADER, ROWS):
        failed = {file: found[name][1] for file, found in per_file.items() if not found[name][0]}
        metadata = {"files": dg.MetadataValue.json(
            {file: found[name][1] for file, found in per_file.items()})}  # fmt: skip
        if failed:
            metadata["reason"] = "; ".join(
                f"{file}: {facts.get('reason', 'failed')}" for file, facts in failed.items())
        outcomes[name] = (not failed, metadata)
    return outcomes


def _file_outcomes(file, facts: dict, files, quality) -> dict[str, tuple[bool, dict]]:
    uri = facts["raw_uri"]
    try:
        size, line, sha256 = _read_snapshot(files, uri)
    except (StorageError, OSError, ValueError) as error:
        failed = (False, {"raw_uri": uri, "reason": str(error)})
        return {PRESENT: failed, HEADER: failed, ROWS: failed}
    base = {"raw_uri": uri, "size_bytes": size}
    outcomes = {PRESENT: (size > 0 and bool(line.strip()), base)}
    try:
        outcomes[HEADER] = (True, {**base, "columns": list(imdb_datasets.header_of(line, file, uri))})
    except SourceFileError as error:
        outcomes[HEADER] = (False, {**base, "reason": str(error)})
    if facts.get("size_bytes") != size or facts.get("sha256") != sha256:
        outcomes[ROWS] = (False, {**base, "sha256": sha256, "recorded_sha256": facts.get("sha256"),
                                  "reason": "the stored snapshot is not the file the raw step "
                                  "profiled"})  # fmt: skip
        return outcomes
    rows = int(facts["rows"])
    # Only titles have bounds: the other files' sizes follow from them (principals ~8 a title).
    within = file is not imdb_datasets.TITLE_BASICS or (
        quality.raw_min_rows <= rows <= quality.raw_max_rows)
    outcomes[ROWS] = (within, {**base, "sha256": sha256, "rows": rows})
    if not within:
        outcomes[ROWS][1]["reason"] = (f"{rows:,} rows, outside {quality.raw_min_rows:,}.."
                                       f"{quality.raw_max_rows:,}")
    return outcomes


def _rows_outcome(metadata, size: int, sha256: str, quality, base: dict) -> tuple[bool, dict]:
    recorded = {name: metadata[name].value for name in (SIZE_METADATA, SHA256_METADATA,
                ROW_COUNT_METADATA) if name in metadata}  # fmt: skip
    if recorded.get(SIZE_METADATA) != size or recorded.get(SHA256_METADATA) != sha256:
        reason = "the stored snapshot is not the file the raw step profiled"
        return False, {**base, "sha256": sha256, "recorded_sha256": recorded.get(SHA256_METADATA),
                       "reason": reason}  # fmt: skip
    if ROW_COUNT_METADATA not in recorded:
        return False, {**base, "reason": "the raw step recorded no row count"}
    # The raw step counted the records of exactly these bytes (same size and SHA-256), and the
    # count is a pure function of the bytes: counting them again could only give the same number.
    rows = int(recorded[ROW_COUNT_METADATA])
    within = quality.raw_min_rows <= rows <= quality.raw_max_rows
    return within, {**base, "sha256": sha256, "rows": rows, "min_rows": quality.raw_min_rows,
                    "max_rows": quality.raw_max_rows}  # fmt: skip


def _read_snapshot(files, uri: str) -> tuple[int, str, str]:
    """(size, first line, SHA-256) of a stored snapshot, read from the store itself."""
    store = files.for_uri(uri)
    size = store.version(uri).size
    with store.open_read(uri) as stream:
        line = first_line(stream, uri)
    with store.open_read(uri) as stream:
        sha256 = _sha256(stream)
    return size, line, sha256


def _sha256(stream) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK_BYTES):
        digest.update(chunk)
    return digest.hexdigest()


RAW_CHECKS = [raw_file_checks]
