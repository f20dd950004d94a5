"""What to tell people when the pipeline breaks, and the messages each alert channel expects.

Pure: no Dagster, no network. The sensors gather facts about a finished run (failed steps,
failed ERROR checks) and `for_failed_run` / `for_succeeded_run` decide which notifications
they deserve; the builders turn one notification into an email, a Slack incoming-webhook
payload or PagerDuty Events API v2 payloads.

One message per thing that failed, never two:
- a failed run gets one `run_failure` notification naming every failed step; a blocking ERROR
  check that failed made its own step fail, so it is reported there (and named in the text), not
  again as a `check_failure`;
- any other failed ERROR check (non-blocking, or one of the project's blocking checks, which
  keep the tables after them as they were and let the run succeed) gets its own
  `check_failure`, whatever the run's status;
- a successful run without failed ERROR checks resolves the job's PagerDuty incident, and when the
  job's previous finished run had failed (or failed an ERROR check) it is announced as
  `recovered`.
WARN checks never notify: the UI shows them.

An alert about a check carries its counts and links (the check in the Dagster UI, its Data Docs
page), never values from the data: samples, listed values and queries stay in the UI, behind
its access control, unless the deployment asks for them (`include_samples`). Even then the
values of sensitive columns are masked (`lib/masking.py`); they are masked at the source too.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal
from urllib.parse import quote, urlencode

from imdb_pipeline.constants import BLOCKED_METADATA
from imdb_pipeline.lib import masking

PIPELINE = "imdb_pipeline"
MAX_ERROR_CHARS = 2000
MAX_METADATA_VALUE_CHARS = 300

# A failed check's metadata that describes the check, not the data: in every alert, like its
# numbers (counts, rates). The rest (samples, listed values, queries) only when asked for.
CHECK_FACTS = ("partition", "slice", "failed_expectations", "error", "errors", BLOCKED_METADATA)

Kind = Literal["run_failure", "check_failure", "recovered", "source_timeout"]


@dataclass(frozen=True)
class Notification:
    """One alert: job, run, what failed (a step key or "asset/check"), why, and where to look."""

    kind: Kind
    job_name: str
    run_id: str
    failed: str
    error: str
    run_url: str


@dataclass(frozen=True)
class StepFailure:
    step_key: str
    error: str


@dataclass(frozen=True)
class CheckFailure:
    """A failed ERROR-severity check; `name` is "asset/check", `step_key` the step that ran it."""

    name: str
    step_key: str | None
    error: str


def source_timeout(job_name: str, pattern: str, reason: str, base_url: str) -> Notification:
    """The day's export did not arrive in time (the sensor's timeout, without soft_fail)."""
    return Notification(
        kind="source_timeout", job_name=job_name, run_id="-", failed=pattern, error=trim(reason),
        run_url=f"{base_url.rstrip('/')}/automation",
    )  # fmt: skip


def run_url(base_url: str, run_id: str) -> str:
    """The run's page in the Dagster UI."""
    return f"{base_url.rstrip('/')}/runs/{run_id}"


