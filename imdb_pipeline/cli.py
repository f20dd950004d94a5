"""`imdb-pipeline`: run the whole graph locally and tell the user how to look at the result.

    imdb-pipeline materialize      # materialize every asset for today (embedded PostgreSQL
                                   # unless IMDB_WAREHOUSE_URL is set), then print how to connect
    imdb-pipeline materialize --partition 2024-03-01   # one past day
    imdb-pipeline validate         # re-run every data-quality check, loading nothing (daily
                                   # tables: their newest day, or --partition 2024-03-01)
    imdb-pipeline ui               # the Dagster UI on the same instance (dagster dev), and the
                                   # Data Docs beside it (IMDB_DATA_DOCS_URL)
    imdb-pipeline docs             # serve the Data Docs alone
    imdb-pipeline warehouse url    # the warehouse URL (password hidden)
    imdb-pipeline warehouse stop   # stop the embedded PostgreSQL
    imdb-pipeline warehouse setup  # create or update the loader, BI reader and steward roles
                                   # (as IMDB_WAREHOUSE_ADMIN_URL; embedded: its superuser)
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from imdb_pipeline.constants import (
    BI_READER_ROLE,
    ENV_BI_READER_PASSWORD,
    ENV_LOADER_PASSWORD,
    ENV_PARTITIONS_START_DATE,
    ENV_STEWARD_PASSWORD,
    ENV_WAREHOUSE_ADMIN_URL,
    LOADER_ROLE,
    STEWARD_ROLE,
)
from imdb_pipeline.deployment import (
    EmbeddedWarehouse,
    data_docs_folder,
    data_docs_url,
    pipeline_home,
    record_day_processed,
    warehouse_target,
    warehouse_url,
)
from imdb_pipeline.lib import static_site
from imdb_pipeline.lib.postgres_url import libpq_url, redact
from imdb_pipeline.resources import embedded_postgres
from imdb_pipeline.resources.notifications import DEFAULT_UI_BASE_URL, ENV_UI_BASE_URL

CODE_LOCATION = "imdb_pipeline.definitions"
ETL_JOB = "imdb_movies_etl"
EVERYTHING = "*"
PARTITION_TAG = "dagster/partition"
DEFAULT_UI_PORT = 3000
BLOCKED_EXIT_CODE = 3  # the run succeeded, but a blocking check kept the tables after it


def _dagster_environment() -> dict[str, str]:
    """The environment for dagster commands: a persistent instance under the pipeline home
    unless DAGSTER_HOME is set, so runs launched here show up in the UI."""
    environment = dict(os.environ)
    if not environment.get("DAGSTER_HOME"):
        home = pipeline_home() / "dagster_home"
        home.mkdir(parents=True, exist_ok=True)
        settings = home / "dagster.yaml"
        if not settings.exists():  # Dagster's defaults; the file keeps it from warning at every run
            settings.write_text("# A local instance: runs and events in SQLite beside this file.\n")
        environment["DAGSTER_HOME"] = str(home)
    return environment


def materialize(select: str, partition: str) -> int:
    url = warehouse_url()
    if not os.environ.get(ENV_PARTITIONS_START_DATE):  # the partitions start at the first day
        record_day_processed(pipeline_home(), partition)
    if select == EVERYTHING:  # the scheduled job, so the run shows under its name in the UI
        command = ["dagster", "job", "execute", "-m", CODE_LOCATION, "-j", ETL_JOB,
                   "--tags", json.dumps({PARTITION_TAG: partition})]  # fmt: skip
    else:
        command = ["dagster", "asset", "materialize", "-m", CODE_LOCATION, "--select", select,
                   "--partition", partition]  # fmt: skip
    environment = _dagster_environment()
    started = time.time()
    result = subprocess.run(command, env=environment, check=False)
    returncode, changes = run_outcome(environment, started, partition, result.returncode)
    if changes:
        print("\n" + changes, file=sys.stderr)
    if returncode != 0:
        return returncode
    print(
        "\nThe warehouse is loaded. Connect with:\n"
        f"  psql {redact(url)}\n"
        "Open the Dagster UI (asset graph, runs, metadata) with:\n"
        f"  imdb-pipeline ui          # then browse {ui_url()}"
    )
    page = _dashboard_page(environment, started)
    if page:
        print(f"Open the analytics dashboard (one HTML page, works offline):\n  {page}")
    print()
    return 0


def _dashboard_page(environment: dict[str, str], started: float) -> str | None:
    """Where the run stored the dashboard, from its materialization; None if it did not."""
    import dagster as dg

    from imdb_pipeline.assets.dashboard import DASHBOARD_KEY, PAGE_METADATA

    with dg.DagsterInstance.from_config(environment["DAGSTER_HOME"]) as instance:
        records = instance.fetch_materializations(DASHBOARD_KEY, limit=1).records
    # A second of slack: see run_outcome.
    if not records or records[0].timestamp < started - 1:
        return None
    location = str(records[0].asset_materialization.metadata[PAGE_METADATA].value)
    return location if "://" in location else Path(location).as_uri()


def run_outcome(
    environment: dict[str, str], started: float, partition: str, returncode: int
) -> tuple[int, str | None]:
    """The exit code, and what the run changed when it failed or was blocked (a failed
    blocking check: the run succeeds, the tables after the check keep their previous content,
    and the command exits with BLOCKED_EXIT_CODE)."""
    import dagster as dg

    from imdb_pipeline.checks.blocking import BLOCKED_TAG
    from imdb_pipeline.run_report import latest_run, report

    with dg.DagsterInstance.from_config(environment["DAGSTER_HOME"]) as instance:
        # A second of slack: the run's creation time is stored at second precision.
        run = latest_run(instance, started - 1, partition)
        if run is None:
            return returncode, (
                "The run did not start: no table was changed." if returncode else None
            )
        if returncode == 0 and BLOCKED_TAG not in run.tags:
            return 0, None
        from imdb_pipeline.definitions import defs

        return returncode or BLOCKED_EXIT_CODE, report(instance, run, defs)


def validate(partition: str | None) -> int:
    """Run the checks-only job for a day (its results belong to that day): `partition`, by
    default the newest day staged, else today."""
    url = warehouse_url()
    day = partition or _newest_staged_day(url) or dt.datetime.now(dt.UTC).date().isoformat()
    print(f"Checking the warehouse; daily tables on {day}.", flush=True)
    command = ["dagster", "job", "execute", "-m", CODE_LOCATION, "-j", "validate_warehouse",
               "--tags", json.dumps({PARTITION_TAG: day})]  # fmt: skip
    environment = _dagster_environment()
    started = time.time()
    returncode = subprocess.run(command, env=environment, check=False).returncode
    if returncode != 0:
        return returncode
    failed = failed_blocking_checks(environment, started, day)
    if failed:
        print(f"Failed blocking checks: {failed}", file=sys.stderr)
        return BLOCKED_EXIT_CODE
    return 0


def failed_blocking_checks(environment: dict[str, str], started: float, partition: str) -> str:
    """The blocking checks that failed in the run of `partition` started at `started` (its
    `imdb/blocked_by` tag: such a check does not fail the run, see checks.blocking)."""
    import dagster as dg

    from imdb_pipeline.checks.blocking import BLOCKED_TAG
    from imdb_pipeline.run_report import latest_run

    with dg.DagsterInstance.from_config(environment["DAGSTER_HOME"]) as instance:
        run = latest_run(instance, started - 1, partition)  # see run_outcome
        return run.tags.get(BLOCKED_TAG, "") if run else ""


def _newest_staged_day(url: str) -> str | None:
    """The newest day of staging.stg_movies, from its day partitions (the catalog, no scan)."""
    from imdb_pipeline.lib import pg_connect, pg_tables
    from imdb_pipeline.lib.warehouse_tables import STG_MOVIES

    connection = pg_connect.connect(url)
    try:
        with connection.cursor() as cursor:
            days = pg_tables.day_partitions(cursor, STG_MOVIES)
    finally:
        connection.close()
    return max(days).isoformat() if days else None


def serve_data_docs():
    """Serve the Data Docs at IMDB_DATA_DOCS_URL on a thread; None when that address is not one
    to serve from here (https: a web server or bucket of yours serves them) or is taken."""
    url = data_docs_url()
    try:
        host, port = static_site.address(url)
        server = static_site.serve(data_docs_folder(), host, port)
    except (ValueError, OSError) as error:
        print(f"The Data Docs are not served from here ({error}); checks link to {url}.",
              file=sys.stderr)  # fmt: skip
        return None
    print(f"The Data Docs are at {url}/index.html; each check links to its page.", flush=True)
    return server


def docs() -> int:
    server = serve_data_docs()
    if server is None:
        return 1
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


def ui_url(port: int | None = None) -> str:
    """The UI's address: IMDB_UI_BASE_URL (which alert links use too), on `port` if given."""
    base = urlsplit(os.environ.get(ENV_UI_BASE_URL) or DEFAULT_UI_BASE_URL)
    if port is None:
        return base.geturl()
    return base._replace(netloc=f"{base.hostname}:{port}").geturl()


