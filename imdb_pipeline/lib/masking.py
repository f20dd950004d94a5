"""Masking the values of sensitive columns wherever the checks show data: the samples in a
check's metadata, Great Expectations' validation results (and so the Data Docs pages rendered
from them), and alerts.

Which columns are sensitive is declared with the data: `sensitive=True` on a column of the
source contract (`lib/contract.py`) or of a warehouse table's declaration. `sensitive_columns`
gathers them for one table; every other function here takes that set of names, so any table
plugs in. None of IMDb's columns is sensitive today: these functions guard the day one is.

A sensitive value becomes a fixed mask (`MASK`), not a hash. An unkeyed hash of a name, an
e-mail address or a birth date is undone by hashing the likely values; a keyed one needs a key
kept, rotated and shared with whoever compares. A steward who must compare values looks them
up by the row's identity (`movie_id`, never masked), with the warehouse's own permissions.
NULL stays NULL: that a value is missing is not the value, and is what a completeness rule
reports. Rows are masked by column name: a query that renames a sensitive column escapes it,
so queries over sensitive columns keep their names.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from imdb_pipeline.lib import contract
from imdb_pipeline.lib.warehouse_tables import STG_MOVIES_REJECTS, Table

MASK = "•••"
# Keys of a Great Expectations result that hold counts and shares, never a column's values.
_COUNT_KEYS = frozenset({
    "element_count", "missing_count", "missing_percent", "unexpected_count",
    "unexpected_percent", "unexpected_percent_total", "unexpected_percent_nonmissing",
    "unexpected_index_column_names",
})  # fmt: skip
# Keys of a result holding rows ({column: value}): masked column by column, so the columns
# that name the row stay readable.
_ROW_KEYS = frozenset({"partial_unexpected_index_list", "unexpected_index_list"})
# Expectation arguments that name the columns it reads.
_COLUMN_ARGUMENTS = ("column", "column_A", "column_B", "column_list")


def sensitive_columns(
    table: Table, source_columns: Iterable[contract.SourceColumn] = contract.COLUMNS
) -> frozenset[str]:
    """Names of the columns of `table` whose values are masked.

    A column is sensitive when its declaration says so, or when it carries a sensitive source
    column (same name: a source column keeps its name through the warehouse). A rejected row's
    `record` is the source line itself, so it is sensitive as soon as any source column is.
    """
    from_source = {column.name for column in source_columns if column.sensitive}
    names = {
        column.name
        for column in table.columns
        if column.sensitive or column.name in from_source
    }
    if from_source and (table.schema, table.name) == (STG_MOVIES_REJECTS.schema,
                                                      STG_MOVIES_REJECTS.name):  # fmt: skip
        names.add("record")
    return frozenset(names)


def mask_value(value: Any) -> Any:
    """The mask in place of a value; NULL stays NULL."""
    return None if value is None else MASK


def mask_record(record: Mapping[str, Any], sensitive: frozenset[str]) -> dict[str, Any]:
    """The row with its sensitive columns masked."""
    return {name: mask_value(value) if name in sensitive else value
            for name, value in record.items()}  # fmt: skip


def mask_nested(value: Any, sensitive: frozenset[str]) -> Any:
    """A JSON-like value (samples by expectation, lists of rows) with every row's sensitive
    columns masked, at any depth. Bare values are left as they are: they name no column."""
    if isinstance(value, Mapping):
        return {key: mask_value(item) if key in sensitive else mask_nested(item, sensitive)
                for key, item in value.items()}  # fmt: skip
    if isinstance(value, list | tuple):
        return [mask_nested(item, sensitive) for item in value]
    return value


def mask_samples(
    samples: Iterable[Any], columns: Iterable[str], sensitive: frozenset[str]
) -> list[Any]:
    """Samples of an expectation over `columns`: rows masked column by column; bare values
    (the expectation's own column) masked when any of its columns is sensitive."""
    bare_sensitive = bool(set(columns) & sensitive)
    return [
        mask_record(sample, sensitive) if isinstance(sample, Mapping)
        else mask_value(sample) if bare_sensitive else sample
        for sample in samples
    ]  # fmt: skip


def expectation_columns(arguments: Mapping[str, Any]) -> list[str]:
    """The columns an expectation reads, from its arguments (`column`, `column_list`, ...)."""
    names: list[str] = []
    for argument in _COLUMN_ARGUMENTS:
        value = arguments.get(argument)
        if isinstance(value, str):
            names.append(value)
        elif isinstance(value, list | tuple):
            names.extend(str(item) for item in value)
    return names


def mask_expectation_result(
    arguments: Mapping[str, Any], result: Mapping[str, Any], sensitive: frozenset[str]
) -> dict[str, Any]:
    """An expectation's result (GX's `result` dict) without a sensitive value.

    Rows (the unexpected index lists) are masked column by column. When the expectation reads
    a sensitive column, everything else that is not a count is masked too: the unexpected
    values and their tallies, and an observed value (a column's maximum is one of its values).
    """
    reads_sensitive = bool(set(expectation_columns(arguments)) & sensitive)
    masked: dict[str, Any] = {}
    for key, value in result.items():
        if key in _ROW_KEYS and isinstance(value, list):
            masked[key] = [mask_record(row, sensitive) if isinstance(row, Mapping) else row
                           for row in value]  # fmt: skip
        elif not reads_sensitive or key in _COUNT_KEYS:
            masked[key] = value
        elif key == "partial_unexpected_counts" and isinstance(value, list):
            masked[key] = [{**tally, "value": mask_value(tally.get("value"))}
                           if isinstance(tally, Mapping) else mask_value(tally)
                           for tally in value]  # fmt: skip
        else:
            masked[key] = _mask_all(value)
    return masked


def _mask_all(value: Any) -> Any:
    """Every value inside masked, the shape kept (so renderers still find lists and dicts)."""
    if isinstance(value, Mapping):
        return {key: _mask_all(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_all(item) for item in value]
    return mask_value(value)
