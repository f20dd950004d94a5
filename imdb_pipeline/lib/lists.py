"""The comma-separated list columns (`genre`, `stars`), and the vectorised text tests they share
with staging: whitespace trimming and byte searches over Arrow string arrays."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from imdb_pipeline.lib.contract import LIST_JOINER, LIST_SEPARATOR

# Up to this many items in the longest list, repeats are found by comparing shifted items.
_COMPARED_UP_TO = 16


def normalise_list(value: str) -> str:
    """Items trimmed, empties dropped, repeats removed (first kept), joined as `a, b`."""
    items = (item.strip() for item in value.split(LIST_SEPARATOR))
    return LIST_JOINER.join(dict.fromkeys(item for item in items if item))


def normalise_lists(values: pa.Array) -> pa.Array:
    """`normalise_list` applied to every value of a string array at once; nulls stay null."""
    if _already_normal(values):
        return values
    lists = pc.split_pattern(values, LIST_SEPARATOR)
    items = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    keep = pc.greater(pc.binary_length(items), 0).to_numpy(zero_copy_only=False)
    keep &= ~_repeats(items, _positions(lists))
    kept_before = np.concatenate([[0], np.cumsum(keep)]).astype(np.int32)
    offsets = kept_before[lists.offsets.to_numpy() - lists.offsets[0].as_py()]
    kept = pa.ListArray.from_arrays(pa.array(offsets), items.filter(pa.array(keep)))
    joined = pc.binary_join(kept, LIST_JOINER)
    return pc.if_else(pc.is_null(values), pa.scalar(None, pa.string()), joined)


def _already_normal(values: pa.Array) -> bool:
    """Whether every value is written as normalised: its items, split at the joiner, hold no
    separator, no whitespace at either end, are not empty (unless the value is) and differ."""
    lists = pc.split_pattern(values, LIST_JOINER)
    items = pc.list_flatten(lists)
    empty_items = pc.sum(pc.equal(pc.binary_length(items), 0)).as_py() or 0
    empty_values = pc.sum(pc.equal(pc.binary_length(values), 0)).as_py() or 0
    if empty_items != empty_values or holds(items, LIST_SEPARATOR.encode()):
        return False
    if trim_whitespace(items) is not items:
        return False
    return not _repeats(items, _positions(lists)).any()


def _positions(lists: pa.ListArray) -> np.ndarray:
    """0-based position of each flattened item in its list (lists without nulls or slices)."""
    offsets = lists.offsets.to_numpy()
    sizes = np.diff(offsets)
    return np.arange(offsets[-1] - offsets[0], dtype=np.int32) - np.repeat(
        offsets[:-1] - offsets[0], sizes
    )


def _repeats(items: pa.Array, positions: np.ndarray) -> np.ndarray:
    """Items equal to an earlier item of their own list; `positions` are 0-based in the list.

    Lists are short, so comparing each item with the one `distance` places before it, for
    every distance up to the longest list, is cheaper than hashing every item. A long list
    would make that quadratic: then every (list, item) pair is hashed once instead.
    """
    longest = int(positions.max(initial=0))
    if longest > _COMPARED_UP_TO:
        return _repeats_hashed(items, positions)
    repeated = np.zeros(len(items), bool)
    for distance in range(1, longest + 1):
        later = positions >= distance
        if later.sum() * 4 > len(items):  # most items take part: compare shifted views
            same = pc.equal(items.slice(distance), items.slice(0, len(items) - distance))
            repeated[distance:] |= same.to_numpy(zero_copy_only=False) & later[distance:]
        else:
            rows = np.flatnonzero(later)
            same = pc.equal(items.take(rows), items.take(rows - distance))
            repeated[rows] |= same.to_numpy(zero_copy_only=False)
    return repeated


def _repeats_hashed(items: pa.Array, positions: np.ndarray) -> np.ndarray:
    """`_repeats` in time linear in the items, however long the lists: the first position of
    each distinct (list, item) pair, by one hash aggregation."""
    lists = np.cumsum(positions == 0)  # a list's items follow its first, at position 0
    pairs = pa.table({"list": lists, "item": items, "at": np.arange(len(items))})
    first = pairs.group_by(["list", "item"], use_threads=False).aggregate([("at", "min")])
    repeated = np.ones(len(items), bool)
    repeated[first["at_min"].to_numpy()] = False
    return repeated


def list_sizes(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(items, characters of the longest item) of each normalised list, from one split; an
    empty or null list has 0 items, its longest item 0 characters."""
    lists = pc.split_pattern(values, LIST_JOINER)
    lengths = pc.utf8_length(pc.list_flatten(lists)).to_numpy(zero_copy_only=False)
    offsets = lists.offsets.to_numpy()
    starts, sizes = offsets[:-1] - offsets[0], np.diff(offsets)
    longest = np.zeros(len(values), np.int64)
    filled = sizes > 0
    if filled.any():
        longest[filled] = np.maximum.reduceat(lengths, starts[filled])
    # "" splits into one empty item: it holds none.
    items = np.where(pc.fill_null(pc.equal(values, ""), True).to_numpy(zero_copy_only=False), 0,
                     sizes)  # fmt: skip
    return pa.array(items), pa.array(longest)


