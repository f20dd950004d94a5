"""Time the pipeline against the classic pandas + to_sql approach on the same file and server.

    python bench/run.py --rows 1000000
    python bench/run.py --layout imdb-datasets --titles 12000000 [--days 2]

Generates a synthetic source of N rows (not timed) and starts a private embedded PostgreSQL
(not timed). Then, on that file and that server, in two databases:
- the pipeline: `dagster job execute -j imdb_movies_etl` for one day, the job the daily schedule
  runs (every asset and every asset check), in its own process, on a Dagster instance made from
  the repository's dagster.yaml (runs and events in PostgreSQL, as deployed);
- the baseline (`bench/baseline.py original`): pandas read_csv, DataFrame.to_sql for staging
  and dimensions, SQL joins for fact and bridges, aggregate SQL.
Prints the pipeline's per-step and per-table wall seconds, then for both: total seconds, rows per
second, peak resident memory of the process tree, and the ratio. PostgreSQL's own memory is
reported apart (proportional set size, so shared buffers count once). Set IMDB_WAREHOUSE_URL to use another server instead of the embedded one (its
user must be allowed to create databases). With --s3 the source and the raw store live in a
local S3 endpoint (moto's server, on 127.0.0.1).

With `--layout imdb-datasets` the source is a synthetic copy of IMDb's five official files at
`--titles` titles (bench/generate_imdb_datasets.py, not timed), in one folder per day; each day
runs the same job, and `--days 2` adds a next day with 1% of titles changed and ratings moved.
There is no baseline for this layout.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from generate_imdb_datasets import write_datasets  # noqa: E402
from generate_source import generate_source  # noqa: E402
from measure import Measured, measure  # noqa: E402

from imdb_pipeline.lib.postgres_url import libpq_url, sqlalchemy_url, with_database  # noqa: E402
from imdb_pipeline.resources import embedded_postgres  # noqa: E402

# The baseline holds the whole file in pandas several times over (about 5 GB at 1M rows):
# beyond this address-space limit it fails with MemoryError instead of exhausting the machine.
BASELINE_MEMORY_LIMIT = 16 * 2**30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _create_database(url: str, name: str) -> str:
    connection = psycopg2.connect(libpq_url(url))
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return with_database(url, name)


def _steps_and_tables(environment: dict[str, str]):
    """Per-step wall seconds and per-table build seconds of the latest run."""
    import dagster as dg

    os.environ.update({k: v for k, v in environment.items() if k.startswith("DAGSTER_")})
    with dg.DagsterInstance.get() as instance:
        [run] = instance.get_runs(limit=1)
        steps = sorted(
            ((s.step_key, s.end_time - s.start_time)
             for s in instance.get_run_step_stats(run.run_id) if s.end_time),
            key=lambda item: -item[1],
        )  # fmt: skip
        tables = []
        for record in instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records:
            materialization = record.event_log_entry.asset_materialization
            metadata = materialization.metadata
            if "build_seconds" in metadata:
                rows = metadata.get("dagster/row_count")
                tables.append((materialization.asset_key.to_user_string(),
                               metadata["build_seconds"].value, rows.value if rows else None))  # fmt: skip
    return steps, sorted(tables, key=lambda item: -item[1])


def _serve_s3(source: Path, environment: dict[str, str]):
    """Start a local S3 endpoint holding the source; point the pipeline at it."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench")  # fmt: skip
    client.create_bucket(Bucket="bench")
    client.upload_file(str(source), "bench", "incoming/imdb_movies.csv")
    environment.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                       AWS_DEFAULT_REGION="us-east-1", IMDB_S3_ENDPOINT_URL=endpoint,
                       IMDB_SOURCE_URI="s3://bench/incoming/imdb_movies.csv",
                       IMDB_RAW_STORE_URI="s3://bench/raw")  # fmt: skip
    return server


def _limit_memory():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (BASELINE_MEMORY_LIMIT, BASELINE_MEMORY_LIMIT))


