"""From source records to typed staging rows and the rows that break the contract.

`stage` streams: blocks of records are checked with vectorised pyarrow compute (two at once on
worker threads, while the next is parsed), so a file of any size is staged in bounded memory.
Python only touches the rejected rows.
"""

import csv
import datetime as dt
import functools
import io
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from imdb_pipeline.lib.column_rules import (
    ARROW_TYPES,
    NUL_SHOWN,
    Problem,
    check_column,
    shown,
)
from imdb_pipeline.lib.contract import COLUMN_NAMES, COLUMNS, SourceColumn
from imdb_pipeline.lib.csv_stream import DEFAULT_BLOCK_SIZE, Block, SourceRecords
from imdb_pipeline.lib.lists import trim_whitespace

if TYPE_CHECKING:  # pandas is only needed by `stage_all`; loading the pipeline skips it
    import pandas as pd

REJECT_COLUMNS = ("source_line", "movie_id", "reason", "record")

_NO_TEXT = pa.scalar(None, pa.string())
_CHECKERS = 2  # blocks checked at once; pyarrow and numpy release the GIL while they work

SCHEMA = pa.schema(
    [pa.field(column.name, ARROW_TYPES[column.pandas_dtype]) for column in COLUMNS]
    + [pa.field("source_line", pa.int64())]
)
REJECT_SCHEMA = pa.schema(
    [("source_line", pa.int64()), *((name, pa.string()) for name in REJECT_COLUMNS[1:])]
)


@dataclass(frozen=True)
class StagingResult:
    movies: "pd.DataFrame"
    rejects: "pd.DataFrame"
    duplicates_resolved: int


class StagedSource:
    """Valid typed rows of one source file as record batches in file order (iterate once).

    After iterating, `rejects` holds the rows that broke the contract, sorted by source_line,
    and `rows_read` the records seen (blank lines excluded). Repeated movie_ids are kept.
    """

    def __init__(self, records: SourceRecords, today: dt.date):
        self.schema = SCHEMA
        self._records = records
        self._today = today
        self._positions = {name: records.header.index(name) for name in COLUMN_NAMES}
        # The contract's columns, as the source's layout requires them.
        self._columns = getattr(records, "columns", COLUMNS)
        self._parts: list[pa.Table] = []
        self._rejects: pa.Table | None = None
        self._read = 0
        self._state = "new"

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        if self._state != "new":
            raise RuntimeError(f"{self._records.location} has already been staged once")
        self._state = "reading"
        with ThreadPoolExecutor(max_workers=_CHECKERS) as checkers:
            checking: deque[Future] = deque()
            for block in self._records:
                self._read += len(block.lines)
                checking.append(checkers.submit(_stage_block, block, self._positions, self._today,
                                                 self._columns))
                if len(checking) == _CHECKERS:
                    yield from self._collect(checking.popleft().result())
            while checking:
                yield from self._collect(checking.popleft().result())
        self._parts.append(self._malformed())
        self._state = "done"

    def _collect(self, checked: tuple[pa.RecordBatch, pa.Table]) -> Iterator[pa.RecordBatch]:
        batch, rejects = checked
        self._parts.append(rejects)
        if batch.num_rows:
            yield batch

    @property
    def rows_read(self) -> int:
        self._require_done()
        return self._read + len(self._records.malformed)

    @property
    def rejects(self) -> pa.Table:
        """source_line, movie_id, reason and the original record of every rejected row."""
        self._require_done()
        if self._rejects is None:
            table = pa.concat_tables(self._parts)
            self._rejects = table.take(pc.sort_indices(table["source_line"]))
        return self._rejects

    def _require_done(self) -> None:
        if self._state != "done":
            raise RuntimeError("rejects and rows_read are known only after iterating all batches")

    def _malformed(self) -> pa.Table:
        width, at = len(self._records.header), self._positions["movie_id"]
        rows = self._records.malformed
        return pa.table({
            "source_line": pa.array([row.line for row in rows], pa.int64()),
            "movie_id": shown(pa.array([row.fields[at] if len(row.fields) > at else None
                                         for row in rows], pa.string())),
            "reason": pa.array([row.reason or f"expected {width} fields, found {row.found}"
                                for row in rows], pa.string()),
            "record": pa.array([_record(row.fields) for row in rows], pa.string()),
        }, schema=REJECT_SCHEMA)  # fmt: skip


