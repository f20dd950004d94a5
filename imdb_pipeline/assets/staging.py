"""Staging layer: each day's source typed and cleaned, with the rows it had to reject.

The raw snapshot is parsed as a stream and copied into a new partition of `stg_movies` while it
is read, so a file of any size is staged in bounded memory. Both tables are written in one
transaction: a day's movies and its rejects always describe the same file.
"""

import contextlib
import datetime as dt

import dagster as dg
from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.assets.load_context import source_sha256, table_load
from imdb_pipeline.assets.raw import raw_imdb_movies
from imdb_pipeline.assets.warehouse_table import table_key, table_spec, written
from imdb_pipeline.checks.blocking import blocked_upstream, kept_as_before
from imdb_pipeline.io_managers.raw_files import DatasetFiles, RawFile, RawSource
from imdb_pipeline.lib import load_audit, pg_errors, pg_tables
from imdb_pipeline.lib.dataset_records import DatasetRecords
from imdb_pipeline.lib.load_audit import LoadRun
from imdb_pipeline.lib.source_file import SourceFileError
from imdb_pipeline.lib.sql_text import quote
from imdb_pipeline.lib.staging import StagedSource, stage, valid_row_line
from imdb_pipeline.lib.warehouse_tables import STG_MOVIES, STG_MOVIES_REJECTS
from imdb_pipeline.partitions import daily_snapshots
from imdb_pipeline.resources.source import SourceResource
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline.retries import TRANSIENT_FAILURES

STG_MOVIES_KEY = table_key(STG_MOVIES)
STG_MOVIES_REJECTS_KEY = table_key(STG_MOVIES_REJECTS)
REASONS_SHOWN = 20


@dg.multi_asset(
    name="stage_movies",
    specs=[
        table_spec(
            STG_MOVIES,
            "One typed, trimmed row per valid movie and day; a repeated movie_id keeps its last row.",
            deps=[raw_imdb_movies.key],
            partitions_def=daily_snapshots,
        ),
        table_spec(
            STG_MOVIES_REJECTS,
            "Source rows that broke the contract, with their line number and the reason.",
            deps=[raw_imdb_movies.key],
            partitions_def=daily_snapshots,
        ),
    ],
    ins={"raw_file": dg.AssetIn(key=raw_imdb_movies.key)},
    partitions_def=daily_snapshots,
    retry_policy=TRANSIENT_FAILURES,
)
def stage_movies(
    context: dg.AssetExecutionContext,
    raw_file: RawSource,
    warehouse: WarehouseResource,
    source: SourceResource,
):
    if blockers := blocked_upstream(context):
        raw_file.release()
        yield from kept_as_before(context, blockers)
        return
    day = dt.date.fromisoformat(context.partition_key)
    run = LoadRun(context.run.run_id, source_sha256(raw_file))
    movies_load, rejects_load = (table_load(run, key, table, day) for key, table in (
        (STG_MOVIES_KEY, STG_MOVIES), (STG_MOVIES_REJECTS_KEY, STG_MOVIES_REJECTS)))  # fmt: skip
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(load_audit.audited(warehouse.connect, [movies_load, rejects_load]))
            staged, described = _staged(stack, raw_file, source, day)
            cursor = stack.enter_context(warehouse.build_transaction())
            movies, repeated = pg_tables.replace_partition_from_rows(
                cursor, STG_MOVIES, day, staged,
                # A movie_id repeated in the file keeps its last valid row.
                resolve_duplicates=pg_tables.keep_last("movie_id", "source_line"),
            )
            rejects = staged.rejects
            pg_tables.replace_partition_from_rows(
                cursor, STG_MOVIES_REJECTS, day, rejects.to_batches()
            )
            movies_metadata = written(
                cursor, STG_MOVIES, movies, day,
                rejected_rows=rejects.num_rows, duplicates_resolved=repeated,
                rows_read=staged.rows_read, source_uri=raw_file.source_uri, **described(),
            )  # fmt: skip
            rejects_metadata = written(
                cursor, STG_MOVIES_REJECTS, rejects.num_rows, day, reasons=_reason_counts(cursor, day)
            )
            load_audit.record(cursor, movies_load, movies, rejects.num_rows)
            load_audit.record(cursor, rejects_load, rejects.num_rows)
    except SourceFileError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    except pg_errors.DATA_ERRORS as error:
        # The contract lets through only what every table can store; should PostgreSQL still
        # refuse a value, the same rows would fail every retry.
        raise dg.Failure(description=_refused(error, raw_file, day), allow_retries=False) from None
    finally:
        raw_file.release()
    context.log.info(
        "Staged %d movies for %s; rejected %d rows; resolved %d duplicate movie_id rows",
        movies, day, rejects.num_rows, repeated,
    )  # fmt: skip
    yield dg.MaterializeResult(asset_key=STG_MOVIES_KEY, metadata=movies_metadata)
    yield dg.MaterializeResult(asset_key=STG_MOVIES_REJECTS_KEY, metadata=rejects_metadata)


def _staged(stack: contextlib.ExitStack, raw_file, source: SourceResource, day: dt.date):
    """The day's staged source, and a function giving what staging learned about the source
    beyond its rows (known once they are read)."""
    if isinstance(raw_file, DatasetFiles):
        records = DatasetRecords(
            {name: file.path for name, file in raw_file.files.items()},
            {name: file.source_uri for name, file in raw_file.files.items()},
            raw_file.source_uri, source.title_types, source.include_adult,
        )  # fmt: skip
        return StagedSource(records, day), lambda: dict(records.counts)
    stream = stack.enter_context(raw_file.open())
    return stage(stream, raw_file.source_uri, day), dict


def _refused(error, raw_file: RawSource, day: dt.date) -> str:
    """What PostgreSQL refused, and where in the source file it came from when it can tell."""
    where = raw_file.source_uri
    position = pg_errors.copy_position(error)
    if position is not None and isinstance(raw_file, RawFile):
        row, column = position
        with raw_file.open() as stream:
            line = valid_row_line(stream, raw_file.source_uri, day, row)
        where += f", line {line}" if line is not None else ""
        where += f", column {column}" if column else ""
    return (
        f"{where}: PostgreSQL refused a value: {pg_errors.described(error)}. The day's staging "
        f"tables keep their previous content; fix the value in the source and run {day} again."
    )


def _reason_counts(cursor: PgCursor, day: dt.date) -> dg.MetadataValue:
    cursor.execute(
        f"SELECT reason, count(*) FROM {STG_MOVIES_REJECTS.qualified} "
        f"WHERE {quote(STG_MOVIES_REJECTS.partition_column)} = %s "
        f"GROUP BY reason ORDER BY count(*) DESC, reason LIMIT {REASONS_SHOWN}",
        (day,),
    )
    return dg.MetadataValue.json({reason: count for reason, count in cursor.fetchall()})
