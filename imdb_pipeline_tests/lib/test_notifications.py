"""Notification messages, the no-duplicate rule, settings, and delivery to real local receivers.

The receivers are real servers on 127.0.0.1: an aiosmtpd SMTP server and an HTTP server that
records the JSON bodies POSTed to it (`/slack`, `/pagerduty`; `/broken` answers 500). The
sensor tests start the same servers.
"""

import email
import email.policy
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from imdb_pipeline.lib import notifications as notes
from imdb_pipeline.resources.notifications import (
    NotificationError,
    NotificationSettings,
    Notifier,
    SmtpSettings,
    notification_settings,
)
from imdb_pipeline_tests.conftest import free_port

BASE_URL = "http://ui.example:3000"
ROUTING_KEY = "routing-key-secret-0123"
WEBHOOK_SECRET = "T000/B000/webhook-secret-xyz"


class _Collector:
    """aiosmtpd handler keeping every message received."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted"


@contextmanager
def running_smtp_server() -> Iterator[tuple[int, list]]:
    """(port, received messages) of a real SMTP server on 127.0.0.1."""
    collector = _Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, collector.messages
    finally:
        controller.stop()


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, json.loads(body)))
        status = 500 if self.path.startswith("/broken") else 202
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):  # keep test output quiet
        pass


@contextmanager
def running_http_receiver() -> Iterator[tuple[str, list]]:
    """(base URL, received (path, JSON body) pairs) of a real HTTP server on 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list]]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def http_receiver() -> Iterator[tuple[str, list]]:
    with running_http_receiver() as server:
        yield server


def posted(received: list, path: str) -> list[dict]:
    return [body for target, body in received if target.startswith(path)]


def failure(**changes) -> notes.Notification:
    values = {"kind": "run_failure", "job_name": "imdb_movies_etl", "run_id": "abc-123",
              "failed": "stage_movies", "error": "ValueError: rating '12.5' is outside 0..10",
              "base_url": BASE_URL}  # fmt: skip
    return notes.notification(**{**values, **changes})


# Pure builders


def test_the_link_points_at_the_run_page():
    assert (
        notes.run_url("http://ui.example:3000/", "abc-123") == "http://ui.example:3000/runs/abc-123"
    )
    assert failure().run_url == "http://ui.example:3000/runs/abc-123"


def test_long_errors_are_trimmed_and_say_so():
    note = failure(error="x" * 10_000)
    assert len(note.error) == notes.MAX_ERROR_CHARS
    assert note.error.endswith("more characters; see the run page)")
    assert failure(error=" short \n").error == "short"


def test_subjects_name_the_job_and_what_failed():
    assert (
        notes.subject(failure())
        == "[imdb_pipeline] Run failed: imdb_movies_etl (step stage_movies)"
    )
    assert (
        notes.subject(failure(failed="a, b"))
        == "[imdb_pipeline] Run failed: imdb_movies_etl (steps a, b)"
    )
    check = failure(kind="check_failure", failed="staging/stg_movies/movie_id_is_valid")
    assert notes.subject(check) == (
        "[imdb_pipeline] Check failed: imdb_movies_etl (staging/stg_movies/movie_id_is_valid)"
    )
    assert (
        notes.subject(failure(kind="recovered", failed=""))
        == "[imdb_pipeline] Recovered: imdb_movies_etl"
    )


def test_the_email_carries_every_field():
    message = notes.email_message(
        failure(), "dagster@example.com", ["a@example.com", "b@example.com"]
    )
    assert message["Subject"] == "[imdb_pipeline] Run failed: imdb_movies_etl (step stage_movies)"
    assert message["To"] == "a@example.com, b@example.com"
    text = message.get_content()
    for value in ["imdb_movies_etl", "abc-123", "stage_movies", "rating '12.5' is outside 0..10",
                  "http://ui.example:3000/runs/abc-123"]:  # fmt: skip
        assert value in text


