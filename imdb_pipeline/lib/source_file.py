"""Reading the source CSV: encoding, header and records, streamed in fixed-size chunks.

Every error names the file and says what was expected, so a data engineer can fix the file
without opening the code. Memory stays at a few chunks whatever the size of the file.
"""

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from imdb_pipeline.lib.compression import decompressed_chunks
from imdb_pipeline.lib.contract import COLUMN_NAMES

CHUNK_BYTES = 1 << 20
# pyarrow parses records in blocks of this size; a record may straddle one block boundary, so
# any record up to this size (and some up to twice it) can be read. The raw profile and staging
# use the same size, so a file the raw step accepts is one staging can read.
RECORD_BLOCK_BYTES = 4 << 20
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


def profile(stream: BinaryIO, location: str) -> SourceProfile:
    """Check that the file is usable and describe it, reading `stream` (its bytes as stored,
    gzip or not) once in chunks; raises SourceFileError otherwise. Naming the line of an
    invalid UTF-8 byte reads a seekable stream a second time."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    text = _Utf8Stream(stream, location)
    line = text.first_line()
    header = _header_of_first_line(line, text, location)
    wrong_width = 0

    def count_wrong_width(_row) -> str:
        # A record of the wrong width is still a record: staging rejects it with its reason.
        nonlocal wrong_width
        wrong_width += 1
        return "skip"

    # Records as staging's parser sees them: quoted fields may hold newlines, blank lines are no
    # records, the width is the header's. Only the first column is converted: just counting.
    names = [f"c{position}" for position in range(len(header))]
    read = pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=RECORD_BLOCK_BYTES)
    parse = pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True,
                                invalid_row_handler=count_wrong_width)  # fmt: skip
    convert = pa_csv.ConvertOptions(include_columns=names[:1], column_types={names[0]: pa.binary()})
    try:
        # A header without a line end is the whole file, and pyarrow cannot skip it.
        batches = pa_csv.open_csv(text, read, parse, convert) if line[-1] in "\r\n" else []
        rows = sum(batch.num_rows for batch in batches)
    except pa.ArrowInvalid as error:
        text.raise_error()
        problem = csv_problem(error)
        raise SourceFileError(f"{location}: not a readable CSV file ({problem})") from None
    while text.read(CHUNK_BYTES):  # pyarrow reads to the end; make sure the hash covers it all
        pass
    text.raise_error()
    if rows + wrong_width == 0:
        raise SourceFileError(f"{location}: the file has a header but no data rows")
    return SourceProfile(
        location=location,
        size_bytes=text.size,
        sha256=text.sha256.hexdigest(),
        header=header,
        row_count=rows + wrong_width,
        extra_columns=tuple(name for name in header if name not in COLUMN_NAMES),
    )


def first_line(stream: BinaryIO, location: str) -> str:
    """The first line of a stored file (gzip or not), without its BOM and line end."""
    return _Utf8Stream(stream, location).first_line().rstrip("\r\n")


def read_header(text: str, location: str) -> tuple[str, ...]:
    """The header row, checked against the contract; extra columns are allowed."""
    if not text.strip():
        raise SourceFileError(f"{location}: the file is empty; expected a CSV header and rows")
    return _checked_header(next(csv.reader(io.StringIO(text))), location)


def _header_of_first_line(line: str, text: "_Utf8Stream", location: str) -> tuple[str, ...]:
    if line.strip():
        return read_header(line, location)
    # Only a file with nothing but white space is empty; text after a blank line is a bad header.
    if text.rest_is_blank():
        text.raise_error()
        return read_header("", location)
    return _checked_header([], location)


def _checked_header(fields: list[str], location: str) -> tuple[str, ...]:
    header = tuple(name.strip() for name in fields)
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


def not_utf8_error(
    stream: BinaryIO, location: str, byte: int, offset: int, origin: int = 0
) -> SourceFileError:
    """The error for invalid UTF-8 byte `byte` at decompressed `offset`, naming its line when
    `stream` can be read again from `origin` (where the file starts in it)."""
    line = _line_of(stream, location, offset, origin)
    where = f"line {line} is not valid UTF-8 (" if line else "not valid UTF-8 ("
    return SourceFileError(
        f"{location}: {where}byte {byte:#04x} at offset {offset}); "
        "the source file must be UTF-8 encoded"
    )


def csv_problem(error: Exception, block_bytes: int = RECORD_BLOCK_BYTES) -> str:
    """pyarrow's parse error, with a record longer than a block (pyarrow: "straddling")
    named in the user's words, in the same words wherever a file is parsed."""
    if "straddl" in str(error):
        return f"a record is longer than {block_bytes:,} bytes; is a quote left open?"
    return str(error)


