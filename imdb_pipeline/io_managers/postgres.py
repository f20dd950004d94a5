"""The Postgres IO manager, split as dagster-duckdb is: client (SQL dialect), pandas type handler
(DataFrame <-> table, with COPY) and a small factory.

`DbIOManager`, `DbClient` and `DbTypeHandler` live in a private Dagster module; dagster-duckdb,
dagster-snowflake and dagster-gcp build on the same classes, and they give us the schema-from-key
rule, column selection and partition slices. The version is pinned in setup.py.

Asset metadata the IO manager reads:
- `primary_key`: columns declared as the table's primary key.
- `partition_expr`: the column holding the partition (a date for daily partitions); a partitioned
  output replaces its slice (DELETE + COPY) in one transaction, other slices stay.
- `write_mode`: `replace` (default; the whole table, atomically) or `upsert` (insert, or update
  the row with the same `upsert_key`, a natural key kept unique; rows not in the output stay).
Input metadata: `columns` (read only these) and `latest_partition_only` (of a partitioned
upstream, read only the rows of its latest partition present in the table).
"""

from collections.abc import Mapping, Sequence

import dagster as dg
import pandas as pd
import psycopg2
import psycopg2.errors
from dagster._core.storage.db_io_manager import DbClient, DbIOManager, DbTypeHandler, TableSlice
from psycopg2 import sql
from psycopg2.extensions import connection as PgConnection

from imdb_pipeline.lib import pg_reads, pg_tables
from imdb_pipeline.resources.warehouse import WarehouseResource, transaction

PREVIEW_ROWS = 5


PRIMARY_KEY = "primary_key"
WRITE_MODE = "write_mode"
UPSERT = "upsert"
UPSERT_KEY = "upsert_key"
LATEST_PARTITION_ONLY = "latest_partition_only"


class PostgresClient(DbClient[PgConnection]):
    """Everything that speaks PostgreSQL's dialect. One connection is one transaction."""

    def __init__(self, url: str, application_name: str):
        self._url = url
        self._application_name = application_name

    def connect(self, context, table_slice: TableSlice):
        return transaction(self._url, self._application_name)

    @staticmethod
    def ensure_schema_exists(context, table_slice: TableSlice, connection: PgConnection) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (table_slice.schema,))
            if cursor.fetchone():
                return
            # Parallel steps may create the same schema at once; IF NOT EXISTS does not guard
            # against that race, so the loser rolls back to a savepoint and goes on.
            cursor.execute("SAVEPOINT create_schema")
            try:
                cursor.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                        sql.Identifier(table_slice.schema)
                    )
                )
            except psycopg2.errors.UniqueViolation:
                cursor.execute("ROLLBACK TO SAVEPOINT create_schema")
            cursor.execute("RELEASE SAVEPOINT create_schema")

    @staticmethod
    def delete_table_slice(context, table_slice: TableSlice, connection: PgConnection) -> None:
        # A partition's rows are deleted here and written by the type handler in the same
        # transaction. Whole tables are swapped by the handler instead, which also copes with
        # a changed column set.
        if table_slice.partition_dimensions:
            with connection.cursor() as cursor:
                pg_tables.delete_rows(
                    cursor,
                    table_slice.schema,
                    table_slice.table,
                    partition_filter(table_slice),
                    needs=[dimension.partition_expr for dimension in table_slice.partition_dimensions],
                )

    @staticmethod
    def get_select_statement(table_slice: TableSlice) -> str:
        columns = (
            ", ".join(_quoted(column) for column in table_slice.columns)
            if table_slice.columns
            else "*"
        )
        statement = f"SELECT {columns} FROM {_quoted(table_slice.schema)}.{_quoted(table_slice.table)}"
        if table_slice.partition_dimensions:
            statement += f" WHERE {_where_text(table_slice)}"
        return statement


def partition_filter(table_slice: TableSlice) -> sql.Composable:
    """The WHERE condition selecting the slice's partitions."""
    conditions = []
    for dimension in table_slice.partition_dimensions or ():
        column = sql.Identifier(dimension.partition_expr)
        partitions = dimension.partitions
        if isinstance(partitions, dg.TimeWindow):
            conditions.append(
                sql.SQL("{0} >= {1} AND {0} < {2}").format(
                    column,
                    sql.Literal(partitions.start.date().isoformat()),
                    sql.Literal(partitions.end.date().isoformat()),
                )
            )
        else:
            conditions.append(
                sql.SQL("{} IN ({})").format(
                    column, sql.SQL(", ").join(sql.Literal(key) for key in partitions)
                )
            )
    return sql.SQL(" AND ").join(conditions)


def _where_text(table_slice: TableSlice) -> str:
    parts = []
    for dimension in table_slice.partition_dimensions or ():
        if isinstance(dimension.partitions, dg.TimeWindow):
            parts.append(
                f"{_quoted(dimension.partition_expr)} >= '{dimension.partitions.start.date()}' "
                f"AND {_quoted(dimension.partition_expr)} < '{dimension.partitions.end.date()}'"
            )
    return " AND ".join(parts)


