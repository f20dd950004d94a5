"""Where the source CSV comes from: a local path or an S3 object, plain or gzip."""

import datetime as dt
from pathlib import Path

import dagster as dg

from imdb_pipeline.deployment import source_uri
from imdb_pipeline.resources.file_stores import FileStoreResource


class SourceResource(dg.ConfigurableResource):
    """The source file named by IMDB_SOURCE_URI (default: the bundled sample)."""

    files: dg.ResourceDependency[FileStoreResource]

    def uri(self, snapshot_date: dt.date) -> str:
        return source_uri(snapshot_date)

    def local_file(self, uri: str) -> tuple[Path, bool]:
        """A local file with the source's bytes as stored (still compressed if it is): a local
        source is read in place, an S3 one is downloaded in parts to a temporary file that the
        caller owns (the flag is True). Raises StorageError."""
        return self.files.local_file(uri)
