"""Reading the source CSV: the streamed profile, the header contract and the encoding."""

import csv
import gzip
import hashlib
import io

import pytest

from imdb_pipeline.lib.contract import COLUMN_NAMES
from imdb_pipeline.lib.source_file import (
    CHUNK_BYTES,
    RECORD_BLOCK_BYTES,
    SourceFileError,
    first_line,
    profile,
    read_header,
)

LOCATION = "s3://bucket/imdb_movies.csv"
HEADER = ",".join(COLUMN_NAMES)
ROW = 'tt0111161,Alpha,1994,R,142,Drama,9.3,82,Desc,F. Darabont,"T. Robbins, M. Freeman",1000,28.3'
EXPECTED = (
    "movie_id,title,year,certificate,runtime_minutes,genre,rating,metascore,description,"
    "director,stars,votes,gross_millions"
)


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def profiled(data: bytes, location: str = LOCATION):
    return profile(io.BytesIO(data), location)


def records_by_the_csv_module(data: bytes) -> int:
    """The reference count: non-blank records after the header, as Python's csv module sees them."""
    return sum(1 for fields in csv.reader(io.StringIO(data.decode("utf-8-sig"))) if fields) - 1


def padded_row(number: int, description: str) -> str:
    return ROW.replace("tt0111161", f"tt{number:07d}").replace("Desc", description)


def test_valid_file_is_profiled():
    data = csv_bytes(ROW, ROW.replace("tt0111161", "tt0068646"))

    result = profiled(data)

    assert result.location == LOCATION
    assert result.size_bytes == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.header == COLUMN_NAMES
    assert result.row_count == 2
    assert result.extra_columns == ()


def test_extra_columns_are_allowed_and_reported_in_header_order():
    data = csv_bytes("n," + ROW + ",s", header="notes," + HEADER + ",source")

    result = profiled(data)

    assert result.extra_columns == ("notes", "source")
    assert result.row_count == 1


def test_blank_lines_are_not_counted_as_rows():
    assert profiled(csv_bytes(ROW, "", ROW, "\r", "")).row_count == 2


def test_records_of_the_wrong_width_are_rows_for_staging_to_reject():
    data = csv_bytes(ROW, "tt1,too,short", ROW + ",extra", "   ", '"open\nquote",x')
    assert profiled(data).row_count == 5 == records_by_the_csv_module(data)


@pytest.mark.parametrize(
    "data", [b"", b"   \n\n", b"\n \r\n\t"], ids=["no bytes", "blank", "mixed ends"]
)
def test_empty_file_is_rejected(data):
    with pytest.raises(SourceFileError) as error:
        profiled(data)
    assert str(error.value) == f"{LOCATION}: the file is empty; expected a CSV header and rows"


def test_text_after_a_blank_first_line_is_a_missing_header():
    with pytest.raises(SourceFileError, match="header is missing column"):
        profiled(b"\n" + csv_bytes(ROW))


@pytest.mark.parametrize("data", [csv_bytes(), HEADER.encode(), csv_bytes("", "")])
def test_header_without_rows_is_rejected(data):
    with pytest.raises(SourceFileError) as error:
        profiled(data)
    assert str(error.value) == f"{LOCATION}: the file has a header but no data rows"


@pytest.mark.parametrize(
    ("dropped", "named"),
    [(("title",), "title"), (("year", "votes"), "year, votes")],
)
def test_missing_columns_are_named_with_the_location(dropped, named):
    header = ",".join(name for name in COLUMN_NAMES if name not in dropped)
    expected = f"{LOCATION}: header is missing column(s) {named}; expected {EXPECTED}."

    with pytest.raises(SourceFileError) as error:
        read_header(header + "\n", LOCATION)
    assert str(error.value) == expected

    with pytest.raises(SourceFileError) as error:
        profiled(csv_bytes(ROW, header=header))
    assert str(error.value) == expected


@pytest.mark.parametrize(
    ("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")]
)
def test_header_with_another_delimiter_gets_a_hint(delimiter, name):
    header = delimiter.join(COLUMN_NAMES)

    with pytest.raises(SourceFileError) as error:
        profiled(csv_bytes(ROW.replace(",", delimiter), header=header))

    message = str(error.value)
    assert message.startswith(f"{LOCATION}: header is missing column(s) movie_id, title,")
    assert message.endswith(
        f" The header looks {name}-delimited; the file must be comma-delimited."
    )


def test_header_missing_a_column_without_other_delimiter_gets_no_hint():
    with pytest.raises(SourceFileError) as error:
        read_header(HEADER.replace(",title", "") + "\n", LOCATION)
    assert "delimited" not in str(error.value)


def test_repeated_header_column_is_rejected():
    with pytest.raises(SourceFileError) as error:
        profiled(csv_bytes(ROW + ",x", header=HEADER + ",title"))
    assert str(error.value) == f"{LOCATION}: header repeats column(s) title"


def test_header_names_are_trimmed():
    header = ", ".join(COLUMN_NAMES)
    assert read_header(header + "\n", LOCATION) == COLUMN_NAMES
    assert profiled(csv_bytes(ROW, header=header)).header == COLUMN_NAMES


