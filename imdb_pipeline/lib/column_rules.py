"""The contract's rules over one block of a column at once, with vectorised pyarrow compute.

`check_column` turns a column's trimmed text into its typed values and records the rows that
break a rule as `Problem`s; staging joins them into each rejected row's reasons. Every rule
follows the contract's three fates (README, "The source contract"): a value is normalised when
its meaning is unambiguous, kept when unusual, and a problem only when no table could store it
truthfully.
"""

import datetime as dt
import functools
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from imdb_pipeline.lib import contract
from imdb_pipeline.lib.contract import MISSING_NUMBER_MARKERS, Kind, SourceColumn
from imdb_pipeline.lib.lists import holds, holds_only, list_sizes, normalise_lists
from imdb_pipeline.lib.rounding import round_half_up

# Plain decimal notation only: no exponents, thousands separators or NaN.
_INTEGER = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"
_LARGEST_INTEGER = {"Int32": 2**31 - 1, "Int64": 2**53}
_LONGEST_INTEGER = 18  # more digits than this exceed every limit above
ARROW_TYPES = {"Int32": pa.int32(), "Int64": pa.int64(), "Float64": pa.float64(),
               "string": pa.string()}  # fmt: skip
_NUMBER_BYTES = b"+-.0123456789"
_MISSING_MARKERS = pa.array([marker.upper() for marker in MISSING_NUMBER_MARKERS], pa.string())
# How a NUL byte is shown in reasons and in the stored record of a reject (PostgreSQL text
# cannot hold one), and how much of a value a reason quotes.
NUL_SHOWN = "\u2400"
SHOWN_LENGTH = 100


@dataclass(frozen=True)
class Problem:
    """Rows breaking one rule; the reason is `head`, or `head` + the row's `shown` + `tail`
    (`shown`: the offending values, or a count, for every row of the block)."""

    rows: pa.Array
    head: str
    shown: pa.Array | None = None
    tail: str = ""


def check_column(rule: SourceColumn, values: pa.Array, today: dt.date,
                 problems: list[Problem]) -> pa.Array:  # fmt: skip
    """The typed column; the rows breaking a rule of `rule` are added to `problems`."""
    name = rule.name
    if holds(values, b"\0"):  # PostgreSQL text cannot hold it; nor can an index or a number
        problems.append(Problem(_flag(pc.match_substring(values, "\0")),
                                f"{name} holds a NUL byte (shown as {NUL_SHOWN}), which "
                                "PostgreSQL cannot store"))  # fmt: skip
    if rule.kind in (Kind.INTEGER, Kind.DECIMAL):
        values = _without_missing_markers(values)
    present = pc.greater(pc.binary_length(values), 0)
    if rule.kind is Kind.LIST:
        return _list(rule, values, present, problems)
    if rule.required:
        problems.append(Problem(pc.invert(present), f"{name} is empty"))
    if rule.kind in (Kind.INTEGER, Kind.DECIMAL):
        return _number(rule, values, present, today, problems)
    if rule.max_length is not None:
        _add_too_long(name, values, rule.max_length, problems)
    if rule.pattern is not None:
        values = _lower_prefix(values, rule.pattern)
        matches = pc.match_substring_regex(values, f"^(?:{rule.pattern})$")
        problems.append(Problem(pc.and_not(present, matches), f"{name} '", values,
                                f"' does not match {rule.pattern}"))  # fmt: skip
    return _null_where(pc.invert(present), values)


def _list(rule: SourceColumn, values: pa.Array, present: pa.Array,
          problems: list[Problem]) -> pa.Array:  # fmt: skip
    """Normalised lists: an optional list without items is unknown, a required one a reject."""
    name = rule.name
    normalised = normalise_lists(values)
    empty = pc.equal(pc.binary_length(normalised), 0)
    if rule.required:
        problems.append(Problem(pc.invert(present), f"{name} is empty"))
        problems.append(Problem(pc.and_(present, empty), f"{name} lists no items"))
    # A value of n bytes holds at most (n + 2) / 3 items and no item longer than n characters:
    # lists are only split when the longest value could break a limit.
    longest_value = pc.max(pc.binary_length(normalised)).as_py() or 0
    if longest_value > min(3 * rule.max_items - 2, rule.max_length):
        items, longest = list_sizes(normalised)
        problems.append(Problem(pc.greater(items, rule.max_items), f"{name} lists ", items,
                                f" items; at most {rule.max_items:,} are allowed"))  # fmt: skip
        problems.append(Problem(pc.greater(longest, rule.max_length), f"{name} has an item of ",
                                longest, f" characters; at most {rule.max_length:,} are allowed"))  # fmt: skip
    return _null_where(empty, normalised)


