"""Reading the source CSV: profile, header contract, encoding and record line numbers."""

import hashlib

import pytest

from imdb_pipeline.lib.contract import COLUMN_NAMES
from imdb_pipeline.lib.source_file import (
    Record,
    SourceFileError,
    decode,
    iter_records,
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


def test_valid_file_is_profiled():
    data = csv_bytes(ROW, ROW.replace("tt0111161", "tt0068646"))

    result = profile(data, LOCATION)

    assert result.location == LOCATION
    assert result.size_bytes == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.header == COLUMN_NAMES
    assert result.row_count == 2
    assert result.extra_columns == ()


def test_extra_columns_are_allowed_and_reported_in_header_order():
    data = csv_bytes("n," + ROW + ",s", header="notes," + HEADER + ",source")

    result = profile(data, LOCATION)

    assert result.extra_columns == ("notes", "source")
    assert result.row_count == 1


def test_blank_lines_are_not_counted_as_rows():
    assert profile(csv_bytes(ROW, "", ROW), LOCATION).row_count == 2


@pytest.mark.parametrize("data", [b"", b"   \n\n"], ids=["no bytes", "whitespace only"])
def test_empty_file_is_rejected(data):
    with pytest.raises(SourceFileError) as error:
        profile(data, LOCATION)
    assert str(error.value) == f"{LOCATION}: the file is empty; expected a CSV header and rows"


def test_header_without_rows_is_rejected():
    with pytest.raises(SourceFileError) as error:
        profile(csv_bytes(), LOCATION)
    assert str(error.value) == f"{LOCATION}: the file has a header but no data rows"


@pytest.mark.parametrize(
    ("dropped", "named"),
    [(("title",), "title"), (("year", "votes"), "year, votes")],
)
def test_missing_columns_are_named_with_the_location(dropped, named):
    header = ",".join(name for name in COLUMN_NAMES if name not in dropped)

    with pytest.raises(SourceFileError) as error:
        read_header(header + "\n", LOCATION)

    assert str(error.value) == (
        f"{LOCATION}: header is missing column(s) {named}; expected {EXPECTED}."
    )


@pytest.mark.parametrize(
    ("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")]
)
def test_header_with_another_delimiter_gets_a_hint(delimiter, name):
    header = delimiter.join(COLUMN_NAMES)

    with pytest.raises(SourceFileError) as error:
        read_header(header + "\n", LOCATION)

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
        read_header(HEADER + ",title\n", LOCATION)
    assert str(error.value) == f"{LOCATION}: header repeats column(s) title"


def test_header_names_are_trimmed():
    header = ", ".join(COLUMN_NAMES)
    assert read_header(header + "\n", LOCATION) == COLUMN_NAMES


def test_non_utf8_byte_names_its_line():
    data = (HEADER + "\n" + ROW + "\n" + ROW.replace("Alpha", "Café") + "\n").encode("latin-1")
    offset = data.index(b"\xe9")

    with pytest.raises(SourceFileError) as error:
        profile(data, LOCATION)

    assert str(error.value) == (
        f"{LOCATION}: line 3 is not valid UTF-8 (byte 0xe9 at offset {offset}); "
        "the source file must be UTF-8 encoded"
    )


def test_utf8_text_is_decoded():
    assert decode("Amélie\n".encode("utf-8"), LOCATION) == "Amélie\n"


def test_leading_bom_is_dropped():
    data = b"\xef\xbb\xbf" + csv_bytes(ROW)

    result = profile(data, LOCATION)

    assert result.header[0] == "movie_id"
    assert result.row_count == 1
    assert result.size_bytes == len(data)


def test_record_lines_account_for_newlines_inside_quoted_fields():
    text = "a,b\n" + '1,"two\nlines"\n' + "2,x\n" + "\n" + '3,"three\nmore\nlines"\n' + "4,y\n"

    records = list(iter_records(text))

    assert records == [
        Record(line=2, fields=["1", "two\nlines"]),
        Record(line=4, fields=["2", "x"]),
        Record(line=6, fields=["3", "three\nmore\nlines"]),
        Record(line=9, fields=["4", "y"]),
    ]


def test_crlf_line_endings_are_read():
    data = (HEADER + "\r\n" + ROW + "\r\n").encode("utf-8")
    assert profile(data, LOCATION).row_count == 1
