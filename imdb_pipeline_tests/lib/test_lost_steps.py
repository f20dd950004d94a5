"""The step a run was in when its process died, and the alert that names it."""

import dagster as dg

from imdb_pipeline.lib import lost_steps
from imdb_pipeline.lib import notifications as notes
from imdb_pipeline.lib.lost_steps import RunEvent

RUN_ID = "0f1e2d3c-0000-4000-8000-000000000000"
BASE_URL = "http://ui.example:3000"
# What Dagster 1.13 writes when a run's process is found dead (run monitoring, code server).
MONITORING = (
    "Detected run worker status FAILED: 'The run worker process 4242 on etl-1 is gone: it died "
    f"or was killed.'. Marking run {RUN_ID} as failed."
)
SIGKILL = (
    f"Run execution process for {RUN_ID} was terminated by signal 9 (SIGKILL). This usually "
    "indicates that the process was killed by the operating system due to running out of memory."
)
OUTSIDE = "This run has been marked as failed from outside the execution context."


def step(kind: str, key: str) -> RunEvent:
    return RunEvent(kind=kind, step_key=key, message=f"{kind} {key}")


def engine(message: str, error: str | None = None) -> RunEvent:
    return RunEvent(kind="ENGINE_EVENT", step_key=None, message=message, error=error)


RAW = "raw__raw_imdb_movies"
DONE_RAW = [step("STEP_START", RAW), step("STEP_SUCCESS", RAW)]
KILLED_IN_DIMENSIONS = [
    engine("Executing steps in process (pid: 4242)"),
    *DONE_RAW,
    step("STEP_START", "stage_movies"),
    step("STEP_SUCCESS", "stage_movies"),
    step("STEP_START", "build_dimensions"),
]


def test_the_event_types_read_are_dagsters():
    assert {kind for kind in lost_steps.KINDS} <= {kind.value for kind in dg.DagsterEventType}


def test_the_last_step_started_and_never_ended_is_the_one_the_run_was_in():
    assert lost_steps.unfinished_step(KILLED_IN_DIMENSIONS) == (5, "build_dimensions")


def test_no_step_is_lost_when_every_started_step_ended():
    events = [*DONE_RAW, step("STEP_START", "stage_movies"), step("STEP_FAILURE", "stage_movies")]
    assert lost_steps.unfinished_step(events) is None
    assert lost_steps.lost_step(events, OUTSIDE) is None
    assert lost_steps.lost_step([], OUTSIDE) is None


def test_a_step_restarted_after_a_retry_wait_is_still_running():
    events = [
        step("STEP_START", "build_dimensions"),
        RunEvent("STEP_UP_FOR_RETRY", "build_dimensions", "retry"),
        step("STEP_RESTARTED", "build_dimensions"),
    ]
    assert lost_steps.unfinished_step(events) == (2, "build_dimensions")


def test_of_two_unfinished_steps_the_later_is_named():
    events = [step("STEP_START", "build_dimensions"), step("STEP_START", "build_daily_star")]
    assert lost_steps.unfinished_step(events)[1] == "build_daily_star"


def test_a_process_found_dead_by_run_monitoring():
    lost = lost_steps.lost_step(KILLED_IN_DIMENSIONS, MONITORING)

    assert lost.step_key == "build_dimensions"
    assert lost.error.startswith(
        "The run's process died (or was killed) during step build_dimensions: the step neither "
        "succeeded nor failed."
    )
    assert lost.error.endswith(f"Dagster: {MONITORING}")
    # Engine events from before the step are not about its end.
    assert "Executing steps" not in lost.error


def test_a_process_found_dead_by_its_code_server_quotes_the_signal():
    events = [*KILLED_IN_DIMENSIONS, engine(SIGKILL)]

    lost = lost_steps.lost_step(events, OUTSIDE)

    assert "during step build_dimensions" in lost.error
    assert lost.error.endswith(f"Dagster: {SIGKILL}\nDagster: {OUTSIDE}")


def test_an_error_outside_the_step_is_not_called_a_dead_process():
    events = [*KILLED_IN_DIMENSIONS, engine("An exception was thrown", error="KeyError: 'x'")]

    lost = lost_steps.lost_step(events, OUTSIDE)

    assert lost.error.startswith(
        "The run stopped during step build_dimensions on an error outside the step:\nKeyError: 'x'"
    )
    assert "died" not in lost.error


