"""Two runs of one day, each with its own file: a run stages the snapshot its own raw step
stored, even when another run stored a newer one in between."""

import dagster as dg
import psycopg2

from imdb_pipeline.constants import SOURCE_URI_TAG
from imdb_pipeline_tests.conftest import SAMPLE, query
from imdb_pipeline_tests.warehouse_state import DAY

STAGING = dg.AssetKey(["staging", "stg_movies"])
# The raw file and its staging: the steps that choose and read a snapshot.
LOADS = [dg.AssetKey(["raw", "raw_imdb_movies"]), STAGING,
         dg.AssetKey(["staging", "stg_movies_rejects"])]  # fmt: skip


def etl_job():
    """The scheduled job, rebuilt by Dagster where it re-executes a run."""
    from imdb_pipeline.definitions import defs

    return defs.resolve_job_def("imdb_movies_etl")


def _source(tmp_path, name: str, rows: int):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / name
    path.write_text("\n".join(lines[: rows + 1]) + "\n", encoding="utf-8")
    return str(path)


def _execute(instance, source: str | None = None, **options) -> dg.JobExecutionResult:
    if source is not None:
        options.update(tags={"dagster/partition": DAY, SOURCE_URI_TAG: source}, asset_selection=LOADS)
    return dg.execute_job(dg.reconstructable(etl_job), instance, **options)


def _staged(instance, run_id: str) -> tuple[str, int]:
    [record] = [event for event in instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
        if event.asset_key == STAGING]  # fmt: skip
    metadata = record.asset_materialization.metadata
    return metadata["source_uri"].value, metadata["dagster/row_count"].value


def test_a_run_re_executed_after_another_run_of_its_day_stages_its_own_file(
    warehouse_url, tmp_path
):
    first, second = _source(tmp_path, "first.csv", 10), _source(tmp_path, "second.csv", 19)
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        # The first run stores its file, then PostgreSQL refuses to stage it: a server-side
        # rule (an event trigger) fails the COPY.
        _refuse_staging(warehouse_url, True)
        failed = _execute(instance, first)
        assert not failed.success
        _refuse_staging(warehouse_url, False)

        # Meanwhile a second run of the same day loads another file.
        other = _execute(instance, second)
        assert other.success
        assert _staged(instance, other.run_id) == (second, 19)

        # The first run, re-executed from its failure, stages the file it stored, not the
        # newer snapshot of its day. (Its tags name the day, as the UI's re-execution copies them.)
        again = _execute(instance, tags={"dagster/partition": DAY},
                         reexecution_options=dg.ReexecutionOptions.from_failure(failed.run_id, instance))  # fmt: skip

        assert again.success
        assert _staged(instance, again.run_id) == (first, 10)
    assert query(warehouse_url, "SELECT count(*) FROM staging.stg_movies") == [(10,)]


def _refuse_staging(url: str, refuse: bool) -> None:
    connection = psycopg2.connect(url)
    with connection, connection.cursor() as cursor:
        if refuse:
            cursor.execute("""
                CREATE FUNCTION refuse_staging() RETURNS event_trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF EXISTS (SELECT FROM pg_event_trigger_ddl_commands() WHERE object_identity
                               LIKE 'staging.stg\\_movies\\_\\_building%') THEN
                        RAISE EXCEPTION 'staging refused' USING ERRCODE = 'check_violation';
                    END IF;
                END $$;
                CREATE EVENT TRIGGER refuse_staging ON ddl_command_end
                    WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION refuse_staging()""")
        else:
            cursor.execute("DROP EVENT TRIGGER refuse_staging; DROP FUNCTION refuse_staging()")
    connection.close()
