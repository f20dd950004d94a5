"""The warehouse password never reaches an event, a log line or the console, whatever is wrong
with the URL that carries it: a malformed escape (which libpq quotes in its error) or a wrong
password (refused by a server that checks passwords)."""

import uuid
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import psycopg2
import pytest

from imdb_pipeline.constants import ENV_WAREHOUSE_URL
from imdb_pipeline.lib import pg_connect
from imdb_pipeline_tests.conftest import admin, query
from imdb_pipeline_tests.warehouse_state import materialize_all

SECRET = "Zq7-never-shown"


def test_libpq_quotes_a_malformed_password_and_connect_removes_it(postgres_server):
    url = postgres_server.url("postgres").replace("postgres@", f"postgres:{SECRET}%zz@", 1)
    with pytest.raises(psycopg2.Error) as raw:
        psycopg2.connect(url)
    assert SECRET in str(raw.value)  # the leak this guards against

    with pytest.raises(psycopg2.Error) as guarded:
        pg_connect.connect(url)

    assert SECRET not in str(guarded.value) and "***" in str(guarded.value)
    assert guarded.value.__cause__ is None and guarded.value.__suppress_context__


@contextmanager
def password_checked_role(server):
    """A role whose logins PostgreSQL checks by password (scram), on the trust-only test server:
    one pg_hba.conf line for this role only, removed afterwards."""
    role = f"leak_{uuid.uuid4().hex[:8]}"
    admin(server, f"CREATE ROLE \"{role}\" LOGIN PASSWORD 'right-{SECRET}'")
    [(hba_file,)] = query(server.url("postgres"), "SHOW hba_file")
    hba = Path(hba_file)
    original = hba.read_text()
    line = f"host all {role} 127.0.0.1/32 scram-sha-256\n"
    try:
        hba.write_text(line + original)
        admin(server, "SELECT pg_reload_conf()")
        yield role
    finally:
        hba.write_text(original)
        admin(server, "SELECT pg_reload_conf()")
        admin(server, f'DROP ROLE "{role}"')


@pytest.mark.parametrize("fault", ["malformed escape", "wrong password"])
def test_no_event_log_or_output_of_a_run_holds_the_password(
    fault, postgres_server, warehouse_url, sample_source, monkeypatch, capfd, caplog
):
    with password_checked_role(postgres_server) as role:
        if fault == "malformed escape":
            bad = warehouse_url.replace("postgres@", f"{role}:{SECRET}%zz@", 1)
        else:
            bad = warehouse_url.replace("postgres@", f"{role}:{SECRET}@", 1)
        monkeypatch.setenv(ENV_WAREHOUSE_URL, bad)
        instance = dg.DagsterInstance.ephemeral()

        result = materialize_all(instance=instance, raise_on_error=False)

    assert not result.success
    events = [dg.serialize_value(entry) for entry in instance.all_logs(result.run_id)]
    failures = " ".join(events)
    expected = "percent-escape" if fault == "malformed escape" else "password authentication failed"
    assert expected in failures  # the run says what is wrong, once: a retry cannot help...
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    output = capfd.readouterr()
    for text in [*events, output.out, output.err, caplog.text]:
        assert SECRET not in text  # ...without the password
