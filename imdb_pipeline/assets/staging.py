"""Staging layer: each day's source typed and cleaned, with the rows it had to reject."""

import datetime as dt

import dagster as dg
import pandas as pd

from imdb_pipeline.assets.raw import raw_imdb_movies
from imdb_pipeline.assets.warehouse_table import table_properties
from imdb_pipeline.constants import SNAPSHOT_DATE, Layer
from imdb_pipeline.io_managers.raw_files import RawFile
from imdb_pipeline.lib.snapshots import with_snapshot_date
from imdb_pipeline.lib.source_file import SourceFileError
from imdb_pipeline.lib.staging import stage
from imdb_pipeline.partitions import daily_snapshots
from imdb_pipeline.retries import TRANSIENT_FAILURES

STG_MOVIES = dg.AssetKey([Layer.STAGING.value, "stg_movies"])
STG_MOVIES_REJECTS = dg.AssetKey([Layer.STAGING.value, "stg_movies_rejects"])


def _table(key: dg.AssetKey, description: str, primary_key: list[str]) -> dg.AssetOut:
    properties = table_properties(Layer.STAGING, description, [SNAPSHOT_DATE, *primary_key])
    properties["metadata"]["partition_expr"] = SNAPSHOT_DATE
    return dg.AssetOut(key=key, **properties)


@dg.multi_asset(
    name="stage_movies",
    outs={
        "stg_movies": _table(
            STG_MOVIES,
            "One typed, trimmed row per valid movie and day; a repeated movie_id keeps its last row.",
            ["movie_id"],
        ),
        "stg_movies_rejects": _table(
            STG_MOVIES_REJECTS,
            "Source rows that broke the contract, with their line number and the reason.",
            ["source_line"],
        ),
    },
    ins={"raw_file": dg.AssetIn(key=raw_imdb_movies.key)},
    partitions_def=daily_snapshots,
    retry_policy=TRANSIENT_FAILURES,
)
def stage_movies(context: dg.AssetExecutionContext, raw_file: RawFile):
    day = dt.date.fromisoformat(context.partition_key)
    try:
        result = stage(raw_file.data, raw_file.source_uri, day)
    except SourceFileError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    context.log.info(
        "Staged %d movies for %s; rejected %d rows; resolved %d duplicate movie_id rows",
        len(result.movies), day, len(result.rejects), result.duplicates_resolved,
    )  # fmt: skip
    yield dg.Output(
        with_snapshot_date(result.movies, day),
        output_name="stg_movies",
        metadata={
            "rejected_rows": len(result.rejects),
            "duplicates_resolved": result.duplicates_resolved,
            "source_uri": raw_file.source_uri,
        },
    )
    yield dg.Output(
        with_snapshot_date(result.rejects, day),
        output_name="stg_movies_rejects",
        metadata={"reasons": _reason_counts(result.rejects)},
    )


def _reason_counts(rejects: pd.DataFrame) -> dg.MetadataValue:
    counts = rejects["reason"].value_counts().head(20)
    return dg.MetadataValue.json({str(reason): int(count) for reason, count in counts.items()})
