"""Source and raw store on S3 (moto's HTTP server), and the same behaviour on the local disk.

The raw layer is tested on its own asset (and its checks); one test runs the whole graph."""

import gc
import gzip
import hashlib
import tempfile

import dagster as dg
import pytest

from imdb_pipeline.assets.raw import raw_imdb_movies
from imdb_pipeline.checks.raw_checks import HEADER, PRESENT, ROWS
from imdb_pipeline.io_managers.raw_files import RawFile
from imdb_pipeline.partitions import daily_snapshots
from imdb_pipeline.resources.file_stores import TEMPORARY_PREFIX
from imdb_pipeline_tests.conftest import SAMPLE, query
from imdb_pipeline_tests.warehouse_state import (
    DAY,
    failure_messages,
    materialize_all,
    run_checks_alone,
)

RAW_ONLY = dg.AssetSelection.groups("raw")
RAW_NODE = "raw__raw_imdb_movies"


def _objects(s3_client, bucket: str, prefix: str = "") -> list[str]:
    listing = s3_client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture
def temporary_folder(tmp_path, monkeypatch):
    """Where downloads land, to see that none is left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _left_behind(folder) -> list[str]:
    gc.collect()  # a RawFile removes its temporary copy when it is collected
    return [path.name for path in folder.rglob(f"{TEMPORARY_PREFIX}*")]


def _on_s3(s3_client, bucket, monkeypatch, body: bytes, key: str = "imdb_movies.csv") -> str:
    s3_client.put_object(Bucket=bucket, Key=key, Body=body)
    monkeypatch.setenv("IMDB_SOURCE_URI", f"s3://{bucket}/{key}")
    monkeypatch.setenv("IMDB_RAW_STORE_URI", f"s3://{bucket}/raw")
    return f"s3://{bucket}/{key}"


@pytest.mark.parametrize("compressed", [False, True], ids=["csv", "csv.gz"])
def test_an_s3_source_is_stored_unchanged_in_an_s3_raw_store(
    s3_client, bucket, monkeypatch, temporary_folder, compressed
):
    data = SAMPLE.read_bytes()
    body = gzip.compress(data) if compressed else data
    key = "incoming/imdb_movies.csv" + (".gz" if compressed else "")
    source = _on_s3(s3_client, bucket, monkeypatch, body, key)

    result = materialize_all(selection=RAW_ONLY)

    [snapshot] = _objects(s3_client, bucket, "raw/")
    assert snapshot.startswith(f"raw/imdb_movies/ingest_date={DAY}/")
    assert snapshot.endswith(".csv.gz" if compressed else ".csv")
    # The snapshot is the original bytes, unchanged (still compressed if the source was).
    assert s3_client.get_object(Bucket=bucket, Key=snapshot)["Body"].read() == body
    [raw] = result.asset_materializations_for_node(RAW_NODE)
    assert raw.metadata["raw_uri"].value == f"s3://{bucket}/{snapshot}"
    assert raw.metadata["source_uri"].value == source
    assert raw.metadata["dagster/row_count"].value == 56
    assert raw.metadata["sha256"].value == hashlib.sha256(body).hexdigest()
    assert raw.metadata["size_bytes"].value == len(body)
    assert _left_behind(temporary_folder) == []


def test_a_step_reads_the_s3_snapshot_through_a_temporary_copy(
    s3_client, bucket, monkeypatch, temporary_folder
):
    body = gzip.compress(SAMPLE.read_bytes())
    source = _on_s3(s3_client, bucket, monkeypatch, body, "imdb_movies.csv.gz")
    seen = []

    @dg.asset(partitions_def=daily_snapshots, ins={"raw_file": dg.AssetIn(raw_imdb_movies.key)})
    def reader(raw_file: RawFile) -> None:
        with raw_file.open() as stream:
            seen.append((raw_file.path.exists(), raw_file.source_uri, stream.read()))
        assert raw_file.path.name.startswith(TEMPORARY_PREFIX)
        assert raw_file.sha256 == hashlib.sha256(body).hexdigest()

    from imdb_pipeline.definitions import defs

    dg.materialize([raw_imdb_movies, reader], resources=dict(defs.resources), partition_key=DAY,
                   instance=dg.DagsterInstance.ephemeral())  # fmt: skip

    assert seen == [(True, source, body)]
    assert _left_behind(temporary_folder) == []


def test_the_same_bytes_twice_are_stored_once_on_s3(s3_client, bucket, monkeypatch):
    _on_s3(s3_client, bucket, monkeypatch, SAMPLE.read_bytes())

    first = materialize_all(selection=RAW_ONLY)
    second = materialize_all(selection=RAW_ONLY)

    assert len(_objects(s3_client, bucket, "raw/")) == 1
    flags = [
        result.asset_materializations_for_node(RAW_NODE)[0].metadata["already_stored"].value
        for result in (first, second)
    ]
    assert flags == [False, True]


def test_the_same_bytes_twice_are_stored_once_locally(sample_source, tmp_path, monkeypatch):
    store = tmp_path / "raw_store"
    monkeypatch.setenv("IMDB_RAW_STORE_URI", str(store))

    materialize_all(selection=RAW_ONLY)
    materialize_all(selection=RAW_ONLY)

    [snapshot] = [path for path in store.rglob("*") if path.is_file()]
    assert snapshot.relative_to(store).parts[0] == "imdb_movies"
    assert snapshot.parent.name == f"ingest_date={DAY}"
    assert snapshot.read_bytes() == SAMPLE.read_bytes()
    assert snapshot.stat().st_mode & 0o222 == 0


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("missing-bucket", "bucket 'missing-bucket-0' does not exist"),
        ("missing-key", "no such object in bucket"),
    ],
)
def test_a_missing_bucket_or_key_fails_clearly(
    s3_client, bucket, monkeypatch, temporary_folder, where, expected
):
    uri = (
        "s3://missing-bucket-0/imdb_movies.csv"
        if where == "missing-bucket"
        else f"s3://{bucket}/nothing/here.csv"
    )
    monkeypatch.setenv("IMDB_SOURCE_URI", uri)
    monkeypatch.setenv("IMDB_RAW_STORE_URI", f"s3://{bucket}/raw")

    result = materialize_all(raise_on_error=False, selection=RAW_ONLY)

    assert not result.success
    message = failure_messages(result)
    assert uri in message and expected in message
    assert _objects(s3_client, bucket, "raw/") == []
    assert _left_behind(temporary_folder) == []


def test_raw_store_bucket_missing_fails_clearly(sample_source, s3_client, monkeypatch):
    monkeypatch.setenv("IMDB_RAW_STORE_URI", "s3://no-such-raw-bucket/raw")

    result = materialize_all(raise_on_error=False, selection=RAW_ONLY)

    assert not result.success
    message = failure_messages(result)
    assert "Could not store the raw snapshot" in message
    assert "bucket 'no-such-raw-bucket' does not exist" in message


def test_raw_checks_prove_the_s3_snapshot_is_the_profiled_file(s3_client, bucket, monkeypatch):
    _on_s3(s3_client, bucket, monkeypatch, SAMPLE.read_bytes())
    instance = dg.DagsterInstance.ephemeral()

    result = materialize_all(instance=instance, selection=RAW_ONLY, with_checks=True)

    outcomes = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert all(outcomes[name].passed for name in (PRESENT, HEADER, ROWS))
    assert outcomes[ROWS].metadata["rows"].value == 56
    # Replace the snapshot with another valid file: same header, other rows.
    [snapshot] = _objects(s3_client, bucket, "raw/")
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    s3_client.put_object(Bucket=bucket, Key=snapshot, Body=b"".join(lines[:10]))
    checks = {dg.AssetCheckKey(raw_imdb_movies.key, name) for name in (PRESENT, HEADER, ROWS)}

    checked = run_checks_alone(instance, checks)

    outcomes = {e.check_name: e for e in checked.get_asset_check_evaluations()}
    assert outcomes[PRESENT].passed and outcomes[HEADER].passed
    rows = outcomes[ROWS]
    assert not rows.passed
    assert "not the file the raw step profiled" in rows.metadata["reason"].value


@pytest.mark.parametrize("compressed", [False, True], ids=["csv", "csv.gz"])
def test_source_and_raw_store_on_s3_load_the_warehouse(
    warehouse_url, s3_client, bucket, monkeypatch, compressed
):
    data = SAMPLE.read_bytes()
    _on_s3(s3_client, bucket, monkeypatch, gzip.compress(data) if compressed else data,
           "imdb_movies.csv" + (".gz" if compressed else ""))  # fmt: skip

    materialize_all()

    assert query(warehouse_url, "SELECT count(*) FROM analytics.agg_top_movies") == [(51,)]