def test_the_slack_payload_has_text_and_blocks():
    payload = json.loads(json.dumps(notes.slack_payload(failure())))
    assert payload["text"].startswith("[imdb_pipeline] Run failed: imdb_movies_etl")
    assert "http://ui.example:3000/runs/abc-123" in payload["text"]
    blocks = json.dumps(payload["blocks"])
    assert "stage_movies" in blocks and "outside 0..10" in blocks
    assert [block["type"] for block in payload["blocks"]] == ["header", "section", "section"]


def test_pagerduty_trigger_and_resolve_share_a_stable_dedup_key():
    trigger = notes.pagerduty_trigger(failure(), ROUTING_KEY)
    assert trigger["routing_key"] == ROUTING_KEY
    assert trigger["event_action"] == "trigger"
    assert trigger["dedup_key"] == "imdb_pipeline/imdb_movies_etl"
    assert trigger["payload"]["severity"] == "error"
    assert trigger["payload"]["source"] == "imdb_pipeline"
    assert trigger["payload"]["summary"] == notes.subject(failure())
    assert trigger["payload"]["custom_details"]["run_url"] == "http://ui.example:3000/runs/abc-123"
    assert notes.pagerduty_resolve("imdb_movies_etl", ROUTING_KEY) == {
        "routing_key": ROUTING_KEY, "event_action": "resolve",
        "dedup_key": "imdb_pipeline/imdb_movies_etl",
    }  # fmt: skip


def test_check_error_text_lists_description_and_metadata():
    text = notes.check_error_text("3 bad ids", {"unexpected_count": 3, "samples": ["x"] * 500},
                                  include_samples=True)  # fmt: skip
    assert text.splitlines()[:2] == ["3 bad ids", "unexpected_count: 3"]
    assert "samples: ['x', 'x'" in text
    assert len(text) < 500


CHECK_METADATA = {
    "slice": "snapshot_date = 2024-06-01",
    "failed_expectations": ["email at work"],
    "unexpected_count": 3,
    "unexpected_percent": 1.5,
    "samples": {"email at work": [{"person_id": "p1", "email": "alice@private.example.com"}]},
    "unknown_values": "alice@private.example.com (1)",
    "rejects_query": "SELECT * FROM staging.stg_movies_rejects WHERE person_id = 'p1'",
}
LINKS = {"Check": notes.check_url(BASE_URL, ["staging", "people"], "emails_are_work_addresses"),
         "data_docs": "http://docs.example:3001/validations/staging/people/run.html"}  # fmt: skip


def test_a_checks_page_in_the_ui():
    assert LINKS["Check"] == ("http://ui.example:3000/assets/staging/people?view=checks"
                              "&checkDetail=emails_are_work_addresses")  # fmt: skip


def test_check_alerts_carry_counts_and_links_and_no_value_from_the_data():
    text = notes.check_error_text("E-mail addresses are work addresses.", CHECK_METADATA, LINKS)

    assert text.splitlines() == [
        "E-mail addresses are work addresses.",
        "slice: snapshot_date = 2024-06-01",
        "failed_expectations: ['email at work']",
        "unexpected_count: 3",
        "unexpected_percent: 1.5",
        f"Check: {LINKS['Check']}",
        "data_docs: http://docs.example:3001/validations/staging/people/run.html",
        ("Not shown here (values from the data; see the check): samples, unknown_values, "
         "rejects_query"),
    ]
    assert "p1" not in text and "alice" not in text


def test_check_alerts_switched_to_samples_mask_the_sensitive_columns():
    text = notes.check_error_text("E-mail addresses are work addresses.", CHECK_METADATA, LINKS,
                                  include_samples=True, sensitive=frozenset({"email"}))  # fmt: skip

    assert "samples: {'email at work': [{'person_id': 'p1', 'email': '•••'}]}" in text
    assert "'email': 'alice" not in text
    assert "Not shown" not in text
    assert LINKS["Check"] in text


# The no-duplicate rule

