"""The warehouse IO manager: every staging, core and analytics table, read as a pandas DataFrame
or an Arrow table, and written from either.

It has the three parts of dagster-duckdb's IO manager:
- `PostgresClient` holds all the SQL: it reads with `COPY (SELECT ...) TO STDOUT` parsed by
  Arrow (`lib/table_reads.py`), and writes with the helpers the SQL-native assets use
  (`lib/pg_tables.py`): COPY into a new table, keys, then a swap of the whole table or the
  exchange of a day's partition, in one transaction, so a failed write leaves the table as it
  was;
- the type handlers (`postgres_types.py`) turn DataFrames and Arrow tables into each other;
- `WarehouseIOManager` speaks Dagster: which table an asset key names, which days a run reads
  or writes, which columns an input asks for.

It is a public-API `ConfigurableIOManager`, not Dagster's `DbIOManager`: that one lives in a
private module (`dagster._core.storage.db_io_manager`) that may change in any release; its write
path deletes the slice and has the handler insert in the same connection, where every table here
is replaced by a new one swapped in; and it reads partition columns from `partition_expr`
metadata, where the table declarations already name them.

A table's columns and types come from its declaration (`lib/warehouse_tables.py`) when the asset
key names a declared table; data written is cast to them (a value that does not fit is refused
before any row is sent). For any other key, the key's prefix is the schema (as for the layers,
`constants.Layer`), the last part the table's name, and the columns and types come from the data
written (read back from the server's catalog); such a table has no keys, and if partitioned by
day, its day column is named by the asset's `partition_expr` metadata (default `snapshot_date`).

The SQL-native assets return `MaterializeResult`, so this IO manager never writes them; it is
how Python steps, notebooks and `defs.load_asset_value` read them.
"""

import datetime as dt
import functools
from collections.abc import Callable, Sequence

import dagster as dg
import pyarrow as pa
from psycopg2 import errors

from imdb_pipeline.assets.load_context import output_run
from imdb_pipeline.assets.warehouse_table import written
from imdb_pipeline.constants import SNAPSHOT_DATE
from imdb_pipeline.io_managers.postgres_types import handler_for_type, handler_for_value
from imdb_pipeline.lib import load_audit, pg_errors, pg_tables, table_reads
from imdb_pipeline.lib.load_audit import Load
from imdb_pipeline.lib.table_data import (
    DataShapeError,
    arrow_schema,
    conform,
    split_by_day,
    table_for,
)
from imdb_pipeline.lib.warehouse_tables import Table, declared_table
from imdb_pipeline.resources.warehouse import WarehouseResource

# Input metadata: the columns to read, by name (default: all, in declared order).
COLUMNS_METADATA = "columns"
# Asset metadata of tables without a declaration: their day column, as in dagster-duckdb.
PARTITION_EXPR_METADATA = "partition_expr"
# The audit trail's entry of a write, for one day (None: the whole table).
LoadAsset = Callable[[dt.date | None], Load]


class PostgresClient:
    """Reads and writes warehouse tables as Arrow tables in their declared types."""

    def __init__(self, warehouse: WarehouseResource):
        self.warehouse = warehouse

    def read(self, table: Table, columns: Sequence[str], days: Sequence[dt.date] | None) -> pa.Table:
        """The table's `columns`, of `days` only (every row when None)."""
        schema = arrow_schema(table, tuple(columns))
        statement = table_reads.copy_out_sql(table, schema.names, days)
        with self.warehouse.connect() as connection, connection.cursor() as cursor:
            # What the parser expects, whatever the server's or role's defaults: UTF-8, ISO
            # dates, doubles printed exactly (shortest round-trip form).
            cursor.execute(
                "SET LOCAL client_encoding = 'UTF8'; SET LOCAL DateStyle = 'ISO, YMD'; "
                "SET LOCAL extra_float_digits = 1"
            )
            try:
                return table_reads.copy_to_arrow(cursor, statement, schema)
            except errors.UndefinedTable:
                raise _not_there(table) from None

    def columns_in_catalog(self, schema: str, name: str) -> Table | None:
        """A table of no declaration as the server has it (columns and types), or None."""
        with self.warehouse.connect() as connection, connection.cursor() as cursor:
            columns = table_reads.catalog_columns(cursor, schema, name)
        return Table(schema, name, columns, primary_key=()) if columns else None

    def write(
        self, table: Table, data: pa.Table, days: Sequence[dt.date] | None, load: LoadAsset
    ) -> dict:
        """Replace the whole table (`days` None) or each of `days` with the data, in one
        transaction, recorded in the audit trail (`load_audit`: a row per day) by `load`;
        returns the write's metadata (`written`)."""
        loads = [load(day) for day in days] if days is not None else [load(None)]
        try:
            # Data refused before it reaches the server is a failed load too.
            with load_audit.audited(self.warehouse.connect, loads):
                data = conform(data, table)
                by_day = split_by_day(data, table, list(days)) if days is not None else None
                with self.warehouse.build_transaction() as cursor:
                    if by_day is None:
                        rows = pg_tables.replace_table_from_rows(cursor, table, data.to_batches())
                        load_audit.record(cursor, loads[0], rows)
                    else:
                        rows = 0
                        for entry, (day, part) in zip(loads, by_day.items()):
                            day_rows = pg_tables.replace_partition_from_rows(
                                cursor, table, day, part.to_batches()
                            )[0]
                            load_audit.record(cursor, entry, day_rows)
                            rows += day_rows
                    one_day = days[0] if days is not None and len(days) == 1 else None
                    return written(cursor, table, rows, one_day)
        except DataShapeError as error:
            raise dg.Failure(description=f"Not written: {error}", allow_retries=False) from None
        except pg_errors.DATA_ERRORS as error:
            position = pg_errors.copy_position(error)
            row = f" (row {position[0]} of the data)" if position else ""
            raise dg.Failure(
                description=f"Writing {table.schema}.{table.name}: PostgreSQL refused the data"
                f"{row}: {pg_errors.described(error)}. The table keeps its previous content.",
                allow_retries=False,
            ) from None


