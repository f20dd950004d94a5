"""IMDb's official daily datasets: the five tab-separated files the star schema reads.

IMDb writes them gzip-compressed and UTF-8, with a header row, `\\N` for NULL, comma-separated
lists, and no quoting at all (a title may hold a `"`). Each file is read as a stream of
pyarrow tables holding only the wanted columns and rows, so memory depends on what is kept,
not on the file: title.principals has about 95 million rows.
"""

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from imdb_pipeline.lib.compression import decompressed_chunks, is_gzip
from imdb_pipeline.lib.csv_stream import LineNumbers
from imdb_pipeline.lib.source_file import CHUNK_BYTES, SourceFileError

NULL = "\\N"
# Large blocks: a set lookup is built once per block, and the files are large.
BLOCK_BYTES = 16 << 20
_HEADER_BYTES = 64 << 10


@dataclass(frozen=True)
class DatasetFile:
    """One of IMDb's files: its name and the columns its header holds (others may follow)."""

    name: str
    columns: tuple[str, ...]


TITLE_BASICS = DatasetFile("title.basics.tsv.gz", (
    "tconst", "titleType", "primaryTitle", "originalTitle", "isAdult", "startYear", "endYear",
    "runtimeMinutes", "genres"))  # fmt: skip
TITLE_RATINGS = DatasetFile("title.ratings.tsv.gz", ("tconst", "averageRating", "numVotes"))
TITLE_CREW = DatasetFile("title.crew.tsv.gz", ("tconst", "directors", "writers"))
TITLE_PRINCIPALS = DatasetFile("title.principals.tsv.gz", (
    "tconst", "ordering", "nconst", "category", "job", "characters"))  # fmt: skip
NAME_BASICS = DatasetFile("name.basics.tsv.gz", (
    "nconst", "primaryName", "birthYear", "deathYear", "primaryProfession", "knownForTitles"))  # fmt: skip

FILES = (TITLE_BASICS, TITLE_RATINGS, TITLE_CREW, TITLE_PRINCIPALS, NAME_BASICS)
BY_NAME = {file.name: file for file in FILES}


@dataclass(frozen=True)
class FileProfile:
    """What the raw layer records of one stored file."""

    name: str
    size_bytes: int
    sha256: str
    row_count: int


def header_of(line: str, file: DatasetFile, location: str) -> tuple[str, ...]:
    """The header row, checked: every column IMDb documents for the file, tab-separated."""
    header = tuple(line.rstrip("\r\n").removeprefix("\ufeff").split("\t"))
    missing = [name for name in file.columns if name not in header]
    if missing:
        found = ", ".join(header) if any(header) else "nothing"
        raise SourceFileError(
            f"{location}: header is missing column(s) {', '.join(missing)}; expected the "
            f"tab-separated columns {', '.join(file.columns)} and found {found}"
        )
    return header


def profile(path: Path, file: DatasetFile, location: str) -> FileProfile:
    """Size, SHA-256 and data rows of a stored file, reading it once; raises SourceFileError
    naming `location` if it is empty, not the gzip it claims to be, cut short, or has a wrong
    header."""
    if path.stat().st_size == 0:
        raise SourceFileError(f"{location}: the file is empty; expected a header and rows")
    digest, size, newlines, last, head = hashlib.sha256(), 0, 0, b"\n", b""

    def stored() -> Iterator[bytes]:
        nonlocal size
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
                yield chunk

    try:
        for chunk in decompressed_chunks(stored(), location, CHUNK_BYTES):
            if len(head) < _HEADER_BYTES:
                head += chunk[:_HEADER_BYTES]
            newlines += chunk.count(b"\n")
            last = chunk
    except ValueError as error:
        raise SourceFileError(str(error)) from None
    if not head.strip():
        raise SourceFileError(f"{location}: the file is empty; expected a header and rows")
    header_of(head.split(b"\n", 1)[0].decode("utf-8", errors="replace"), file, location)
    lines = newlines + (0 if last.endswith(b"\n") else 1)
    return FileProfile(file.name, size, digest.hexdigest(), lines - 1)


