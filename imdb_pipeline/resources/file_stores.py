"""Files on the local disk or in S3 behind one interface, with errors a user can act on.

S3 goes through `dagster_aws.s3.S3Resource`, so AWS, MinIO and any S3-compatible store work:
the endpoint comes from IMDB_S3_ENDPOINT_URL, region and credentials from the standard AWS
variables. boto3 retries transient failures (connection errors, 5xx, throttling) with
exponential backoff and jitter ("standard" retry mode) and never retries other 4xx errors.
"""

import fnmatch
import glob
import os
import re
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

import dagster as dg

from imdb_pipeline.deployment import s3_settings
from imdb_pipeline.lib.locations import FileVersion, S3Location, parse_location

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_DENIED = {"AccessDenied", "403", "AllAccessDisabled", "InvalidAccessKeyId",
           "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}  # fmt: skip


class StorageError(Exception):
    """A file could not be read or written; `transient` errors may succeed if tried later."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


class FileStore(ABC):
    @abstractmethod
    def read(self, uri: str) -> bytes: ...

    @abstractmethod
    def write_once(self, uri: str, data: bytes) -> bool:
        """Write unless something is already there (content-addressed names); True if written."""

    @abstractmethod
    def version(self, uri: str) -> FileVersion: ...

    @abstractmethod
    def matching(self, pattern: str) -> dict[str, FileVersion]:
        """Every file matching a URI with shell wildcards (`*`, `?`, `[...]`), with its version."""


class LocalFileStore(FileStore):
    def read(self, uri: str) -> bytes:
        path = parse_location(uri)
        if path.is_dir():
            raise StorageError(f"{uri}: is a folder, not a file")
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise StorageError(f"{uri}: file not found") from None
        except PermissionError:
            raise StorageError(f"{uri}: permission denied") from None

    def write_once(self, uri: str, data: bytes) -> bool:
        target = parse_location(uri)
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write aside, then rename: nobody ever sees a partial file.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.chmod(temporary, 0o444)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return True

    def version(self, uri: str) -> FileVersion:
        try:
            stat = parse_location(uri).stat()
        except FileNotFoundError:
            raise StorageError(f"{uri}: file not found") from None
        return FileVersion(size=stat.st_size, tag=str(stat.st_mtime_ns))

    def matching(self, pattern: str) -> dict[str, FileVersion]:
        path = parse_location(pattern)
        candidates = glob.glob(str(path)) if glob.has_magic(str(path)) else [str(path)]
        found = {}
        for candidate in sorted(candidates):
            try:
                stat = os.stat(candidate)
            except FileNotFoundError:
                continue
            if not os.path.isdir(candidate):
                found[candidate] = FileVersion(size=stat.st_size, tag=str(stat.st_mtime_ns))
        return found


class S3FileStore(FileStore):
    def __init__(self, client, endpoint: str | None = None):
        self._client = client
        self._endpoint = endpoint or "the AWS S3 endpoint"

    def read(self, uri: str) -> bytes:
        location = _s3(uri)
        with self._errors(uri):
            return self._client.get_object(Bucket=location.bucket, Key=location.key)["Body"].read()

    def write_once(self, uri: str, data: bytes) -> bool:
        location = _s3(uri)
        with self._errors(uri):
            if self._exists(location):
                return False
            self._client.put_object(Bucket=location.bucket, Key=location.key, Body=data)
        return True

    def version(self, uri: str) -> FileVersion:
        location = _s3(uri)
        with self._errors(uri):
            head = self._client.head_object(Bucket=location.bucket, Key=location.key)
        return FileVersion(size=int(head["ContentLength"]), tag=head["ETag"].strip('"'))

    def matching(self, pattern: str) -> dict[str, FileVersion]:
        location = _s3(pattern)
        prefix = re.split(r"[*?\[]", location.key, maxsplit=1)[0]
        found = {}
        with self._errors(pattern):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=location.bucket, Prefix=prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    if fnmatch.fnmatchcase(item["Key"], location.key):
                        uri = str(S3Location(location.bucket, item["Key"]))
                        found[uri] = FileVersion(int(item["Size"]), item["ETag"].strip('"'))
        return found

    def _exists(self, location: S3Location) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=location.bucket, Key=location.key)
            return True
        except ClientError as error:
            if _code(error) in _NOT_FOUND:
                # HEAD cannot tell a missing bucket from a missing key; ask the bucket.
                self._client.head_bucket(Bucket=location.bucket)
                return False
            raise

    def _errors(self, uri: str):
        return _S3Errors(uri, self._endpoint)


class _S3Errors:
    """Turns botocore exceptions into StorageErrors that name the URI and the cause."""

    def __init__(self, uri: str, endpoint: str):
        self._uri, self._endpoint = uri, endpoint

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is None:
            return False
        from botocore.exceptions import ClientError, ConnectionError, ConnectTimeoutError

        uri = self._uri
        if isinstance(error, (ConnectionError, ConnectTimeoutError)):
            raise StorageError(f"{uri}: cannot reach {self._endpoint} ({error})", transient=True)
        if isinstance(error, ClientError):
            code, status = _code(error), _status(error)
            bucket = _s3(uri).bucket
            if code == "NoSuchBucket" or (code in _NOT_FOUND and _is_bucket_error(error)):
                raise StorageError(f"{uri}: bucket '{bucket}' does not exist") from None
            if code in _NOT_FOUND:
                raise StorageError(f"{uri}: no such object in bucket '{bucket}'") from None
            if code in _DENIED:
                raise StorageError(
                    f"{uri}: access denied ({code}); check the AWS credentials and the "
                    f"bucket policy"
                ) from None
            raise StorageError(f"{uri}: S3 error {code} (HTTP {status})",
                               transient=status >= 500 or status == 429) from None  # fmt: skip
        return False


def _s3(uri: str) -> S3Location:
    location = parse_location(uri)
    assert isinstance(location, S3Location), uri
    return location


def _code(error) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _status(error) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _is_bucket_error(error) -> bool:
    return error.operation_name in ("HeadBucket",)


class FileStoreResource(dg.ConfigurableResource):
    """Reads and writes files by URI: local paths or `s3://bucket/key` (via S3Resource)."""

    def for_uri(self, uri: str) -> FileStore:
        if not isinstance(parse_location(uri), S3Location):
            return LocalFileStore()
        from dagster_aws.s3 import S3Resource

        settings = s3_settings()
        # botocore's `max_attempts` counts retries after the first request; ours counts all.
        client = S3Resource(
            endpoint_url=settings.endpoint_url, max_attempts=settings.max_attempts - 1
        ).get_client()
        return S3FileStore(client, settings.endpoint_url)