def _add_too_long(name: str, values: pa.Array, limit: int, problems: list[Problem]) -> None:
    if (pc.max(pc.binary_length(values)).as_py() or 0) <= limit:  # characters <= bytes
        return
    lengths = pc.utf8_length(values)
    problems.append(Problem(_flag(pc.greater(lengths, limit)), f"{name} has ", lengths,
                            f" characters; at most {limit:,} are allowed"))  # fmt: skip


def _lower_prefix(values: pa.Array, pattern: str) -> pa.Array:
    """`TT0111161` read as `tt0111161`: an id pattern's literal prefix, in the wrong case only."""
    prefix = pattern.removeprefix("^")[:2]
    if not prefix.isalpha() or not holds(values, prefix[0].upper().encode()):
        return values
    return pc.replace_substring_regex(values, f"^{prefix.upper()}", prefix)


def _without_missing_markers(values: pa.Array) -> pa.Array:
    """A numeric column's "no value" markers (NA, NaN, NULL, ...) as empty fields."""
    if holds_only(values, _NUMBER_BYTES):
        return values
    marked = pc.is_in(pc.utf8_upper(values), value_set=_MISSING_MARKERS)
    return pc.if_else(marked, "", values) if pc.any(marked).as_py() else values


def _number(rule: SourceColumn, values: pa.Array, present: pa.Array, today: dt.date,
            problems: list[Problem]) -> pa.Array:  # fmt: skip
    name, integer = rule.name, rule.kind is Kind.INTEGER
    text = _without_units(values, rule.units)
    numbers, unreadable, too_large = (_integers if integer else _decimals)(text, present, rule)
    kind = "an integer" if integer else "a number"
    problems.append(Problem(unreadable, f"{name} '", values, f"' is not {kind}"))
    problems.append(Problem(too_large, f"{name} '", values, "' is too large"))
    numbers = _null_where(too_large, numbers)
    maximum = contract.last_valid_year(today) if name == "year" else rule.maximum
    bounds = [_flag(pc.less(numbers, rule.minimum))] if rule.minimum is not None else []
    bounds += [_flag(pc.greater(numbers, maximum))] if maximum is not None else []
    outside = functools.reduce(pc.or_, bounds, _none(len(values)))
    problems.append(Problem(outside, f"{name} '", values,
                            f"' is outside {_fmt(rule.minimum)}..{_fmt(maximum)}"))  # fmt: skip
    if rule.decimals is not None:
        numbers = round_half_up(numbers, rule.decimals)
    return pc.cast(numbers, ARROW_TYPES[rule.pandas_dtype])


def _without_units(values: pa.Array, units: tuple[str, ...]) -> pa.Array:
    """`142 min` read as `142`, for a column whose unit may be written after its numbers."""
    if not units or holds_only(values, _NUMBER_BYTES):
        return values
    written = "|".join(re.escape(unit) for unit in units)
    return pc.replace_substring_regex(values, f"(?i)^([+-]?[0-9.]+)\\s*(?:{written})\\.?$", r"\1")


def _integers(values: pa.Array, present: pa.Array, rule: SourceColumn):
    """(int64 numbers, unreadable, too large); a value too large holds no number. A whole
    number written with decimals (`78.0`, as pandas writes integer columns with blanks) is
    that integer; a fraction is unreadable."""
    limit = _LARGEST_INTEGER[rule.pandas_dtype]
    numbers = _cast_if_plain(values, present, b"-0123456789", pa.int64())
    if numbers is not None:
        return numbers, _none(len(values)), _flag(pc.greater(pc.abs(numbers), limit))
    if holds(values, b"."):
        values = pc.replace_substring_regex(values, r"^([+-]?)\.([0-9])", r"\10.\2")
        values = pc.replace_substring_regex(values, r"^([+-]?[0-9]+)\.0*$", r"\1")
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


def shown(values: pa.Array) -> pa.Array:
    """Values as a reason or a reject's movie_id show them: storable (a NUL byte as
    NUL_SHOWN) and at most SHOWN_LENGTH characters; counts with thousands separators."""
    if pa.types.is_integer(values.type):
        return pa.array([None if count is None else f"{count:,}" for count in values.to_pylist()],
                        pa.string())  # fmt: skip
    if holds(values, b"\0"):
        values = pc.replace_substring(values, "\0", NUL_SHOWN)
    long = _flag(pc.greater(pc.utf8_length(values), SHOWN_LENGTH))
    if not pc.any(long).as_py():
        return values
    cut = pc.binary_join_element_wise(pc.utf8_slice_codeunits(values, 0, SHOWN_LENGTH), "…", "")
    return pc.if_else(long, cut, values)


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
