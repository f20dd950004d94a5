"""Where the source CSV comes from: a local path or an S3 object, plain or gzip."""

import datetime as dt

import dagster as dg

from imdb_pipeline.deployment import source_uri
from imdb_pipeline.resources.file_stores import FileStoreResource


class SourceResource(dg.ConfigurableResource):
    """The source file named by IMDB_SOURCE_URI (default: the bundled sample), read as bytes."""

    files: dg.ResourceDependency[FileStoreResource]

    def uri(self, snapshot_date: dt.date) -> str:
        return source_uri(snapshot_date)

    def read(self, uri: str) -> bytes:
        """The file's bytes as stored (still compressed if it is); raises StorageError."""
        return self.files.for_uri(uri).read(uri)
