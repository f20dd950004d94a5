"""The source CSV as a stream of record blocks, each record with the line on which it starts.

Bytes are gunzipped when the content is gzip, checked as UTF-8 and stripped of a leading BOM
before pyarrow parses them block by block, so memory depends on the block size, not the file.
A blank line is no record. pyarrow cannot tell a line holding only the header's commas from a
blank line (both are rows of empty fields), so such a line is skipped like a blank one: it holds
no value a data steward could correct.
"""

import codecs
import contextlib
import csv
import io
import queue
import re
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from imdb_pipeline.lib.compression import decompressed_chunks
from imdb_pipeline.lib.lists import holds
from imdb_pipeline.lib.source_file import (
    RECORD_BLOCK_BYTES,
    SourceFileError,
    csv_problem,
    not_utf8_error,
    read_header,
)

DEFAULT_BLOCK_SIZE = RECORD_BLOCK_BYTES
_BLOCKS_AHEAD = 2
_READ_STALL = 1.0


@dataclass(frozen=True)
class Block:
    """Consecutive records with the header's width, in file order; `columns` follow the header."""

    columns: list[pa.Array]
    lines: pa.Array


@dataclass(frozen=True)
class Malformed:
    """A record that cannot be staged at all: by default, because its field count differs from
    the header's; else for `reason`."""

    line: int
    found: int
    fields: list[str]
    reason: str | None = None


class SourceRecords:
    """The header, checked against the contract, then the records in blocks (iterate once).

    A second thread parses ahead (at most a few blocks) while the caller checks earlier blocks.
    Records with another field count than the header are collected in `malformed`.
    """

    def __init__(self, stream: BinaryIO, location: str, block_size: int = DEFAULT_BLOCK_SIZE):
        self.location = location
        self._bytes = _CheckedBytes(stream, location, block_size)
        text = self._bytes.read_header_text()
        first = re.match(r"[^\r\n]*", text).group()
        # A blank first line is a header without the contract's columns, not an empty file.
        self.header = read_header(first if first.strip() or not text.strip() else ",", location)
        self._lines = LineNumbers()
        self._block_size = block_size
        self.malformed: list[Malformed] = []

    def __iter__(self) -> Iterator[Block]:
        parsed: queue.Queue = queue.Queue(maxsize=_BLOCKS_AHEAD)
        stop = threading.Event()
        parser = threading.Thread(target=self._parse, args=(parsed, stop), daemon=True)
        # pyarrow's own threads read through Python: they must be done before Python exits,
        # even when the caller leaves the iteration unfinished.
        shutdown = weakref.finalize(self, _shut_down, self._bytes, stop, parser, parsed)
        parser.start()
        try:
            while (block := parsed.get()) is not None:
                if isinstance(block, BaseException):
                    raise block
                yield block
        finally:
            shutdown()

    def _parse(self, parsed: queue.Queue, stop: threading.Event) -> None:
        """Put the blocks into `parsed`, then None (or the error that ended the parse)."""
        names = [f"f{position}" for position in range(len(self.header))]
        invalid: list[tuple[int, int, str]] = []

        def skip(row) -> str:
            invalid.append((row.number, row.actual_columns, row.text))
            return "skip"

        def put(item) -> None:
            while not stop.is_set():
                with contextlib.suppress(queue.Full):
                    return parsed.put(item, timeout=0.1)

        try:
            reader = pa_csv.open_csv(
                self._bytes,
                read_options=pa_csv.ReadOptions(
                    use_threads=False, block_size=self._block_size, column_names=names,
                    skip_rows_after_names=1),
                parse_options=pa_csv.ParseOptions(
                    newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=skip),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                    check_utf8=False),  # _CheckedBytes has checked every byte
            )  # fmt: skip
            for batch in reader:
                if stop.is_set():
                    return
                self._bytes.block_parsed()
                met = len(invalid)  # pyarrow may call the handler on a thread of its own
                put(self._block(batch.columns, invalid[:met]))
                del invalid[:met]
            self._add_malformed(self._lines.assign(np.zeros(0, np.int64), invalid, final=True)[1])
            put(None)
        except pa.ArrowInvalid as error:
            problem = csv_problem(error, self._block_size)
            put(SourceFileError(f"{self.location}: not a readable CSV file ({problem})"))
        except BaseException as error:  # noqa: BLE001 - raised again in the reading thread
            put(error)

    def _block(self, columns: list[pa.Array], invalid: list[tuple[int, int, str]]) -> Block:
        lines, malformed = self._lines.assign(_newlines(columns), invalid, final=False)
        self._add_malformed(malformed)
        lines = pa.array(lines)
        blank = _all_empty(columns)
        if blank is not None:
            keep = pc.invert(blank)
            columns = [column.filter(keep) for column in columns]
            lines = lines.filter(keep)
        return Block(columns=columns, lines=lines)

    def _add_malformed(self, invalid: list[tuple[int, int, str]]) -> None:
        for line, found, text in invalid:
            fields = next(csv.reader(io.StringIO(text)), [])
            self.malformed.append(Malformed(line=line, found=found, fields=fields))