class PandasPostgresTypeHandler(DbTypeHandler[pd.DataFrame]):
    """Stores a DataFrame as a table (or a slice, or upserted rows) with COPY; reads it back
    with nullable dtypes."""

    def handle_output(
        self, context: dg.OutputContext, table_slice: TableSlice, obj: pd.DataFrame, connection
    ) -> Mapping[str, object]:
        metadata = context.definition_metadata or {}
        primary_key: Sequence[str] = metadata.get(PRIMARY_KEY, ())
        schema, table = table_slice.schema, table_slice.table
        with connection.cursor() as cursor:
            if table_slice.partition_dimensions:
                _check_rows_in_slice(obj, table_slice)
                columns = pg_tables.append_rows(cursor, schema, table, obj, primary_key)
            elif metadata.get(WRITE_MODE) == UPSERT:
                columns = pg_tables.upsert_rows(
                    cursor, schema, table, obj, metadata.get(UPSERT_KEY, primary_key), primary_key
                )
            else:
                columns = pg_tables.replace_table(cursor, schema, table, obj, primary_key)
            table_rows = None if _partial(table_slice, metadata) else len(obj)
            if table_rows is None:
                # After a partition or an upsert the table holds more than this output.
                cursor.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
                )
                table_rows = cursor.fetchone()[0]
        return {
            # Dagster's row count is the output's: a partition's rows, or the rows upserted.
            "dagster/row_count": len(obj),
            "table_row_count": table_rows,
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(
                        name=column.name,
                        type=column.pg_type,
                        constraints=dg.TableColumnConstraints(nullable=column.nullable),
                    )
                    for column in columns
                ]
            ),
            "preview": _preview(obj),
        }

    def load_input(
        self, context: dg.InputContext, table_slice: TableSlice, connection
    ) -> pd.DataFrame:
        where = None
        if table_slice.partition_dimensions:
            where = partition_filter(table_slice)
            if (context.definition_metadata or {}).get(LATEST_PARTITION_ONLY):
                where = _latest_partition(table_slice)
        with connection.cursor() as cursor:
            return pg_reads.read_table(
                cursor, table_slice.schema, table_slice.table, table_slice.columns, where
            )

    @property
    def supported_types(self) -> Sequence[type[object]]:
        return [pd.DataFrame]


def _partial(table_slice: TableSlice, metadata) -> bool:
    """Whether the write touched only part of the table (a partition, or upserted rows)."""
    return bool(table_slice.partition_dimensions) or metadata.get(WRITE_MODE) == UPSERT


def _latest_partition(table_slice: TableSlice) -> sql.Composable:
    [dimension] = table_slice.partition_dimensions
    column = sql.Identifier(dimension.partition_expr)
    return sql.SQL("{0} = (SELECT max({0}) FROM {1})").format(
        column, sql.Identifier(table_slice.schema, table_slice.table)
    )


def _check_rows_in_slice(frame: pd.DataFrame, table_slice: TableSlice) -> None:
    """A partition's output may only hold rows of that partition: anything else would be
    written where the next run of another partition does not delete it."""
    for dimension in table_slice.partition_dimensions:
        if dimension.partition_expr not in frame.columns:
            raise ValueError(
                f"The output for {table_slice.schema}.{table_slice.table} has no column "
                f"{dimension.partition_expr!r} (its partition_expr)"
            )
        if isinstance(dimension.partitions, dg.TimeWindow):
            values = pd.to_datetime(frame[dimension.partition_expr]).dt.date
            start, end = dimension.partitions.start.date(), dimension.partitions.end.date()
            outside = frame[~((values >= start) & (values < end))]
            if len(outside):
                raise ValueError(
                    f"{len(outside)} row(s) for {table_slice.schema}.{table_slice.table} have "
                    f"{dimension.partition_expr} outside the partition [{start}, {end})"
                )


class PostgresPandasIOManager(dg.ConfigurableIOManagerFactory):
    """Persists DataFrame assets as tables in the warehouse; the schema is the asset's layer."""

    warehouse: dg.ResourceDependency[WarehouseResource]

    def create_io_manager(self, context) -> DbIOManager:
        return DbIOManager(
            type_handlers=[PandasPostgresTypeHandler()],
            db_client=PostgresClient(self.warehouse.url(), self.warehouse.application_name),
            database="",
            io_manager_name="PostgresPandasIOManager",
            default_load_type=pd.DataFrame,
        )


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _preview(frame: pd.DataFrame) -> dg.MetadataValue:
    head = frame.head(PREVIEW_ROWS).astype(object).where(frame.head(PREVIEW_ROWS).notna(), None)
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord({name: _scalar(value) for name, value in row.items()})
            for row in head.to_dict(orient="records")
        ],
        schema=dg.TableSchema(
            columns=[dg.TableColumn(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]
        ),
    )


def _scalar(value):
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if hasattr(value, "item"):
        return value.item()
    return str(value)