def trim(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """The text cut to `limit` characters, saying so: a stack trace must not flood a pager."""
    text = text.strip()
    if len(text) <= limit:
        return text
    note = f"\n... ({len(text) - limit} more characters; see the run page)"
    return text[: max(limit - len(note), 0)] + note


def notification(
    kind: Kind, job_name: str, run_id: str, failed: str, error: str, base_url: str
) -> Notification:
    return Notification(
        kind=kind, job_name=job_name, run_id=run_id, failed=failed, error=trim(error),
        run_url=run_url(base_url, run_id),
    )  # fmt: skip


def check_url(base_url: str, asset_path: Sequence[str], check_name: str) -> str:
    """The check's page in the Dagster UI (its latest evaluations)."""
    path = "/".join(quote(part, safe="") for part in asset_path)
    query = urlencode({"view": "checks", "checkDetail": check_name})
    return f"{base_url.rstrip('/')}/assets/{path}?{query}"


def check_error_text(
    description: str | None,
    metadata: Mapping[str, object],
    links: Mapping[str, str] | None = None,
    include_samples: bool = False,
    sensitive: frozenset[str] = frozenset(),
) -> str:
    """A failed check's description, facts, counts and `links` (label: URL) as plain text.

    Values from the data (samples, listed values, queries over rows) come last, and only with
    `include_samples`, with their `sensitive` columns masked; otherwise they are named, so the
    reader knows where to look. Links come before them: trimming a long text keeps them."""
    facts = {key: value for key, value in metadata.items()
             if key in CHECK_FACTS or _is_figure(value)}  # fmt: skip
    data = {key: value for key, value in metadata.items() if key not in facts}
    lines = [description or "the check failed"]
    lines += [_metadata_line(key, value) for key, value in facts.items()]
    lines += [f"{label}: {url}" for label, url in (links or {}).items()]
    if include_samples:
        lines += [_metadata_line(key, masking.mask_nested(value, sensitive))
                  for key, value in data.items()]  # fmt: skip
    elif data:
        lines.append(f"Not shown here (values from the data; see the check): {', '.join(data)}")
    return "\n".join(lines)


def _metadata_line(key: str, value: object) -> str:
    return f"{key}: {trim(str(value), MAX_METADATA_VALUE_CHARS)}"


def _is_figure(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def for_failed_run(
    job_name: str,
    run_id: str,
    base_url: str,
    step_failures: Sequence[StepFailure],
    check_failures: Sequence[CheckFailure],
    run_error: str = "",
    failed_from_outside: bool = False,
) -> list[Notification]:
    """One run_failure, plus one check_failure per failed ERROR check outside the failed steps.

    `failed_from_outside`: Dagster failed the run itself (its maximum runtime, a dead process)
    rather than the run failing because of its steps; `run_error` then says why."""
    failed_steps = {failure.step_key for failure in step_failures}
    covered = [check for check in check_failures if check.step_key in failed_steps]
    if step_failures:
        failed = ", ".join(_unique(failure.step_key for failure in step_failures))
        error = "\n\n".join(f"[{failure.step_key}]\n{failure.error}" for failure in step_failures)
        if failed_from_outside and run_error and run_error not in error:
            # A step stopped by it fails with a bare "interrupted" error: the reason goes first.
            error = f"{run_error}\n\n{error}"
    else:  # the run failed outside any step: launch error, crashed worker, cancellation
        failed, error = "run", run_error or "the run failed before or between steps"
    if covered:
        names = ", ".join(check.name for check in covered)
        # The check name goes first so trimming a long trace cannot hide it.
        error = f"Failed ERROR checks in the failed steps: {names}\n\n{error}"
    notes = [notification("run_failure", job_name, run_id, failed, error, base_url)]
    notes += [
        notification("check_failure", job_name, run_id, check.name, check.error, base_url)
        for check in check_failures
        if check.step_key not in failed_steps
    ]
    return notes


def for_succeeded_run(
    job_name: str,
    run_id: str,
    base_url: str,
    check_failures: Sequence[CheckFailure],
    previous_run_alerted: bool,
) -> list[Notification]:
    """A check_failure per failed ERROR check; else `recovered` when the previous run alerted."""
    if check_failures:
        return [
            notification("check_failure", job_name, run_id, check.name, check.error, base_url)
            for check in check_failures
        ]
    if previous_run_alerted:
        error = "The run succeeded and every ERROR check passed, after a run that alerted."
        return [notification("recovered", job_name, run_id, "", error, base_url)]
    return []


def should_resolve(check_failures: Sequence[CheckFailure]) -> bool:
    """Whether a successful run closes the job's incident: only when nothing it checked failed."""
    return not check_failures


def subject(note: Notification) -> str:
    if note.kind == "run_failure":
        noun = "steps" if ", " in note.failed else "step"
        return f"[{PIPELINE}] Run failed: {note.job_name} ({noun} {note.failed})"
    if note.kind == "check_failure":
        return f"[{PIPELINE}] Check failed: {note.job_name} ({note.failed})"
    if note.kind == "source_timeout":
        return f"[{PIPELINE}] Source late: {note.job_name} (no new file at {note.failed})"
    return f"[{PIPELINE}] Recovered: {note.job_name}"


def body(note: Notification) -> str:
    """Every field, as plain text readable in any mail client or pager."""
    return "\n".join([
        subject(note)[len(PIPELINE) + 3 :],
        "",
        f"Job:    {note.job_name}",
        f"Run:    {note.run_id}",
        f"Failed: {note.failed or '-'}",
        f"Link:   {note.run_url}",
        "",
        "Error:" if note.kind != "recovered" else "Details:",
        note.error,
        "",
    ])  # fmt: skip


def email_message(note: Notification, sender: str, recipients: Sequence[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject(note)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message.set_content(body(note))
    return message


def slack_payload(note: Notification) -> dict:
    """An incoming-webhook message: `text` for notifications, `blocks` for the channel."""
    details = (
        f"*Job:* `{note.job_name}`\n*Run:* <{note.run_url}|{note.run_id}>\n"
        f"*Failed:* `{note.failed or '-'}`"
    )
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": subject(note)[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": details}},
    ]
    if note.error:
        # A section's text is limited to 3000 characters; the error is already at most 2000.
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"```{note.error}```"}}
        )
    return {"text": f"{subject(note)} {note.run_url}", "blocks": blocks}


def dedup_key(job_name: str) -> str:
    """One incident per job: later failures join it, the next clean success resolves it."""
    return f"{PIPELINE}/{job_name}"


def pagerduty_trigger(note: Notification, routing_key: str) -> dict:
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key(note.job_name),
        "payload": {
            "summary": subject(note)[:1024],
            "source": PIPELINE,
            "severity": "error",
            "component": note.job_name,
            "custom_details": {
                "kind": note.kind,
                "job_name": note.job_name,
                "run_id": note.run_id,
                "failed": note.failed,
                "error": note.error,
                "run_url": note.run_url,
            },
        },
        "links": [{"href": note.run_url, "text": "Dagster run"}],
    }


def pagerduty_resolve(job_name: str, routing_key: str) -> dict:
    return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key(job_name)}


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