def _shut_down(source, stop: threading.Event, parser: threading.Thread, parsed: queue.Queue):
    source.stop()
    stop.set()
    while parser.is_alive():
        with contextlib.suppress(queue.Empty):
            parsed.get_nowait()
        parser.join(0.01)


class LineNumbers:
    """Physical start lines from pyarrow's logical row numbers (the header is row 1).

    Valid rows fill the row numbers that invalid rows do not take; a record starts one line
    further for every newline embedded in an earlier record.
    """

    def __init__(self):
        self._next_row = 2
        self._newlines = 0  # inside the records before row `_next_row`
        self._pending: list[tuple[int, int, str]] = []

    def assign(self, newlines: np.ndarray, invalid: list, final: bool) -> tuple[np.ndarray, list]:
        """Lines of the next `len(newlines)` valid rows, and of the invalid rows among them."""
        self._pending.extend(invalid)
        self._pending.sort(key=lambda row: row[0])
        count = len(newlines)
        numbers = np.fromiter((row[0] for row in self._pending), np.int64, len(self._pending))
        shifted = numbers - self._next_row - np.arange(len(numbers))
        steps = np.arange(count)
        rows = self._next_row + steps + np.searchsorted(shifted, steps, side="right")
        if final:
            last = numbers[-1] if len(numbers) else self._next_row - 1
        else:
            last = rows[-1] if count else self._next_row - 1
        done = int(np.searchsorted(numbers, last, side="right"))
        invalid, self._pending = self._pending[:done], self._pending[done:]
        all_rows = np.concatenate([rows, numbers[:done]])
        embedded = np.concatenate(
            [newlines, np.fromiter((row[2].count("\n") for row in invalid), np.int64, done)]
        )
        order = np.argsort(all_rows, kind="stable")
        ordered = embedded[order]
        lines = np.empty_like(all_rows)
        lines[order] = all_rows[order] + self._newlines + np.cumsum(ordered) - ordered
        self._newlines += int(ordered.sum())
        self._next_row = int(last) + 1
        found = [(int(line), row[1], row[2]) for line, row in zip(lines[count:], invalid)]
        return lines[:count], found


def _newlines(columns: list[pa.Array]) -> np.ndarray:
    """Newlines inside each row's fields (only quoted fields hold them)."""
    total = np.zeros(len(columns[0]) if columns else 0, np.int64)
    for column in columns:
        if holds(column, b"\n"):
            total += pc.count_substring(column, "\n").to_numpy()
    return total


def _all_empty(columns: list[pa.Array]) -> pa.Array | None:
    """Rows whose fields are all empty (blank lines), or None when there are none."""
    blank = None
    for column in columns:
        empty = pc.equal(pc.binary_length(column), 0)
        blank = empty if blank is None else pc.and_(blank, empty)
        if not pc.any(blank).as_py():
            return None
    return blank