def ui(port: int | None) -> int:
    warehouse_url()
    port = port or urlsplit(ui_url()).port or DEFAULT_UI_PORT
    command = ["dagster", "dev", "-m", CODE_LOCATION, "-h", "127.0.0.1", "-p", str(port)]
    docs_server = serve_data_docs()
    print(f"The Dagster UI will be at {ui_url(port)} once it has loaded the code location.",
          flush=True)  # fmt: skip
    try:
        return subprocess.run(command, env=_dagster_environment(), check=False).returncode
    finally:
        if docs_server is not None:
            docs_server.shutdown()


def set_up_roles() -> int:
    """Create or update the warehouse's roles (`lib/warehouse_roles.py`), connected as the
    admin: IMDB_WAREHOUSE_ADMIN_URL, or the embedded server's superuser."""
    from imdb_pipeline.lib import pg_connect, warehouse_roles

    url = os.environ.get(ENV_WAREHOUSE_ADMIN_URL)
    if url:
        url = libpq_url(url)
    elif isinstance(warehouse_target(), EmbeddedWarehouse):
        url = warehouse_url()
    else:
        print(f"Set {ENV_WAREHOUSE_ADMIN_URL} to a login that may create roles (a superuser): "
              "IMDB_WAREHOUSE_URL is the pipeline's own.", file=sys.stderr)  # fmt: skip
        return 1
    passwords = {LOADER_ROLE: os.environ.get(ENV_LOADER_PASSWORD),
                 BI_READER_ROLE: os.environ.get(ENV_BI_READER_PASSWORD),
                 STEWARD_ROLE: os.environ.get(ENV_STEWARD_PASSWORD)}  # fmt: skip
    connection = pg_connect.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            handed = warehouse_roles.set_up(cursor, passwords)
    finally:
        connection.close()
    if handed:
        print(f"{LOADER_ROLE} now owns {len(handed)} tables, views or sequences that other "
              f"roles owned (such as {', '.join(handed[:3])}).")  # fmt: skip
    print(f"Roles ready in {redact(url)}: {', '.join(warehouse_roles.ROLES)}. "
          f"The pipeline connects as {LOADER_ROLE} (IMDB_WAREHOUSE_URL), BI tools as "
          f"{BI_READER_ROLE}, data stewards as {STEWARD_ROLE}.")  # fmt: skip
    return 0


