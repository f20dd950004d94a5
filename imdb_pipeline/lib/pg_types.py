"""Column types between pandas, Arrow and PostgreSQL."""

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

# Nullable pandas dtypes for what we read back: integers stay integers next to NULLs.
PANDAS_DTYPES = {
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.float32(): pd.Float32Dtype(),
    pa.float64(): pd.Float64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.string(): pd.StringDtype(),
}

_PG_TO_ARROW = {
    "smallint": pa.int16(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "real": pa.float32(),
    "double precision": pa.float64(),
    "boolean": pa.bool_(),
    "text": pa.string(),
    "date": pa.date32(),
    "timestamp without time zone": pa.timestamp("us"),
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
}


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str
    nullable: bool


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table, index dropped; all-NULL object columns become text."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for index, field in enumerate(table.schema):
        if pa.types.is_null(field.type):
            table = table.set_column(index, field.name, table.column(index).cast(pa.string()))
    return table


def pg_type(arrow_type: pa.DataType) -> str:
    """The PostgreSQL column type for an Arrow type."""
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_int8(arrow_type) or pa.types.is_int16(arrow_type) or pa.types.is_uint8(arrow_type):
        return "smallint"
    if pa.types.is_int32(arrow_type) or pa.types.is_uint16(arrow_type):
        return "integer"
    if pa.types.is_int64(arrow_type) or pa.types.is_uint32(arrow_type):
        return "bigint"
    if pa.types.is_uint64(arrow_type):
        return "numeric(20,0)"
    if pa.types.is_float16(arrow_type) or pa.types.is_float32(arrow_type):
        return "real"
    if pa.types.is_float64(arrow_type):
        return "double precision"
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp with time zone" if arrow_type.tz else "timestamp without time zone"
    raise TypeError(f"No PostgreSQL column type for Arrow type {arrow_type}")


def columns_of(table: pa.Table, not_null: Sequence[str] = ()) -> list[Column]:
    """Column definitions for an Arrow table; `not_null` columns (e.g. keys) are declared NOT NULL."""
    return [
        Column(field.name, pg_type(field.type), field.name not in not_null) for field in table.schema
    ]


def arrow_type(pg_type_name: str) -> pa.DataType:
    """The Arrow type to read a PostgreSQL column into."""
    if pg_type_name.startswith("numeric(") and "," in pg_type_name:
        precision, scale = pg_type_name[len("numeric(") : -1].split(",")
        return pa.decimal128(int(precision), int(scale))
    if pg_type_name == "numeric":
        # Without a declared scale there is no exact Arrow decimal to read into.
        return pa.float64()
    return _PG_TO_ARROW.get(pg_type_name, pa.string())
