"""The staging parser as a stream: exact source lines across blocks, line endings and blank
lines, one pass, and whole-file errors that name the file."""

import csv
import gzip
import io
import random

import pyarrow as pa
import pytest

from imdb_pipeline.lib.contract import COLUMN_NAMES
from imdb_pipeline.lib.source_file import SourceFileError
from imdb_pipeline.lib.staging import REJECT_COLUMNS, stage
from imdb_pipeline_tests.lib.test_staging import TODAY, line


def text_of(*lines: str, ending: str = "\n") -> bytes:
    return ending.join([",".join(COLUMN_NAMES), *lines, ""]).encode("utf-8")


def staged(data: bytes, location: str = "mem.csv", **options):
    source = stage(io.BytesIO(data), location, TODAY, **options)
    table = pa.Table.from_batches(list(source), schema=source.schema)
    return source, table


def test_wrong_width_row_multiline_field_and_blank_lines_give_exact_lines():
    data = text_of(
        line(movie_id="tt1"),  # 2
        line(movie_id="tt2", description="first\nsecond"),  # 3-4
        "",  # 5
        "tt3,short",  # 6
        line(movie_id="tt4", rating="x", stars="A,\nB\nC"),  # 7-9
        "",  # 10
        line(movie_id="tt5"),  # 11
    )
    source, table = staged(data)

    assert table.select(["movie_id", "source_line"]).to_pylist() == [
        {"movie_id": "tt1", "source_line": 2},
        {"movie_id": "tt2", "source_line": 3},
        {"movie_id": "tt5", "source_line": 11},
    ]
    assert source.rejects.select(["source_line", "movie_id"]).to_pylist() == [
        {"source_line": 6, "movie_id": "tt3"},
        {"source_line": 7, "movie_id": "tt4"},
    ]
    assert source.rows_read == 5


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_lines_are_exact_with_a_bom_and_either_line_ending(ending):
    data = b"\xef\xbb\xbf" + text_of(line(description="a\r\nb"), "", "tt2,x", line(), ending=ending)
    source, table = staged(data)
    assert table["source_line"].to_pylist() == [2, 6]
    assert table["description"].to_pylist() == ["a\r\nb", "Desc"]
    assert source.rejects["source_line"].to_pylist() == [5]


def test_old_mac_line_endings_are_line_ends():
    source, table = staged(text_of(line(), "tt2,x", line(movie_id="tt3"), ending="\r"))
    assert table["source_line"].to_pylist() == [2, 4]
    assert source.rejects["source_line"].to_pylist() == [3]


@pytest.mark.parametrize("data", [",".join(COLUMN_NAMES).encode(), text_of(), text_of("", "")])
def test_a_header_without_records_stages_nothing(data):
    source, table = staged(data)
    assert (table.num_rows, source.rejects.num_rows, source.rows_read) == (0, 0, 0)


def random_source(seed: int, rows: int) -> bytes:
    """Clean, rejected, wrong-width, multi-line and blank records in random order; titles of
    many multi-byte characters make some block boundaries cut a character."""
    pick = random.Random(seed)
    records = []
    for number in range(rows):
        kind = pick.choice(["clean", "clean", "clean", "multiline", "bad", "short", "blank"])
        movie_id = f"tt{number % (rows // 2)}"  # ids repeat
        records.append({
            "clean": line(movie_id=movie_id, title=pick.choice(["Zoë", "東京", "Ａ"]) * (number % 40)),
            "multiline": line(movie_id=movie_id, description="x\n" * pick.randint(1, 4)),
            "bad": line(movie_id=movie_id, rating=pick.choice(["11", "x", ""])),
            "short": f"{movie_id},only,\"two\nlines\"",
            "blank": "",
        }[kind])  # fmt: skip
    return text_of(*records)


def expected_lines(data: bytes) -> list[int]:
    """Start lines of the non-blank records, as Python's csv module counts them."""
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    next(reader)
    lines, previous_end = [], reader.line_num
    for fields in reader:
        if fields:
            lines.append(previous_end + 1)
        previous_end = reader.line_num
    return lines


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_many_small_blocks_give_the_same_rows_and_lines_as_one_block(seed):
    data = random_source(seed, 2000)
    small, small_table = staged(data, block_size=1 << 10)
    whole, whole_table = staged(data, block_size=1 << 22)

    assert small_table.num_rows > 100 and len(small_table.to_batches()) > 20
    assert small_table.equals(whole_table)
    assert small.rejects.equals(whole.rejects)
    lines = small_table["source_line"].to_pylist() + small.rejects["source_line"].to_pylist()
    assert sorted(lines) == expected_lines(data)
    assert small.rows_read == whole.rows_read == len(expected_lines(data))


