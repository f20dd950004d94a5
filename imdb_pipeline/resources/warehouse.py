"""The PostgreSQL warehouse as a Dagster resource: an external server or the embedded one."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import pandas as pd
import psycopg2
from psycopg2.extensions import connection as PgConnection

from imdb_pipeline.constants import EMBEDDED_DATABASE
from imdb_pipeline.deployment import EmbeddedWarehouse, warehouse_target
from imdb_pipeline.lib import pg_reads
from imdb_pipeline.resources import embedded_postgres


@contextmanager
def transaction(url: str, application_name: str) -> Iterator[PgConnection]:
    """A connection in one transaction: committed on success, rolled back on error, closed."""
    connection = psycopg2.connect(url, application_name=application_name)
    try:
        with connection:
            yield connection
    finally:
        connection.close()


def warehouse_url() -> str:
    """The libpq URL of the configured warehouse, starting the embedded server if it is the one."""
    target = warehouse_target()
    if isinstance(target, EmbeddedWarehouse):
        server = embedded_postgres.ensure_running(target.home, target.port, EMBEDDED_DATABASE)
        return server.url(EMBEDDED_DATABASE)
    return target.url


class WarehouseResource(dg.ConfigurableResource):
    """Connections to the warehouse named by IMDB_WAREHOUSE_URL, or to the embedded PostgreSQL.

    The URL carries a password, so it is read from the environment when first used and never
    stored in run config or logged. An unset URL means the embedded server, started on demand.
    """

    application_name: str = "imdb_pipeline"

    def url(self) -> str:
        """The libpq URL of the warehouse; starts the embedded server if it is the target."""
        return warehouse_url()

    def connect(self):
        """A connection in one transaction (see `transaction`)."""
        return transaction(self.url(), self.application_name)

    def read_table(self, key: dg.AssetKey) -> pd.DataFrame | None:
        """The table behind an asset key (schema = layer), or None before its first load."""
        schema, table = key.path[-2], key.path[-1]
        with self.connect() as connection, connection.cursor() as cursor:
            if not pg_reads.table_exists(cursor, schema, table):
                return None
            return pg_reads.read_table(cursor, schema, table)
