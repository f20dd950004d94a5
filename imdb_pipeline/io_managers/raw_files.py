"""Raw snapshots: the source file's original bytes, kept unchanged and addressed by content.

A snapshot lives at `<dataset>/ingest_date=YYYY-MM-DD/<sha256>.csv[.gz]` under the raw store
(IMDB_RAW_STORE_URI: a folder, or `s3://bucket/prefix`); each of IMDb's dataset files at
`<dataset>/ingest_date=YYYY-MM-DD/<file>/<sha256>.tsv[.gz]`. The same bytes ingested twice on a day
are stored once. Downstream steps read the snapshot that their own run recorded (or, in a run
that did not read the source, the day's latest), not the source again, so a snapshot can be
reprocessed later.

Bytes are never held in memory: a RawFile names a local file. A local file is used in place;
a file in S3 is downloaded to a private temporary file (under TMPDIR) that its RawFile owns. A
downloaded source is removed as soon as it is stored; a downloaded snapshot when its RawFile is
garbage-collected, that is once the reading step is done with it, or at the latest when the
process exits.
"""

import datetime as dt
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import dagster as dg

from imdb_pipeline.deployment import raw_store_uri
from imdb_pipeline.lib.compression import snapshot_suffix
from imdb_pipeline.lib.locations import join
from imdb_pipeline.resources.file_stores import FileStoreResource, StorageError

RAW_URI_METADATA = "raw_uri"
SOURCE_URI_METADATA = "source_uri"
SHA256_METADATA = "sha256"
SIZE_METADATA = "size_bytes"
ROW_COUNT_METADATA = "dagster/row_count"
# IMDb datasets: {file name: {raw_uri, sha256, size_bytes, rows}} of the day's files.
RAW_FILES_METADATA = "raw_files"


class RawSource:
    """What the raw step read: one file (RawFile) or IMDb's dataset files (DatasetFiles)."""

    source_uri: str

    def release(self) -> None:
        """Remove the temporary files the source holds; it is not to be read again."""


@dataclass(frozen=True, eq=False)
class RawFile(RawSource):
    """A source file as read: a local file holding its bytes (compressed, if it was), where
    they came from, and their hash and size. A `temporary` file is removed with its RawFile."""

    path: Path
    source_uri: str
    sha256: str
    size_bytes: int
    temporary: bool = field(default=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))
        # A temporary file goes on `release()`, when the RawFile is garbage-collected, or at
        # interpreter exit at the latest, whichever comes first.
        remove = None
        if self.temporary:
            remove = weakref.finalize(self, self.path.unlink, missing_ok=True)
        object.__setattr__(self, "_remove", remove)

    def release(self) -> None:
        """Remove a temporary file now; the RawFile is not to be opened again."""
        if self._remove is not None:
            self._remove()

    def open(self) -> BinaryIO:
        """The stored bytes, as a binary file to read (still gzip if the source was)."""
        return self.path.open("rb")


@dataclass(frozen=True, eq=False)
class DatasetFiles(RawSource):
    """The day's IMDb dataset files as read: a RawFile per file name, the folder they came
    from, and each file's data rows."""

    source_uri: str
    files: dict[str, RawFile]
    rows: dict[str, int]

    def release(self) -> None:
        for raw_file in self.files.values():
            raw_file.release()


def recorded_snapshot(
    instance: dg.DagsterInstance,
    asset_key: dg.AssetKey,
    partition: str | None,
    run: dg.DagsterRun | None = None,
) -> dict:
    """The metadata of the raw materialization that names the snapshot (RAW_URI_METADATA) a run
    reads: the one `run` recorded itself, or the run it re-executes; when neither stored one (a
    run that stages a day without reading its source), the latest of that day's partition (of
    any day when `partition` is None). {} if there is none.

    Taking the run's own snapshot keeps two runs of one day from staging each other's file: the
    latest one may be another run's, stored in between."""
    while run is not None:
        events = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, ascending=False
        ).records
        for record in events:
            if record.asset_key == asset_key and record.partition_key == partition:
                return dict(record.asset_materialization.metadata)
        run = instance.get_run_by_id(run.parent_run_id) if run.parent_run_id else None
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=asset_key, asset_partitions=[partition] if partition else None
        ),
        limit=1,
    ).records
    return dict(records[0].asset_materialization.metadata) if records else {}