BLOCKING = notes.CheckFailure("staging/stg_movies/movie_id_is_valid", "stg_movies", "bad ids")
OTHER = notes.CheckFailure("core/dim_movies/keys_are_unique", "dim_movies", "duplicates")
STEP = notes.StepFailure(
    "stg_movies", "DagsterAssetCheckFailedError: 1 blocking asset check failed"
)


def test_a_blocking_check_that_failed_its_step_is_reported_once_in_the_run_failure():
    planned = notes.for_failed_run("etl", "r1", BASE_URL, [STEP], [BLOCKING])
    assert [note.kind for note in planned] == ["run_failure"]
    assert planned[0].failed == "stg_movies"
    assert "staging/stg_movies/movie_id_is_valid" in planned[0].error


def test_a_failed_run_still_reports_non_blocking_error_checks_of_other_steps():
    planned = notes.for_failed_run("etl", "r1", BASE_URL, [STEP], [BLOCKING, OTHER])
    assert [(note.kind, note.failed) for note in planned] == [
        ("run_failure", "stg_movies"), ("check_failure", "core/dim_movies/keys_are_unique")
    ]  # fmt: skip


def test_a_run_that_failed_outside_steps_says_so():
    [note] = notes.for_failed_run("etl", "r1", BASE_URL, [], [], "run worker crashed")
    assert (note.failed, note.error) == ("run", "run worker crashed")


def test_a_successful_run_reports_each_failed_check_and_otherwise_recovery():
    planned = notes.for_succeeded_run(
        "etl", "r2", BASE_URL, [BLOCKING, OTHER], previous_run_alerted=True
    )
    assert [note.kind for note in planned] == ["check_failure", "check_failure"]
    assert not notes.should_resolve([OTHER])
    [recovered] = notes.for_succeeded_run("etl", "r2", BASE_URL, [], previous_run_alerted=True)
    assert recovered.kind == "recovered"
    assert notes.for_succeeded_run("etl", "r2", BASE_URL, [], previous_run_alerted=False) == []
    assert notes.should_resolve([])


# Settings


def test_every_channel_is_off_by_default():
    settings = notification_settings({})
    assert settings.channels == []
    assert settings.ui_base_url == "http://127.0.0.1:3000"
    assert settings.pagerduty_events_url == "https://events.pagerduty.com/v2/enqueue"
    assert not settings.include_samples


def test_samples_in_alerts_are_switched_on_by_the_environment():
    assert notification_settings({"IMDB_ALERT_INCLUDE_SAMPLES": "true"}).include_samples
    with pytest.raises(ValueError, match="IMDB_ALERT_INCLUDE_SAMPLES='yes' must be true or false"):
        notification_settings({"IMDB_ALERT_INCLUDE_SAMPLES": "yes"})


def test_settings_from_the_environment_keep_secrets_out_of_repr():
    settings = notification_settings({
        "IMDB_SMTP_HOST": "mail", "IMDB_SMTP_FROM": "d@x", "IMDB_SMTP_TO": "a@x, b@x,",
        "IMDB_SMTP_PASSWORD": "pw-secret", "IMDB_SMTP_USER": "u", "IMDB_SMTP_STARTTLS": "TRUE",
        "IMDB_SLACK_WEBHOOK_URL": WEBHOOK_SECRET, "IMDB_PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
    })  # fmt: skip
    assert settings.channels == ["email", "slack", "pagerduty"]
    assert settings.smtp.port == 25 and settings.smtp.starttls
    assert settings.smtp.recipients == ("a@x", "b@x")
    for secret in ["pw-secret", WEBHOOK_SECRET, ROUTING_KEY]:
        assert secret not in repr(settings)


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"IMDB_SMTP_HOST": "mail", "IMDB_SMTP_TO": "a@x"}, "IMDB_SMTP_FROM and IMDB_SMTP_TO"),
        ({"IMDB_SMTP_HOST": "mail", "IMDB_SMTP_FROM": "d@x", "IMDB_SMTP_TO": "a@x",
          "IMDB_SMTP_PORT": "smtp"}, "IMDB_SMTP_PORT='smtp'"),
        ({"IMDB_SMTP_HOST": "mail", "IMDB_SMTP_FROM": "d@x", "IMDB_SMTP_TO": "a@x",
          "IMDB_SMTP_STARTTLS": "yes"}, "IMDB_SMTP_STARTTLS='yes'"),
    ],
)  # fmt: skip
def test_half_configured_email_is_an_error(environ, message):
    with pytest.raises(ValueError, match=message):
        notification_settings(environ)


