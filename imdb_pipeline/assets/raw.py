"""Raw layer: the day's source file, kept as it was read."""

import datetime as dt

import dagster as dg

from imdb_pipeline.constants import (
    DATA_ENGINEERING_OWNER,
    RAW_IO_MANAGER_KEY,
    SOURCE_URI_TAG,
    Layer,
)
from imdb_pipeline.io_managers.raw_files import SOURCE_URI_METADATA, RawFile
from imdb_pipeline.lib.source_file import SourceFileError, profile
from imdb_pipeline.partitions import daily_snapshots
from imdb_pipeline.retries import TRANSIENT_FAILURES
from imdb_pipeline.resources.file_stores import StorageError
from imdb_pipeline.resources.source import SourceResource


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
    try:
        data = source.read(uri)
        file_profile = profile(data, uri)
    except StorageError as error:
        raise dg.Failure(
            description=f"No usable source for {context.partition_key}: {error}",
            allow_retries=error.transient,
        ) from None
    except SourceFileError as error:
        # A bad file is not transient: fail at once, with the reason, and without retries.
        raise dg.Failure(description=str(error), allow_retries=False) from None
    context.add_output_metadata(
        {
            SOURCE_URI_METADATA: uri,
            "size_bytes": file_profile.size_bytes,
            "sha256": file_profile.sha256,
            "dagster/row_count": file_profile.row_count,
            "extra_columns": list(file_profile.extra_columns),
        }
    )
    return RawFile(data=data, source_uri=uri)