class WarehouseIOManager(dg.ConfigurableIOManager):
    """Warehouse tables as pandas DataFrames (or Arrow tables), read with COPY, written by an
    atomic swap of the table or of the day's partition."""

    warehouse: dg.ResourceDependency[WarehouseResource]

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        if obj is None:  # nothing to store (SQL-native assets never even get here)
            return
        data = handler_for_value(obj).to_arrow(obj)
        schema, name = _schema_and_name(context.asset_key)
        days = _days(context) if context.has_asset_partitions else None
        table = declared_table(schema, name)
        if table is None:
            partition_column = _partition_column(context.definition_metadata) if days else None
            table = table_for(schema, name, data.schema, partition_column)
        if (table.partition_column is None) != (days is None):
            raise dg.Failure(
                description=f"{schema}.{name} is "
                f"{'daily' if table.partition_column else 'not partitioned'} but its asset is "
                f"{'not partitioned' if days is None else 'partitioned'}: declare both alike",
                allow_retries=False,
            )
        run, asset = output_run(context), context.asset_key.to_user_string()
        load = functools.partial(run.load, asset, f"{table.schema}.{table.name}")
        context.add_output_metadata(PostgresClient(self.warehouse).write(table, data, days, load))

    def load_input(self, context: dg.InputContext):
        handler = handler_for_type(context.dagster_type.typing_type)
        client = PostgresClient(self.warehouse)
        schema, name = _schema_and_name(context.asset_key)
        table = declared_table(schema, name) or client.columns_in_catalog(schema, name)
        if table is None:
            raise _not_there(Table(schema, name, (), ()))
        days = None
        if context.has_asset_partitions:
            if table.partition_column is None and table.column_names:
                upstream = context.upstream_output
                column = _partition_column(upstream.definition_metadata if upstream else {})
                if column in table.column_names:
                    table = Table(schema, name, table.columns, (), partition_column=column)
            if table.partition_column is not None:
                days = _days(context)
        columns = _columns(context.definition_metadata, table)
        return handler.from_arrow(client.read(table, columns, days))


def _schema_and_name(key: dg.AssetKey) -> tuple[str, str]:
    """Key prefix = schema, last part = table (see `warehouse_table.table_key`)."""
    if len(key.path) < 2:
        raise dg.Failure(
            description=f"Asset {key.to_user_string()} has no key prefix: the prefix names the "
            "warehouse schema (a layer) its table is in",
            allow_retries=False,
        )
    return key.path[0], key.path[-1]


def _days(context: dg.InputContext | dg.OutputContext) -> list[dt.date]:
    """The days of the partitions a step reads or writes."""
    keys = context.asset_partition_keys
    try:
        return sorted(dt.date.fromisoformat(key) for key in keys)
    except ValueError:
        raise dg.Failure(
            description=f"{context.asset_key.to_user_string()}: warehouse tables are partitioned "
            f"by day (YYYY-MM-DD), not by {list(keys)[:3]}",
            allow_retries=False,
        ) from None


def _partition_column(metadata) -> str:
    return str((metadata or {}).get(PARTITION_EXPR_METADATA) or SNAPSHOT_DATE)


def _columns(metadata, table: Table) -> tuple[str, ...]:
    """The input's `columns` metadata, checked against the table; all columns without it."""
    wanted = (metadata or {}).get(COLUMNS_METADATA)
    if wanted is None:
        return table.column_names
    if isinstance(wanted, str) or not all(isinstance(column, str) for column in wanted):
        raise dg.Failure(description=f"Input metadata {COLUMNS_METADATA!r} is a list of column "
                         f"names, not {wanted!r}", allow_retries=False)  # fmt: skip
    unknown = [column for column in wanted if column not in table.column_names]
    if unknown:
        raise dg.Failure(
            description=f"{table.schema}.{table.name} has no column {', '.join(unknown)}; its "
            f"columns: {', '.join(table.column_names)}",
            allow_retries=False,
        )
    return tuple(wanted)


def _not_there(table: Table) -> dg.Failure:
    return dg.Failure(
        description=f"{table.schema}.{table.name} is not in the warehouse: materialize "
        f"{table.schema}/{table.name} first",
        allow_retries=False,
    )
