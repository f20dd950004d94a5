"""Sending notifications by email (SMTP), Slack (incoming webhook) and PagerDuty (Events API v2).

Settings come from IMDB_* variables read when a sensor evaluates, never at import. A channel is
off while its variables are unset, so a laptop without any of them sends nothing. The Slack
webhook URL, the PagerDuty routing key and the SMTP password are secrets: they are never logged
and never appear in an error message (errors name the channel and the HTTP status or reason).

A plain class rather than a `ConfigurableResource`: run-status sensors call it directly, and
keeping secrets out of resource config keeps them out of the UI.
"""

import json
import logging
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field

from imdb_pipeline.lib import notifications as notes
from imdb_pipeline.lib.notifications import Notification

ENV_UI_BASE_URL = "IMDB_UI_BASE_URL"
ENV_SMTP_HOST = "IMDB_SMTP_HOST"
ENV_SMTP_PORT = "IMDB_SMTP_PORT"
ENV_SMTP_FROM = "IMDB_SMTP_FROM"
ENV_SMTP_TO = "IMDB_SMTP_TO"
ENV_SMTP_USER = "IMDB_SMTP_USER"
ENV_SMTP_PASSWORD = "IMDB_SMTP_PASSWORD"
ENV_SMTP_STARTTLS = "IMDB_SMTP_STARTTLS"
ENV_SMTP_SSL = "IMDB_SMTP_SSL"
ENV_SMTP_CA_FILE = "IMDB_SMTP_CA_FILE"
ENV_SMTP_ALLOW_PLAINTEXT_LOGIN = "IMDB_SMTP_ALLOW_PLAINTEXT_LOGIN"
ENV_SLACK_WEBHOOK_URL = "IMDB_SLACK_WEBHOOK_URL"
ENV_PAGERDUTY_ROUTING_KEY = "IMDB_PAGERDUTY_ROUTING_KEY"
ENV_PAGERDUTY_EVENTS_URL = "IMDB_PAGERDUTY_EVENTS_URL"
# Samples and other values from the data in check alerts (sensitive columns masked even then).
ENV_ALERT_INCLUDE_SAMPLES = "IMDB_ALERT_INCLUDE_SAMPLES"

DEFAULT_UI_BASE_URL = "http://127.0.0.1:3000"
DEFAULT_SMTP_PORT = 25
DEFAULT_SMTPS_PORT = 465
DEFAULT_PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
TIMEOUT_SECONDS = 10

EMAIL, SLACK, PAGERDUTY = "email", "slack", "pagerduty"

logger = logging.getLogger(__name__)


