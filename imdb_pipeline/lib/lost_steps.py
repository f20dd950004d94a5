"""The step a failed run was in when its process died.

Pure: no Dagster. A run whose process dies (killed with `kill -9`, by the OOM killer, or with its
machine) records no step failure: the step just never ends. Dagster then marks the run failed
from outside, with a message of its own (the code server's "Run execution process ... was
terminated by signal 9", or run monitoring's "Detected run worker status FAILED"). The run-failure
alert names that step as the failed one and says what happened, in `lost_step`.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from imdb_pipeline.lib.notifications import StepFailure

# Dagster's event type values (DagsterEventType.X.value; a run's cancel is still PIPELINE_...).
STEP_START, STEP_RESTARTED = "STEP_START", "STEP_RESTARTED"
STEP_FAILURE = "STEP_FAILURE"
STEP_ENDS = {"STEP_SUCCESS", STEP_FAILURE, "STEP_SKIPPED"}
ENGINE_EVENT, RUN_CANCELING = "ENGINE_EVENT", "PIPELINE_CANCELING"
# The events `lost_step` reads: a sensor fetches only these from the run's log.
KINDS = frozenset({STEP_START, STEP_RESTARTED, *STEP_ENDS, ENGINE_EVENT, RUN_CANCELING})


@dataclass(frozen=True)
class RunEvent:
    """One event of a run's log, in log order: its type value, step (None for the run's own
    events), message, and error text when it carries one."""

    kind: str
    step_key: str | None
    message: str
    error: str | None = None


def unfinished_steps(events: Sequence[RunEvent]) -> dict[str, int]:
    """Each step that started (or restarted after a retry wait) and never succeeded, failed or
    was skipped, with the position of its last start, in the order they started."""
    last_start: dict[str, int] = {}
    for position, event in enumerate(events):
        if event.step_key is None:
            continue
        if event.kind in (STEP_START, STEP_RESTARTED):
            last_start.pop(event.step_key, None)
            last_start[event.step_key] = position
        elif event.kind in STEP_ENDS:
            last_start.pop(event.step_key, None)
    return last_start


def unfinished_step(events: Sequence[RunEvent]) -> tuple[int, str] | None:
    """(position, key) of the last step left unfinished; None when every step that started
    ended."""
    unfinished = unfinished_steps(events)
    if not unfinished:
        return None
    step_key, position = max(unfinished.items(), key=lambda item: item[1])
    return position, step_key


def lost_step(events: Sequence[RunEvent], failure_message: str) -> StepFailure | None:
    """The unfinished step as a failure of its own, explained; None when no step was left
    unfinished. `failure_message` is the run failure event's message (and error, if any)."""
    found = unfinished_step(events)
    if found is None:
        return None
    position, step_key = found
    # What Dagster said about the run (not a step) after the step started: why the process ended.
    after = [
        event
        for event in events[position + 1 :]
        if event.step_key is None and event.kind in (ENGINE_EVENT, RUN_CANCELING)
    ]
    cancels = [event for event in after if event.kind == RUN_CANCELING]
    errors = [event.error for event in after if event.error]
    if cancels:  # run monitoring stopped it (max runtime) and could not reach its process
        lead = (
            f"The run was stopped from outside during step {step_key}: the step neither "
            "succeeded nor failed."
        )
    elif errors:
        lead = f"The run stopped during step {step_key} on an error outside the step:\n{errors[-1]}"
    else:
        lead = (
            f"The run's process died (or was killed) during step {step_key}: the step neither "
            "succeeded nor failed. Tables the step had not put in place keep their previous "
            "content; run the day again once the cause (memory, a restart) is known."
        )
    said = _unique([event.message for event in after] + [failure_message])
    lines = [lead, ""] + [f"Dagster: {message}" for message in said if message.strip()]
    return StepFailure(step_key=step_key, error="\n".join(lines).strip())


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(item.strip() for item in items))