MAX_RUNTIME = "Canceling due to exceeding maximum runtime of 7200 seconds."


def test_a_run_stopped_for_its_maximum_runtime_says_so():
    # As run monitoring leaves a run past max_runtime_seconds whose process it cannot reach
    # (dagster/_daemon/monitoring/run_monitoring.py, check_run_timeout).
    events = [
        *KILLED_IN_DIMENSIONS,
        RunEvent("PIPELINE_CANCELING", None, MAX_RUNTIME),
        RunEvent("PIPELINE_CANCELING", None, "Sending run termination request."),
        engine("Exception while attempting to terminate run. Run will still be marked as failed.",
               error="DagsterUserCodeUnreachableError: Could not reach user code server."),
    ]  # fmt: skip
    forced = "This job is being forcibly marked as failed."

    lost = lost_steps.lost_step(events, forced)

    assert lost.error.startswith(
        "The run was stopped from outside during step build_dimensions: the step neither "
        f"succeeded nor failed.\n\nDagster: {MAX_RUNTIME}"
    )
    assert "died" not in lost.error
    assert lost.error.endswith(f"Dagster: {forced}")


def test_the_alert_for_a_killed_run_names_the_run_and_the_step():
    lost = lost_steps.lost_step(KILLED_IN_DIMENSIONS, MONITORING)

    [note] = notes.for_failed_run("imdb_movies_etl", RUN_ID, BASE_URL, [lost], [], MONITORING)

    subject = "[imdb_pipeline] Run failed: imdb_movies_etl (step build_dimensions)"
    assert notes.subject(note) == subject
    assert notes.body(note) == "\n".join([
        "Run failed: imdb_movies_etl (step build_dimensions)",
        "",
        "Job:    imdb_movies_etl",
        f"Run:    {RUN_ID}",
        "Failed: build_dimensions",
        f"Link:   {BASE_URL}/runs/{RUN_ID}",
        "",
        "Error:",
        "[build_dimensions]",
        (
            "The run's process died (or was killed) during step build_dimensions: the step "
            "neither succeeded nor failed. Tables the step had not put in place keep their "
            "previous content; run the day again once the cause (memory, a restart) is known."
        ),
        "",
        f"Dagster: {MONITORING}",
        "",
    ])  # fmt: skip


def test_a_lost_step_beside_a_failed_step_names_both():
    failed = notes.StepFailure("build_daily_star", "ValueError: x")
    lost = lost_steps.lost_step(KILLED_IN_DIMENSIONS, MONITORING)

    [note] = notes.for_failed_run("imdb_movies_etl", RUN_ID, BASE_URL, [failed, lost], [])

    assert note.failed == "build_daily_star, build_dimensions"
    assert "[build_dimensions]\nThe run's process died" in note.error


def test_a_step_interrupted_for_the_maximum_runtime_puts_dagsters_reason_first():
    # Run monitoring stopped a live run: its step failed with a bare "interrupted" error after
    # Dagster had failed the run (seen under the daemon with max_runtime_seconds: 8).
    interrupted = notes.StepFailure("build_daily_star", "DagsterExecutionInterruptedError")
    reason = "Exceeded maximum runtime of 7200 seconds."

    [note] = notes.for_failed_run("imdb_movies_etl", RUN_ID, BASE_URL, [interrupted], [], reason,
                                  failed_from_outside=True)  # fmt: skip
    [own] = notes.for_failed_run("imdb_movies_etl", RUN_ID, BASE_URL, [interrupted], [],
                                 "Steps failed: ['build_daily_star'].")  # fmt: skip

    assert note.error == f"{reason}\n\n[build_daily_star]\nDagsterExecutionInterruptedError"
    assert own.error == "[build_daily_star]\nDagsterExecutionInterruptedError"


def test_dagsters_reason_is_not_repeated_when_the_lost_step_already_quotes_it():
    lost = lost_steps.lost_step(KILLED_IN_DIMENSIONS, MONITORING)

    [note] = notes.for_failed_run("imdb_movies_etl", RUN_ID, BASE_URL, [lost], [], MONITORING,
                                  failed_from_outside=True)  # fmt: skip

    assert note.error.count(MONITORING) == 1
    assert note.error.startswith("[build_dimensions]\nThe run's process died")
