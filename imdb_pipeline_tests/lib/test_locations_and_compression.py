import gzip
import io
from pathlib import Path

import pytest

from imdb_pipeline.lib.compression import decompressed_chunks, snapshot_suffix
from imdb_pipeline.lib.contract import COLUMN_NAMES
from imdb_pipeline.lib.locations import S3Location, join, parse_location
from imdb_pipeline.lib.source_file import SourceFileError, profile


def test_s3_uri_parses_into_bucket_and_key():
    assert parse_location("s3://bucket/a/b.csv") == S3Location("bucket", "a/b.csv")
    assert str(S3Location("bucket", "a/b.csv")) == "s3://bucket/a/b.csv"


def test_s3_uri_without_bucket_is_rejected():
    with pytest.raises(ValueError, match="needs a bucket"):
        parse_location("s3:///key.csv")


def test_local_path_is_expanded():
    assert parse_location("~/x.csv") == Path("~/x.csv").expanduser()


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("s3://bucket/raw", "s3://bucket/raw/imdb/x.csv"),
        ("s3://bucket/raw/", "s3://bucket/raw/imdb/x.csv"),
        ("s3://bucket", "s3://bucket/imdb/x.csv"),
        ("/data/raw", "/data/raw/imdb/x.csv"),
    ],
)
def test_join_puts_a_relative_path_under_a_folder_or_prefix(base, expected):
    assert join(base, "imdb/x.csv") == expected


def test_gzip_content_is_decompressed_whatever_its_name():
    stored = gzip.compress(b"a,b\n")
    assert b"".join(decompressed_chunks([stored], "s3://b/file.csv", 100)) == b"a,b\n"
    assert snapshot_suffix(gzip.compress(b"x")) == ".csv.gz"
    assert snapshot_suffix(gzip.compress(b"x")[:2]) == ".csv.gz"
    assert snapshot_suffix(b"x") == ".csv"


def test_plain_content_passes_through():
    assert b"".join(decompressed_chunks([b"a", b",b\n"], "/x/file.csv", 4)) == b"a,b\n"


def test_a_gz_name_without_gzip_content_is_an_error():
    with pytest.raises(ValueError, match="named .gz but its content is not gzip"):
        list(decompressed_chunks([b"a,b\n"], "/x/file.csv.gz", 4))


def test_a_truncated_gzip_file_is_a_source_error_naming_the_file():
    # Streamed, the header is checked first: the cut is found when the stream ends.
    rows = ",".join(COLUMN_NAMES) + "\n" + "tt1,x,1999,R,1,D,1,1,d,a,b,1,1\n" * 1000
    truncated = gzip.compress(rows.encode())[:-20]
    with pytest.raises(SourceFileError, match="/x/file.csv.gz: not a readable gzip file"):
        profile(io.BytesIO(truncated), "/x/file.csv.gz")


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


@pytest.mark.parametrize("piece", [1, 7, 4096], ids=["byte by byte", "odd pieces", "pages"])
def test_gzip_streams_in_bounded_chunks_whatever_the_input_pieces(piece):
    text = b"".join(b"%d,row\n" % number for number in range(20_000))
    compressed = gzip.compress(text)

    chunks = list(decompressed_chunks(pieces(compressed, piece), "/x/f.csv.gz", 1000))

    assert b"".join(chunks) == text
    assert max(map(len, chunks)) <= 1000


def test_a_highly_compressed_file_never_decompresses_to_a_large_chunk():
    bomb = gzip.compress(bytes(50 << 20))  # 50 MiB of zeros in about 50 KB

    sizes = [len(chunk) for chunk in decompressed_chunks(pieces(bomb, 1 << 20), "b.gz", 1 << 16)]

    assert sum(sizes) == 50 << 20
    assert max(sizes) == 1 << 16


def test_concatenated_gzip_members_and_zero_padding_read_as_one_file():
    stored = gzip.compress(b"a,b\n1,2\n") + gzip.compress(b"3,4\n") + bytes(10)
    assert gzip.decompress(stored) == b"a,b\n1,2\n3,4\n"
    assert b"".join(decompressed_chunks(pieces(stored, 5), "/x/f.gz", 3)) == b"a,b\n1,2\n3,4\n"


@pytest.mark.parametrize(
    "damage",
    [lambda data: data[:-4] + b"\0\0\0\0", lambda data: data + b"garbage"],
    ids=["wrong length in the trailer", "trailing garbage"],
)
def test_a_damaged_gzip_stream_is_an_error(damage):
    stored = damage(gzip.compress(b"a,b\n1,2\n"))
    with pytest.raises(ValueError, match="/x/f.gz: not a readable gzip file"):
        list(decompressed_chunks([stored], "/x/f.gz", 1000))
