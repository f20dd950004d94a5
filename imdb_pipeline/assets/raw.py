"""Raw layer: the day's source file, kept as it was read."""

import datetime as dt

import dagster as dg

from imdb_pipeline.constants import (
    DATA_ENGINEERING_OWNER,
    RAW_IO_MANAGER_KEY,
    SOURCE_URI_TAG,
    Layer,
)
from imdb_pipeline.io_managers.raw_files import (
    ROW_COUNT_METADATA,
    SHA256_METADATA,
    SIZE_METADATA,
    SOURCE_URI_METADATA,
    RawFile,
)
from imdb_pipeline.lib.source_file import SourceFileError, profile
from imdb_pipeline.partitions import daily_snapshots
from imdb_pipeline.resources.file_stores import StorageError
from imdb_pipeline.resources.source import SourceResource
from imdb_pipeline.retries import TRANSIENT_FAILURES


@dg.asset(
    key_prefix=Layer.RAW.value,
    group_name=Layer.RAW.value,
    io_manager_key=RAW_IO_MANAGER_KEY,
    partitions_def=daily_snapshots,
    retry_policy=TRANSIENT_FAILURES,
    kinds={"csv"},
    owners=[DATA_ENGINEERING_OWNER],
    description="The day's IMDb movies export as read, stored unchanged in the raw store.",
)
def raw_imdb_movies(context: dg.AssetExecutionContext, source: SourceResource) -> RawFile:
    # A sensor run names the exact file it saw (the source URI may hold wildcards).
    uri = context.run.tags.get(SOURCE_URI_TAG) or source.uri(
        dt.date.fromisoformat(context.partition_key)
    )
    # A local source is read in place, then copied by the IO manager: should it change between
    # the two, the raw checks find that the stored snapshot's SHA-256 is not the recorded one.
    try:
        path, temporary = source.local_file(uri)
    except StorageError as error:
        raise dg.Failure(
            description=f"No usable source for {context.partition_key}: {error}",
            allow_retries=error.transient,
        ) from None
    try:
        with path.open("rb") as stream:
            file_profile = profile(stream, uri)
    except BaseException as error:
        if temporary:
            path.unlink(missing_ok=True)
        if isinstance(error, SourceFileError):
            # A bad file is not transient: fail at once, with the reason, and without retries.
            raise dg.Failure(description=str(error), allow_retries=False) from None
        raise
    context.add_output_metadata(
        {
            SOURCE_URI_METADATA: uri,
            SIZE_METADATA: file_profile.size_bytes,
            SHA256_METADATA: file_profile.sha256,
            ROW_COUNT_METADATA: file_profile.row_count,
            "extra_columns": list(file_profile.extra_columns),
        }
    )
    # A downloaded copy belongs to the RawFile from here on, and goes when it is released.
    return RawFile(
        path=path,
        source_uri=uri,
        sha256=file_profile.sha256,
        size_bytes=file_profile.size_bytes,
        temporary=temporary,
    )
