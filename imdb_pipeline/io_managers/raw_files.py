"""Raw snapshots: the source file's original bytes, kept unchanged and addressed by content.

A snapshot lives at `<dataset>/ingest_date=YYYY-MM-DD/<sha256>.csv` under the raw store's root.
The same bytes ingested twice on a day are stored once. Downstream steps read the snapshot that
the latest materialization recorded, not the source again, so a snapshot can be reprocessed.
"""

import datetime as dt
import hashlib
import os
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from imdb_pipeline.deployment import pipeline_home

RAW_URI_METADATA = "raw_uri"


@dataclass(frozen=True)
class RawFile:
    """A source file as read: its bytes and where they came from."""

    data: bytes
    source_uri: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class RawStore(ABC):
    """Immutable, content-addressed storage of raw snapshots."""

    @abstractmethod
    def uri(self, relative_path: str) -> str: ...

    @abstractmethod
    def put(self, relative_path: str, data: bytes) -> bool:
        """Store the bytes unless already there; True when written."""

    @abstractmethod
    def get(self, uri: str) -> bytes: ...


class LocalRawStore(RawStore):
    def __init__(self, root: Path):
        self._root = root

    def uri(self, relative_path: str) -> str:
        return str(self._root / relative_path)

    def put(self, relative_path: str, data: bytes) -> bool:
        target = self._root / relative_path
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write aside, then rename: a reader never sees a partial snapshot.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.chmod(temporary, 0o444)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return True

    def get(self, uri: str) -> bytes:
        return Path(uri).read_bytes()


def snapshot_path(dataset: str, ingest_date: dt.date, sha256: str) -> str:
    return f"{dataset}/ingest_date={ingest_date.isoformat()}/{sha256}.csv"


class RawFileIOManager(dg.ConfigurableIOManager):
    """Stores RawFile outputs as their original bytes in the raw store (never as pickles)."""

    root: str | None = None

    def _store(self) -> RawStore:
        return LocalRawStore(Path(self.root) if self.root else pipeline_home() / "raw")

    def handle_output(self, context: dg.OutputContext, obj: RawFile) -> None:
        dataset = context.asset_key.path[-1].removeprefix("raw_")
        relative = snapshot_path(dataset, dt.datetime.now(dt.timezone.utc).date(), obj.sha256)
        store = self._store()
        written = store.put(relative, obj.data)
        context.add_output_metadata(
            {
                RAW_URI_METADATA: dg.MetadataValue.path(store.uri(relative)),
                "already_stored": not written,
            }
        )

    def load_input(self, context: dg.InputContext) -> RawFile:
        event = context.instance.get_latest_materialization_event(context.asset_key)
        metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
        if RAW_URI_METADATA not in metadata:
            raise dg.Failure(f"No raw snapshot of {context.asset_key.to_user_string()} is recorded")
        uri = str(metadata[RAW_URI_METADATA].value)
        source = metadata.get("source_uri")
        return RawFile(data=self._store().get(uri), source_uri=str(source.value) if source else uri)
