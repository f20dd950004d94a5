"""Reading the source CSV: encoding, header and records with their line numbers.

Every error names the file and says what was expected, so a data engineer can fix the file
without opening the code.
"""

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

from imdb_pipeline.lib.compression import decompress
from imdb_pipeline.lib.contract import COLUMN_NAMES

_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


class SourceFileError(ValueError):
    """The source file cannot be used at all; nothing downstream should change."""


@dataclass(frozen=True)
class SourceProfile:
    """What we learned about a readable source file."""

    location: str
    size_bytes: int
    sha256: str
    header: tuple[str, ...]
    row_count: int
    extra_columns: tuple[str, ...]


@dataclass(frozen=True)
class Record:
    line: int
    fields: list[str]


def decode(data: bytes, location: str) -> str:
    """UTF-8 text of the file, gunzipped if it is gzip; a leading BOM is dropped. An invalid
    byte is reported with its line."""
    try:
        data = decompress(data, location)
    except ValueError as error:
        raise SourceFileError(str(error)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourceFileError(
            f"{location}: line {line} is not valid UTF-8 (byte {data[error.start]:#04x} at offset "
            f"{error.start}); the source file must be UTF-8 encoded"
        ) from None


def read_header(text: str, location: str) -> tuple[str, ...]:
    """The header row, checked against the contract; extra columns are allowed."""
    if not text.strip():
        raise SourceFileError(f"{location}: the file is empty; expected a CSV header and rows")
    header = tuple(name.strip() for name in next(csv.reader(io.StringIO(text))))
    missing = [name for name in COLUMN_NAMES if name not in header]
    if missing:
        hint = ""
        for delimiter, name in _OTHER_DELIMITERS.items():
            if len(header) == 1 and delimiter in header[0]:
                hint = f" The header looks {name}-delimited; the file must be comma-delimited."
        raise SourceFileError(
            f"{location}: header is missing column(s) {', '.join(missing)}; "
            f"expected {','.join(COLUMN_NAMES)}.{hint}"
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise SourceFileError(f"{location}: header repeats column(s) {', '.join(duplicated)}")
    return header


def iter_records(text: str) -> Iterator[Record]:
    """Data records after the header, each with the line on which it starts.

    Quoted fields may hold newlines, so a record's line is counted from the reader, not assumed.
    """
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    previous_end = reader.line_num
    for fields in reader:
        if fields:
            yield Record(line=previous_end + 1, fields=fields)
        previous_end = reader.line_num


def profile(data: bytes, location: str) -> SourceProfile:
    """Check that the file is usable and describe it; raises SourceFileError otherwise."""
    text = decode(data, location)
    header = read_header(text, location)
    try:
        row_count = sum(1 for _ in iter_records(text))
    except csv.Error as error:
        raise SourceFileError(f"{location}: not a readable CSV file ({error})") from None
    if row_count == 0:
        raise SourceFileError(f"{location}: the file has a header but no data rows")
    return SourceProfile(
        location=location,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        header=header,
        row_count=row_count,
        extra_columns=tuple(name for name in header if name not in COLUMN_NAMES),
    )