class _Utf8Stream(io.RawIOBase):
    """The decompressed bytes of a stored file, checked as UTF-8 as they pass and readable by
    pyarrow; the stored bytes are hashed and counted on the way. A bad byte or a broken gzip
    stream ends the stream early and is raised by `raise_error`, ahead of any parse error
    pyarrow then reports for the cut-short text."""

    def __init__(self, stream: BinaryIO, location: str):
        self.sha256, self.size = hashlib.sha256(), 0
        self._stream, self._location = stream, location
        self._chunks = decompressed_chunks(self._stored(), location, CHUNK_BYTES)
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._pending = b""
        self._offset = 0  # decompressed bytes checked so far
        self._error: SourceFileError | None = None
        self._bad: tuple[int, int] | None = None  # offset and value of an invalid byte

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = CHUNK_BYTES if size is None or size < 0 else size
        # Full reads: pyarrow takes each read as a block, and a tiny block breaks its chunking.
        while len(self._pending) < size and (chunk := self._next_chunk()):
            self._pending += chunk
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def first_line(self) -> str:
        """The first line (with its line end), left in the stream; raises on a bad start."""
        while not _line_end(self._pending) and len(self._pending) < RECORD_BLOCK_BYTES:
            chunk = self._next_chunk()
            if not chunk:
                break
            self._pending += chunk
        self.raise_error()
        line = self._pending[: _line_end(self._pending) or RECORD_BLOCK_BYTES]
        return line.decode("utf-8", errors="replace").removeprefix("\ufeff")

    def rest_is_blank(self) -> bool:
        while self._pending:
            if self._pending.decode("utf-8", errors="replace").strip():
                return False
            self._pending = self._next_chunk()
        return True

    def raise_error(self) -> None:
        """Raise the problem that ended the stream, if any."""
        if self._bad is not None:
            offset, byte = self._bad
            raise not_utf8_error(self._stream, self._location, byte, offset)
        if self._error is not None:
            raise self._error

    def _stored(self) -> Iterator[bytes]:
        while chunk := self._stream.read(CHUNK_BYTES):
            self.sha256.update(chunk)
            self.size += len(chunk)
            yield chunk

    def _next_chunk(self) -> bytes:
        """The next chunk of whole, valid UTF-8 characters; b"" at the end or on a problem."""
        while self._error is None and self._bad is None:
            try:
                chunk = next(self._chunks, b"")
            except ValueError as error:
                self._error = SourceFileError(str(error))
                break
            carried = self._decoder.getstate()[0]
            # Pure ASCII needs no decoding, unless a character was cut at the last chunk's end.
            if not carried and chunk.isascii() and chunk:
                self._offset += len(chunk)
                return chunk
            try:
                self._decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                self._bad = (self._offset + error.start, error.object[error.start])
                break
            # A character cut at the end waits for the next chunk: pyarrow sees whole ones only.
            whole = carried + chunk
            whole = whole[: len(whole) - len(self._decoder.getstate()[0])]
            self._offset += len(whole)
            if whole or not chunk:
                return whole
        return b""


def _line_end(data: bytes) -> int:
    """Length of the first line with its line end (\\n, \\r\\n or \\r), or 0 if none is seen."""
    ends = [found for found in (data.find(b"\n"), data.find(b"\r")) if found >= 0]
    if not ends:
        return 0
    end = min(ends)
    return end + (2 if data[end : end + 2] == b"\r\n" else 1)


def _line_of(stream: BinaryIO, location: str, offset: int, origin: int) -> int | None:
    """The line holding decompressed byte `offset`, reading the stream again from `origin`;
    None if the stream cannot seek or cannot be read again. Only on the error path."""
    seekable = getattr(stream, "seekable", None)
    if seekable is None or not seekable():
        return None
    try:
        stream.seek(origin)
        newlines, seen = 0, 0
        stored = iter(lambda: stream.read(CHUNK_BYTES), b"")
        for chunk in decompressed_chunks(stored, location, CHUNK_BYTES):
            if seen + len(chunk) > offset:
                return newlines + chunk[: offset - seen].count(b"\n") + 1
            newlines += chunk.count(b"\n")
            seen += len(chunk)
    except (OSError, ValueError):
        return None
    return newlines + 1