# Delivery to real receivers


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def recording_logger() -> tuple[logging.Logger, list[str]]:
    handler = _Records()
    log = logging.getLogger(f"test_notifications.{id(handler)}")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return log, handler.lines


def settings_for(
    smtp_port: int, http_base: str, slack_path: str = "/slack"
) -> NotificationSettings:
    return NotificationSettings(
        ui_base_url=BASE_URL,
        smtp=SmtpSettings("127.0.0.1", smtp_port, "dagster@example.com", ("oncall@example.com",)),
        slack_webhook_url=f"{http_base}{slack_path}/{WEBHOOK_SECRET}",
        pagerduty_routing_key=ROUTING_KEY,
        pagerduty_events_url=f"{http_base}/pagerduty",
    )


def test_send_reaches_every_channel_without_logging_secrets(smtp_server, http_receiver):
    (port, mails), (base, received) = smtp_server, http_receiver
    log, lines = recording_logger()

    channels = Notifier(settings_for(port, base), log).send(failure())

    assert channels == ["email", "slack", "pagerduty"]
    [mail] = mails
    assert (
        " ".join(mail["Subject"].split())
        == "[imdb_pipeline] Run failed: imdb_movies_etl (step stage_movies)"
    )
    assert mail["To"] == "oncall@example.com"
    assert "http://ui.example:3000/runs/abc-123" in mail.get_content()
    [slack] = posted(received, "/slack")
    assert "abc-123" in slack["text"]
    [trigger] = posted(received, "/pagerduty")
    assert trigger["event_action"] == "trigger" and trigger["routing_key"] == ROUTING_KEY
    assert len(lines) == 3
    assert not any(ROUTING_KEY in line or WEBHOOK_SECRET in line for line in lines)


def test_recovered_and_resolve_close_the_pagerduty_incident(smtp_server, http_receiver):
    (port, mails), (base, received) = smtp_server, http_receiver
    notifier = Notifier(settings_for(port, base))

    notifier.send(failure(kind="recovered", failed="", error="all good"))
    assert notifier.resolve("imdb_movies_etl") == ["pagerduty"]

    assert [body["event_action"] for body in posted(received, "/pagerduty")] == [
        "resolve",
        "resolve",
    ]
    assert " ".join(mails[0]["Subject"].split()) == "[imdb_pipeline] Recovered: imdb_movies_etl"
    assert Notifier(NotificationSettings()).resolve("imdb_movies_etl") == []


def test_a_broken_channel_does_not_stop_the_others_and_its_error_hides_the_secret(
    smtp_server, http_receiver
):
    (port, mails), (base, received) = smtp_server, http_receiver
    log, lines = recording_logger()

    with pytest.raises(NotificationError) as raised:
        Notifier(settings_for(port, base, slack_path="/broken"), log).send(failure())

    assert "slack: HTTP 500" in str(raised.value)
    assert WEBHOOK_SECRET not in str(raised.value) and not any(
        WEBHOOK_SECRET in line for line in lines
    )
    assert len(mails) == 1 and len(posted(received, "/pagerduty")) == 1


def test_an_unreachable_smtp_server_is_reported(http_receiver):
    base, _ = http_receiver
    with pytest.raises(NotificationError, match="email: ConnectionRefusedError"):
        Notifier(settings_for(free_port(), base)).send(failure())
