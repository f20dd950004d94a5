"""Arrow data shaped to a warehouse table: PostgreSQL types as Arrow types and back, data
checked and cast to a table's declared columns, and rows split by day for daily tables.

Both directions go through Arrow: a table is read into the Arrow types of its declared columns,
and data to be written is cast to them first, so a value that does not fit (an integer too
large for `integer`, a fraction for an integer column, text for a date) is refused here, naming
its column, before any row reaches the server.
"""

import datetime as dt
import re

import pyarrow as pa
import pyarrow.compute as pc

from imdb_pipeline.lib.warehouse_tables import Column, Table

# The PostgreSQL types of the declared tables, and their usual aliases.
_ARROW_TYPES = {
    "bigint": pa.int64(), "int8": pa.int64(),
    "integer": pa.int32(), "int": pa.int32(), "int4": pa.int32(),
    "smallint": pa.int16(), "int2": pa.int16(),
    "double precision": pa.float64(), "float8": pa.float64(),
    "real": pa.float32(), "float4": pa.float32(),
    "boolean": pa.bool_(), "bool": pa.bool_(),
    "date": pa.date32(),
    "text": pa.string(),
}  # fmt: skip
_TEXT_TYPES = re.compile(r"^(character varying|varchar|character|char)(\s*\(\d+\))?$")


class DataShapeError(ValueError):
    """Data that cannot be stored in a table as declared; the message names what and where."""


def arrow_type(pg_type: str) -> pa.DataType:
    """The Arrow type a PostgreSQL column is read as. Types that have no exact Arrow reading
    here (numeric, timestamps, arrays, ...) are read as their text, as PostgreSQL prints them."""
    name = " ".join(pg_type.lower().split())
    if name in _ARROW_TYPES:
        return _ARROW_TYPES[name]
    return pa.string()


def pg_type(arrow: pa.DataType, column: str) -> str:
    """The PostgreSQL type a column of Arrow type `arrow` is stored as, for tables without a
    declaration; an integer type is stored in one wide enough for all its values."""
    if pa.types.is_boolean(arrow):
        return "boolean"
    if pa.types.is_int8(arrow) or pa.types.is_int16(arrow) or pa.types.is_uint8(arrow):
        return "smallint"
    if pa.types.is_int32(arrow) or pa.types.is_uint16(arrow):
        return "integer"
    if pa.types.is_int64(arrow) or pa.types.is_uint32(arrow):
        return "bigint"
    if pa.types.is_float16(arrow) or pa.types.is_float32(arrow):
        return "real"
    if pa.types.is_float64(arrow):
        return "double precision"
    if pa.types.is_date(arrow):
        return "date"
    if pa.types.is_timestamp(arrow):
        return "timestamp with time zone" if arrow.tz else "timestamp without time zone"
    if pa.types.is_decimal(arrow):
        return f"numeric({arrow.precision}, {arrow.scale})"
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow) or pa.types.is_null(arrow):
        return "text"  # a column of nothing but nulls is stored as text
    raise DataShapeError(f"column {column!r}: no PostgreSQL type is chosen for Arrow type {arrow}")


def arrow_schema(table: Table, columns: tuple[str, ...] | None = None) -> pa.Schema:
    """The Arrow schema of `columns` (all by default, in declared order) of a table."""
    by_name = {column.name: column for column in table.columns}
    names = columns if columns is not None else table.column_names
    return pa.schema(
        [pa.field(name, arrow_type(by_name[name].pg_type), by_name[name].nullable) for name in names]
    )


def table_for(schema: str, name: str, data: pa.Schema, partition_column: str | None) -> Table:
    """A table of no declaration, derived from the data: its columns and types, in order, all
    nullable but the day column; no keys."""
    columns = tuple(
        Column(field.name, "date" if field.name == partition_column else pg_type(field.type, field.name),
               nullable=field.name != partition_column)
        for field in data
    )  # fmt: skip
    if partition_column is not None and partition_column not in data.names:
        columns = (Column(partition_column, "date", nullable=False), *columns)
    return Table(schema, name, columns, primary_key=(), partition_column=partition_column)


def conform(data: pa.Table, table: Table) -> pa.Table:
    """The data as the table declares it: its columns, in declared order, cast to their types.
    The day column of a daily table may be left out (it is then the day written). Missing or
    unknown columns, and values that do not fit their column's type, are refused."""
    names = set(data.column_names)
    missing = [n for n in table.column_names if n not in names and n != table.partition_column]
    unknown = [n for n in data.column_names if n not in table.column_names]
    if len(names) != data.num_columns:
        raise DataShapeError(f"{table.schema}.{table.name}: column names repeat in the data")
    if missing or unknown:
        raise DataShapeError(
            f"{table.schema}.{table.name} declares the columns {list(table.column_names)}; "
            f"the data lacks {missing} and has no place for {unknown}"
        )
    columns, fields = [], []
    for column in table.columns:
        if column.name not in names:
            continue
        target = arrow_type(column.pg_type)
        try:
            columns.append(pc.cast(data.column(column.name), target, safe=True))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise DataShapeError(
                f"{table.schema}.{table.name}: column {column.name!r} ({data.schema.field(column.name).type}) "
                f"does not fit {column.pg_type}: {error}"
            ) from None
        fields.append(pa.field(column.name, target))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def split_by_day(data: pa.Table, table: Table, days: list[dt.date]) -> dict[dt.date, pa.Table]:
    """The rows of each day of a daily table's write. Without the day column, the data is one
    day's (`days` must then be one day); with it, every row must belong to one of `days`."""
    column = table.partition_column
    if column not in data.column_names:
        if len(days) != 1:
            raise DataShapeError(
                f"{table.schema}.{table.name}: data for {len(days)} days needs its "
                f"{column!r} column to tell them apart"
            )
        return {days[0]: data}
    day_of_rows = data.column(column)
    allowed = pa.array(days, pa.date32())
    outside = pc.sum(pc.invert(pc.fill_null(pc.is_in(day_of_rows, value_set=allowed), False))).as_py()
    if outside:
        raise DataShapeError(
            f"{table.schema}.{table.name}: {outside} row(s) have a {column!r} that is null or "
            f"not one of the days written ({', '.join(map(str, days))})"
        )
    rest = data.drop_columns([column])
    return {day: rest.filter(pc.equal(day_of_rows, pa.scalar(day, pa.date32()))) for day in days}
