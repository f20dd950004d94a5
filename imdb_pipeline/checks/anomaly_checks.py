"""Anomaly checks: today's row counts and headline measures against recent materializations.

The history is Dagster's own: each materialization records its row count (and the fact its
average rating, total votes and total gross) as metadata; these checks read the last runs back.
A sudden drop or spike is a WARN (it may be real), not a blocking error. Both tables are daily,
and so are their checks: a day is compared with the latest materializations of other days.
"""

import warnings

import dagster as dg

from imdb_pipeline.assets.core import FACT_KEY
from imdb_pipeline.assets.staging import STG_MOVIES_KEY
from imdb_pipeline.checks.factory import PARTITION_TAG
from imdb_pipeline.lib.anomalies import judge
from imdb_pipeline.lib.facts import KEY_MEASURES
from imdb_pipeline.partitions import daily_snapshots
from imdb_pipeline.resources.quality import QualityResource

ROW_COUNT = "dagster/row_count"


def _history(context, key: dg.AssetKey, runs: int) -> list[dict[str, float]]:
    """Metadata values of the materialization checked, then of up to `runs` earlier ones of
    other days, newest first. The one checked is the run's day's latest (the newest of all in
    a run without a day)."""
    day = context.run.tags.get(PARTITION_TAG)
    latest = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key), limit=runs + 2
    ).records
    if day:
        checked = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day]), limit=1
        ).records
        others = [record for record in latest if record.partition_key != day]
        records = [*checked, *others[:runs]] if checked else []
    else:
        records = latest[: runs + 1]
    return [
        {name: value.value for name, value in record.asset_materialization.metadata.items()}
        for record in records
        if record.asset_materialization
    ]


def _judge_measures(context, key, measures, quality: QualityResource) -> dg.AssetCheckResult:
    history = _history(context, key, quality.anomaly_history_runs)
    if not history:
        return dg.AssetCheckResult(
            passed=False, severity=dg.AssetCheckSeverity.WARN,
            metadata={"reason": f"{key.to_user_string()} has no materialization to check"},
        )  # fmt: skip
    current, previous = history[0], history[1:]
    verdicts = {
        measure: judge(
            float(current.get(measure, 0) or 0),
            [run.get(measure) for run in previous if run.get(measure) is not None],
            quality.anomaly_tolerance,
        )
        for measure in measures
    }
    anomalies = {name: verdict.reason for name, verdict in verdicts.items() if verdict.is_anomaly}
    return dg.AssetCheckResult(
        passed=not anomalies,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "anomalies": dg.MetadataValue.json(anomalies),
            "compared_with_runs": min(len(previous), quality.anomaly_history_runs),
            **{
                f"{name}_median": verdict.median
                for name, verdict in verdicts.items()
                if verdict.median is not None
            },
            **{name: verdict.value for name, verdict in verdicts.items()},
            "verdicts": dg.MetadataValue.json({name: v.reason for name, v in verdicts.items()}),
        },
    )


with warnings.catch_warnings():
    # Partitioned checks are a preview in Dagster 1.13, used on purpose.
    warnings.simplefilter("ignore", dg.PreviewWarning)

    @dg.asset_check(
        asset=STG_MOVIES_KEY,
        name="row_count_is_usual",
        description="[WARN] The day's staged row count is close to the median of recent runs.",
        partitions_def=daily_snapshots,
    )
    def stg_movies_row_count_is_usual(
        context: dg.AssetCheckExecutionContext, quality: QualityResource
    ) -> dg.AssetCheckResult:
        return _judge_measures(context, STG_MOVIES_KEY, [ROW_COUNT], quality)

    @dg.asset_check(
        asset=FACT_KEY,
        name="measures_are_usual",
        description="[WARN] Row count, average rating, total votes and total gross are close "
        "to the median of recent runs.",
        partitions_def=daily_snapshots,
    )
    def fact_measures_are_usual(
        context: dg.AssetCheckExecutionContext, quality: QualityResource
    ) -> dg.AssetCheckResult:
        return _judge_measures(context, FACT_KEY, [ROW_COUNT, *KEY_MEASURES], quality)


ANOMALY_CHECKS = [stg_movies_row_count_is_usual, fact_measures_are_usual]
