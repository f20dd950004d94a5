"""Compressed sources: a `.csv.gz` file is read as the CSV it holds."""

import gzip
import zlib

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(data: bytes) -> bool:
    return data[:2] == GZIP_MAGIC


def decompress(data: bytes, location: str) -> bytes:
    """The CSV bytes: gunzipped when the content is gzip (whatever the name), else as given."""
    if is_gzip(data):
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{location}: not a readable gzip file ({error})") from None
    if location.endswith(".gz"):
        raise ValueError(f"{location}: named .gz but its content is not gzip-compressed")
    return data


def snapshot_suffix(data: bytes) -> str:
    """File suffix of a raw snapshot, from its content."""
    return ".csv.gz" if is_gzip(data) else ".csv"
