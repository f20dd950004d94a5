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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from imdb_pipeline.lib import contract
from imdb_pipeline.lib.contract import COLUMN_NAMES, COLUMNS, Kind, SourceColumn
from imdb_pipeline.lib.csv_stream import DEFAULT_BLOCK_SIZE, Block, SourceRecords
from imdb_pipeline.lib.lists import holds, holds_only, normalise_lists, trim_whitespace
from imdb_pipeline.lib.rounding import round_half_up

if TYPE_CHECKING:  # pandas is only needed by `stage_all`; loading the pipeline skips it
    import pandas as pd

REJECT_COLUMNS = ("source_line", "movie_id", "reason", "record")

# Plain decimal notation only: no exponents, thousands separators, units or NaN.
_INTEGER = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"
_LARGEST_INTEGER = {"Int32": 2**31 - 1, "Int64": 2**53}
_LONGEST_INTEGER = 18  # more digits than this exceed every limit above
_ARROW_TYPES = {"Int32": pa.int32(), "Int64": pa.int64(), "Float64": pa.float64(),
                "string": pa.string()}  # fmt: skip
_NO_TEXT = pa.scalar(None, pa.string())
_CHECKERS = 2  # blocks checked at once; pyarrow and numpy release the GIL while they work

SCHEMA = pa.schema(
    [pa.field(column.name, _ARROW_TYPES[column.pandas_dtype]) for column in COLUMNS]
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


@dataclass(frozen=True)
class _Problem:
    """Rows breaking one rule; the reason is `head`, or `head` + the value + `tail`."""

    rows: pa.Array
    head: str
    column: str | None = None
    tail: str = ""


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
                checking.append(checkers.submit(_stage_block, block, self._positions, self._today))
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
            "movie_id": pa.array([row.fields[at] if len(row.fields) > at else None
                                  for row in rows], pa.string()),
            "reason": pa.array([f"expected {width} fields, found {row.found}" for row in rows],
                               pa.string()),
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


def _stage_block(block: Block, positions: dict[str, int], today: dt.date):
    values = {name: trim_whitespace(block.columns[at]) for name, at in positions.items()}
    present = {name: pc.greater(pc.binary_length(column), 0) for name, column in values.items()}
    typed: dict[str, pa.Array] = {}
    problems: list[_Problem] = []
    for rule in COLUMNS:
        typed[rule.name] = _check(rule, values[rule.name], present[rule.name], today, problems)
    bad = functools.reduce(pc.or_, (problem.rows for problem in problems))
    rows = [typed[name] for name in COLUMN_NAMES] + [block.lines]
    if not pc.any(bad).as_py():
        return pa.RecordBatch.from_arrays(rows, schema=SCHEMA), REJECT_SCHEMA.empty_table()
    good = pc.invert(bad)
    batch = pa.RecordBatch.from_arrays([row.filter(good) for row in rows], schema=SCHEMA)
    return batch, _rejects(block, values, problems, pc.indices_nonzero(bad))


def _check(rule: SourceColumn, values: pa.Array, present: pa.Array, today: dt.date,
           problems: list[_Problem]) -> pa.Array:  # fmt: skip
    """The typed column; the rows breaking a rule of `rule` are added to `problems`."""
    name = rule.name
    if rule.required:
        problems.append(_Problem(pc.invert(present), f"{name} is empty"))
    if rule.kind in (Kind.INTEGER, Kind.DECIMAL):
        return _number(rule, values, present, today, problems)
    if rule.kind is Kind.LIST:
        normalised = normalise_lists(values)
        empty = pc.equal(pc.binary_length(normalised), 0)
        problems.append(_Problem(pc.and_(present, empty), f"{name} lists no items"))
        return _null_where(empty, normalised)
    if rule.pattern is not None:
        matches = pc.match_substring_regex(values, f"^(?:{rule.pattern})$")
        problems.append(_Problem(pc.and_not(present, matches), f"{name} '", name,
                                 f"' does not match {rule.pattern}"))  # fmt: skip
    if rule.allowed is not None:
        known = pc.is_in(values, value_set=pa.array(rule.allowed, pa.string()))
        problems.append(_Problem(pc.and_not(present, known), f"{name} '", name,
                                 "' is not one of " + ", ".join(rule.allowed)))  # fmt: skip
    return _null_where(pc.invert(present), values)


def _number(rule: SourceColumn, values: pa.Array, present: pa.Array, today: dt.date,
            problems: list[_Problem]) -> pa.Array:  # fmt: skip
    name, integer = rule.name, rule.kind is Kind.INTEGER
    numbers, unreadable, too_large = (_integers if integer else _decimals)(values, present, rule)
    kind = "an integer" if integer else "a number"
    problems.append(_Problem(unreadable, f"{name} '", name, f"' is not {kind}"))
    problems.append(_Problem(too_large, f"{name} '", name, "' is too large"))
    numbers = _null_where(too_large, numbers)
    maximum = contract.last_valid_year(today) if name == "year" else rule.maximum
    bounds = [_flag(pc.less(numbers, rule.minimum))] if rule.minimum is not None else []
    bounds += [_flag(pc.greater(numbers, maximum))] if maximum is not None else []
    outside = functools.reduce(pc.or_, bounds, _none(len(values)))
    problems.append(_Problem(outside, f"{name} '", name,
                             f"' is outside {_fmt(rule.minimum)}..{_fmt(maximum)}"))  # fmt: skip
    if rule.decimals is not None:
        numbers = round_half_up(numbers, rule.decimals)
    return pc.cast(numbers, _ARROW_TYPES[rule.pandas_dtype])


def _integers(values: pa.Array, present: pa.Array, rule: SourceColumn):
    """(int64 numbers, unreadable, too large); a value too large holds no number."""
    limit = _LARGEST_INTEGER[rule.pandas_dtype]
    numbers = _cast_if_plain(values, present, b"-0123456789", pa.int64())
    if numbers is not None:
        return numbers, _none(len(values)), _flag(pc.greater(pc.abs(numbers), limit))
    readable = pc.match_substring_regex(values, _INTEGER)
    text = _plain(values, readable)
    too_long = _none(len(values))
    if (pc.max(pc.binary_length(text)).as_py() or 0) > _LONGEST_INTEGER:
        digits = pc.binary_length(pc.utf8_ltrim(text, "-0"))
        too_long = _flag(pc.greater(digits, _LONGEST_INTEGER))
        text = _null_where(too_long, text)
    numbers = pc.cast(text, pa.int64())
    too_large = pc.or_(too_long, _flag(pc.greater(pc.abs(numbers), limit)))
    return numbers, pc.and_not(present, readable), too_large


def _decimals(values: pa.Array, present: pa.Array, rule: SourceColumn):
    """(float64 numbers, unreadable, too large: beyond the float range)."""
    numbers = _cast_if_plain(values, present, b"-.0123456789", pa.float64())
    if numbers is not None:
        return numbers, _none(len(values)), _flag(pc.is_inf(numbers))
    readable = pc.match_substring_regex(values, _DECIMAL)
    numbers = pc.cast(_plain(values, readable), pa.float64())
    return numbers, pc.and_not(present, readable), _flag(pc.is_inf(numbers))


def _cast_if_plain(values: pa.Array, present: pa.Array, allowed: bytes, type_: pa.DataType):
    """The present values cast to `type_` if all are plain numbers, else None (then regular
    expressions decide): a cast that succeeds on these bytes only (no plus sign, exponent, hex
    prefix, NaN or infinity) has read plain numbers."""
    if not holds_only(values, allowed):
        return None
    try:
        return pc.cast(_null_where(pc.invert(present), values), type_)
    except pa.ArrowInvalid:
        return None


def _plain(values: pa.Array, readable: pa.Array) -> pa.Array:
    """The readable values without a plus sign (casts read none), the others null."""
    text = _null_where(pc.invert(readable), values)
    return pc.utf8_ltrim(text, "+") if holds(text, b"+") else text


def _rejects(block: Block, values: dict[str, pa.Array], problems: list[_Problem],
             bad: pa.Array) -> pa.Table:  # fmt: skip
    reasons = []
    for problem in problems:
        rows = problem.rows.take(bad)
        if not pc.any(rows).as_py():
            continue
        text = pa.scalar(problem.head)
        if problem.column is not None:
            text = pc.binary_join_element_wise(
                problem.head, values[problem.column].take(bad), problem.tail, ""
            )
        reasons.append(pc.if_else(rows, text, _NO_TEXT))
    originals = zip(*(column.take(bad).to_pylist() for column in block.columns))
    movie_id = values["movie_id"].take(bad)
    return pa.table({
        "source_line": block.lines.take(bad),
        "movie_id": pc.if_else(pc.greater(pc.binary_length(movie_id), 0), movie_id, _NO_TEXT),
        "reason": pc.binary_join_element_wise(*reasons, "; ", null_handling="skip"),
        "record": pa.array([_record(fields) for fields in originals], pa.string()),
    }, schema=REJECT_SCHEMA)  # fmt: skip


def _record(fields: list[str]) -> str:
    # The writer quotes fields holding a character of its terminator: \r\n quotes both kinds.
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(fields)
    return buffer.getvalue().removesuffix("\r\n")


def _flag(mask: pa.Array) -> pa.Array:
    return pc.fill_null(mask, False) if mask.null_count else mask


def _none(length: int) -> pa.Array:
    return pa.array(np.zeros(length, bool))


def _null_where(mask: pa.Array, values: pa.Array) -> pa.Array:
    """`values` with nulls where `mask` is true; the same array when it is nowhere true."""
    if not pc.any(mask).as_py():
        return values
    return pc.if_else(mask, pa.scalar(None, values.type), values)


def _fmt(bound: float | None) -> str:
    if bound is None:
        return ""
    return str(int(bound)) if float(bound).is_integer() else str(bound)