def stage(
    stream: BinaryIO, location: str, today: dt.date, block_size: int = DEFAULT_BLOCK_SIZE
) -> StagedSource:
    """Stage a source file (gzip or not) read from `stream`; `location` names it in errors.

    The header is checked at once; an encoding or CSV error may surface while iterating. Both
    raise SourceFileError.
    """
    return StagedSource(SourceRecords(stream, location, block_size), today)


def valid_row_line(stream: BinaryIO, location: str, today: dt.date, row: int) -> int | None:
    """The source line of the `row`-th valid record (from 1, in file order, repeats included):
    the row that a failed COPY of the staged file names. Reads the file again, so only for
    that error."""
    seen = 0
    for batch in stage(stream, location, today):
        if seen + batch.num_rows >= row:
            return batch.column("source_line")[row - seen - 1].as_py()
        seen += batch.num_rows
    return None


def stage_all(data: bytes, location: str, today: dt.date) -> StagingResult:
    """The whole file in memory: one row per movie_id (its last valid row), sorted by movie_id."""
    import pandas as pd

    nullable = {pa.string(): pd.StringDtype(), pa.int32(): pd.Int32Dtype(),
                pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype()}  # fmt: skip
    staged = stage(io.BytesIO(data), location, today)
    table = pa.Table.from_batches(list(staged), schema=staged.schema)
    valid = table.to_pandas(types_mapper=nullable.get)
    movies = valid.drop_duplicates("movie_id", keep="last")
    movies = movies.sort_values("movie_id", ignore_index=True)
    rejects = staged.rejects.to_pandas(types_mapper=nullable.get)
    return StagingResult(
        movies=movies, rejects=rejects, duplicates_resolved=len(valid) - len(movies)
    )


def _stage_block(block: Block, positions: dict[str, int], today: dt.date,
                 columns: tuple[SourceColumn, ...] = COLUMNS):  # fmt: skip
    values = {name: trim_whitespace(block.columns[at]) for name, at in positions.items()}
    typed: dict[str, pa.Array] = {}
    problems: list[Problem] = []
    for rule in columns:
        typed[rule.name] = check_column(rule, values[rule.name], today, problems)
    bad = functools.reduce(pc.or_, (problem.rows for problem in problems))
    rows = [typed[name] for name in COLUMN_NAMES] + [block.lines]
    if not pc.any(bad).as_py():
        return pa.RecordBatch.from_arrays(rows, schema=SCHEMA), REJECT_SCHEMA.empty_table()
    good = pc.invert(bad)
    batch = pa.RecordBatch.from_arrays([row.filter(good) for row in rows], schema=SCHEMA)
    return batch, _rejects(block, values, problems, pc.indices_nonzero(bad))


def _rejects(block: Block, values: dict[str, pa.Array], problems: list[Problem],
             bad: pa.Array) -> pa.Table:  # fmt: skip
    reasons = []
    for problem in problems:
        rows = problem.rows.take(bad)
        if not pc.any(rows).as_py():
            continue
        text = pa.scalar(problem.head)
        if problem.shown is not None:
            value = shown(problem.shown.take(bad))
            text = pc.binary_join_element_wise(problem.head, value, problem.tail, "")
        reasons.append(pc.if_else(rows, text, _NO_TEXT))
    originals = zip(*(column.take(bad).to_pylist() for column in block.columns))
    movie_id = values["movie_id"].take(bad)
    return pa.table({
        "source_line": block.lines.take(bad),
        "movie_id": pc.if_else(pc.greater(pc.binary_length(movie_id), 0), shown(movie_id),
                               _NO_TEXT),
        "reason": pc.binary_join_element_wise(*reasons, "; ", null_handling="skip"),
        "record": pa.array([_record(fields) for fields in originals], pa.string()),
    }, schema=REJECT_SCHEMA)  # fmt: skip


def _record(fields: list[str]) -> str:
    # The writer quotes fields holding a character of its terminator: \r\n quotes both kinds.
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(fields)
    return buffer.getvalue().removesuffix("\r\n").replace("\0", NUL_SHOWN)