def warehouse(action: str) -> int:
    if action == "url":
        print(redact(warehouse_url()))
        return 0
    if action == "setup":
        return set_up_roles()
    target = warehouse_target()
    if not isinstance(target, EmbeddedWarehouse):
        print("IMDB_WAREHOUSE_URL is set: the warehouse is not embedded.", file=sys.stderr)
        return 1
    stopped = embedded_postgres.stop(target.home)
    print("Embedded PostgreSQL stopped." if stopped else "Embedded PostgreSQL was not running.")
    return 0


def _day(value: str) -> str:
    """A --partition value: a day, YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day (YYYY-MM-DD)") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="imdb-pipeline", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("materialize", help="materialize assets (default: all)")
    run.add_argument("--select", default=EVERYTHING,
                     help=f"Dagster asset selection (default: '*', the job {ETL_JOB})")  # fmt: skip
    run.add_argument("--partition", type=_day, default=dt.datetime.now(dt.UTC).date().isoformat(),
                     help="the day (YYYY-MM-DD, UTC) to process (default: today)")  # fmt: skip
    check = commands.add_parser("validate", help="re-run every data-quality check; load nothing")
    check.add_argument("--partition", type=_day, default=None,
                       help="the day whose daily tables to check (default: the newest staged)")  # fmt: skip
    dev = commands.add_parser("ui", help="start the Dagster UI on this instance, and the Data Docs")
    dev.add_argument("--port", type=int, default=None,
                     help=f"port on 127.0.0.1 (default: that of {ENV_UI_BASE_URL}, else 3000)")  # fmt: skip
    commands.add_parser("docs", help="serve the Data Docs alone, at IMDB_DATA_DOCS_URL")
    store = commands.add_parser("warehouse", help="the warehouse PostgreSQL")
    store.add_argument("action", choices=["url", "stop", "setup"])
    arguments = parser.parse_args(argv)
    if arguments.command == "materialize":
        return materialize(arguments.select, arguments.partition)
    if arguments.command == "ui":
        return ui(arguments.port)
    if arguments.command == "validate":
        return validate(arguments.partition)
    if arguments.command == "docs":
        return docs()
    return warehouse(arguments.action)


if __name__ == "__main__":
    sys.exit(main())