def snapshot_path(dataset: str, ingest_date: dt.date, raw_file: RawFile, name: str = "") -> str:
    """Where a snapshot goes; `name` is an IMDb dataset file's name, whose own folder it gets."""
    with raw_file.open() as stream:
        head = stream.read(2)
    folder = f"{dataset}/ingest_date={ingest_date.isoformat()}"
    if not name:
        return f"{folder}/{raw_file.sha256}{snapshot_suffix(head)}"
    stem = name.removesuffix(".gz").removesuffix(".tsv")
    return f"{folder}/{stem}/{raw_file.sha256}{snapshot_suffix(head, '.tsv')}"


class RawFileIOManager(dg.ConfigurableIOManager):
    """Stores RawFile outputs as their original bytes in the raw store, never as pickles."""

    files: dg.ResourceDependency[FileStoreResource]

    def handle_output(self, context: dg.OutputContext, obj: RawSource) -> None:
        try:
            if isinstance(obj, DatasetFiles):
                self._store_datasets(context, obj)
            else:
                uri, written = self._store(context, obj)
                context.add_output_metadata(
                    {RAW_URI_METADATA: dg.MetadataValue.path(uri), "already_stored": not written}
                )
        finally:
            obj.release()  # a downloaded source is not needed once stored (or if not storable)

    def _store_datasets(self, context: dg.OutputContext, obj: DatasetFiles) -> None:
        stored, written = {}, 0
        for name, raw_file in obj.files.items():
            uri, new = self._store(context, raw_file, name)
            written += new
            stored[name] = {"raw_uri": uri, "sha256": raw_file.sha256,
                            "size_bytes": raw_file.size_bytes, "rows": obj.rows[name]}  # fmt: skip
        context.add_output_metadata(
            {RAW_FILES_METADATA: dg.MetadataValue.json(stored), "already_stored": written == 0}
        )

    def _store(self, context: dg.OutputContext, obj: RawFile, name: str = "") -> tuple[str, bool]:
        dataset = context.asset_key.path[-1].removeprefix("raw_")
        day = (
            dt.date.fromisoformat(context.partition_key)
            if context.has_partition_key
            else dt.datetime.now(dt.UTC).date()
        )
        uri = join(raw_store_uri(), snapshot_path(dataset, day, obj, name))
        try:
            return uri, self.files.for_uri(uri).write_once_from_file(uri, obj.path)
        except StorageError as error:
            raise dg.Failure(f"Could not store the raw snapshot {name or ''}: {error}",
                             allow_retries=error.transient) from None  # fmt: skip

    def load_input(self, context: dg.InputContext) -> RawSource:
        partition = context.asset_partition_key if context.has_asset_partitions else None
        run = context.step_context.dagster_run
        metadata = recorded_snapshot(context.instance, context.asset_key, partition, run)
        if RAW_FILES_METADATA in metadata:
            return self._load_datasets(metadata)
        if RAW_URI_METADATA not in metadata:
            day = f" for {partition}" if partition else ""
            raise dg.Failure(
                f"No raw snapshot of {context.asset_key.to_user_string()}{day} is recorded: "
                "materialize it for that day first",
                allow_retries=False,
            )
        uri = str(metadata[RAW_URI_METADATA].value)
        source = metadata.get(SOURCE_URI_METADATA)
        try:
            path, temporary = self.files.local_file(uri)
        except StorageError as error:
            raise dg.Failure(f"Could not read the raw snapshot: {error}",
                             allow_retries=error.transient) from None  # fmt: skip
        return RawFile(
            path=path,
            source_uri=str(source.value) if source else uri,
            sha256=str(metadata[SHA256_METADATA].value),
            size_bytes=int(metadata[SIZE_METADATA].value),
            temporary=temporary,
        )

    def _load_datasets(self, metadata: dict) -> DatasetFiles:
        stored = metadata[RAW_FILES_METADATA].value
        source = str(metadata[SOURCE_URI_METADATA].value) if SOURCE_URI_METADATA in metadata else ""
        files: dict[str, RawFile] = {}
        try:
            for name, facts in stored.items():
                path, temporary = self._local(facts["raw_uri"])
                # Errors name the file as the user knows it: in the source folder.
                where = join(source, name) if source else facts["raw_uri"]
                files[name] = RawFile(path=path, source_uri=where,
                                      sha256=facts["sha256"], size_bytes=facts["size_bytes"],
                                      temporary=temporary)  # fmt: skip
        except BaseException:
            for raw_file in files.values():
                raw_file.release()
            raise
        return DatasetFiles(
            source_uri=source,
            files=files,
            rows={name: int(facts["rows"]) for name, facts in stored.items()},
        )

    def _local(self, uri: str) -> tuple[Path, bool]:
        try:
            return self.files.local_file(uri)
        except StorageError as error:
            raise dg.Failure(f"Could not read the raw snapshot: {error}",
                             allow_retries=error.transient) from None  # fmt: skip