class NotificationError(Exception):
    """At least one channel could not deliver; the message names channels, never secrets."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    # SMTPS: TLS from the first byte (usually port 465), instead of STARTTLS.
    ssl: bool = False
    # The CA bundle that signs the server's certificate; None = the system's.
    ca_file: str | None = None
    allow_plaintext_login: bool = False

    def __post_init__(self):
        if self.starttls and self.ssl:
            raise ValueError(f"{ENV_SMTP_STARTTLS} and {ENV_SMTP_SSL} exclude each other: "
                             "STARTTLS upgrades a plain session, SMTPS starts with TLS")  # fmt: skip
        if self.user and not (self.starttls or self.ssl or self.allow_plaintext_login):
            raise ValueError(
                f"{ENV_SMTP_USER} is set, but neither {ENV_SMTP_STARTTLS} nor {ENV_SMTP_SSL} is "
                "true: the password would cross the network in clear. Turn one of them on, or "
                f"set {ENV_SMTP_ALLOW_PLAINTEXT_LOGIN}=true to accept that (a trusted relay)."
            )


@dataclass(frozen=True)
class NotificationSettings:
    """Where the UI is and which channels are on (None = off)."""

    ui_base_url: str = DEFAULT_UI_BASE_URL
    smtp: SmtpSettings | None = None
    slack_webhook_url: str | None = field(default=None, repr=False)
    pagerduty_routing_key: str | None = field(default=None, repr=False)
    pagerduty_events_url: str = DEFAULT_PAGERDUTY_EVENTS_URL
    # Off: alerts about checks carry counts and links, and no value from the data.
    include_samples: bool = False

    @property
    def channels(self) -> list[str]:
        on = {
            EMAIL: self.smtp,
            SLACK: self.slack_webhook_url,
            PAGERDUTY: self.pagerduty_routing_key,
        }
        return [name for name, setting in on.items() if setting]


def notification_settings(environ: Mapping[str, str] = os.environ) -> NotificationSettings:
    """The settings from the environment; a half-configured channel is an error, not silence."""
    return NotificationSettings(
        ui_base_url=environ.get(ENV_UI_BASE_URL) or DEFAULT_UI_BASE_URL,
        smtp=_smtp_settings(environ),
        slack_webhook_url=environ.get(ENV_SLACK_WEBHOOK_URL) or None,
        pagerduty_routing_key=environ.get(ENV_PAGERDUTY_ROUTING_KEY) or None,
        pagerduty_events_url=environ.get(ENV_PAGERDUTY_EVENTS_URL) or DEFAULT_PAGERDUTY_EVENTS_URL,
        include_samples=_flag(environ, ENV_ALERT_INCLUDE_SAMPLES),
    )


def _smtp_settings(environ: Mapping[str, str]) -> SmtpSettings | None:
    host = environ.get(ENV_SMTP_HOST)
    if not host:
        return None
    smtps = _flag(environ, ENV_SMTP_SSL)
    raw_port = environ.get(ENV_SMTP_PORT) or str(DEFAULT_SMTPS_PORT if smtps else DEFAULT_SMTP_PORT)
    if not (raw_port.isascii() and raw_port.isdigit()) or not 1 <= int(raw_port) <= 65535:
        raise ValueError(f"{ENV_SMTP_PORT}={raw_port!r} is not a TCP port (1-65535)")
    sender = environ.get(ENV_SMTP_FROM)
    recipients = tuple(
        address.strip()
        for address in (environ.get(ENV_SMTP_TO) or "").split(",")
        if address.strip()
    )
    if not sender or not recipients:
        raise ValueError(
            f"{ENV_SMTP_HOST} is set: {ENV_SMTP_FROM} and {ENV_SMTP_TO} are needed too"
        )
    return SmtpSettings(
        host=host, port=int(raw_port), sender=sender, recipients=recipients,
        user=environ.get(ENV_SMTP_USER) or None, password=environ.get(ENV_SMTP_PASSWORD) or None,
        starttls=_flag(environ, ENV_SMTP_STARTTLS), ssl=smtps,
        ca_file=environ.get(ENV_SMTP_CA_FILE) or None,
        allow_plaintext_login=_flag(environ, ENV_SMTP_ALLOW_PLAINTEXT_LOGIN),
    )  # fmt: skip


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = (environ.get(name) or "false").strip().lower()
    if value not in ("true", "false"):
        raise ValueError(f"{name}={value!r} must be true or false")
    return value == "true"


class Notifier:
    """Sends to every configured channel; one channel down does not stop the others."""

    def __init__(self, settings: NotificationSettings, log: logging.Logger | None = None):
        self.settings = settings
        self.log = log or logger

    def send(self, note: Notification) -> list[str]:
        """Names of the channels that delivered; raises NotificationError after trying them all
        if any failed. A `recovered` notification resolves the PagerDuty incident."""
        settings = self.settings
        senders = {}
        if settings.smtp:
            senders[EMAIL] = lambda: self._send_email(note)
        if settings.slack_webhook_url:
            senders[SLACK] = lambda: _post_json(
                settings.slack_webhook_url, notes.slack_payload(note)
            )
        if settings.pagerduty_routing_key:
            key = settings.pagerduty_routing_key
            payload = (
                notes.pagerduty_resolve(note.job_name, key)
                if note.kind == "recovered"
                else notes.pagerduty_trigger(note, key)
            )
            senders[PAGERDUTY] = lambda: _post_json(settings.pagerduty_events_url, payload)
        return self._deliver(
            senders, f"{note.kind} of run {note.run_id} ({note.failed or note.job_name})"
        )

    def resolve(self, job_name: str) -> list[str]:
        """Resolve the job's PagerDuty incident (a no-op for PagerDuty when none is open)."""
        key = self.settings.pagerduty_routing_key
        if not key:
            return []
        payload = notes.pagerduty_resolve(job_name, key)
        senders = {PAGERDUTY: lambda: _post_json(self.settings.pagerduty_events_url, payload)}
        return self._deliver(senders, f"resolve of {notes.dedup_key(job_name)}")

    def _deliver(self, senders: dict, what: str) -> list[str]:
        sent, failures = [], []
        for channel, deliver in senders.items():
            try:
                deliver()
            except (OSError, smtplib.SMTPException, ValueError) as error:
                failures.append(f"{channel}: {_describe(error)}")
                self.log.error("Could not send %s via %s: %s", what, channel, _describe(error))
            else:
                sent.append(channel)
                self.log.info("Sent %s via %s", what, channel)
        if failures:
            raise NotificationError(f"{what} not delivered by " + "; ".join(failures))
        return sent

    def _send_email(self, note: Notification) -> None:
        smtp = self.settings.smtp
        message = notes.email_message(note, smtp.sender, smtp.recipients)
        # The server's certificate and host name are verified (smtplib's default does not).
        context = ssl.create_default_context(cafile=smtp.ca_file)
        if smtp.ssl:
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS,
                                      context=context)  # fmt: skip
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS)
        with client:
            if smtp.starttls:
                client.starttls(context=context)
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            client.send_message(message)


def _post_json(url: str, payload: dict) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        response.read()


def _describe(error: Exception) -> str:
    """Why a delivery failed, without the URL (a secret for Slack) or any credential."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        return (
            reason
            if isinstance(reason, str)
            else f"{type(reason).__name__}: {reason.strerror or reason}"
        )
    if isinstance(error, smtplib.SMTPException | OSError):
        return f"{type(error).__name__}: {error}"
    return type(error).__name__  # e.g. ValueError from a malformed URL would print the URL