def test_a_crlf_inside_a_quoted_value_survives_every_block_boundary():
    # pyarrow drops the \n of a quoted \r\n cut by a block boundary (apache/arrow#51368).
    descriptions = ["a" + "x" * (width % 7) + "\r\nb" * 30 for width in range(200)]
    data = text_of(*(line(movie_id=f"tt{n}", description=text) for n, text in
                     enumerate(descriptions)), ending="\r\n")  # fmt: skip
    _, table = staged(data, block_size=1 << 10)
    assert table["description"].to_pylist() == descriptions
    assert table["source_line"].to_pylist() == expected_lines(data)


def test_stage_keeps_repeated_movie_ids_in_file_order():
    source, table = staged(text_of(line(title="First"), line(title="Second")))
    assert table["title"].to_pylist() == ["First", "Second"]
    assert source.rejects.column_names == list(REJECT_COLUMNS)
    assert source.rejects.num_rows == 0


def test_batches_carry_the_staging_schema():
    source, table = staged(text_of(line()))
    assert table.schema == source.schema
    assert [str(field.type) for field in source.schema] == [
        "string", "string", "int32", "string", "int32", "string", "double", "int32", "string",
        "string", "string", "int64", "double", "int64",
    ]  # fmt: skip


def test_a_line_of_only_commas_is_skipped_like_a_blank_line():
    source, table = staged(text_of(",," * 6, line()))
    assert table["source_line"].to_pylist() == [3]
    assert source.rejects.num_rows == 0
    assert source.rows_read == 1


def test_a_staged_source_is_read_once_and_reports_after_reading():
    source = stage(io.BytesIO(text_of(line())), "mem.csv", TODAY)
    with pytest.raises(RuntimeError):
        _ = source.rows_read
    list(source)
    with pytest.raises(RuntimeError):
        list(source)


@pytest.mark.parametrize("location", ["mem.csv.gz", "mem.csv"])
def test_gzip_content_is_read_whatever_the_name(location):
    _, table = staged(gzip.compress(text_of(line())), location)
    assert table["movie_id"].to_pylist() == ["tt0000001"]


OPEN_QUOTE = text_of(*[line(stars="Tim R", description="@")] * 40).replace(b"@", b'"open', 1)


@pytest.mark.parametrize(
    ("data", "location", "message"),
    [(b"plain", "mem.csv.gz", "mem.csv.gz: named .gz but its content is not gzip-compressed"),
     (gzip.compress(random_source(1, 300))[:700], "mem.csv", ("mem.csv: not a readable gzip "
      "file (Compressed file ended before the end-of-stream marker was reached)")),
     (OPEN_QUOTE, "mem.csv", ("mem.csv: not a readable CSV file (a record is longer than 1,024 "
      "bytes; is a quote left open?)"))],
)  # fmt: skip
def test_unreadable_files_raise_naming_the_file(data, location, message):
    with pytest.raises(SourceFileError) as error:
        staged(data, location, block_size=1 << 10)
    assert str(error.value) == message


@pytest.mark.parametrize(("data", "missing"), [(b"movie_id,year\n", "title, certificate"),
                                               (b"\n" + text_of(), "movie_id, title")])  # fmt: skip
def test_missing_columns_are_reported_before_reading_rows(data, missing):
    with pytest.raises(SourceFileError, match=f"header is missing column\\(s\\) {missing},"):
        stage(io.BytesIO(data), "mem.csv", TODAY)


class _OneWay(io.RawIOBase):
    """A stream that cannot seek, like a network download."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._data.readinto(buffer)


@pytest.mark.parametrize(("seekable", "where"), [(True, "line 5 is not valid UTF-8 ("),
                                                 (False, "not valid UTF-8 (")])  # fmt: skip
def test_invalid_utf8_names_its_line_when_the_stream_can_seek(seekable, where):
    data = text_of(line(), line(description="first\nsecond"), line(title="Café")).replace(
        "é".encode(), b"\xe9"
    )
    offset = data.index(b"\xe9")
    stream = io.BytesIO(data) if seekable else _OneWay(data)
    with pytest.raises(SourceFileError) as error:
        list(stage(stream, "mem.csv", TODAY))
    assert str(error.value) == (
        f"mem.csv: {where}byte 0xe9 at offset {offset}); the source file must be UTF-8 encoded"
    )