def test_non_utf8_byte_names_its_line():
    data = (HEADER + "\n" + ROW + "\n" + ROW.replace("Alpha", "Café") + "\n").encode("latin-1")
    offset = data.index(b"\xe9")
    expected = (
        f"{LOCATION}: line 3 is not valid UTF-8 (byte 0xe9 at offset {offset}); "
        "the source file must be UTF-8 encoded"
    )

    with pytest.raises(SourceFileError) as error:
        profiled(data)
    assert str(error.value) == expected


def test_leading_bom_is_dropped():
    data = b"\xef\xbb\xbf" + csv_bytes(ROW)

    result = profiled(data)

    assert result.header[0] == "movie_id"
    assert result.row_count == 1
    assert result.size_bytes == len(data)
    assert first_line(io.BytesIO(data), LOCATION) == HEADER


@pytest.mark.parametrize("end", ["\r\n", "\r"], ids=["CRLF", "CR"])
def test_other_line_endings_are_read(end):
    data = (HEADER + end + ROW + end + end + ROW + end).encode("utf-8")
    assert profiled(data).row_count == 2


def multi_chunk_file() -> tuple[bytes, int]:
    """About 3.5 chunks of rows; a quoted newline sits on the first chunk boundary and a
    two-byte character on the second, one row straddling each."""
    head = (HEADER + "\n").encode()
    rows, size, number = [], len(head), 0

    def add(text: str) -> None:
        nonlocal size, number
        line = (padded_row(number, text) + "\n").encode("utf-8")
        rows.append(line)
        size += len(line)
        number += 1

    for boundary, split, first, second in (
        (CHUNK_BYTES, b"\n", '"before', 'after"'),
        (2 * CHUNK_BYTES, "é".encode(), "Am", "lie"),
    ):
        while size + 200 < boundary:
            add("plain text, quoted" if number % 3 else '"a ""quoted"" line,\nand another"')
        probe = (padded_row(number, first + split.decode() + second) + "\n").encode("utf-8")
        # Pad the row so that the split sequence starts one byte before the boundary.
        pad = boundary - size - probe.index(split) - 1
        add(first + "x" * pad + split.decode() + second)
    while size < 3.5 * CHUNK_BYTES:
        add('"multi\nline"' if number % 5 == 0 else "tail")
    return head + b"".join(rows), number


def test_a_multi_chunk_file_is_counted_exactly_across_chunk_boundaries():
    data, written = multi_chunk_file()
    assert data[CHUNK_BYTES - 1 : CHUNK_BYTES] == b"\n"  # the quoted newline ends chunk one
    assert data[2 * CHUNK_BYTES - 1 : 2 * CHUNK_BYTES + 1] == "é".encode()

    result = profiled(data)

    assert result.row_count == written == records_by_the_csv_module(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size_bytes == len(data)


def test_a_gzip_file_is_decompressed_while_streaming():
    data, written = multi_chunk_file()
    compressed = gzip.compress(data)

    result = profiled(compressed, LOCATION + ".gz")

    assert result.row_count == written
    assert result.sha256 == hashlib.sha256(compressed).hexdigest()
    assert result.size_bytes == len(compressed)
    assert first_line(io.BytesIO(compressed), LOCATION + ".gz") == HEADER


def test_a_bad_byte_in_a_later_chunk_names_its_line():
    data, _ = multi_chunk_file()
    offset = data.index(b"tail", 3 * CHUNK_BYTES)
    damaged = data[:offset] + b"\xff" + data[offset + 1 :]
    line = damaged[:offset].count(b"\n") + 1

    for stored, location in ((damaged, LOCATION), (gzip.compress(damaged), LOCATION + ".gz")):
        with pytest.raises(SourceFileError) as error:
            profiled(stored, location)
        assert str(error.value) == (
            f"{location}: line {line} is not valid UTF-8 (byte 0xff at offset {offset}); "
            "the source file must be UTF-8 encoded"
        )


def test_a_character_cut_at_the_end_of_the_file_is_not_utf8():
    with pytest.raises(SourceFileError, match="line 3 is not valid UTF-8 .byte 0xc3"):
        profiled(csv_bytes(ROW) + "é".encode()[:1])


def test_a_record_longer_than_a_block_is_rejected():
    data = csv_bytes(ROW, ROW.replace("Desc", '"' + "x" * (3 * RECORD_BLOCK_BYTES)), ROW)
    with pytest.raises(SourceFileError, match="not a readable CSV file .a record is longer than "
                                              f"{RECORD_BLOCK_BYTES:,} bytes; is a quote left open"):
        profiled(data)


def test_counts_agree_with_the_csv_module_on_awkward_quoting():
    rows = [ROW, 'tt2,"x""y",z', 'tt3,mid"quote,1', 'tt4,"after"quote', '"a\r\nb",c', ROW]
    data = csv_bytes(*rows)
    assert profiled(data).row_count == records_by_the_csv_module(data) == len(rows)
