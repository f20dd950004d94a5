"""Source and raw store on S3 (moto's HTTP server), and the same behaviour on the local disk."""

import gzip

import pytest

from imdb_pipeline_tests.conftest import SAMPLE, query
from imdb_pipeline_tests.warehouse_state import (
    failure_messages,
    materialize_all,
    table_fingerprints,
)


def _objects(s3_client, bucket: str, prefix: str = "") -> list[str]:
    listing = s3_client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.mark.parametrize("compressed", [False, True], ids=["csv", "csv.gz"])
def test_source_and_raw_store_on_s3_load_the_warehouse(
    warehouse_url, s3_client, bucket, monkeypatch, compressed
):
    data = SAMPLE.read_bytes()
    key = "incoming/imdb_movies.csv" + (".gz" if compressed else "")
    body = gzip.compress(data) if compressed else data
    s3_client.put_object(Bucket=bucket, Key=key, Body=body)
    monkeypatch.setenv("IMDB_SOURCE_URI", f"s3://{bucket}/{key}")
    monkeypatch.setenv("IMDB_RAW_STORE_URI", f"s3://{bucket}/raw")

    result = materialize_all()

    [snapshot] = _objects(s3_client, bucket, "raw/")
    assert snapshot.startswith("raw/imdb_movies/ingest_date=")
    assert snapshot.endswith(".csv.gz" if compressed else ".csv")
    # The snapshot is the original bytes, unchanged (still compressed if the source was).
    assert s3_client.get_object(Bucket=bucket, Key=snapshot)["Body"].read() == body
    [raw] = result.asset_materializations_for_node("raw__raw_imdb_movies")
    assert raw.metadata["raw_uri"].value == f"s3://{bucket}/{snapshot}"
    assert raw.metadata["source_uri"].value == f"s3://{bucket}/{key}"
    assert raw.metadata["dagster/row_count"].value == 50
    assert query(warehouse_url, "SELECT count(*) FROM analytics.agg_top_movies") == [(45,)]


def test_the_same_bytes_twice_are_stored_once_on_s3(warehouse_url, s3_client, bucket, monkeypatch):
    s3_client.put_object(Bucket=bucket, Key="imdb_movies.csv", Body=SAMPLE.read_bytes())
    monkeypatch.setenv("IMDB_SOURCE_URI", f"s3://{bucket}/imdb_movies.csv")
    monkeypatch.setenv("IMDB_RAW_STORE_URI", f"s3://{bucket}/raw")

    first = materialize_all()
    second = materialize_all()

    assert len(_objects(s3_client, bucket, "raw/")) == 1
    flags = [
        result.asset_materializations_for_node("raw__raw_imdb_movies")[0]
        .metadata["already_stored"].value
        for result in (first, second)
    ]  # fmt: skip
    assert flags == [False, True]


def test_the_same_bytes_twice_are_stored_once_locally(warehouse_url, sample_source, tmp_path,
                                                      monkeypatch):  # fmt: skip
    store = tmp_path / "raw_store"
    monkeypatch.setenv("IMDB_RAW_STORE_URI", str(store))

    materialize_all()
    materialize_all()

    [snapshot] = [path for path in store.rglob("*") if path.is_file()]
    assert snapshot.relative_to(store).parts[:2][0] == "imdb_movies"
    assert snapshot.parent.name.startswith("ingest_date=")
    assert snapshot.read_bytes() == SAMPLE.read_bytes()


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("missing-bucket", "bucket 'missing-bucket-0' does not exist"),
        ("missing-key", "no such object in bucket"),
    ],
)
def test_missing_bucket_or_key_fails_clearly_and_leaves_the_warehouse_untouched(
    warehouse_url, sample_source, s3_client, bucket, monkeypatch, where, expected
):
    materialize_all()
    before = table_fingerprints(warehouse_url)
    uri = (
        "s3://missing-bucket-0/imdb_movies.csv"
        if where == "missing-bucket"
        else f"s3://{bucket}/nothing/here.csv"
    )
    monkeypatch.setenv("IMDB_SOURCE_URI", uri)

    result = materialize_all(raise_on_error=False)

    assert not result.success
    message = failure_messages(result)
    assert uri in message and expected in message
    assert table_fingerprints(warehouse_url) == before


def test_raw_store_bucket_missing_fails_clearly(warehouse_url, sample_source, s3_client,
                                                monkeypatch):  # fmt: skip
    monkeypatch.setenv("IMDB_RAW_STORE_URI", "s3://no-such-raw-bucket/raw")

    result = materialize_all(raise_on_error=False)

    assert not result.success
    message = failure_messages(result)
    assert "Could not store the raw snapshot" in message
    assert "bucket 'no-such-raw-bucket' does not exist" in message
