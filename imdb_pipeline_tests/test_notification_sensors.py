"""The notification sensors on real runs of small jobs, delivering to real local receivers.

Runs execute in process in an ephemeral instance, so their STEP_FAILURE and
ASSET_CHECK_EVALUATION events are in its event log, as they would be under the daemon.
"""

import dagster as dg
import pytest

from imdb_pipeline.notification_sensors import (
    notify_on_failed_error_checks,
    notify_on_run_failure,
)
from imdb_pipeline_tests.lib.test_notifications import (
    ROUTING_KEY,
    WEBHOOK_SECRET,
    posted,
    running_http_receiver,
    running_smtp_server,
)

UI = "http://ui.example:3000"
DOCS = "http://docs.example:3001/validations/core/dim_movies/run.html"
SAMPLE_ID = "tt0111161"


class StageConfig(dg.Config):
    fail: bool = True


@dg.asset
def stage_movies(config: StageConfig) -> int:
    if config.fail:
        raise ValueError("rating '12.5' is outside 0..10")
    return 1


@dg.asset
def dim_movies() -> int:
    return 1


@dg.asset_check(asset=dim_movies, blocking=False)
def keys_are_unique() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False, severity=dg.AssetCheckSeverity.ERROR,
        description="movie_key is not unique", metadata={
            "unexpected_count": 2,
            "samples": dg.MetadataValue.json({"movie_key unique": [{"movie_id": SAMPLE_ID}]}),
            "data_docs": dg.MetadataValue.url(DOCS),
        },
    )  # fmt: skip


@dg.asset_check(asset=dim_movies, blocking=False)
def looks_usual() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)


@dg.asset
def stg_movies() -> int:
    return 1


@dg.asset_check(asset=stg_movies, blocking=True)
def movie_id_is_valid() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR,
                               description="3 ids do not match ^tt\\d+$")  # fmt: skip


@dg.asset(deps=[stg_movies])
def fact_movie_performance() -> int:
    return 1


DAILY = dg.DailyPartitionsDefinition(start_date="2024-01-01")


@dg.asset(partitions_def=DAILY)
def bridge_movie_genre() -> int:
    return 1


@dg.asset_check(asset=bridge_movie_genre, blocking=False, partitions_def=DAILY)
def keys_resolve_to_dimensions() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR,
                               description="genre_key 99 is not in dim_genres")  # fmt: skip


DEFS = dg.Definitions(
    assets=[stage_movies, dim_movies, stg_movies, fact_movie_performance, bridge_movie_genre],
    asset_checks=[keys_are_unique, looks_usual, movie_id_is_valid, keys_resolve_to_dimensions],
    jobs=[
        dg.define_asset_job("daily_etl", selection=[bridge_movie_genre]),
        dg.define_asset_job("imdb_movies_etl", selection=[stage_movies]),
        dg.define_asset_job("checked_etl", selection=dg.AssetSelection.assets(dim_movies)),
        dg.define_asset_job("blocked_etl", selection=[stg_movies, fact_movie_performance]),
    ],
)


@pytest.fixture
def smtp_server():
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def http_receiver():
    with running_http_receiver() as server:
        yield server


@pytest.fixture
def receivers(smtp_server, http_receiver, monkeypatch):
    """Every channel configured and pointed at the local receivers; returns (mails, posts)."""
    (port, mails), (base, received) = smtp_server, http_receiver
    for name, value in {
        "IMDB_UI_BASE_URL": UI, "IMDB_SMTP_HOST": "127.0.0.1", "IMDB_SMTP_PORT": str(port),
        "IMDB_SMTP_FROM": "dagster@example.com", "IMDB_SMTP_TO": "oncall@example.com",
        "IMDB_SLACK_WEBHOOK_URL": f"{base}/slack/{WEBHOOK_SECRET}",
        "IMDB_PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "IMDB_PAGERDUTY_EVENTS_URL": f"{base}/pagerduty",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    return mails, received


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def execute(instance, job_name: str, fail: bool = True) -> dg.ExecuteInProcessResult:
    config = (
        {"ops": {"stage_movies": {"config": {"fail": fail}}}}
        if job_name == "imdb_movies_etl"
        else None
    )
    return DEFS.resolve_job_def(job_name).execute_in_process(
        instance=instance, raise_on_error=False, run_config=config
    )


def evaluate(sensor, instance, result) -> None:
    event = result.get_run_success_event() if result.success else result.get_run_failure_event()
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name, dagster_instance=instance, dagster_run=result.dagster_run,
        dagster_event=event,
    )  # fmt: skip
    sensor(context.for_run_failure() if not result.success else context)


def subject_of(mail) -> str:
    """The subject unfolded: long subjects are folded on the wire, as RFC 5322 allows."""
    return " ".join(str(mail["Subject"]).split())


def one_per_channel(mails, received):
    [mail] = mails
    [slack] = posted(received, "/slack")
    [pagerduty] = posted(received, "/pagerduty")
    return mail, slack, pagerduty


def assert_mentions(mail, slack, pagerduty, *values):
    text = mail.get_content()
    for value in values:
        assert value in text
        assert value in slack["text"] + str(slack["blocks"])
        assert value in str(pagerduty["payload"])


