"""Runs a table's rules with Great Expectations 1.x inside PostgreSQL and renders Data Docs.

Expectations execute as SQL in the warehouse (GX's Postgres data source), so a 10M-row table is
never loaded into memory. Results are stored in a file-backed GX project under the pipeline home
(see gx_project.py), and each validation updates its Data Docs site.

A validation first asks only whether each expectation holds (GX's BOOLEAN_ONLY result format:
one aggregate query per table for the column rules, one count per query rule). Only a suite
that fails is validated again with details for the steward (counts, and sample values with the
columns that name their rows): on clean data no query is spent on samples that would come back
empty. The values of sensitive columns are masked in both the samples and the stored results
that Data Docs show (`gx_masking.py`).
"""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from imdb_pipeline.checks import gx_data_docs, gx_masking, gx_project
from imdb_pipeline.checks.rules import Rule, TableSuite
from imdb_pipeline.lib import masking
from imdb_pipeline.lib.postgres_url import libpq_url, sqlalchemy_url
from imdb_pipeline.lib.sql_text import plain, quote

SAMPLE_LIMIT = 20
# Key of the suite's own measure among the rules' measures (no rule has an empty name).
_WHOLE_SUITE = ""
DETAILED = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_LIMIT}


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
    measured: dict[str, Any] = field(default_factory=dict)  # the rule's `measure`, if any

    @property
    def passed(self) -> bool:
        return all(outcome.success for outcome in self.expectations)


@dataclass
class SuiteOutcome:
    suite: TableSuite
    rules: list[RuleOutcome]
    data_docs: str  # the address of this validation's page
    slice_description: str
    measured: dict[str, Any] = field(default_factory=dict)  # the suite's `measure`, if any


def validate(
    name: str,
    suites: list[TableSuite],
    url: str,
    project_root: Path,
    day: dt.date | None,
    docs_url: str,
) -> list[SuiteOutcome]:
    """Validate the suites on one day of daily tables (`day`) or on whole tables, as one
    checkpoint named `name`, then update Data Docs once for all of them (in the background);
    each outcome links to its validation's page under `docs_url`."""
    gx = gx_project.great_expectations()
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    gx_project.point_at(sqlalchemy_url(url), {suite.schema for suite in suites})
    with gx_project.project_lock(project_root):
        gx_project.prune_old_results(project_root, suites)
        context = gx.get_context(mode="file", project_root_dir=str(project_root))
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        definitions = []
        for suite in suites:
            gx_suite = context.suites.add_or_update(gx_project.expectation_suite(gx, suite))
            definitions.append(
                context.validation_definitions.add_or_update(
                    gx.ValidationDefinition(
                        name=suite.name,
                        data=gx_project.batch_definition(context, suite, day),
                        suite=gx_suite,
                    )
                )
            )
        sensitive = {suite.name: suite.sensitive_columns for suite in suites}
        try:
            checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
                name=name, validation_definitions=definitions,
                result_format={"result_format": "BOOLEAN_ONLY"}))  # fmt: skip
            with gx_masking.results_stored_masked(context, sensitive):
                validations = {
                    validation.suite_name: (key, validation)
                    for key, validation in checkpoint.run().run_results.items()
                }
                _validate_failed_in_detail(checkpoint, definitions, suites, validations)
        finally:
            # GX keeps a pooled SQLAlchemy engine per data source; close it, or every
            # validation in a long-lived process would hold warehouse connections open.
            for definition in definitions:
                definition.data.data_asset.datasource.get_execution_engine().close()
        keys = [validations[suite.name][0] for suite in suites]
        identifiers = [*keys, *(ExpectationSuiteIdentifier(name=suite.name) for suite in suites)]
        pages = [gx_data_docs.page_of(context, identifier) for identifier in identifiers]
    # One Data Docs update for the whole checkpoint (GX's action renders once per suite), made
    # while the next steps run; the next validation waits for it (the project lock).
    gx_data_docs.build_in_background(project_root, context, identifiers, pages)
    return [
        _suite_outcome(suite, validations[suite.name][1], url, day,
                       gx_data_docs.page_url(docs_url, page))
        for suite, page in zip(suites, pages)
    ]  # fmt: skip