def read(
    path: Path,
    file: DatasetFile,
    location: str,
    columns: list[str],
    keep: Callable[[pa.RecordBatch], pa.Array] | None = None,
    line_numbers: bool = False,
    block_size: int = BLOCK_BYTES,
) -> Iterator[tuple[pa.Table, list[tuple[int, str]], int]]:
    """The rows `keep` selects (all if None), as tables of `columns` (strings, `\\N` as NULL),
    each with the malformed lines met so far (line, text: a line without the header's field
    count) and the number of rows read for it. With `line_numbers`, a `line` column holds each row's line in the file; the file
    is then parsed on one thread, which keeps rows and malformed lines in order."""
    with path.open("rb") as stream:
        compressed = is_gzip(stream.read(2))
    header = _header(path, file, location, compressed)
    malformed: list[tuple[int, str]] = []

    def skip(row) -> str:
        malformed.append((row.number or 0, row.text))
        return "skip"

    options = (
        pa_csv.ReadOptions(column_names=list(header), skip_rows=1, block_size=block_size,
                           use_threads=not line_numbers),
        pa_csv.ParseOptions(delimiter="\t", quote_char=False, ignore_empty_lines=False,
                            invalid_row_handler=skip),
        pa_csv.ConvertOptions(include_columns=columns, null_values=[NULL],
                              strings_can_be_null=True,
                              column_types=dict.fromkeys(columns, pa.string())),
    )  # fmt: skip
    lines = LineNumbers()

    def met(final: bool, rows: int = 0) -> tuple[np.ndarray | None, list[tuple[int, str]]]:
        # pyarrow may call `skip` on a thread of its own: take only what is there now.
        count = len(malformed)
        rows_met = [(number, 0, text) for number, text in malformed[:count]]
        del malformed[:count]
        if not line_numbers:
            return None, [(number, text) for number, _, text in rows_met]
        numbers, found = lines.assign(np.zeros(rows, np.int64), rows_met, final=final)
        return numbers, [(line, text) for line, _, text in found]

    try:
        source = pa.input_stream(str(path), compression="gzip" if compressed else None)
        with pa_csv.open_csv(source, *options) as reader:
            for batch in reader:
                numbers, found = met(final=False, rows=batch.num_rows)
                if numbers is not None:
                    batch = _with_lines(batch, numbers)
                rows = batch.num_rows
                if keep is not None:
                    batch = batch.filter(keep(batch))
                yield pa.Table.from_batches([batch]), found, rows
        _, found = met(final=True)
        if found:
            yield _schema(columns, line_numbers).empty_table(), found, 0
    except pa.ArrowInvalid as error:
        raise SourceFileError(f"{location}: not a readable tab-separated file ({error})") from None
    except OSError as error:  # pyarrow's gzip reader: a truncated or corrupt stream
        raise SourceFileError(f"{location}: not a readable gzip file ({error})") from None


def _header(path: Path, file: DatasetFile, location: str, compressed: bool) -> tuple[str, ...]:
    try:
        with pa.input_stream(str(path), compression="gzip" if compressed else None) as stream:
            head = stream.read(_HEADER_BYTES)
    except OSError as error:
        raise SourceFileError(f"{location}: not a readable gzip file ({error})") from None
    if not head.strip():
        raise SourceFileError(f"{location}: the file is empty; expected a header and rows")
    return header_of(head.split(b"\n", 1)[0].decode("utf-8", errors="replace"), file, location)


def _with_lines(batch: pa.RecordBatch, numbers: np.ndarray) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [*batch.columns, pa.array(numbers, pa.int64())], names=[*batch.schema.names, "line"]
    )


def _schema(columns: list[str], line_numbers: bool) -> pa.Schema:
    fields = [pa.field(name, pa.string()) for name in columns]
    return pa.schema(fields + ([pa.field("line", pa.int64())] if line_numbers else []))
