"""The file-backed Great Expectations project under the pipeline home: its lock, its warehouse
data source, the batches and suites the checks validate, and the import of GX itself.

GX rewrites its files without locks, so every use of the project holds a file lock. Importing
GX takes seconds (it imports scipy); `import_in_background` starts that early, on a thread,
so it overlaps the loading steps that run before the first check. Data Docs: gx_data_docs.py.
"""

import datetime as dt
import fcntl
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from imdb_pipeline.checks.rules import TableSuite
from imdb_pipeline.constants import DATA_DOCS_SITE
from imdb_pipeline.lib.pg_tables import partition_name
from imdb_pipeline.lib.postgres_url import with_search_path

# One GX data source per warehouse schema (GX wants the schema in the connection, not the asset).
# GX substitutes ${VARIABLE} when it connects: the URL (and any password) never enters its files.
URL_VARIABLE = "IMDB_GX_WAREHOUSE_URL_{schema}"
# Validation results kept per table: the Data Docs index lists them all and is rebuilt on every
# validation, so an unbounded history would make each run slower than the last.
KEPT_RESULTS_PER_TABLE = 30

_importing: threading.Thread | None = None
_threads_lock = threading.Lock()


def import_in_background() -> None:
    """Start importing GX (and the expectation of our own) on a thread, once per process."""
    global _importing
    with _threads_lock:
        if _importing is None:
            # SQLAlchemy's ORM first, here: GX imports it on the thread while Dagster's storage
            # may import parts of it on this one, and a module imported by two threads at once
            # can be seen half-initialised ("partially initialized module 'sqlalchemy.orm.exc'").
            import sqlalchemy.orm  # noqa: F401

            _importing = threading.Thread(target=_import, name="import-great-expectations",
                                          daemon=True)  # fmt: skip
            _importing.start()


def great_expectations():
    """The `great_expectations` module, once imported (waiting for a background import)."""
    with _threads_lock:
        importing = _importing
    if importing is not None:
        importing.join()
    return _import()


def _import():
    import great_expectations as gx

    import imdb_pipeline.checks.gx_expectations  # noqa: F401  (registers it with GX)

    return gx


def point_at(url: str, schemas) -> None:
    """Let the data sources of these schemas connect to the warehouse at `url` (SQLAlchemy)."""
    for schema in schemas:
        os.environ[URL_VARIABLE.format(schema=schema.upper())] = with_search_path(url, schema)


def data_source(context, schema: str):
    """The data source of a warehouse schema, created once; re-adding it would drop its assets."""
    name = f"warehouse_{schema}"
    try:
        return context.data_sources.get(name)
    except KeyError:
        variable = URL_VARIABLE.format(schema=schema.upper())
        return context.data_sources.add_postgres(name=name, connection_string="${" + variable + "}")


def slice_table(suite: TableSuite, day: dt.date | None) -> str:
    """The table a suite validates: the day's partition of a daily table, or the table."""
    return partition_name(suite.target, day) if suite.partition_column else suite.table


def batch_definition(context, suite: TableSuite, day: dt.date | None):
    """The rows a suite validates: a whole table, or the day's partition of a daily table.

    A day is validated as its own partition table: PostgreSQL reads that day alone, and GX
    reads the table's columns from the catalog. (GX's date partitioners list every day of the
    history first and filter each expectation with EXTRACT(), reading the whole history; a
    query asset makes GX run the query just to learn its columns, fetching every row.)
    """
    table = slice_table(suite, day)
    source = data_source(context, suite.schema)
    try:
        asset = source.get_asset(suite.name)
        if getattr(asset, "table_name", None) != table:
            source.delete_asset(suite.name)
            asset = source.add_table_asset(name=suite.name, table_name=table)
    except LookupError:
        asset = source.add_table_asset(name=suite.name, table_name=table)
    try:
        return asset.get_batch_definition("whole_table")
    except KeyError:
        return asset.add_batch_definition_whole_table(name="whole_table")


def expectation_suite(gx, suite: TableSuite):
    gx_suite = gx.ExpectationSuite(name=suite.name)
    for rule in suite.rules:
        for expectation in rule.expectations:
            kind = getattr(gx.expectations, expectation.kind, None) or _own(expectation.kind)
            meta = {"rule": rule.name, "summary": expectation.summary}
            gx_suite.add_expectation(kind(**expectation.arguments, meta=meta))
    return gx_suite


def _own(kind: str):
    from imdb_pipeline.checks import gx_expectations

    return getattr(gx_expectations, kind)


def prune_old_results(project_root: Path, suites: list[TableSuite]) -> None:
    """Keep the newest KEPT_RESULTS_PER_TABLE validation results (and their pages) per table."""
    uncommitted = project_root / "gx" / "uncommitted"
    for suite in suites:
        for tree in (uncommitted / "validations", project_root.joinpath(*DATA_DOCS_SITE,
                                                                         "validations")):
            folder = tree / suite.schema / suite.table
            if not folder.is_dir():
                continue
            runs = sorted(path for path in folder.glob("*/*") if path.is_dir())
            for old_run in runs[:-KEPT_RESULTS_PER_TABLE]:
                shutil.rmtree(old_run, ignore_errors=True)


@contextmanager
def project_lock(project_root: Path) -> Iterator[None]:
    project_root.mkdir(parents=True, exist_ok=True)
    with open(project_root / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