def _validate_failed_in_detail(checkpoint, definitions, suites, validations) -> None:
    """Validate each failed suite again, with counts and samples that name their rows (the
    suite's `sample_columns`), in place of its yes-or-no result: same run, same stored result."""
    by_name = {suite.name: suite for suite in suites}
    for definition in definitions:
        key, first = validations[definition.suite.name]
        if first.success:
            continue
        suite = by_name[definition.suite.name]
        result_format = dict(DETAILED)
        if suite.sample_columns:
            result_format["unexpected_index_column_names"] = list(suite.sample_columns)
        detailed = definition.run(
            checkpoint_id=checkpoint.id, result_format=result_format, run_id=key.run_id
        )
        validations[suite.name] = (key, detailed)


def _suite_outcome(suite, validation, url, day, docs: str) -> SuiteOutcome:
    by_rule: dict[str, list[ExpectationOutcome]] = {rule.name: [] for rule in suite.rules}
    for expectation_result in validation.results:
        meta = expectation_result.expectation_config.meta or {}
        by_rule[meta["rule"]].append(_outcome(expectation_result, meta, suite, url, day))
    measures = {rule.name: rule.measure for rule in suite.rules if rule.measure}
    if suite.measure:
        measures[_WHOLE_SUITE] = suite.measure
    measured = _measured(url, measures, suite, day) if measures else {}
    return SuiteOutcome(
        suite=suite,
        rules=[RuleOutcome(rule, by_rule[rule.name], measured.get(rule.name, {}))
               for rule in suite.rules],
        data_docs=docs,
        slice_description=f"{suite.partition_column} = {day}" if day else "whole table",
        measured=measured.get(_WHOLE_SUITE, {}),
    )  # fmt: skip


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
    sensitive = suite.sensitive_columns
    if "unexpected_rows_query" in result.expectation_config.kwargs:
        outcome.unexpected_count = details.get("observed_value")
        if not outcome.success:
            query = result.expectation_config.kwargs["unexpected_rows_query"]
            rows = _sample_rows(url, query, suite, day)
            outcome.samples = [masking.mask_record(row, sensitive) for row in rows]
    else:
        outcome.unexpected_count = details.get("unexpected_count")
        outcome.unexpected_percent = details.get("unexpected_percent")
        if "observed_value" in details and outcome.unexpected_count is None:
            outcome.samples = [details["observed_value"]]
        else:
            # Each offending value with the columns that name its row ({"movie_id": ...,
            # "rating": 11.5}), as the detailed validation asks; bare values otherwise.
            samples = (details.get("partial_unexpected_index_list")
                       or details.get("partial_unexpected_list") or [])  # fmt: skip
            outcome.samples = list(samples)[:SAMPLE_LIMIT]
        # Masked already on the way to the results store; again here, so that the check's
        # metadata never depends on that path.
        columns = masking.expectation_columns(result.expectation_config.kwargs)
        outcome.samples = masking.mask_samples(outcome.samples, columns, sensitive)
    return outcome


def _sample_rows(url: str, query: str, suite: TableSuite, day) -> list[dict]:
    """Up to SAMPLE_LIMIT offending rows of an unexpected-rows query, for the steward."""
    statement = f"SELECT * FROM ({_on_slice(query, suite, day)}) offending LIMIT {SAMPLE_LIMIT}"
    connection = psycopg2.connect(libpq_url(url))
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return _records(cursor)
    finally:
        connection.close()


def _measured(url: str, measures: dict[str, str], suite: TableSuite, day) -> dict[str, dict]:
    """Each rule's measure (one row) on the validated slice, by rule name."""
    connection = psycopg2.connect(libpq_url(url))
    try:
        with connection.cursor() as cursor:
            measured = {}
            for name, query in measures.items():
                cursor.execute(_on_slice(query, suite, day))
                row = (_records(cursor) or [{}])[0]
                measured[name] = masking.mask_record(row, suite.sensitive_columns)
            return measured
    finally:
        connection.close()


def _on_slice(query: str, suite: TableSuite, day) -> str:
    batch = f"{quote(suite.schema)}.{quote(gx_project.slice_table(suite, day))}"
    return query.replace("{batch}", batch)


def _records(cursor) -> list[dict]:
    names = [column.name for column in cursor.description]
    return [{name: plain(value) for name, value in zip(names, row)} for row in cursor.fetchall()]
