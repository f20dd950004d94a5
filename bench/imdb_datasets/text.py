"""Arrow string columns in IMDb's TSV conventions, and their rows as one block of bytes.

Every column is built by pyarrow compute kernels from numpy integers (lookups, casts, joins),
never row by row in Python: title.principals alone has about 95 million rows at full size.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NULL = "\\N"
ID_DIGITS = 7
# Years, runtimes and orderings are written by lookup, cheaper than casting each number.
_SMALL_INTS = pa.array([str(i) for i in range(4096)])


def table(values: list[str | None]) -> pa.Array:
    """A lookup table for ``lookup`` (None entries are written as ``\\N``)."""
    return pa.array(values, pa.string())


def lookup(values: pa.Array, codes: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """``values[codes]``, with ``\\N`` where ``null`` is set or the entry is None."""
    indices = pa.array(codes, pa.int32(), mask=null)
    return pc.fill_null(pc.take(values, indices), NULL)


def small_ints(numbers: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Decimal text of integers in 0..4095, ``\\N`` where ``null`` is set."""
    return lookup(_SMALL_INTS, numbers, null)


def ints(numbers: np.ndarray) -> pa.Array:
    """Decimal text of any non-negative integers."""
    return pc.cast(pa.array(numbers, pa.int64()), pa.string())


def ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    """IMDb identifiers: ``tt0000001``, zero-padded to at least seven digits."""
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(ints(numbers), ID_DIGITS, "0"), "")


def id_lists(prefix: str, matrix: np.ndarray) -> pa.Array:
    """Rows of identifiers joined with commas (IMDb's lists); ``-1`` entries are left out,
    and a row without any is ``\\N``."""
    present = matrix >= 0
    counts = present.sum(axis=1)
    offsets = np.zeros(len(matrix) + 1, np.int32)
    np.cumsum(counts, out=offsets[1:])
    values = ids(prefix, matrix[present])
    nested = pa.ListArray.from_arrays(pa.array(offsets), values, mask=pa.array(counts == 0))
    return pc.fill_null(pc.binary_join(nested, ","), NULL)


def tsv(columns: list[pa.Array]) -> memoryview:
    """The rows as tab-separated UTF-8 lines, each ending in a newline, without a copy of the
    joined text: the bytes are the values buffer of the joined string array."""
    last = pc.binary_join_element_wise(columns[-1], "\n", "")
    joined = pc.binary_join_element_wise(*columns[:-1], last, "\t")
    if joined.null_count:
        raise ValueError("a column holds a null: write it as \\N")
    offsets = np.frombuffer(joined.buffers()[1], np.int32, len(joined) + 1, joined.offset * 4)
    return memoryview(joined.buffers()[2])[offsets[0]:offsets[-1]]


def header(columns: tuple[str, ...]) -> bytes:
    return ("\t".join(columns) + "\n").encode()