class _CheckedBytes(io.RawIOBase):
    """The file's bytes, gunzipped when gzip, as checked UTF-8 without a leading BOM."""

    def __init__(self, stream: BinaryIO, location: str, chunk_size: int):
        self._stream, self._location, self._chunk_size = stream, location, chunk_size
        seekable = getattr(stream, "seekable", None)
        self._origin = stream.tell() if seekable is not None and seekable() else 0
        self._chunks = _decompressed(stream, location, chunk_size)
        self._offset = 0  # bytes of the decompressed file checked so far, a BOM included
        self._tail = b""  # the start of a character whose other bytes are not read yet
        self._ready = b""  # checked bytes not handed out yet
        self._at_start = True
        # pyarrow reads ahead on its own threads, dozens of blocks if let: reads wait for
        # the parse to catch up, which bounds memory (the timeout only guards against a stall).
        self._turn = threading.Condition()
        self._reads = self._parsed = 0
        self._stopped = False

    def block_parsed(self) -> None:
        with self._turn:
            self._parsed += 1
            self._turn.notify_all()

    def stop(self) -> None:
        """End the file early: later reads see its end."""
        with self._turn:
            self._stopped = True
            self._turn.notify_all()

    def readable(self) -> bool:
        return True

    def read_header_text(self) -> str:
        """Enough text for the first record (the header), kept to be read again."""
        text = ""
        while chunk := self._checked():
            self._ready += chunk
            text = self._ready.decode("utf-8")
            content = text.lstrip()
            if content and ("\n" in content or "\r" in content):
                return text
        if text.strip():  # a header without a line end is the whole file; pyarrow needs one
            self._ready += b"\n"
        return text

    def read(self, size: int = -1) -> bytes:
        """`size` bytes unless the file ends: pyarrow takes each read as a block, and a record
        may straddle one block boundary only, so a short read could split a record in three."""
        size = size if size and size > 0 else self._chunk_size
        if len(self._ready) < size:
            with self._turn:
                self._turn.wait_for(self._may_read, timeout=_READ_STALL)
                if self._stopped:
                    return b""
                self._reads += 1
            parts, have = [self._ready] if self._ready else [], len(self._ready)
            while have < size and (chunk := self._checked()):
                parts.append(chunk)
                have += len(chunk)
            self._ready = b"".join(parts)
        # A block never ends with \r: pyarrow drops the \n after a \r that ends a block, even
        # inside a quoted value (apache/arrow#51368).
        cut = size - 1 if len(self._ready) > size - 1 > 0 and self._ready[size - 1] == 13 else size
        data, self._ready = self._ready[:cut], self._ready[cut:]
        return data

    def _may_read(self) -> bool:
        return self._stopped or self._reads - self._parsed < _BLOCKS_AHEAD + 2

    def _checked(self) -> bytes:
        """The next decompressed chunk of whole, valid UTF-8 characters; b"" at the end."""
        while True:
            data = next(self._chunks, b"")
            if self._at_start and data:
                self._at_start = False
                while codecs.BOM_UTF8.startswith(data) and (more := next(self._chunks, b"")):
                    data += more  # a stream of tiny reads: enough bytes to see a BOM
                if data.startswith(codecs.BOM_UTF8):
                    data, self._offset = data[len(codecs.BOM_UTF8) :], len(codecs.BOM_UTF8)
            if not self._tail and data.isascii():  # nothing to decode
                self._offset += len(data)
                return data
            data = self._tail + data
            try:
                _, used = codecs.utf_8_decode(data, "strict", not data)
            except UnicodeDecodeError as error:
                raise not_utf8_error(
                    self._stream, self._location, data[error.start], self._offset + error.start,
                    self._origin,
                ) from None
            self._tail, self._offset = data[used:], self._offset + used
            if used:
                return data[:used]


def _decompressed(stream: BinaryIO, location: str, size: int) -> Iterator[bytes]:
    """Chunks of the CSV bytes (gunzipped whatever the name, if the content is gzip)."""
    try:
        yield from decompressed_chunks(iter(lambda: stream.read(size), b""), location, size)
    except ValueError as error:
        raise SourceFileError(str(error)) from None
