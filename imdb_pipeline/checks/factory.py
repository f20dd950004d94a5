"""One factory: a group of table suites becomes one Dagster multi-asset check.

Each rule of each suite is its own asset check (named after the rule, on the table's asset),
with the rule's severity; ERROR rules are blocking, so downstream assets do not materialize on
bad data: they keep their previous content (`checks.blocking`). Grouping several tables in one
check step pays Great Expectations' import once.
A check that cannot run (GX missing, a query error) fails with ERROR: it never passes by default.
"""

import datetime as dt
import warnings
from collections.abc import Callable, Iterator, Sequence

import dagster as dg

from imdb_pipeline.checks import gx_runner
from imdb_pipeline.checks.blocking import reported
from imdb_pipeline.checks.rules import Severity, TableSuite
from imdb_pipeline.checks.suites import QualityThresholds
from imdb_pipeline.deployment import data_docs_url, quality_project_root
from imdb_pipeline.partitions import daily_snapshots
from imdb_pipeline.resources.quality import QualityResource
from imdb_pipeline.resources.warehouse import WarehouseResource
from imdb_pipeline.retries import TRANSIENT_FAILURES

SuiteBuilder = Callable[[dt.date | None, QualityThresholds], TableSuite]
PARTITION_TAG = "dagster/partition"
_SPECIMEN_DAY = dt.date(2000, 1, 1)

SEVERITY = {Severity.ERROR: dg.AssetCheckSeverity.ERROR, Severity.WARN: dg.AssetCheckSeverity.WARN}


def build_table_checks(name: str, description: str, builders: Sequence[SuiteBuilder]):
    """The multi-asset check validating every suite the builders make."""
    specimens = [build(_SPECIMEN_DAY, QualityThresholds()) for build in builders]
    if len({suite.partition_column is None for suite in specimens}) > 1:
        raise ValueError(f"{name}: daily and whole-table suites need separate check steps")
    specs = [
        check_spec(
            rule.name,
            asset=dg.AssetKey(list(suite.asset_path)),
            description=f"[{rule.severity.value}] {rule.description}",
            blocking=rule.blocking,
            daily=suite.partition_column is not None,
        )
        for suite in specimens
        for rule in suite.rules
    ]

    @dg.multi_asset_check(
        name=name,
        description=description,
        specs=specs,
        can_subset=True,
        retry_policy=TRANSIENT_FAILURES,
    )
    def table_checks(
        context: dg.AssetCheckExecutionContext,
        warehouse: WarehouseResource,
        quality: QualityResource,
    ) -> Iterator[dg.AssetCheckResult]:
        selected = context.selected_asset_check_keys
        chosen = [
            (build, specimen)
            for build, specimen in zip(builders, specimens)
            if any(_key(specimen, rule) in selected for rule in specimen.rules)
        ]
        try:
            url = warehouse.url()
            day = _day(context, [specimen for _, specimen in chosen], url)
            suites = [build(day, quality.thresholds()) for build, _ in chosen]
            outcomes = gx_runner.validate(
                name, suites, url, quality_project_root(), day, data_docs_url()
            )
        except Exception as error:  # noqa: BLE001 (reported as failed checks, never as a pass)
            context.log.error(f"{name} could not run: {type(error).__name__}: {error}")
            for _, specimen in chosen:
                for rule in specimen.rules:
                    if _key(specimen, rule) in selected:
                        yield from reported(context, dg.AssetCheckResult(
                            asset_key=_key(specimen, rule).asset_key, check_name=rule.name,
                            passed=False, severity=dg.AssetCheckSeverity.ERROR,
                            metadata={"error": f"could not run: {type(error).__name__}: {error}"},
                        ))  # fmt: skip
            return
        for outcome in outcomes:
            for rule_outcome in outcome.rules:
                key = _key(outcome.suite, rule_outcome.rule)
                if key in selected:
                    yield from reported(context, _result(key.asset_key, rule_outcome, outcome))

    return table_checks


def check_spec(name: str, *, asset: dg.AssetKey, description: str, blocking: bool,
               daily: bool) -> dg.AssetCheckSpec:
    """A check's spec; a check of a daily table is partitioned like it, so each day's result
    belongs to that day (the UI shows it under the day's partition)."""
    with warnings.catch_warnings():
        # Partitioned checks are a preview in Dagster 1.13, used on purpose.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(name, asset=asset, description=description, blocking=blocking,
                                 partitions_def=daily_snapshots if daily else None)  # fmt: skip


def _key(suite: TableSuite, rule) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(list(suite.asset_path)), rule.name)


def _day(context, suites: list[TableSuite], url: str) -> dt.date | None:
    """The run's day for daily tables; the newest day in the table when run on its own."""
    daily = [suite for suite in suites if suite.partition_column]
    if not daily:
        return None
    tagged = context.run.tags.get(PARTITION_TAG)
    if tagged:
        return dt.date.fromisoformat(tagged)
    latest = gx_runner.latest_day(url, daily[0])
    if latest is None:
        raise LookupError(f"{daily[0].name} holds no day to validate")
    return latest


def _result(key, rule_outcome, suite_outcome) -> dg.AssetCheckResult:
    failed = [outcome for outcome in rule_outcome.expectations if not outcome.success]
    counts = [outcome.unexpected_count or 0 for outcome in failed]
    percents = [outcome.unexpected_percent for outcome in failed if outcome.unexpected_percent]
    errors = {outcome.summary: outcome.error for outcome in failed if outcome.error}
    metadata = {
        "slice": suite_outcome.slice_description,
        "expectations_checked": len(rule_outcome.expectations),
        "failed_expectations": [outcome.summary for outcome in failed],
        "unexpected_count": int(sum(counts)),
        "unexpected_percent": round(float(max(percents)), 4) if percents else 0.0,
        "samples": dg.MetadataValue.json({outcome.summary: outcome.samples for outcome in failed}),
    }
    # The table's figures (the day's rejects), then the rule's own (the real reject rate),
    # which stand for the rule as a whole.
    metadata.update(suite_outcome.measured)
    metadata.update(rule_outcome.measured)
    for query_name, query in suite_outcome.suite.queries:
        metadata[query_name] = dg.MetadataValue.md(f"```sql\n{query}\n```")
    if errors:
        metadata["errors"] = dg.MetadataValue.json(errors)
    metadata["data_docs"] = dg.MetadataValue.url(suite_outcome.data_docs)
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=rule_outcome.rule.name,
        passed=rule_outcome.passed,
        # A rule that could not be evaluated is an ERROR whatever its usual severity.
        severity=dg.AssetCheckSeverity.ERROR if errors else SEVERITY[rule_outcome.rule.severity],
        metadata=metadata,
    )
