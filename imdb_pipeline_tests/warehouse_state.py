"""Helpers that describe what the warehouse holds, to compare before and after a run."""

import dagster as dg

from imdb_pipeline_tests.conftest import query


def table_fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """Row count and a content hash of every table in the pipeline's schemas (a daily table
    counts once, with all its day partitions)."""
    tables = query(
        url,
        """SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname IN ('staging', 'core', 'analytics') AND c.relkind IN ('r', 'p')
           AND NOT c.relispartition ORDER BY 1, 2""",
    )
    fingerprints = {}
    for schema, table in tables:
        [(count, digest)] = query(
            url,
            f'SELECT count(*), md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) '
            f'FROM "{schema}"."{table}" t',
        )
        fingerprints[f"{schema}.{table}"] = (count, digest)
    return fingerprints


# A day of the daily partitions that the tests load unless they say otherwise.
DAY = "2024-06-01"


def materialize_all(
    raise_on_error: bool = True,
    instance: dg.DagsterInstance | None = None,
    day: str | None = DAY,
    selection: dg.AssetSelection | None = None,
    with_checks: bool = False,
    with_dashboard: bool = False,
) -> dg.ExecuteInProcessResult:
    """Every asset of the code location for one day, with its real resources, in process;
    with its data-quality checks too when asked (tests of the data flow leave them out, since
    each check step costs a Great Expectations validation)."""
    from imdb_pipeline.definitions import defs

    checks = list(defs.asset_checks) if with_checks else []
    if selection is None and not with_dashboard:
        # The dashboard renders a 5 MB page per run: its own tests build it, the others skip it.
        from imdb_pipeline.assets.dashboard import DASHBOARD_KEY

        selection = dg.AssetSelection.all() - dg.AssetSelection.assets(DASHBOARD_KEY)
    return dg.materialize(
        [*defs.assets, *checks],
        resources=dict(defs.resources),
        raise_on_error=raise_on_error,
        instance=instance or dg.DagsterInstance.ephemeral(),
        partition_key=day,
        selection=selection,
    )


def run_checks_alone(
    instance: dg.DagsterInstance, checks: set[dg.AssetCheckKey], day: str = DAY
) -> dg.ExecuteInProcessResult:
    """Some checks alone, for a day, as a table's Checks tab runs them (the checks of daily
    tables are partitioned: Dagster runs them for a day)."""
    from imdb_pipeline.definitions import defs

    job = defs.resolve_job_def("validate_warehouse").get_subset(asset_check_selection=checks)
    return job.execute_in_process(instance=instance, partition_key=day, raise_on_error=False)


def failure_messages(result: dg.ExecuteInProcessResult) -> str:
    """All step failure messages of a run, joined."""
    messages = []
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                messages.append(data.user_failure_data.description)
            if data.error:
                messages.append(data.error.to_string())
    return "\n".join(messages)
