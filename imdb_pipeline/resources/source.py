"""Where the source CSV comes from."""

from pathlib import Path

import dagster as dg

from imdb_pipeline.deployment import source_uri
from imdb_pipeline.lib.source_file import SourceFileError


class SourceResource(dg.ConfigurableResource):
    """The source file named by IMDB_SOURCE_URI (default: the bundled sample), read as bytes."""

    def uri(self) -> str:
        return source_uri()

    def read(self, uri: str) -> bytes:
        path = Path(uri).expanduser()
        if not path.exists():
            raise SourceFileError(f"{uri}: file not found; set IMDB_SOURCE_URI to the source CSV")
        if not path.is_file():
            raise SourceFileError(f"{uri}: not a file; set IMDB_SOURCE_URI to the source CSV")
        return path.read_bytes()
