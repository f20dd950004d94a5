"""Staging layer: the source typed and cleaned, with the rows it had to reject."""

import datetime as dt

import dagster as dg
import pandas as pd

from imdb_pipeline.assets.raw import raw_imdb_movies
from imdb_pipeline.assets.warehouse_table import table_properties
from imdb_pipeline.constants import Layer
from imdb_pipeline.io_managers.raw_files import RawFile
from imdb_pipeline.lib.source_file import SourceFileError
from imdb_pipeline.lib.staging import stage

STG_MOVIES = dg.AssetKey([Layer.STAGING.value, "stg_movies"])
STG_MOVIES_REJECTS = dg.AssetKey([Layer.STAGING.value, "stg_movies_rejects"])


def _table(key: dg.AssetKey, description: str, primary_key: list[str]) -> dg.AssetOut:
    return dg.AssetOut(key=key, **table_properties(Layer.STAGING, description, primary_key))


@dg.multi_asset(
    name="stage_movies",
    outs={
        "stg_movies": _table(
            STG_MOVIES,
            "One typed, trimmed row per valid movie; a repeated movie_id keeps its last row.",
            ["movie_id"],
        ),
        "stg_movies_rejects": _table(
            STG_MOVIES_REJECTS,
            "Source rows that broke the contract, with their line number and the reason.",
            ["source_line"],
        ),
    },
    ins={"raw_file": dg.AssetIn(key=raw_imdb_movies.key)},
)
def stage_movies(context: dg.AssetExecutionContext, raw_file: RawFile):
    try:
        result = stage(raw_file.data, raw_file.source_uri, dt.date.today())
    except SourceFileError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    context.log.info(
        "Staged %d movies; rejected %d rows; resolved %d duplicate movie_id rows",
        len(result.movies), len(result.rejects), result.duplicates_resolved,
    )  # fmt: skip
    yield dg.Output(
        result.movies,
        output_name="stg_movies",
        metadata={
            "rejected_rows": len(result.rejects),
            "duplicates_resolved": result.duplicates_resolved,
            "source_uri": raw_file.source_uri,
        },
    )
    yield dg.Output(
        result.rejects,
        output_name="stg_movies_rejects",
        metadata={"reasons": _reason_counts(result.rejects)},
    )


def _reason_counts(rejects: pd.DataFrame) -> dg.MetadataValue:
    counts = rejects["reason"].value_counts().head(20)
    return dg.MetadataValue.json({str(reason): int(count) for reason, count in counts.items()})
