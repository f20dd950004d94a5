"""The audit trail of warehouse loads: `audit.load_log`, one row per load of a table (one day of a
daily table) per run, for data stewards to see who loaded what, from which source, and when.

A committed load writes its row in its own transaction, just before the commit that puts the
table in place (`record`): the row and the table commit together or not at all, so the log never
claims a load the warehouse does not hold, nor misses one it does. A failed load cannot write in
its rolled-back transaction: `audited` writes its row afterwards, in a short transaction of its
own, with status 'failed' and the error's class only (an error's text may quote data, or a
connection's user and host).

The log is declared here, in one place, and created on first use like the warehouse's schemas. It
is no Dagster asset: nothing derives it, no run rebuilds it, and it must outlive every table it
describes; each load appends to it.
"""

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from psycopg2 import errors
from psycopg2.extensions import connection as PgConnection
from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.lib import pg_tables, table_comments
from imdb_pipeline.lib.sql_text import quote
from imdb_pipeline.lib.warehouse_tables import Table, create_table_sql, declared_columns

AUDIT_SCHEMA = "audit"
COMMITTED, FAILED = "committed", "failed"

LOAD_LOG = Table(AUDIT_SCHEMA, "load_log", declared_columns("""
    load_id bigint generated always as identity not null -- Number of the row, in the order rows
    -- were written
    run_id text -- The Dagster run that made the load; NULL for a load made outside a run
    snapshot_date date -- The day loaded, for a daily table (one row per day); NULL for a table
    -- loaded whole
    asset text not null -- The table's Dagster asset key, e.g. core/dim_movies
    table_name text not null -- The table loaded, schema.name
    rows_written bigint -- Rows the load wrote: the day's, or the whole table's (for a dimension
    -- that only grows, the rows it added); NULL when it failed
    rows_rejected bigint -- Source rows refused by the contract (stored in
    -- staging.stg_movies_rejects), on the row of staging.stg_movies; NULL for every other table,
    -- which rejects nothing
    source_sha256 text -- SHA-256 of the raw snapshot the run loaded (for IMDb's five dataset
    -- files, of their sorted '<sha256>  <file>' lines); NULL when the run read no snapshot, or
    -- several for a table loaded whole
    db_user text not null -- The database user that made the load (current_user)
    started timestamptz not null -- When the load began: its transaction's start, or for tables
    -- put in place together and for failed loads, when the step began loading
    finished timestamptz not null -- When the load ended: its rows in place, just before the
    -- commit, or when its failure was recorded
    status text not null -- 'committed' (the table holds what this row describes) or 'failed'
    -- (the transaction was rolled back: the table kept its previous content)
    error_class text -- Class of the error that failed the load (e.g.
    -- psycopg2.errors.NotNullViolation), never its message; NULL when committed
"""), primary_key=("load_id",), description="Audit trail: one row per load of a warehouse table "
    "(one day of a daily table) per run, written in the load's own transaction when it commits, "
    "or after the rollback when it fails.",
)  # fmt: skip


@dataclass(frozen=True)
class LoadRun:
    """What every load of a step shares: its run, and the raw snapshot the run loaded."""

    run_id: str | None
    source_sha256: str | None = None

    def load(self, asset: str, table: str, day: dt.date | None = None) -> "Load":
        return Load(self, asset, table, day)


@dataclass(eq=False)
class Load:
    """One load of one table, or of one day of a daily table."""

    run: LoadRun
    asset: str
    table: str
    day: dt.date | None = None
    # Set by the caller once the load's transaction has committed (`audited` needs it only
    # when a step commits loads one by one).
    committed: bool = field(default=False, init=False)
    # The class of the error that failed this load, when it was seen before the step's own.
    error_class: str | None = field(default=None, init=False)


def ensure_log(cursor: PgCursor) -> None:
    """Create the audit schema and `load_log` if missing (with their comments); bring the
    comments of an existing log up to date. Safe when several steps do it at once."""
    if pg_tables.table_exists(cursor, LOAD_LOG.schema, LOAD_LOG.name):
        table_comments.bring_up_to_date(cursor, LOAD_LOG)
        return
    pg_tables.ensure_schema(cursor, LOAD_LOG.schema)
    cursor.execute("SAVEPOINT create_load_log")
    try:
        cursor.execute(create_table_sql(LOAD_LOG))
    except (errors.DuplicateTable, errors.UniqueViolation):  # another step created it first
        cursor.execute("ROLLBACK TO SAVEPOINT create_load_log")
    else:
        cursor.execute(
            f"ALTER TABLE {LOAD_LOG.qualified} ADD CONSTRAINT load_log_status "
            f"CHECK (status IN ('{COMMITTED}', '{FAILED}')), ADD CONSTRAINT load_log_error "
            f"CHECK ((status = '{FAILED}') = (error_class IS NOT NULL))"
        )
        cursor.execute(f"CREATE INDEX load_log_started ON {LOAD_LOG.qualified} (started)")
        table_comments.comment(cursor, LOAD_LOG)
    cursor.execute("RELEASE SAVEPOINT create_load_log")


