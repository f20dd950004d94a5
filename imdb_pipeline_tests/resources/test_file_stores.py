"""File stores over real HTTP: moto's S3 server, and a scripted S3 endpoint for failures that
moto cannot produce (5xx, access denied, a body cut short), to see what the client retries and
what it reports."""

import hashlib
import os
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from imdb_pipeline.resources.file_stores import (
    TEMPORARY_PREFIX,
    FileStoreResource,
    LocalFileStore,
    S3FileStore,
    StorageError,
)
from imdb_pipeline_tests.conftest import free_port

ERROR_BODY = "<Error><Code>{code}</Code><Message>{code}</Message></Error>"
BODY = b"movie_id\n"


class ScriptedS3(ThreadingHTTPServer):
    """Answers every request with the next scripted (status, error code), then 200 + body.
    The code "cut" sends a 200 whose body stops short of its Content-Length."""

    def __init__(self, script: list[tuple[int, str]], body: bytes = BODY):
        self.script, self.body, self.requests = list(script), body, []

        class Handler(BaseHTTPRequestHandler):
            def answer(handler, with_body: bool):
                self.requests.append(handler.command)
                length = int(handler.headers.get("Content-Length") or 0)
                handler.rfile.read(length)
                status, code = self.script.pop(0) if self.script else (200, "")
                payload = self.body if status == 200 else ERROR_BODY.format(code=code).encode()
                handler.send_response(status)
                handler.send_header("Content-Length", str(len(payload)))
                handler.send_header("ETag", '"abc"')
                handler.end_headers()
                if with_body:
                    handler.wfile.write(payload[: len(payload) // 2] if code == "cut" else payload)
                if code == "cut":
                    handler.close_connection = True

            def do_GET(handler):
                handler.answer(with_body=True)

            def do_PUT(handler):
                handler.answer(with_body=True)

            def do_HEAD(handler):
                handler.answer(with_body=False)

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", free_port()), Handler)

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def _store(monkeypatch, endpoint: str, attempts: int = 3) -> S3FileStore:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("IMDB_S3_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("IMDB_S3_MAX_ATTEMPTS", str(attempts))
    store = FileStoreResource().for_uri("s3://bucket/key.csv")
    assert isinstance(store, S3FileStore)
    return store


def _read(store, uri: str = "s3://bucket/key.csv") -> bytes:
    with store.open_read(uri) as stream:
        return stream.read()


@pytest.mark.parametrize("status, code", [(503, "SlowDown"), (500, "InternalError")])
def test_transient_errors_are_retried_with_backoff(monkeypatch, tmp_path, status, code):
    with ScriptedS3([(status, code), (status, code)]) as server:
        assert _read(_store(monkeypatch, server.url, attempts=3)) == BODY
    assert server.requests == ["GET"] * 3

    with ScriptedS3([(status, code), (status, code)]) as server:
        _store(monkeypatch, server.url, attempts=3).download("s3://bucket/key.csv",
                                                             tmp_path / "copy")  # fmt: skip
    assert (tmp_path / "copy").read_bytes() == BODY
    assert server.requests == ["HEAD"] * 3 + ["GET"]


def test_transient_errors_that_persist_fail_as_transient(monkeypatch):
    with (
        ScriptedS3([(503, "ServiceUnavailable")] * 5) as server,
        pytest.raises(StorageError) as raised,
    ):
        _read(_store(monkeypatch, server.url, attempts=2))
    assert len(server.requests) == 2
    assert raised.value.transient
    assert "s3://bucket/key.csv" in str(raised.value)


def test_a_body_cut_short_is_a_transient_error(monkeypatch):
    with (
        ScriptedS3([(200, "cut")], body=b"x" * 1000) as server,
        pytest.raises(StorageError, match="broke off") as raised,
    ):
        _read(_store(monkeypatch, server.url, attempts=1))
    assert raised.value.transient


def test_access_denied_is_not_retried_and_says_what_to_check(monkeypatch):
    with (
        ScriptedS3([(403, "AccessDenied")] * 5) as server,
        pytest.raises(StorageError, match="access denied .*credentials") as raised,
    ):
        _read(_store(monkeypatch, server.url, attempts=5))
    assert server.requests == ["GET"]
    assert not raised.value.transient
    assert str(raised.value).startswith("s3://bucket/key.csv: ")


def test_an_upload_denied_says_what_to_check(monkeypatch, tmp_path):
    source = tmp_path / "snapshot.csv"
    source.write_bytes(BODY)
    # HEAD of the key: absent; HEAD of the bucket: there; PUT: denied.
    with (
        ScriptedS3([(404, "NoSuchKey"), (200, ""), (403, "AccessDenied")]) as server,
        pytest.raises(StorageError, match="access denied .*credentials") as raised,
    ):
        _store(monkeypatch, server.url).write_once_from_file("s3://bucket/key.csv", source)
    assert server.requests == ["HEAD", "HEAD", "PUT"]
    assert not raised.value.transient


def test_unreachable_endpoint_names_the_endpoint(monkeypatch, tmp_path):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    store = _store(monkeypatch, endpoint, attempts=1)
    for attempt in (lambda: _read(store), lambda: store.download("s3://bucket/key.csv",
                                                                tmp_path / "x")):  # fmt: skip
        with pytest.raises(StorageError, match=f"cannot reach {endpoint}") as raised:
            attempt()
        assert raised.value.transient


def test_s3_write_once_from_a_file_read_and_version(s3_client, bucket, tmp_path):
    uri = f"s3://{bucket}/a/b.csv"
    store = FileStoreResource().for_uri(uri)
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_bytes(b"first")
    second.write_bytes(b"second")

    assert store.write_once_from_file(uri, first) is True
    assert store.write_once_from_file(uri, second) is False

    assert _read(store, uri) == b"first"
    store.download(uri, tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == b"first"
    assert store.version(uri).size == 5


def test_a_large_file_goes_up_and_down_in_parts(s3_client, bucket, tmp_path):
    uri = f"s3://{bucket}/large.csv"
    large = tmp_path / "large.csv"
    large.write_bytes(os.urandom(1 << 20) * 19)  # 19 MiB: three parts of at most 8 MiB
    store = FileStoreResource().for_uri(uri)

    assert store.write_once_from_file(uri, large)
    store.download(uri, tmp_path / "copy")

    expected = hashlib.sha256(large.read_bytes()).hexdigest()
    assert hashlib.sha256((tmp_path / "copy").read_bytes()).hexdigest() == expected
    assert s3_client.head_object(Bucket=bucket, Key="large.csv")["ETag"].endswith('-3"')


def test_s3_write_to_a_missing_bucket_names_the_bucket(s3_client, tmp_path):
    source = tmp_path / "x.csv"
    source.write_bytes(b"data")
    store = FileStoreResource().for_uri("s3://absent-bucket/x.csv")
    with pytest.raises(StorageError, match="bucket 'absent-bucket' does not exist"):
        store.write_once_from_file("s3://absent-bucket/x.csv", source)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [("s3://absent-bucket/x.csv", "bucket 'absent-bucket' does not exist"),
     ("s3://{bucket}/absent.csv", "no such object in bucket")],
    ids=["bucket", "key"],
)  # fmt: skip
def test_a_missing_s3_file_is_named_and_leaves_no_temporary_file(
    s3_client, bucket, tmp_path, monkeypatch, uri, expected
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    uri = uri.format(bucket=bucket)
    for attempt in (lambda: _read(FileStoreResource().for_uri(uri), uri),
                    lambda: FileStoreResource().local_file(uri)):  # fmt: skip
        with pytest.raises(StorageError, match=expected):
            attempt()
    assert list(tmp_path.iterdir()) == []


def test_local_file_downloads_s3_objects_and_reads_local_files_in_place(
    s3_client, bucket, tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    s3_client.put_object(Bucket=bucket, Key="k.csv", Body=b"a,b\n")
    local = tmp_path / "local.csv"
    local.write_bytes(b"c,d\n")

    downloaded, temporary = FileStoreResource().local_file(f"s3://{bucket}/k.csv")
    assert temporary and downloaded.read_bytes() == b"a,b\n"
    assert downloaded.parent == tmp_path / "tmp" and downloaded.name.startswith(TEMPORARY_PREFIX)
    assert FileStoreResource().local_file(str(local)) == (local, False)


def test_local_store_writes_once_read_only_and_reports_missing_files(tmp_path):
    store = LocalFileStore()
    target = str(tmp_path / "deep" / "folder" / "file.csv")
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_bytes(b"first")
    second.write_bytes(b"second")

    assert store.write_once_from_file(target, first) is True
    assert store.write_once_from_file(target, second) is False
    assert _read(store, target) == b"first"
    store.download(target, tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == b"first"
    assert Path(target).stat().st_mode & 0o222 == 0
    assert list((tmp_path / "deep" / "folder").iterdir()) == [Path(target)]
    with pytest.raises(StorageError, match="file not found"):
        store.open_read(str(tmp_path / "absent.csv"))
    with pytest.raises(StorageError, match="is a folder, not a file"):
        store.local_path(str(tmp_path))


def test_a_generated_page_replaces_the_previous_one_locally_and_in_s3(s3_client, bucket, tmp_path):
    local = str(tmp_path / "pages" / "day.html")
    store = FileStoreResource().for_uri(local)
    store.write(local, b"<p>old</p>", "text/html")
    store.write(local, b"<p>new</p>", "text/html")
    assert Path(local).read_bytes() == b"<p>new</p>"
    assert [p.name for p in Path(local).parent.iterdir()] == ["day.html"]  # no temporary left

    uri = f"s3://{bucket}/pages/day.html"
    s3 = FileStoreResource().for_uri(uri)
    s3.write(uri, b"<p>old</p>", "text/html; charset=utf-8")
    s3.write(uri, b"<p>new</p>", "text/html; charset=utf-8")
    stored = s3_client.get_object(Bucket=bucket, Key="pages/day.html")
    assert stored["Body"].read() == b"<p>new</p>"
    assert stored["ContentType"] == "text/html; charset=utf-8"
    with pytest.raises(StorageError, match="bucket 'absent-bucket' does not exist"):
        s3.write("s3://absent-bucket/day.html", b"x", "text/html")
