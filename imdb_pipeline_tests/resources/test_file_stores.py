"""File stores over real HTTP: moto's S3 server, and a scripted S3 endpoint for failures that
moto cannot produce (5xx, access denied), to see what the client retries and what it reports."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from imdb_pipeline.resources.file_stores import (
    FileStoreResource,
    LocalFileStore,
    S3FileStore,
    StorageError,
)
from imdb_pipeline_tests.conftest import free_port

ERROR_BODY = "<Error><Code>{code}</Code><Message>{code}</Message></Error>"


class ScriptedS3(ThreadingHTTPServer):
    """Answers GETs with a scripted sequence of (status, error code) then 200 + body."""

    def __init__(self, script: list[tuple[int, str]], body: bytes = b"movie_id\n"):
        self.script, self.body, self.requests = list(script), body, 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(handler):
                self.requests += 1
                status, code = self.script.pop(0) if self.script else (200, "")
                payload = self.body if status == 200 else ERROR_BODY.format(code=code).encode()
                handler.send_response(status)
                handler.send_header("Content-Length", str(len(payload)))
                handler.send_header("ETag", '"abc"')
                handler.end_headers()
                handler.wfile.write(payload)

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


@pytest.mark.parametrize("status, code", [(503, "SlowDown"), (500, "InternalError")])
def test_transient_errors_are_retried_with_backoff(monkeypatch, status, code):
    with ScriptedS3([(status, code), (status, code)]) as server:
        data = _store(monkeypatch, server.url, attempts=3).read("s3://bucket/key.csv")
    assert data == b"movie_id\n"
    assert server.requests == 3


def test_transient_errors_that_persist_fail_as_transient(monkeypatch):
    with ScriptedS3([(503, "ServiceUnavailable")] * 5) as server:
        with pytest.raises(StorageError) as raised:
            _store(monkeypatch, server.url, attempts=2).read("s3://bucket/key.csv")
    assert server.requests == 2
    assert raised.value.transient
    assert "s3://bucket/key.csv" in str(raised.value)


def test_access_denied_is_not_retried_and_says_what_to_check(monkeypatch):
    with ScriptedS3([(403, "AccessDenied")] * 5) as server:
        with pytest.raises(StorageError, match="access denied .*credentials") as raised:
            _store(monkeypatch, server.url, attempts=5).read("s3://bucket/key.csv")
    assert server.requests == 1
    assert not raised.value.transient
    assert str(raised.value).startswith("s3://bucket/key.csv: ")


def test_unreachable_endpoint_names_the_endpoint(monkeypatch):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(StorageError, match=f"cannot reach {endpoint}") as raised:
        _store(monkeypatch, endpoint, attempts=1).read("s3://bucket/key.csv")
    assert raised.value.transient


def test_s3_write_once_and_version(s3_client, bucket):
    store = FileStoreResource().for_uri(f"s3://{bucket}/a/b.csv")
    uri = f"s3://{bucket}/a/b.csv"

    assert store.write_once(uri, b"first") is True
    assert store.write_once(uri, b"second") is False

    assert store.read(uri) == b"first"
    assert store.version(uri).size == 5


def test_s3_write_to_a_missing_bucket_names_the_bucket(s3_client):
    store = FileStoreResource().for_uri("s3://absent-bucket/x.csv")
    with pytest.raises(StorageError, match="bucket 'absent-bucket' does not exist"):
        store.write_once("s3://absent-bucket/x.csv", b"data")


def test_local_store_writes_once_read_only_and_reports_missing_files(tmp_path):
    store = LocalFileStore()
    target = str(tmp_path / "deep" / "folder" / "file.csv")

    assert store.write_once(target, b"first") is True
    assert store.write_once(target, b"second") is False
    assert store.read(target) == b"first"
    assert (tmp_path / "deep" / "folder" / "file.csv").stat().st_mode & 0o222 == 0
    assert list((tmp_path / "deep" / "folder").iterdir()) == [tmp_path / "deep/folder/file.csv"]
    with pytest.raises(StorageError, match="file not found"):
        store.read(str(tmp_path / "absent.csv"))
