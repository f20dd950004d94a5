"""The Postgres IO manager, split as dagster-duckdb is: client (SQL dialect), pandas type handler
(DataFrame <-> table, with COPY) and a small factory.

`DbIOManager`, `DbClient` and `DbTypeHandler` live in a private Dagster module; dagster-duckdb,
dagster-snowflake and dagster-gcp build on the same classes, and they give us the schema-from-key
rule, column selection and (later) partition slices for free. The version is pinned in setup.py.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import dagster as dg
import pandas as pd
import psycopg2
import psycopg2.errors
from dagster._core.storage.db_io_manager import DbClient, DbIOManager, DbTypeHandler, TableSlice
from psycopg2 import sql
from psycopg2.extensions import connection as PgConnection

from imdb_pipeline.lib import pg_tables
from imdb_pipeline.resources.warehouse import WarehouseResource

PREVIEW_ROWS = 5


class PostgresClient(DbClient[PgConnection]):
    """Everything that speaks PostgreSQL's dialect. One connection is one transaction."""

    def __init__(self, url: str, application_name: str):
        self._url = url
        self._application_name = application_name

    @contextmanager
    def connect(self, context, table_slice: TableSlice) -> Iterator[PgConnection]:
        connection = psycopg2.connect(self._url, application_name=self._application_name)
        try:
            with connection:
                yield connection
        finally:
            connection.close()

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
        # Whole tables are replaced atomically by the type handler (new table + swap), which
        # also handles a changed column set; nothing is deleted beforehand.
        if table_slice.partition_dimensions:
            raise NotImplementedError("Partitioned tables are not supported yet")

    @staticmethod
    def get_select_statement(table_slice: TableSlice) -> str:
        columns = (
            ", ".join(_quoted(column) for column in table_slice.columns)
            if table_slice.columns
            else "*"
        )
        return f"SELECT {columns} FROM {_quoted(table_slice.schema)}.{_quoted(table_slice.table)}"


class PandasPostgresTypeHandler(DbTypeHandler[pd.DataFrame]):
    """Stores a DataFrame as a table with COPY and reads it back with nullable dtypes."""

    def handle_output(
        self, context: dg.OutputContext, table_slice: TableSlice, obj: pd.DataFrame, connection
    ) -> Mapping[str, object]:
        primary_key: Sequence[str] = (context.definition_metadata or {}).get("primary_key", ())
        with connection.cursor() as cursor:
            columns = pg_tables.replace_table(
                cursor, table_slice.schema, table_slice.table, obj, primary_key=primary_key
            )
        return {
            "dagster/row_count": len(obj),
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
        with connection.cursor() as cursor:
            return pg_tables.read_table(
                cursor, table_slice.schema, table_slice.table, table_slice.columns
            )

    @property
    def supported_types(self) -> Sequence[type[object]]:
        return [pd.DataFrame]


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
