"""Type handlers of the warehouse IO manager: each turns one Python type into Arrow and back.

The client (`postgres.PostgresClient`) reads and writes Arrow tables in the declared types; a
handler only converts. pandas DataFrames use pyarrow-backed dtypes (`pd.ArrowDtype`): a nullable
integer stays `int64[pyarrow]` (or int32, int16) with its NULLs as `<NA>`, a date stays
`date32[day][pyarrow]`, text is `string[pyarrow]` with NULL apart from '', and a double keeps
NaN apart from NULL. No value changes type on the way, and converting back to Arrow for a
write is a copy-free view.
"""

from typing import Any

import pandas as pd
import pyarrow as pa


class TypeHandler:
    """Converts a Python type to and from Arrow tables."""

    python_type: type

    def to_arrow(self, obj) -> pa.Table:
        raise NotImplementedError

    def from_arrow(self, table: pa.Table):
        raise NotImplementedError


class ArrowTypeHandler(TypeHandler):
    python_type = pa.Table

    def to_arrow(self, obj: pa.Table) -> pa.Table:
        return obj

    def from_arrow(self, table: pa.Table) -> pa.Table:
        return table


class PandasTypeHandler(TypeHandler):
    python_type = pd.DataFrame

    def to_arrow(self, obj: pd.DataFrame) -> pa.Table:
        # A float NaN in a NumPy column is pandas' missing value: it becomes NULL.
        return pa.Table.from_pandas(obj, preserve_index=False)

    def from_arrow(self, table: pa.Table) -> pd.DataFrame:
        return table.to_pandas(types_mapper=pd.ArrowDtype)


PANDAS = PandasTypeHandler()
ARROW = ArrowTypeHandler()
HANDLERS = (PANDAS, ARROW)
# What an input without a type annotation (or load_asset_value without python_type) gets.
DEFAULT_HANDLER = PANDAS


def handler_for_type(python_type: Any) -> TypeHandler:
    """The handler of an input's type: Arrow for `pyarrow.Table`, else pandas (a DataFrame,
    `Any`, or no annotation)."""
    for handler in HANDLERS:
        if isinstance(python_type, type) and issubclass(python_type, handler.python_type):
            return handler
    return DEFAULT_HANDLER


def handler_for_value(obj: object) -> TypeHandler:
    """The handler of an output; a TypeError names the types that can be stored."""
    for handler in HANDLERS:
        if isinstance(obj, handler.python_type):
            return handler
    raise TypeError(
        f"A warehouse table is written from a pandas.DataFrame or a pyarrow.Table, not a "
        f"{type(obj).__module__}.{type(obj).__name__}"
    )
