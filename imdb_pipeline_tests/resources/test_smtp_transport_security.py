"""Email alerts never send the SMTP password in clear, and verify the server they log in to.

The servers are real: aiosmtpd on 127.0.0.1, with STARTTLS or SMTPS under a certificate signed
by a throw-away CA, or plain. The authenticator records whether TLS protected each login.
"""

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from imdb_pipeline.lib import notifications as notes
from imdb_pipeline.resources.notifications import (
    NotificationError,
    NotificationSettings,
    Notifier,
    SmtpSettings,
    notification_settings,
)
from imdb_pipeline_tests.conftest import free_port
from imdb_pipeline_tests.tls_certificates import server_certificate

USER, PASSWORD = "alerts", "smtp-Pa55-secret"


@dataclass
class _Server:
    port: int
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (user, over TLS)
    messages: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, data):
        if isinstance(data, LoginPassword):
            over_tls = server.transport.get_extra_info("ssl_object") is not None
            self.logins.append((data.login.decode(), over_tls))
            return AuthResult(success=data.login.decode() == USER and data.password.decode() == PASSWORD)
        return AuthResult(success=False)


@contextmanager
def smtp_server(tls: str, certificate=None, **options) -> Iterator[_Server]:
    """tls: "starttls" (offered, and required before AUTH), "smtps" (TLS from the start) or
    "none" (AUTH allowed in clear)."""
    server = _Server(free_port())
    context = None
    if certificate:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate.cert_file, certificate.key_file)
    # aiosmtpd counts only STARTTLS as TLS for `auth_require_tls`: SMTPS relies on its socket.
    kwargs = {"authenticator": server.authenticate, "auth_require_tls": tls == "starttls",
              **options}  # fmt: skip
    if tls == "starttls":
        kwargs["tls_context"] = context
    elif tls == "smtps":
        kwargs["ssl_context"] = context
    controller = Controller(server, hostname="127.0.0.1", port=server.port, **kwargs)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def send(port: int, **smtp) -> None:
    settings = NotificationSettings(smtp=SmtpSettings(
        "127.0.0.1", port, "dagster@example.com", ("oncall@example.com",), user=USER,
        password=PASSWORD, **smtp))  # fmt: skip
    note = notes.notification(kind="run_failure", job_name="imdb_movies_etl", run_id="r-1",
                              failed="stage_movies", error="boom", base_url="http://ui")  # fmt: skip
    Notifier(settings).send(note)


@pytest.fixture
def certificate(tmp_path):
    return server_certificate(tmp_path / "tls")


def test_a_login_without_tls_is_refused_before_any_connection():
    environ = {"IMDB_SMTP_HOST": "mail", "IMDB_SMTP_FROM": "d@x", "IMDB_SMTP_TO": "a@x",
               "IMDB_SMTP_USER": USER, "IMDB_SMTP_PASSWORD": PASSWORD}  # fmt: skip

    with pytest.raises(ValueError, match="IMDB_SMTP_USER is set, but neither IMDB_SMTP_STARTTLS "
                                         "nor IMDB_SMTP_SSL is true") as refused:  # fmt: skip
        notification_settings(environ)

    assert PASSWORD not in str(refused.value)
    allowed = notification_settings({**environ, "IMDB_SMTP_ALLOW_PLAINTEXT_LOGIN": "true"})
    assert allowed.smtp.allow_plaintext_login and not allowed.smtp.starttls
    smtps = notification_settings({**environ, "IMDB_SMTP_SSL": "true"})
    assert smtps.smtp.ssl and smtps.smtp.port == 465
    with pytest.raises(ValueError, match="exclude each other"):
        notification_settings({**environ, "IMDB_SMTP_SSL": "true", "IMDB_SMTP_STARTTLS": "true"})


def test_starttls_logs_in_over_tls_to_a_verified_server(certificate):
    with smtp_server("starttls", certificate) as server:
        send(server.port, starttls=True, ca_file=str(certificate.ca_file))

    assert server.logins == [(USER, True)]
    assert len(server.messages) == 1


def test_smtps_logs_in_over_tls_to_a_verified_server(certificate):
    with smtp_server("smtps", certificate) as server:
        send(server.port, ssl=True, ca_file=str(certificate.ca_file))

    assert server.logins == [(USER, True)]
    assert len(server.messages) == 1


def test_a_server_whose_certificate_is_not_trusted_never_sees_the_login(certificate, tmp_path):
    stranger = server_certificate(tmp_path / "other-ca")
    with (smtp_server("starttls", certificate) as server,
          pytest.raises(NotificationError, match="email: SSLCertVerificationError") as failed):
        send(server.port, starttls=True, ca_file=str(stranger.ca_file))

    assert server.logins == [] and server.messages == []
    assert PASSWORD not in str(failed.value)


def test_a_server_without_starttls_is_an_error_not_a_plain_login():
    with (smtp_server("none") as server,
          pytest.raises(NotificationError, match="email: SMTPNotSupportedError")):
        send(server.port, starttls=True)

    assert server.logins == []


def test_a_plaintext_login_happens_only_when_explicitly_allowed():
    with smtp_server("none") as server:
        send(server.port, allow_plaintext_login=True)

    assert server.logins == [(USER, False)]
    assert len(server.messages) == 1
