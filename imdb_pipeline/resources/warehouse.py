"""The PostgreSQL warehouse as a Dagster resource: an external server or the embedded one."""

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import TypeVar

import dagster as dg
import psycopg2
from psycopg2.extensions import connection as PgConnection
from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.constants import ENV_WAREHOUSE_URL
from imdb_pipeline.deployment import warehouse_url
from imdb_pipeline.lib import pg_connect, pg_errors, pg_tables, server_version

Key = TypeVar("Key")
Result = TypeVar("Result")


@contextmanager
def transaction(url: str, application_name: str) -> Iterator[PgConnection]:
    """A connection in one transaction: committed on success, rolled back on error, closed."""
    connection = pg_connect.connect(url, application_name=application_name)
    try:
        with connection:
            yield connection
    finally:
        connection.close()


class WarehouseResource(dg.ConfigurableResource):
    """Connections to the warehouse named by IMDB_WAREHOUSE_URL, or to the embedded PostgreSQL.

    The URL carries a password, so it is read from the environment when first used and never
    stored in run config or logged. An unset URL means the embedded server, started on demand.

    Builds run with larger sort and hash memory than PostgreSQL's defaults (4 MB and 64 MB),
    set with SET LOCAL: they last for the build's transaction only and leave the server's
    settings, and everyone else's sessions, alone.
    """

    application_name: str = "imdb_pipeline"
    work_mem: str = "256MB"
    """Memory per sort or hash step of a build query (PostgreSQL `work_mem`)."""
    maintenance_work_mem: str = "512MB"
    """Memory for building a table's primary key and unique indexes."""
    concurrent_builds: int = 2
    """Tables of one step built at the same time, each on its own connection."""

    def url(self) -> str:
        """The libpq URL of the warehouse; starts the embedded server if it is the target.

        A server older than the pipeline supports fails the step here, on first use, with its
        version and the minimum, and without retries: it would fail the same way again.
        A URL that cannot be parsed, a login the server refuses and a certificate that does not
        verify fail the same way: they would fail again on every retry. Their messages never hold the password.
        """
        try:
            url = warehouse_url()
            server_version.require_supported(url)
        except ValueError as error:  # the URL itself, reported without its password
            raise dg.Failure(description=f"{ENV_WAREHOUSE_URL}: {error}",
                             allow_retries=False) from None  # fmt: skip
        except server_version.UnsupportedServer as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None
        except psycopg2.OperationalError as error:
            if not pg_errors.is_refused_connection(error):
                raise
            raise dg.Failure(description=f"Could not connect to the warehouse: "
                             f"{str(error).strip()}. Check the user, password and TLS settings "
                             f"(sslmode, sslrootcert) of {ENV_WAREHOUSE_URL}.",
                             allow_retries=False) from None  # fmt: skip
        return url

    def server_version(self) -> int:
        """The warehouse's PostgreSQL version (`server_version_num`, e.g. 150018)."""
        return server_version.of(self.url())

    def connect(self):
        """A connection in one transaction (see `transaction`)."""
        return transaction(self.url(), self.application_name)

    @contextmanager
    def build_transaction(self, url: str | None = None) -> Iterator[PgCursor]:
        """A cursor in one transaction tuned for building tables."""
        with transaction(url or self.url(), self.application_name) as connection, \
                connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('work_mem', %s, true), "
                "set_config('maintenance_work_mem', %s, true)",
                (self.work_mem, self.maintenance_work_mem),
            )
            yield cursor

    def build_concurrently(
        self,
        builds: Mapping[Key, Callable[[PgCursor], Result]],
        schemas: Iterable[str] = (),
    ) -> Iterator[tuple[Key, Result, float]]:
        """Run independent builds at the same time, each in its own transaction, and yield
        (key, result, seconds it took) as each commits. If any fails, the others still finish
        (and commit), then the first failure is raised: each table stays atomic, whatever
        happens to the others.

        The `schemas` the builds write to are created first, in a transaction of their own: a
        schema created inside one build's transaction would make every other build wait for
        that transaction to end before it could use the schema."""
        url = self.url()  # once, before the threads: it may start the embedded server
        if schemas:
            with transaction(url, self.application_name) as connection, \
                    connection.cursor() as cursor:
                for schema in sorted(set(schemas)):
                    pg_tables.ensure_schema(cursor, schema)

        def run(build: Callable[[PgCursor], Result]) -> tuple[Result, float]:
            started = time.perf_counter()
            with self.build_transaction(url) as cursor:
                result = build(cursor)
            return result, round(time.perf_counter() - started, 3)

        failures: list[BaseException] = []
        with ThreadPoolExecutor(max_workers=max(1, self.concurrent_builds)) as pool:
            pending = {pool.submit(run, build): key for key, build in builds.items()}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    key = pending.pop(future)
                    if future.exception() is not None:
                        failures.append(future.exception())
                    else:
                        yield key, *future.result()
        if failures:
            raise failures[0]