def run(rows: int, keep: bool, s3: bool, baseline: bool, floor: bool = False,
        titles: int = 0, days: int = 1) -> int:
    """Time one day of the CSV layout (`rows`), or `days` days of the datasets (`titles`)."""
    work = Path(tempfile.mkdtemp(prefix="imdb_bench_"))
    s3_server, home = None, work / "home"
    today = dt.datetime.now(dt.UTC).date()
    run_days = [(today - dt.timedelta(days=days - n)).isoformat() for n in range(1, days + 1)]
    try:
        if titles:
            source_uri = str(work / "imdb" / "{date}")
            for number, day in enumerate(run_days, 1):
                started = time.perf_counter()
                counts = write_datasets(work / "imdb" / day, titles, day=number)
                print(f"generated day {number}: {titles:,} titles, {sum(counts.values()):,} rows "
                      f"in {time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
            source = None
        else:
            source = work / "imdb_movies.csv"
            source_uri = str(source)
            started = time.perf_counter()
            generate_source(source, rows)
            print(f"generated {rows:,} rows ({source.stat().st_size / 1e6:.1f} MB) "
                  f"in {time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip

        server_url, data_dir = os.environ.get("IMDB_WAREHOUSE_URL"), None
        if not server_url:
            server = embedded_postgres.ensure_running(home, _free_port(), "postgres")
            server_url, data_dir = server.url("postgres"), server.data_dir
        dagster_home = work / "dagster_home"
        dagster_home.mkdir()
        shutil.copy(BENCH.parent / "dagster.yaml", dagster_home / "dagster.yaml")
        instance = urlsplit(_create_database(server_url, "bench_dagster"))
        environment = {**os.environ, "IMDB_SOURCE_URI": source_uri, "DAGSTER_HOME": str(dagster_home),
                       "IMDB_PIPELINE_HOME": str(home),
                       "IMDB_WAREHOUSE_URL": _create_database(server_url, "bench_pipeline"),
                       "DAGSTER_PG_HOST": instance.hostname, "DAGSTER_PG_PORT": str(instance.port),
                       "DAGSTER_PG_USERNAME": instance.username or "postgres",
                       "DAGSTER_PG_PASSWORD": instance.password or "",
                       "DAGSTER_PG_DB": instance.path.lstrip("/")}  # fmt: skip
        s3_server = _serve_s3(source, environment) if s3 else None

        measured = []
        for day in run_days if titles else [today.isoformat()]:
            pipeline = _run_day(day, environment, work, data_dir)
            if pipeline is None:
                return 1
            measured.append((day, pipeline))

        reference = _reference("original", source, server_url, work, data_dir) if baseline else None
        set_based = _reference("floor", source, server_url, work, data_dir) if floor else None

        print(f"\nsource, raw store    {'S3 (local endpoint)' if s3 else 'local disk'}")
        if titles:
            print(f"layout               {'imdb-datasets':>12s}")
            print(f"titles               {titles:>12,}")
            for day, pipeline in measured:
                print(f"\nday {day}")
                print(f"total wall seconds   {pipeline.seconds:12.2f}")
                print(f"titles per second    {titles / pipeline.seconds:12,.0f}")
                print(f"peak memory (MB)     {pipeline.peak_bytes / 2**20:12.0f}")
                if data_dir:
                    print(f"server memory (MB)   {pipeline.server_peak_bytes / 2**20:12.0f}")
            return 0
        pipeline = measured[0][1]
        print(f"rows                 {rows:>12,}")
        print(f"{'':21s}{'pipeline':>12s}{'baseline':>15s}")
        _line("total wall seconds", f"{pipeline.seconds:.2f}", reference, lambda m: f"{m.seconds:.2f}")
        _line("rows per second", f"{rows / pipeline.seconds:,.0f}", reference,
              lambda m: f"{rows / m.seconds:,.0f}")  # fmt: skip
        _line("peak memory (MB)", f"{pipeline.peak_bytes / 2**20:.0f}", reference,
              lambda m: f"{m.peak_bytes / 2**20:.0f}")  # fmt: skip
        if data_dir:
            _line("server memory (MB)", f"{pipeline.server_peak_bytes / 2**20:.0f}", reference,
                  lambda m: f"{m.server_peak_bytes / 2**20:.0f}")  # fmt: skip
        if reference and reference.returncode == 0:
            print(f"speed-up             {reference.seconds / pipeline.seconds:12.1f}x")
        if set_based and set_based.returncode == 0:
            print(f"set-based SQL only   {set_based.seconds:12.2f} s  (bench/baseline.py floor: "
                  f"no checks, no history; {set_based.peak_bytes / 2**20:.0f} MB)")  # fmt: skip
        return 0
    finally:
        if s3_server is not None:
            s3_server.stop()
        embedded_postgres.stop(home)
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _run_day(day: str, environment: dict, work: Path, data_dir: Path | None) -> Measured | None:
    """One day of the scheduled job, measured; its step and table times printed."""
    command = ["dagster", "job", "execute", "-m", "imdb_pipeline.definitions",
               "-j", "imdb_movies_etl", "--tags", json.dumps({"dagster/partition": day})]  # fmt: skip
    pipeline = measure(command, environment, work / f"pipeline_{day}.log", data_dir)
    if pipeline.returncode != 0:
        print(pipeline.output[-5000:], file=sys.stderr)
        print(f"the pipeline failed on {day} (exit {pipeline.returncode})", file=sys.stderr)
        return None
    steps, tables = _steps_and_tables(environment)
    print(f"\n{'step (' + day + ')':44s} {'seconds':>8s}")
    for step, seconds in steps:
        print(f"{step:44s} {seconds:8.2f}")
    print(f"\n{'table (built inside its step)':44s} {'seconds':>8s} {'rows':>12s}")
    for table, seconds, table_rows in tables:
        print(f"{table:44s} {seconds:8.2f} {table_rows or 0:12,}")
    return pipeline


def _reference(approach: str, source: Path, server_url: str, work: Path, data_dir: Path | None):
    """Run one approach of bench/baseline.py on the same file, in a database of its own."""
    url = sqlalchemy_url(_create_database(server_url, f"bench_{approach}"))
    command = [sys.executable, str(BENCH / "baseline.py"), approach, str(source), url]
    measured = measure(command, dict(os.environ), work / f"{approach}.log", data_dir, _limit_memory)
    phases = [line for line in measured.output.splitlines() if line.endswith(" s")]
    print(f"\n{approach} phases (bench/baseline.py {approach})", *phases, sep="\n")
    if measured.returncode != 0:
        print(f"{approach} stopped after {measured.seconds:.0f} s: "
              f"{measured.output.strip().splitlines()[-1]}")  # fmt: skip
    return measured


def _line(label: str, pipeline: str, reference: Measured | None, show) -> None:
    if reference is None:
        other = "skipped"
    elif reference.returncode != 0:
        other = "out of memory" if "MemoryError" in reference.output else "failed"
    else:
        other = show(reference)
    print(f"{label:21s}{pipeline:>12s}{other:>15s}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the work folder and logs")
    parser.add_argument("--s3", action="store_true", help="source and raw store on local S3")
    parser.add_argument("--no-baseline", action="store_true", help="time the pipeline only")
    parser.add_argument("--floor", action="store_true",
                        help="also time the set-based SQL approach (bench/baseline.py floor)")
    parser.add_argument("--layout", choices=["csv", "imdb-datasets"], default="csv")
    parser.add_argument("--titles", type=int, default=100_000,
                        help="imdb-datasets: titles in title.basics (IMDb has about 12M)")
    parser.add_argument("--days", type=int, choices=[1, 2], default=1,
                        help="imdb-datasets: also run a next day, 1%% of titles changed")
    arguments = parser.parse_args()
    if arguments.layout == "imdb-datasets":
        if arguments.s3:
            parser.error("--s3 is for the CSV layout")
        return run(0, arguments.keep, False, False, False, arguments.titles, arguments.days)
    return run(arguments.rows, arguments.keep, arguments.s3, not arguments.no_baseline,
               arguments.floor)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
