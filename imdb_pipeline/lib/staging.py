"""From source records to the typed staging table and its rejects."""

import csv
import datetime as dt
import io
from dataclasses import dataclass

import pandas as pd

from imdb_pipeline.lib import contract
from imdb_pipeline.lib.contract import BY_NAME, COLUMN_NAMES, Kind
from imdb_pipeline.lib.lists import normalise_list
from imdb_pipeline.lib.rounding import round_half_up
from imdb_pipeline.lib.source_file import decode, iter_records, read_header

REJECT_COLUMNS = ("source_line", "movie_id", "reason", "record")

# Plain decimal notation only: no exponents, thousands separators, units or NaN.
_INTEGER = r"[+-]?\d+"
_DECIMAL = r"[+-]?(\d+\.?\d*|\.\d+)"
_LARGEST_INTEGER = {"Int32": 2**31 - 1, "Int64": 2**53}


@dataclass(frozen=True)
class StagingResult:
    movies: pd.DataFrame
    rejects: pd.DataFrame
    duplicates_resolved: int


def stage(data: bytes, location: str, today: dt.date) -> StagingResult:
    """Typed, trimmed, de-duplicated movies; rows that break the contract go to the rejects."""
    text = decode(data, location)
    header = read_header(text, location)
    positions = [header.index(name) for name in COLUMN_NAMES]
    width = len(header)

    id_position = header.index("movie_id")
    lines: list[int] = []
    originals: list[list[str]] = []
    malformed: list[dict] = []
    for record in iter_records(text):
        if len(record.fields) != width:
            movie_id = record.fields[id_position] if len(record.fields) > id_position else None
            malformed.append(
                _reject(record.line, movie_id,
                        f"expected {width} fields, found {len(record.fields)}", record.fields)
            )  # fmt: skip
            continue
        lines.append(record.line)
        originals.append(record.fields)
    rows = [[fields[position] for position in positions] for fields in originals]

    raw = pd.DataFrame(rows, columns=list(COLUMN_NAMES), dtype="string")
    raw = raw.apply(lambda column: column.str.strip()).replace("", pd.NA)
    raw.index = pd.Index(lines, name="source_line")

    typed, reasons = _typed_and_reasons(raw, today)
    bad = reasons.notna()
    rejects = pd.DataFrame(
        malformed
        + [
            _reject(line, movie_id, reason, record)
            for line, movie_id, reason, record in zip(
                raw.index[bad],
                raw.loc[bad, "movie_id"],
                reasons[bad],
                (originals[position] for position in bad.to_numpy().nonzero()[0]),
            )
        ],
        columns=list(REJECT_COLUMNS),
    )
    rejects = rejects.astype(
        {"source_line": "Int64", "movie_id": "string", "reason": "string", "record": "string"}
    ).sort_values("source_line", ignore_index=True)

    valid = typed[~bad]
    movies = valid.drop_duplicates("movie_id", keep="last")
    movies = movies.reset_index().sort_values("movie_id", ignore_index=True)
    movies = movies[["movie_id", *[c for c in COLUMN_NAMES if c != "movie_id"], "source_line"]]
    movies = movies.astype({"source_line": "Int64"})
    return StagingResult(
        movies=movies, rejects=rejects, duplicates_resolved=len(valid) - len(movies)
    )


def _typed_and_reasons(raw: pd.DataFrame, today: dt.date) -> tuple[pd.DataFrame, pd.Series]:
    typed = pd.DataFrame(index=raw.index)
    problems: list[pd.Series] = []
    for name in COLUMN_NAMES:
        rule = BY_NAME[name]
        values = raw[name]
        present = values.notna()
        if rule.required:
            problems.append(_when(~present, f"{name} is empty"))
        if rule.kind in (Kind.INTEGER, Kind.DECIMAL):
            syntax = _INTEGER if rule.kind is Kind.INTEGER else _DECIMAL
            unparseable = present & ~values.str.fullmatch(syntax).fillna(False).astype(bool)
            numbers = pd.to_numeric(values.where(~unparseable), errors="coerce")
            problems.append(
                _when(unparseable, f"{name} " + _quoted(values) + f" is not {_a(rule.kind)}")
            )
            if rule.kind is Kind.INTEGER:
                too_large = numbers.abs() > _LARGEST_INTEGER[rule.pandas_dtype]
                problems.append(_when(too_large, f"{name} " + _quoted(values) + " is too large"))
                numbers = numbers.where(~too_large)
            maximum = contract.last_valid_year(today) if name == "year" else rule.maximum
            out_of_range = pd.Series(False, index=raw.index)
            if rule.minimum is not None:
                out_of_range |= numbers < rule.minimum
            if maximum is not None:
                out_of_range |= numbers > maximum
            problems.append(
                _when(out_of_range, f"{name} " + _quoted(values)
                      + f" is outside {_fmt(rule.minimum)}..{_fmt(maximum)}")
            )  # fmt: skip
            if rule.decimals is not None:
                numbers = round_half_up(numbers, rule.decimals)
            typed[name] = numbers.astype(rule.pandas_dtype)
        elif rule.kind is Kind.LIST:
            normalised = values.map(normalise_list, na_action="ignore").replace("", pd.NA)
            problems.append(_when(present & normalised.isna(), f"{name} lists no items"))
            typed[name] = normalised.astype("string")
        else:
            if rule.pattern is not None:
                mismatch = present & ~values.str.fullmatch(rule.pattern).fillna(False)
                problems.append(
                    _when(mismatch, f"{name} " + _quoted(values) + f" does not match {rule.pattern}")
                )
            if rule.allowed is not None:
                unknown = present & ~values.isin(rule.allowed)
                problems.append(_when(unknown, f"{name} " + _quoted(values) + " is not one of "
                                      + ", ".join(rule.allowed)))  # fmt: skip
            typed[name] = values
    reasons = pd.Series(pd.NA, index=raw.index, dtype="string")
    for problem in problems:
        reasons = (reasons + "; " + problem).fillna(reasons).fillna(problem)
    return typed, reasons


def _when(mask: pd.Series, message) -> pd.Series:
    if isinstance(message, str):
        return pd.Series(message, index=mask.index, dtype="string").where(mask)
    return message.astype("string").where(mask)


def _quoted(values: pd.Series) -> pd.Series:
    return "'" + values.fillna("") + "'"


def _reject(line: int, movie_id, reason: str, fields: list[str]) -> dict:
    # The writer quotes a field holding any character of its line terminator, so the
    # terminator must contain \r and \n for multi-line fields to come out quoted.
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(fields)
    record = buffer.getvalue().removesuffix("\r\n")
    return {"source_line": line, "movie_id": movie_id, "reason": reason, "record": record}


def _a(kind: Kind) -> str:
    return "an integer" if kind is Kind.INTEGER else "a number"


def _fmt(bound: float | None) -> str:
    if bound is None:
        return ""
    return str(int(bound)) if float(bound).is_integer() else str(bound)