def test_a_failed_step_sends_one_alert_per_channel(instance, receivers):
    mails, received = receivers
    result = execute(instance, "imdb_movies_etl")
    assert not result.success

    evaluate(notify_on_run_failure, instance, result)

    mail, slack, pagerduty = one_per_channel(mails, received)
    run_id = result.run_id
    assert subject_of(mail) == "[imdb_pipeline] Run failed: imdb_movies_etl (step stage_movies)"
    error = "ValueError: rating '12.5' is outside 0..10"
    assert_mentions(mail, slack, pagerduty, run_id, "stage_movies", error, f"{UI}/runs/{run_id}")
    assert pagerduty["event_action"] == "trigger"
    assert pagerduty["dedup_key"] == "imdb_pipeline/imdb_movies_etl"


def test_a_failed_error_check_in_a_successful_run_sends_one_alert_per_channel(instance, receivers):
    mails, received = receivers
    result = execute(instance, "checked_etl")
    assert result.success  # a non-blocking check does not fail the run

    evaluate(notify_on_failed_error_checks, instance, result)

    # The WARN check stays quiet; no resolve, since an ERROR check failed.
    mail, slack, pagerduty = one_per_channel(mails, received)
    run_id = result.run_id
    assert (
        subject_of(mail) == "[imdb_pipeline] Check failed: checked_etl (dim_movies/keys_are_unique)"
    )
    assert_mentions(
        mail,
        slack,
        pagerduty,
        run_id,
        "dim_movies/keys_are_unique",
        "movie_key is not unique",
        "unexpected_count: 2",
        f"{UI}/runs/{run_id}",
        f"Check: {UI}/assets/dim_movies?view=checks&checkDetail=keys_are_unique",
        f"data_docs: {DOCS}",
        "Not shown here (values from the data; see the check): samples",
    )
    assert pagerduty["event_action"] == "trigger"
    # Counts and links only: no value from the data.
    assert SAMPLE_ID not in mail.get_content() + str(slack) + str(pagerduty)


def test_check_alerts_carry_samples_when_switched_on(instance, receivers, monkeypatch):
    monkeypatch.setenv("IMDB_ALERT_INCLUDE_SAMPLES", "true")
    mails, received = receivers
    result = execute(instance, "checked_etl")

    evaluate(notify_on_failed_error_checks, instance, result)

    mail, slack, pagerduty = one_per_channel(mails, received)
    assert_mentions(mail, slack, pagerduty, "unexpected_count: 2", SAMPLE_ID, f"data_docs: {DOCS}")


def test_a_failed_check_of_a_day_names_its_day(instance, receivers):
    mails, received = receivers
    result = DEFS.resolve_job_def("daily_etl").execute_in_process(
        instance=instance, raise_on_error=False, partition_key="2024-06-01"
    )
    [evaluation] = result.get_asset_check_evaluations()
    assert (result.success, evaluation.partition) == (True, "2024-06-01")

    evaluate(notify_on_failed_error_checks, instance, result)

    mail, slack, pagerduty = one_per_channel(mails, received)
    assert_mentions(mail, slack, pagerduty, "bridge_movie_genre/keys_resolve_to_dimensions",
                    "partition: 2024-06-01", "genre_key 99 is not in dim_genres")  # fmt: skip


def test_a_blocking_check_that_fails_the_run_is_reported_once(instance, receivers):
    mails, received = receivers
    result = execute(instance, "blocked_etl")
    assert not result.success

    evaluate(notify_on_run_failure, instance, result)

    mail, slack, pagerduty = one_per_channel(mails, received)
    assert subject_of(mail).startswith("[imdb_pipeline] Run failed: blocked_etl (step ")
    assert_mentions(mail, slack, pagerduty, result.run_id, "stg_movies/movie_id_is_valid")


def test_a_success_after_a_failure_recovers_and_resolves(instance, receivers):
    mails, received = receivers
    execute(instance, "imdb_movies_etl", fail=True)
    result = execute(instance, "imdb_movies_etl", fail=False)

    evaluate(notify_on_failed_error_checks, instance, result)

    mail, slack, pagerduty = one_per_channel(mails, received)
    assert subject_of(mail) == "[imdb_pipeline] Recovered: imdb_movies_etl"
    assert result.run_id in slack["text"]
    assert pagerduty == {"routing_key": ROUTING_KEY, "event_action": "resolve",
                         "dedup_key": "imdb_pipeline/imdb_movies_etl"}  # fmt: skip


def test_a_clean_success_only_resolves_pagerduty(instance, receivers):
    mails, received = receivers
    result = execute(instance, "imdb_movies_etl", fail=False)

    evaluate(notify_on_failed_error_checks, instance, result)

    assert mails == [] and posted(received, "/slack") == []
    assert [body["event_action"] for body in posted(received, "/pagerduty")] == ["resolve"]


def test_nothing_is_sent_when_no_channel_is_configured(instance, smtp_server, http_receiver):
    result = execute(instance, "imdb_movies_etl")

    evaluate(notify_on_run_failure, instance, result)

    assert smtp_server[1] == [] and http_receiver[1] == []


def test_the_sensors_are_valid_definitions():
    defs = dg.Definitions(sensors=[notify_on_run_failure, notify_on_failed_error_checks])
    assert defs.resolve_sensor_def("notify_on_run_failure").description
    assert defs.resolve_sensor_def("notify_on_failed_error_checks").description