_INSERT = (
    f"INSERT INTO {LOAD_LOG.qualified} ("
    + ", ".join(map(quote, (
        "run_id", "snapshot_date", "asset", "table_name", "rows_written", "rows_rejected",
        "source_sha256", "db_user", "started", "finished", "status", "error_class",
    )))
    + ") VALUES (%s, %s, %s, %s, %s, %s, %s, current_user, coalesce(%s, now()), "
    "clock_timestamp(), %s, %s)"
)  # fmt: skip


def record(
    cursor: PgCursor,
    load: Load,
    rows_written: int,
    rows_rejected: int | None = None,
    started: dt.datetime | None = None,
) -> None:
    """The row of a load, written in the load's transaction (the cursor's) once its rows are
    in place, just before the commit. `started` defaults to the transaction's start."""
    cursor.execute(_INSERT, (*_identity(load), rows_written, rows_rejected,
                             load.run.source_sha256, started, COMMITTED, None))  # fmt: skip


def record_failed(
    cursor: PgCursor, loads: Iterable[Load], started: dt.datetime, error_class: str
) -> None:
    """Rows of failed loads, written after their transaction rolled back."""
    for load in loads:
        cursor.execute(_INSERT, (*_identity(load), None, None, load.run.source_sha256, started,
                                 FAILED, load.error_class or error_class))  # fmt: skip


@contextmanager
def audited(
    connect: Callable[[], AbstractContextManager[PgConnection]], loads: Iterable[Load]
) -> Iterator[dt.datetime]:
    """Around a step's `loads`: creates the log first, in a transaction of its own (created
    inside a load's transaction, it would make every other load wait for that one to end), and
    yields the server's time, when the loads begin. An error that escapes records each load not
    marked `committed` as failed, in a new transaction, then goes on; should that fail too (the
    server is gone), the error says so in a note. Keep the block tight around the loads'
    transactions: anything after the last commit that fails would be taken for a failed load."""
    loads = list(loads)
    with connect() as connection, connection.cursor() as cursor:
        ensure_log(cursor)
        cursor.execute("SELECT clock_timestamp()")
        started = cursor.fetchone()[0]
    try:
        yield started
    except GeneratorExit:  # the caller stopped reading a generator: nothing failed
        raise
    except BaseException as error:
        failed = [load for load in loads if not load.committed]
        try:
            with connect() as connection, connection.cursor() as cursor:
                record_failed(cursor, failed, started, error_class(error))
        except Exception as unrecorded:  # noqa: BLE001 - the load's own error is the one to raise
            error.add_note(f"The failed loads could not be recorded in {AUDIT_SCHEMA}."
                           f"{LOAD_LOG.name}: {error_class(unrecorded)}")  # fmt: skip
        raise


def failing(load: Load, build: Callable[[PgCursor], object]) -> Callable[[PgCursor], object]:
    """`build`, noting on `load` the class of an error it raises (a step that runs several
    loads at once fails with the first error only)."""

    def run(cursor: PgCursor):
        try:
            return build(cursor)
        except BaseException as error:
            load.error_class = error_class(error)
            raise

    return run


def error_class(error: BaseException) -> str:
    """The error's class, with its public module (`psycopg2.errors.NotNullViolation`,
    `dagster.Failure`; `ValueError`)."""
    kind = type(error)
    module = kind.__module__.split("._")[0]  # dagster._core.definitions.events -> dagster
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def files_sha256(files: Mapping[str, str]) -> str:
    """One SHA-256 for several files ({file name: its SHA-256}): that of their `sha256sum`
    lines (`<sha256>  <name>`), sorted by name."""
    lines = "".join(f"{files[name]}  {name}\n" for name in sorted(files))
    return hashlib.sha256(lines.encode()).hexdigest()


def _identity(load: Load) -> tuple:
    return load.run.run_id, load.day, load.asset, load.table
