"""Where the source comes from: a CSV file, or a folder of IMDb's dataset files; local or S3."""

import datetime as dt
from pathlib import Path

import dagster as dg

from imdb_pipeline.constants import LAYOUT_CSV, LAYOUT_IMDB_DATASETS
from imdb_pipeline.deployment import source_layout, source_uri
from imdb_pipeline.lib.dataset_records import DEFAULT_TITLE_TYPES
from imdb_pipeline.lib.imdb_datasets import TITLE_BASICS
from imdb_pipeline.lib.locations import join
from imdb_pipeline.resources.file_stores import FileStoreResource, StorageError

_CSV_SUFFIXES = (".csv", ".csv.gz")


class SourceResource(dg.ConfigurableResource):
    """The source named by IMDB_SOURCE_URI (default: the bundled sample), in the layout
    IMDB_SOURCE_LAYOUT sets or its file names show."""

    files: dg.ResourceDependency[FileStoreResource]
    title_types: list[str] = list(DEFAULT_TITLE_TYPES)
    """IMDb datasets: the titleType values staged as movies (e.g. movie, tvMovie)."""
    include_adult: bool = False
    """IMDb datasets: also stage the titles marked isAdult = 1."""

    def uri(self, snapshot_date: dt.date) -> str:
        return source_uri(snapshot_date)

    def layout(self, uri: str) -> str:
        """`imdb-datasets` when the layout is set so, or when `uri` names a folder or prefix
        holding title.basics; else `csv`."""
        configured = source_layout()
        if configured is not None:
            return configured
        if uri.lower().endswith(_CSV_SUFFIXES):
            return LAYOUT_CSV
        basics = join(uri, TITLE_BASICS.name)
        try:
            self.files.for_uri(basics).version(basics)
        except (StorageError, OSError):
            return LAYOUT_CSV
        return LAYOUT_IMDB_DATASETS

    def local_file(self, uri: str) -> tuple[Path, bool]:
        """A local file with the source's bytes as stored (still compressed if it is): a local
        source is read in place, an S3 one is downloaded in parts to a temporary file that the
        caller owns (the flag is True). Raises StorageError."""
        return self.files.local_file(uri)
