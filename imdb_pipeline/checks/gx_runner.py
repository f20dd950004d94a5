"""Runs a table's rules with Great Expectations 1.x inside PostgreSQL and renders Data Docs.

Expectations execute as SQL in the warehouse (GX's Postgres data source), so a 10M-row table is
never loaded into memory. Results are stored in a file-backed GX project under the pipeline home,
and each validation updates its Data Docs site. GX rewrites its files without locks, so every
use of the project is serialised with a file lock.
"""

import datetime as dt
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from imdb_pipeline.checks.rules import Rule, TableSuite
from imdb_pipeline.lib.postgres_url import libpq_url, sqlalchemy_url

SAMPLE_LIMIT = 20
# Validation results kept per table: the Data Docs index lists them all and is rebuilt on every
# validation, so an unbounded history would make each run slower than the last.
KEPT_RESULTS_PER_TABLE = 30
DATASOURCE = "warehouse"
# GX substitutes ${VARIABLE} when it connects: the URL (and any password) never enters its files.
URL_VARIABLE = "IMDB_GX_WAREHOUSE_URL"


@dataclass
class ExpectationOutcome:
    summary: str
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    samples: list[Any] = field(default_factory=list)
    error: str | None = None


@dataclass
class RuleOutcome:
    rule: Rule
    expectations: list[ExpectationOutcome]

    @property
    def passed(self) -> bool:
        return all(outcome.success for outcome in self.expectations)


@dataclass
class SuiteOutcome:
    suite: TableSuite
    rules: list[RuleOutcome]
    data_docs: str | None
    slice_description: str


