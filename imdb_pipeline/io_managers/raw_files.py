"""Raw snapshots: the source file's original bytes, kept unchanged and addressed by content.

A snapshot lives at `<dataset>/ingest_date=YYYY-MM-DD/<sha256>.csv[.gz]` under the raw store
(IMDB_RAW_STORE_URI: a folder, or `s3://bucket/prefix`). The same bytes ingested twice on a day
are stored once. Downstream steps read the snapshot that the latest materialization recorded,
not the source again, so a snapshot can be reprocessed later.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

import dagster as dg

from imdb_pipeline.deployment import raw_store_uri
from imdb_pipeline.lib.compression import snapshot_suffix
from imdb_pipeline.lib.locations import join
from imdb_pipeline.resources.file_stores import FileStoreResource, StorageError

RAW_URI_METADATA = "raw_uri"
SOURCE_URI_METADATA = "source_uri"


@dataclass(frozen=True)
class RawFile:
    """A source file as read: its bytes (compressed, if it was) and where they came from."""

    data: bytes
    source_uri: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def snapshot_path(dataset: str, ingest_date: dt.date, raw_file: RawFile) -> str:
    suffix = snapshot_suffix(raw_file.data)
    return f"{dataset}/ingest_date={ingest_date.isoformat()}/{raw_file.sha256}{suffix}"


class RawFileIOManager(dg.ConfigurableIOManager):
    """Stores RawFile outputs as their original bytes in the raw store, never as pickles."""

    files: dg.ResourceDependency[FileStoreResource]

    def handle_output(self, context: dg.OutputContext, obj: RawFile) -> None:
        dataset = context.asset_key.path[-1].removeprefix("raw_")
        day = (
            dt.date.fromisoformat(context.partition_key)
            if context.has_partition_key
            else dt.datetime.now(dt.timezone.utc).date()
        )
        uri = join(raw_store_uri(), snapshot_path(dataset, day, obj))
        try:
            written = self.files.for_uri(uri).write_once(uri, obj.data)
        except StorageError as error:
            raise dg.Failure(f"Could not store the raw snapshot: {error}",
                             allow_retries=error.transient) from None  # fmt: skip
        context.add_output_metadata(
            {RAW_URI_METADATA: dg.MetadataValue.path(uri), "already_stored": not written}
        )

    def load_input(self, context: dg.InputContext) -> RawFile:
        partitions = [context.asset_partition_key] if context.has_asset_partitions else None
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=context.asset_key, asset_partitions=partitions), limit=1
        ).records
        materialization = records[0].asset_materialization if records else None
        metadata = materialization.metadata if materialization else {}
        if RAW_URI_METADATA not in metadata:
            day = f" for {partitions[0]}" if partitions else ""
            raise dg.Failure(
                f"No raw snapshot of {context.asset_key.to_user_string()}{day} is recorded: "
                "materialize it for that day first",
                allow_retries=False,
            )
        uri = str(metadata[RAW_URI_METADATA].value)
        source = metadata.get(SOURCE_URI_METADATA)
        try:
            data = self.files.for_uri(uri).read(uri)
        except StorageError as error:
            raise dg.Failure(f"Could not read the raw snapshot: {error}",
                             allow_retries=error.transient) from None  # fmt: skip
        return RawFile(data=data, source_uri=str(source.value) if source else uri)
