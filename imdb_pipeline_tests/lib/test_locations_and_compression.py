import gzip
from pathlib import Path

import pytest

from imdb_pipeline.lib.compression import decompress, snapshot_suffix
from imdb_pipeline.lib.locations import S3Location, join, parse_location
from imdb_pipeline.lib.source_file import SourceFileError, decode


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
    assert decompress(gzip.compress(b"a,b\n"), "s3://b/file.csv") == b"a,b\n"
    assert snapshot_suffix(gzip.compress(b"x")) == ".csv.gz"
    assert snapshot_suffix(b"x") == ".csv"


def test_plain_content_passes_through():
    assert decompress(b"a,b\n", "/x/file.csv") == b"a,b\n"


def test_a_gz_name_without_gzip_content_is_an_error():
    with pytest.raises(ValueError, match="named .gz but its content is not gzip"):
        decompress(b"a,b\n", "/x/file.csv.gz")


def test_a_truncated_gzip_file_is_a_source_error_naming_the_file():
    truncated = gzip.compress(b"movie_id\n" * 1000)[:-20]
    with pytest.raises(SourceFileError, match="/x/file.csv.gz: not a readable gzip file"):
        decode(truncated, "/x/file.csv.gz")