def holds(column: pa.Array, byte: bytes) -> bool:
    """Whether some value of a string array contains the (ASCII) `byte`."""
    data, offsets = _utf8(column)
    return bool((data[offsets[0] : offsets[-1]] == ord(byte)).any())


def holds_only(column: pa.Array, allowed: bytes) -> bool:
    """Whether the values of a string array consist of `allowed` bytes only."""
    data, offsets = _utf8(column)
    table = np.zeros(256, bool)
    table[list(allowed)] = True
    return bool(table[data[offsets[0] : offsets[-1]]].all())


def trim_whitespace(column: pa.Array) -> pa.Array:
    """Values without leading or trailing whitespace, as Python's str.strip() removes it.

    Returns `column` itself when no value needs trimming: a cheap look at the bytes at each
    end of each value (a superset of whitespace) saves copying clean columns.
    """
    data, offsets = _utf8(column)
    if not len(data):
        return column
    if _FIRST_BYTES[data.take(offsets[:-1], mode="clip")].any():
        return pc.utf8_trim_whitespace(column)
    ends = offsets[1:] - 1
    last = data.take(ends, mode="clip")
    maybe = np.flatnonzero(_LAST_BYTES[last])
    # Non-ASCII whitespace ends with a byte that follows one of _BEFORE_LAST_BYTES.
    before = data.take(ends[maybe] - 1, mode="clip")
    if ((last[maybe] < 0x80) | _BEFORE_LAST_BYTES[before]).any():
        return pc.utf8_trim_whitespace(column)
    return column


def _byte_set(*groups) -> np.ndarray:
    table = np.zeros(256, bool)
    for group in groups:
        table[list(group)] = True
    return table


_ASCII_SPACE = [*range(0x09, 0x0E), *range(0x1C, 0x21)]
_FIRST_BYTES = _byte_set(_ASCII_SPACE, [0xC2, 0xE1, 0xE2, 0xE3])
_LAST_BYTES = _byte_set(_ASCII_SPACE, range(0x80, 0x8B), [0x85, 0x9F, 0xA0, 0xA8, 0xA9, 0xAF])
_BEFORE_LAST_BYTES = _byte_set([0x80, 0x81, 0x9A, 0xC2])


def _utf8(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The bytes of a string array's data buffer and its len + 1 value offsets."""
    _, offsets, data = column.buffers()
    offsets = np.frombuffer(offsets, np.int32, len(column) + 1, column.offset * 4)
    return np.frombuffer(data if data is not None else b"", np.uint8), offsets
