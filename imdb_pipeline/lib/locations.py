"""Where a file is: a local path or an S3 object (`s3://bucket/key`)."""

from dataclasses import dataclass
from pathlib import Path

S3_SCHEME = "s3://"


@dataclass(frozen=True)
class FileVersion:
    """What identifies one version of a file: its size and a version tag (ETag or mtime)."""

    size: int
    tag: str


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.key}"


def parse_location(uri: str) -> S3Location | Path:
    """An S3 location for `s3://bucket/key`, else a local path (`~` expanded)."""
    if uri.startswith(S3_SCHEME):
        bucket, _, key = uri[len(S3_SCHEME) :].partition("/")
        if not bucket:
            raise ValueError(f"{uri}: an S3 URI needs a bucket: s3://bucket/key")
        return S3Location(bucket=bucket, key=key)
    return Path(uri).expanduser()


def join(base_uri: str, relative_path: str) -> str:
    """`relative_path` under a folder or an S3 prefix."""
    location = parse_location(base_uri)
    if isinstance(location, S3Location):
        prefix = location.key.strip("/")
        key = f"{prefix}/{relative_path}" if prefix else relative_path
        return str(S3Location(location.bucket, key))
    return str(location / relative_path)
