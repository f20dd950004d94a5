"""Time a full materialization of the graph on a synthetic source of N rows.

    python bench/run.py --rows 1000000

Generates the source (not timed), starts a private embedded PostgreSQL (not timed), then runs
`dagster asset materialize --select '*'`, the same path as `imdb-pipeline materialize`, and
prints per-step wall seconds, the total, rows per second and the peak resident memory of the
whole process tree (the PostgreSQL server excluded, reported apart). Set IMDB_WAREHOUSE_URL to
measure against another server. With --s3 the source and the raw store live in a local S3
endpoint (moto's server, on 127.0.0.1), to measure what the S3 path costs.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_source import generate_source  # noqa: E402

from imdb_pipeline.resources import embedded_postgres  # noqa: E402


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def _server_rss(data_dir: Path) -> int:
    total = 0
    for candidate in psutil.process_iter(["name", "cmdline"]):
        if candidate.info["name"] == "postgres" and str(data_dir) in " ".join(
            candidate.info["cmdline"] or []
        ):
            try:
                total += candidate.memory_info().rss
                total += sum(child.memory_info().rss for child in candidate.children())
            except psutil.NoSuchProcess:
                pass
    return total


def _step_seconds(dagster_home: Path) -> list[tuple[str, float]]:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        [run] = instance.get_runs(limit=1)
        stats = instance.get_run_step_stats(run.run_id)
    return sorted(
        ((stat.step_key, stat.end_time - stat.start_time) for stat in stats if stat.end_time),
        key=lambda item: -item[1],
    )


def _serve_s3(source: Path, environment: dict[str, str]):
    """Start a local S3 endpoint holding the source; point the pipeline at it."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                   "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench")  # fmt: skip
    client.create_bucket(Bucket="bench")
    client.upload_file(str(source), "bench", "incoming/imdb_movies.csv")
    environment.update(credentials, IMDB_S3_ENDPOINT_URL=endpoint,
                       IMDB_SOURCE_URI="s3://bench/incoming/imdb_movies.csv",
                       IMDB_RAW_STORE_URI="s3://bench/raw")  # fmt: skip
    return server


def run(rows: int, keep: bool, s3: bool = False) -> int:
    work = Path(tempfile.mkdtemp(prefix="imdb_bench_"))
    s3_server = None
    try:
        source = work / "imdb_movies.csv"
        started = time.perf_counter()
        generate_source(source, rows)
        print(f"generated {rows:,} rows ({source.stat().st_size / 1e6:.1f} MB) "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip

        home, dagster_home = work / "home", work / "dagster_home"
        dagster_home.mkdir(parents=True)
        environment = {**os.environ, "IMDB_SOURCE_URI": str(source), "IMDB_PIPELINE_HOME": str(home),
                       "DAGSTER_HOME": str(dagster_home)}  # fmt: skip
        s3_server = _serve_s3(source, environment) if s3 else None
        server = None
        if not os.environ.get("IMDB_WAREHOUSE_URL"):
            port = _free_port()
            server = embedded_postgres.ensure_running(home, port, "imdb_warehouse")
            environment["IMDB_EMBEDDED_PG_PORT"] = str(port)

        today = time.strftime("%Y-%m-%d", time.gmtime())
        command = ["dagster", "asset", "materialize", "-m", "imdb_pipeline.definitions",
                   "--select", "*", "--partition", today]  # fmt: skip
        peak, server_peak = 0, 0
        started = time.perf_counter()
        with open(work / "run.log", "wb") as log:
            process = psutil.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
            while process.poll() is None:
                peak = max(peak, _tree_rss(process))
                if server:
                    server_peak = max(server_peak, _server_rss(server.data_dir))
                time.sleep(0.1)
        wall = time.perf_counter() - started
        if process.returncode != 0:
            print((work / "run.log").read_text()[-5000:], file=sys.stderr)
            print(f"materialization failed (exit {process.returncode})", file=sys.stderr)
            return 1

        print(f"\n{'step':40s} {'seconds':>8s}")
        for step, seconds in _step_seconds(dagster_home):
            print(f"{step:40s} {seconds:8.2f}")
        print(f"\nsource, raw store    {'S3 (local endpoint)' if s3 else 'local disk':>12}")
        print(f"rows                 {rows:>12,}")
        print(f"total wall seconds   {wall:12.2f}")
        print(f"rows per second      {rows / wall:12,.0f}")
        print(f"peak memory (MB)     {peak / 2**20:12.0f}   pipeline process tree")
        if server:
            print(f"server memory (MB)   {server_peak / 2**20:12.0f}   PostgreSQL, apart")
        return 0
    finally:
        if s3_server is not None:
            s3_server.stop()
        if not os.environ.get("IMDB_WAREHOUSE_URL"):
            embedded_postgres.stop(work / "home")
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the work folder and log")
    parser.add_argument("--s3", action="store_true", help="source and raw store on local S3")
    arguments = parser.parse_args()
    return run(arguments.rows, arguments.keep, arguments.s3)


if __name__ == "__main__":
    sys.exit(main())