def validate(
    name: str, suites: list[TableSuite], url: str, project_root: Path, day: dt.date | None
) -> list[SuiteOutcome]:
    """Validate the suites on one day of daily tables (`day`) or on whole tables, as one
    checkpoint (one Data Docs update) named `name`."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.data_context.types.base import ProgressBarsConfig

    os.environ[URL_VARIABLE] = sqlalchemy_url(url)
    with _project_lock(project_root):
        _prune_old_results(project_root, suites)
        context = gx.get_context(mode="file", project_root_dir=str(project_root))
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = _data_source(context)
        definitions, parameters = [], None
        for suite in suites:
            batch_definition, parameters = _batch(_table_asset(source, suite), suite, day)
            gx_suite = context.suites.add_or_update(_gx_suite(gx, suite))
            definitions.append(
                context.validation_definitions.add_or_update(
                    gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=gx_suite)
                )
            )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=name,
                validation_definitions=definitions,
                actions=[UpdateDataDocsAction(name="update_data_docs")],
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_LIMIT},
            )
        )
        try:
            result = checkpoint.run(batch_parameters=parameters)
        finally:
            # GX keeps a pooled SQLAlchemy engine per data source; close it, or every
            # validation in a long-lived process would hold warehouse connections open.
            source.get_execution_engine().close()
            for definition in definitions:
                definition.data.data_asset.datasource.get_execution_engine().close()
        docs = [site["site_url"] for site in context.get_docs_sites_urls()]
    by_suite = {
        validation.suite_name: validation for validation in result.run_results.values()
    }
    return [_suite_outcome(suite, by_suite[suite.name], url, day, docs) for suite in suites]


def _suite_outcome(suite, validation, url, day, docs) -> SuiteOutcome:
    by_rule: dict[str, list[ExpectationOutcome]] = {rule.name: [] for rule in suite.rules}
    for expectation_result in validation.results:
        meta = expectation_result.expectation_config.meta or {}
        by_rule[meta["rule"]].append(_outcome(expectation_result, meta, suite, url, day))
    return SuiteOutcome(
        suite=suite,
        rules=[RuleOutcome(rule, by_rule[rule.name]) for rule in suite.rules],
        data_docs=docs[0] if docs else None,
        slice_description=f"{suite.partition_column} = {day}" if day else "whole table",
    )


def latest_day(url: str, suite: TableSuite) -> dt.date | None:
    """The newest day present in a daily table (what a stand-alone check validates)."""
    connection = psycopg2.connect(libpq_url(url))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("SELECT max({}) FROM {}").format(
                    sql.Identifier(suite.partition_column),
                    sql.Identifier(suite.schema, suite.table),
                )
            )
            return cursor.fetchone()[0]
    finally:
        connection.close()


def _data_source(context):
    """The warehouse data source, created once; re-adding it would drop its table assets."""
    try:
        return context.data_sources.get(DATASOURCE)
    except KeyError:
        return context.data_sources.add_postgres(
            name=DATASOURCE, connection_string="${" + URL_VARIABLE + "}"
        )


def _table_asset(source, suite: TableSuite):
    try:
        return source.get_asset(suite.name)
    except LookupError:
        return source.add_table_asset(
            name=suite.name, table_name=suite.table, schema_name=suite.schema
        )


def _batch(asset, suite: TableSuite, day: dt.date | None):
    if suite.partition_column:
        name = f"daily_{suite.partition_column}"
        try:
            definition = asset.get_batch_definition(name)
        except KeyError:
            definition = asset.add_batch_definition_daily(name=name, column=suite.partition_column)
        return definition, {"year": day.year, "month": day.month, "day": day.day}
    try:
        return asset.get_batch_definition("whole_table"), None
    except KeyError:
        return asset.add_batch_definition_whole_table(name="whole_table"), None


def _gx_suite(gx, suite: TableSuite):
    gx_suite = gx.ExpectationSuite(name=suite.name)
    for rule in suite.rules:
        for expectation in rule.expectations:
            kind = getattr(gx.expectations, expectation.kind)
            meta = {"rule": rule.name, "summary": expectation.summary}
            gx_suite.add_expectation(kind(**expectation.arguments, meta=meta))
    return gx_suite


def _outcome(result, meta, suite: TableSuite, url: str, day) -> ExpectationOutcome:
    as_json = result.to_json_dict()
    details = as_json.get("result") or {}
    outcome = ExpectationOutcome(summary=meta["summary"], success=bool(result.success))
    errors = [
        info.get("exception_message", "")
        for info in (as_json.get("exception_info") or {}).values()
        if isinstance(info, dict) and info.get("raised_exception")
    ]
    if as_json.get("exception_info", {}).get("raised_exception"):
        errors.append(as_json["exception_info"].get("exception_message", ""))
    if errors:
        # The expectation could not be evaluated: a failure, never a pass.
        outcome.success = False
        outcome.error = errors[0].splitlines()[0]
        return outcome
    if "unexpected_rows_query" in result.expectation_config.kwargs:
        outcome.unexpected_count = details.get("observed_value")
        if not outcome.success:
            query = result.expectation_config.kwargs["unexpected_rows_query"]
            outcome.samples = _sample_rows(url, query, suite, day)
    else:
        outcome.unexpected_count = details.get("unexpected_count")
        outcome.unexpected_percent = details.get("unexpected_percent")
        if "observed_value" in details and outcome.unexpected_count is None:
            outcome.samples = [details["observed_value"]]
        else:
            outcome.samples = list(details.get("partial_unexpected_list") or [])[:SAMPLE_LIMIT]
    return outcome


def _sample_rows(url: str, query: str, suite: TableSuite, day) -> list[dict]:
    """Up to SAMPLE_LIMIT offending rows of an unexpected-rows query, for the steward."""
    table = f'"{suite.schema}"."{suite.table}"'
    where = f" WHERE \"{suite.partition_column}\" = '{day.isoformat()}'" if day else ""
    statement = query.replace("{batch}", f"(SELECT * FROM {table}{where})")
    connection = psycopg2.connect(libpq_url(url))
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({statement}) offending LIMIT {SAMPLE_LIMIT}")
            names = [column.name for column in cursor.description]
            return [
                {name: _plain(value) for name, value in zip(names, row)} for row in cursor.fetchall()
            ]
    finally:
        connection.close()


def _plain(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _prune_old_results(project_root: Path, suites: list[TableSuite]) -> None:
    """Keep the newest KEPT_RESULTS_PER_TABLE validation results (and their pages) per table."""
    uncommitted = project_root / "gx" / "uncommitted"
    for suite in suites:
        for tree in ("validations", "data_docs/local_site/validations"):
            folder = uncommitted / tree / suite.schema / suite.table
            if not folder.is_dir():
                continue
            runs = sorted(path for path in folder.glob("*/*") if path.is_dir())
            for old_run in runs[:-KEPT_RESULTS_PER_TABLE]:
                shutil.rmtree(old_run, ignore_errors=True)


@contextmanager
def _project_lock(project_root: Path) -> Iterator[None]:
    project_root.mkdir(parents=True, exist_ok=True)
    with open(project_root / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
