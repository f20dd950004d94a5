"""Files on the local disk or in S3 behind one interface, with errors a user can act on.

Files are streamed, never held in memory whole: S3 objects are read as streams, or downloaded
to and uploaded from local files in parts (`download_file` / `upload_file`). S3 goes through
`dagster_aws.s3.S3Resource`, so AWS, MinIO and any S3-compatible store work: the endpoint comes
from IMDB_S3_ENDPOINT_URL, region and credentials from the standard AWS variables. boto3 retries
transient failures (connection errors, 5xx, throttling) with exponential backoff and jitter
("standard" retry mode), and a download that breaks off midway, but never other 4xx errors.
"""

import fnmatch
import glob
import io
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import dagster as dg

from imdb_pipeline.deployment import s3_settings
from imdb_pipeline.lib.locations import FileVersion, S3Location, parse_location

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_DENIED = {"AccessDenied", "403", "AllAccessDisabled", "InvalidAccessKeyId",
           "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}  # fmt: skip
# Parts of 8 MiB, four at a time: memory stays at a few tens of MB whatever the file's size.
_PART_BYTES = 8 << 20
_PARALLEL_PARTS = 4
TEMPORARY_PREFIX = "imdb_pipeline_"


class StorageError(Exception):
    """A file could not be read or written; `transient` errors may succeed if tried later."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


class FileStore(ABC):
    @abstractmethod
    def open_read(self, uri: str) -> BinaryIO:
        """The file as a binary stream to read in chunks; close it after use."""

    @abstractmethod
    def download(self, uri: str, target: Path) -> None:
        """Copy the file to the local path `target`."""

    @abstractmethod
    def write_once_from_file(self, uri: str, source: Path) -> bool:
        """Store the local file `source` at `uri` unless something is already there
        (content-addressed names); True if written."""

    @abstractmethod
    def write(self, uri: str, data: bytes, content_type: str) -> None:
        """Store `data` at `uri`, replacing what is there (readers see the old or the new
        file, never a part): for small generated files such as report pages."""

    @abstractmethod
    def version(self, uri: str) -> FileVersion: ...

    @abstractmethod
    def matching(self, pattern: str) -> dict[str, FileVersion]:
        """Every file matching a URI with shell wildcards (`*`, `?`, `[...]`), with its version."""


class LocalFileStore(FileStore):
    def local_path(self, uri: str) -> Path:
        """The path of an existing, readable file."""
        path = parse_location(uri)
        if path.is_dir():
            raise StorageError(f"{uri}: is a folder, not a file")
        if not path.exists():
            raise StorageError(f"{uri}: file not found")
        if not os.access(path, os.R_OK):
            raise StorageError(f"{uri}: permission denied")
        return path

    def open_read(self, uri: str) -> BinaryIO:
        path = self.local_path(uri)
        try:
            return path.open("rb")
        except OSError as error:
            raise StorageError(f"{uri}: cannot be read ({error.strerror})") from None

    def download(self, uri: str, target: Path) -> None:
        shutil.copyfile(self.local_path(uri), target)

    def write_once_from_file(self, uri: str, source: Path) -> bool:
        target = parse_location(uri)
        if target.exists():
            return False
        _write_aside_then_rename(uri, target, lambda aside: shutil.copyfile(source, aside), 0o444)
        return True

    def write(self, uri: str, data: bytes, content_type: str) -> None:
        target = parse_location(uri)
        _write_aside_then_rename(uri, target, lambda aside: Path(aside).write_bytes(data), 0o644)

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


def _write_aside_then_rename(uri: str, target: Path, fill: Callable[[str], object], mode: int) -> None:
    """Write a file beside `target` with `fill`, then rename it into place: nobody ever sees a
    partial file."""
    temporary = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        os.close(handle)
        fill(temporary)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as error:
        raise StorageError(f"{uri}: cannot be written ({error.strerror or error})") from None
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


class S3FileStore(FileStore):
    def __init__(self, client, endpoint: str | None = None, max_attempts: int = 5):
        from boto3.s3.transfer import TransferConfig

        self._client = client
        self._endpoint = endpoint or "the AWS S3 endpoint"
        self._transfer = TransferConfig(
            multipart_threshold=_PART_BYTES, multipart_chunksize=_PART_BYTES,
            max_concurrency=_PARALLEL_PARTS, num_download_attempts=max_attempts,
        )  # fmt: skip

    def open_read(self, uri: str) -> BinaryIO:
        location = _s3(uri)
        with self._errors(uri):
            body = self._client.get_object(Bucket=location.bucket, Key=location.key)["Body"]
        return _S3Stream(body, self._errors(uri))

    def download(self, uri: str, target: Path) -> None:
        from botocore.exceptions import ClientError

        location = _s3(uri)
        with self._errors(uri):
            try:
                self._client.download_file(
                    location.bucket, location.key, str(target), Config=self._transfer
                )
            except ClientError as error:
                if _code(error) in _NOT_FOUND:
                    # HEAD cannot tell a missing bucket from a missing key; ask the bucket.
                    self._client.head_bucket(Bucket=location.bucket)
                raise

    def write_once_from_file(self, uri: str, source: Path) -> bool:
        location = _s3(uri)
        with self._errors(uri):
            if self._exists(location):
                return False
            self._client.upload_file(
                str(source), location.bucket, location.key, Config=self._transfer
            )
        return True

    def write(self, uri: str, data: bytes, content_type: str) -> None:
        location = _s3(uri)
        with self._errors(uri):  # one PUT: S3 never shows a partly written object
            self._client.put_object(
                Bucket=location.bucket, Key=location.key, Body=data, ContentType=content_type
            )

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
                self._client.head_bucket(Bucket=location.bucket)
                return False
            raise

    def _errors(self, uri: str):
        return _S3Errors(uri, self._endpoint)


class _S3Stream(io.RawIOBase):
    """An S3 object's body, read in chunks; a connection lost midway is a transient error."""

    def __init__(self, body, errors: "_S3Errors"):
        self._body, self._errors = body, errors

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        with self._errors:
            return self._body.read(None if size is None or size < 0 else size)

    def close(self) -> None:
        self._body.close()
        super().close()


class _S3Errors:
    """Turns botocore exceptions into StorageErrors that name the URI and the cause."""

    def __init__(self, uri: str, endpoint: str):
        self._uri, self._endpoint = uri, endpoint

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is None:
            return False
        from boto3.exceptions import RetriesExceededError, S3UploadFailedError
        from botocore import exceptions as botocore

        uri = self._uri
        if isinstance(error, S3UploadFailedError) and isinstance(
            error.__context__, botocore.ClientError
        ):
            error = error.__context__  # boto3 hides an upload's ClientError in a plain message
        if isinstance(error, botocore.ConnectionError):
            raise StorageError(f"{uri}: cannot reach {self._endpoint} ({error})", transient=True)
        if isinstance(error, (botocore.HTTPClientError, botocore.IncompleteReadError,
                              botocore.ResponseStreamingError, RetriesExceededError)):  # fmt: skip
            raise StorageError(f"{uri}: the transfer from {self._endpoint} broke off ({error})",
                               transient=True) from None  # fmt: skip
        if isinstance(error, botocore.ClientError):
            code, status = _code(error), _status(error)
            bucket = _s3(uri).bucket
            no_bucket = code in _NOT_FOUND and error.operation_name == "HeadBucket"
            if code == "NoSuchBucket" or no_bucket:
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
        return S3FileStore(client, settings.endpoint_url, settings.max_attempts)

    def local_file(self, uri: str) -> tuple[Path, bool]:
        """A local file holding the bytes at `uri`: the file itself when it is local, else a
        download to a new temporary file, which the caller then owns (the flag is True)."""
        store = self.for_uri(uri)
        if isinstance(store, LocalFileStore):
            return store.local_path(uri), False
        # In TMPDIR, which should be on disk, not in memory: a whole source file lands here.
        handle, name = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, suffix=".download")
        os.close(handle)
        target = Path(name)
        try:
            store.download(uri, target)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target, True
