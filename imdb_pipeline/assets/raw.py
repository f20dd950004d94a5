"""Raw layer: the day's source files, kept as they were read."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg

from imdb_pipeline.assets.tags import layer_tags
from imdb_pipeline.constants import (
    DATA_ENGINEERING_OWNER,
    LAYOUT_IMDB_DATASETS,
    RAW_IO_MANAGER_KEY,
    SOURCE_URI_TAG,
    Layer,
)
from imdb_pipeline.io_managers.raw_files import (
    ROW_COUNT_METADATA,
    SHA256_METADATA,
    SIZE_METADATA,
    SOURCE_URI_METADATA,
    DatasetFiles,
    RawFile,
    RawSource,
)
from imdb_pipeline.lib import imdb_datasets
from imdb_pipeline.lib.locations import join
from imdb_pipeline.lib.source_file import SourceFileError, profile
from imdb_pipeline.partitions import daily_snapshots
from imdb_pipeline.resources.file_stores import StorageError
from imdb_pipeline.resources.source import SourceResource
from imdb_pipeline.retries import TRANSIENT_FAILURES


@dg.asset(
    key_prefix=Layer.RAW.value,
    group_name=Layer.RAW.value,
    tags=layer_tags(Layer.RAW),
    io_manager_key=RAW_IO_MANAGER_KEY,
    partitions_def=daily_snapshots,
    retry_policy=TRANSIENT_FAILURES,
    kinds={"csv"},
    owners=[DATA_ENGINEERING_OWNER],
    description="The day's IMDb source as read (the movies export, or IMDb's five dataset "
    "files), stored unchanged in the raw store.",
)
def raw_imdb_movies(
    context: dg.AssetExecutionContext, source: SourceResource
) -> RawSource:
    # A sensor run names the exact file it saw (the source URI may hold wildcards).
    uri = context.run.tags.get(SOURCE_URI_TAG) or source.uri(
        dt.date.fromisoformat(context.partition_key)
    )
    if source.layout(uri) == LAYOUT_IMDB_DATASETS:
        return _dataset_files(context, source, uri)
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


def _dataset_files(
    context: dg.AssetExecutionContext, source: SourceResource, folder: str
) -> DatasetFiles:
    """The five files of IMDb's datasets in `folder`, each checked and profiled (two at once:
    gzip and hashing release the GIL)."""
    local: dict[str, tuple[Path, bool]] = {}  # file name -> local path, and whether downloaded
    try:
        for file in imdb_datasets.FILES:
            try:
                local[file.name] = source.local_file(join(folder, file.name))
            except StorageError as error:
                raise dg.Failure(
                    description=f"No usable {file.name} for {context.partition_key}: {error}. "
                    f"The IMDb datasets layout reads {', '.join(imdb_datasets.BY_NAME)} from "
                    "one folder.",
                    allow_retries=error.transient,
                ) from None
        with ThreadPoolExecutor(max_workers=2) as pool:
            profiles = list(pool.map(
                lambda file: imdb_datasets.profile(local[file.name][0], file,
                                                   join(folder, file.name)),
                imdb_datasets.FILES))  # fmt: skip
    except BaseException as error:
        for path, temporary in local.values():
            if temporary:
                path.unlink(missing_ok=True)
        if isinstance(error, SourceFileError):
            raise dg.Failure(description=str(error), allow_retries=False) from None
        raise
    by_name = {found.name: found for found in profiles}
    context.add_output_metadata({
        SOURCE_URI_METADATA: folder,
        "layout": LAYOUT_IMDB_DATASETS,
        ROW_COUNT_METADATA: by_name[imdb_datasets.TITLE_BASICS.name].row_count,
        "files": dg.MetadataValue.md(_files_table(by_name)),
    })  # fmt: skip
    files = {
        name: RawFile(path=path, source_uri=join(folder, name), sha256=by_name[name].sha256,
                      size_bytes=by_name[name].size_bytes, temporary=temporary)
        for name, (path, temporary) in local.items()
    }  # fmt: skip
    return DatasetFiles(source_uri=folder, files=files,
                        rows={name: found.row_count for name, found in by_name.items()})


def _files_table(profiles: dict) -> str:
    lines = ["| file | rows | bytes | sha256 |", "|---|---:|---:|---|"]
    lines += [f"| {name} | {found.row_count:,} | {found.size_bytes:,} | `{found.sha256[:16]}…` |"
              for name, found in profiles.items()]  # fmt: skip
    return "\n".join(lines)
