"""What every asset stored as a warehouse table declares, and what its materialization records."""

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg
from psycopg2 import errors
from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.assets.tags import layer_tags
from imdb_pipeline.constants import (
    DATA_ENGINEERING_OWNER,
    WAREHOUSE_IO_MANAGER_KEY,
    Layer,
)
from imdb_pipeline.lib import (
    column_lineage,
    load_audit,
    pg_errors,
    pg_tables,
    table_owners,
)
from imdb_pipeline.lib.load_audit import Load, LoadRun
from imdb_pipeline.lib.sql_text import day_sql, plain, quote
from imdb_pipeline.lib.warehouse_tables import Table
from imdb_pipeline.resources.warehouse import WarehouseResource

PREVIEW_ROWS = 5


def table_key(table: Table) -> dg.AssetKey:
    """Layer = key prefix = schema, table name = asset name."""
    return dg.AssetKey([table.schema, table.name])


def column_schema(table: Table) -> dg.TableSchema:
    """The declared columns: name, type, NOT NULL and description."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=column.pg_type,
                description=column.description or None,
                constraints=dg.TableColumnConstraints(nullable=column.nullable),
            )
            for column in table.columns
        ]
    )


def table_column_lineage(table: Table) -> dg.TableColumnLineage | None:
    """The upstream asset columns each column is computed from (`lib.column_lineage`); None for
    a table without declared lineage."""
    declared = column_lineage.lineage(table)
    if declared is None:
        return None
    return dg.TableColumnLineage(
        deps_by_column={
            column: [
                dg.TableColumnDep(asset_key=table_key(upstream), column_name=upstream_column)
                for upstream, upstream_column in sources
            ]
            for column, sources in declared.items()
        }
    )


def table_spec(
    table: Table,
    description: str,
    deps: Sequence[dg.AssetKey | dg.AssetDep] = (),
    partitions_def: dg.PartitionsDefinition | None = None,
    freshness_policy: dg.FreshnessPolicy | None = None,
) -> dg.AssetSpec:
    """The asset of a warehouse table: its layer's group and tags, owner, description, declared
    schema, and the warehouse IO manager, through which Python steps and `load_asset_value` read
    it. Skippable: after a failed blocking check the step keeps the table as it is and yields
    nothing for it (`checks.blocking`)."""
    return dg.AssetSpec(
        key=table_key(table),
        group_name=Layer(table.schema).value,
        kinds={"postgres", "sql"},
        owners=[DATA_ENGINEERING_OWNER],
        tags=layer_tags(Layer(table.schema)),
        description=description,
        deps=list(deps),
        partitions_def=partitions_def,
        freshness_policy=freshness_policy,
        skippable=True,
        metadata={
            "dagster/table_name": f"{table.schema}.{table.name}",
            "dagster/column_schema": column_schema(table),
            "primary_key": list(table.primary_key),
        },
    ).with_io_manager_key(WAREHOUSE_IO_MANAGER_KEY)


def written(
    cursor: PgCursor,
    table: Table,
    rows: int,
    day: dt.date | None = None,
    **extra,
) -> dict:
    """Metadata of a table write: rows written (a day's, or the whole table's), the declared
    columns (which Dagster's schema-change check compares run to run), where each column comes
    from when that is declared (`dagster/column_lineage`, read from materializations), and a
    preview."""
    where = f" WHERE {quote(table.partition_column)} = {day_sql(day)}" if day else ""
    cursor.execute(f"SELECT * FROM {table.qualified}{where} LIMIT {PREVIEW_ROWS}")
    names = [column.name for column in cursor.description]
    preview = dg.MetadataValue.table(
        records=[dg.TableRecord({n: plain(v) for n, v in zip(names, row)}) for row in cursor.fetchall()],
        schema=column_schema(table),
    )
    lineage = table_column_lineage(table)
    return {
        "dagster/row_count": rows,
        "dagster/table_name": f"{table.schema}.{table.name}",
        "dagster/column_schema": column_schema(table),
        **({"dagster/column_lineage": lineage} if lineage is not None else {}),
        "preview": preview,
        **extra,
    }


def build_tables(
    warehouse: WarehouseResource,
    builds: Mapping[dg.AssetKey, Callable[[PgCursor], dict]],
    run: LoadRun,
    day: dt.date | None = None,
) -> Iterator[dg.MaterializeResult]:
    """Run a step's table builds at the same time; each returns its table's metadata, and is
    recorded in the audit trail (`load_audit`) in its own transaction."""
    schemas = {key.path[0] for key in builds}  # see table_key
    loads = {key: run.load(key.to_user_string(), ".".join(key.path), day) for key in builds}

    def audited_build(key: dg.AssetKey) -> Callable[[PgCursor], dict]:
        def build(cursor: PgCursor) -> dict:
            metadata = builds[key](cursor)
            load_audit.record(cursor, loads[key], metadata["dagster/row_count"])
            return metadata

        return load_audit.failing(loads[key], build)

    with retries_cannot_help(", ".join(key.to_user_string() for key in builds)), \
            load_audit.audited(warehouse.connect, loads.values()):
        for key, metadata, seconds in warehouse.build_concurrently(
            {key: audited_build(key) for key in builds}, schemas
        ):
            loads[key].committed = True
            yield dg.MaterializeResult(asset_key=key, metadata={**metadata, "build_seconds": seconds})


@contextmanager
def retries_cannot_help(tables: str) -> Iterator[None]:
    """Failures that would fail again on every retry fail the step at once, saying what to do:
    - a view someone built on a whole table stops the table's replacement (it is never dropped
      for them);
    - PostgreSQL refuses the data itself (a value, a limit, a key): the same rows would fail
      again."""
    try:
        yield
    except errors.DependentObjectsStillExist as error:
        raise dg.Failure(
            description=f"{error.pgerror.strip()}\nThis table is replaced as a whole on every "
            "run: drop the objects that depend on it before the run and create them again after.",
            allow_retries=False,
        ) from None
    except pg_errors.DATA_ERRORS as error:
        raise dg.Failure(
            description=f"Building {tables}: PostgreSQL refused the data: "
            f"{pg_errors.described(error)}. The table it was building keeps its previous "
            "content. Staging "
            "refuses values no table can store, so this comes from rows staged before that "
            "rule, or changed by hand: stage those days again.",
            allow_retries=False,
        ) from None


@dataclass(frozen=True)
class BuiltAside:
    """A table built under a name of its own (`build_aside`), waiting to be put in place."""

    key: dg.AssetKey
    table: Table
    building: str
    rows: int
    seconds: float


def build_aside(
    cursor: PgCursor, key: dg.AssetKey, table: Table, select: str, owner: str
) -> BuiltAside:
    """Build `table` from `select` beside the one in place (`pg_tables.build_table_as`), named
    after the step's `owner` (`owned_tables`)."""
    started = time.perf_counter()
    building, rows = pg_tables.build_table_as(cursor, table, select, owner)
    return BuiltAside(key, table, building, rows, round(time.perf_counter() - started, 3))


def build_side_by_side_then_swap(
    warehouse: WarehouseResource,
    groups: Sequence[Callable[[PgCursor], list[BuiltAside]]],
    schemas: Sequence[str],
    loads: Mapping[dg.AssetKey, Load],
) -> list[BuiltAside]:
    """Run the groups of `build_aside` calls at the same time, each in its own transaction, then
    put every table they built in place together, in one transaction: readers see all the old
    tables or all the new ones. Tables built but not put in place (a group or the swap failed)
    are dropped. Each table's `loads` entry is recorded in the audit trail (`load_audit`), in the
    swap's transaction, or as failed."""
    built: list[BuiltAside] = []
    try:
        with retries_cannot_help(", ".join(schemas)), \
                load_audit.audited(warehouse.connect, loads.values()) as started:
            for _, group, _ in warehouse.build_concurrently(dict(enumerate(groups)), schemas):
                built.extend(group)
            with warehouse.connect() as connection, connection.cursor() as cursor:
                for table in built:
                    pg_tables.swap_in(cursor, table.table, table.building)
                    load_audit.record(cursor, loads[table.key], table.rows, started=started)
    finally:
        with warehouse.connect() as connection, connection.cursor() as cursor:
            for table in built:  # a no-op for those swapped in
                pg_tables.drop_building(cursor, table.table, table.building)
    return built


@contextmanager
def owned_tables(warehouse: WarehouseResource, schemas: Sequence[str]) -> Iterator[str]:
    """The owner name of the tables a step commits in `schemas` before it puts them in place or
    drops them (`table_owners`), held while the block runs. First drops such tables that a
    killed process left behind."""
    with warehouse.connect() as connection:
        with connection.cursor() as cursor:
            abandoned = table_owners.drop_abandoned(cursor, list(schemas))
        connection.commit()
        if abandoned:
            dg.get_dagster_logger().warning(
                f"Dropped {len(abandoned)} table(s) left by a step that did not end cleanly: "
                + ", ".join(abandoned)
            )
        connection.autocommit = True  # the owner's lock is held by an idle connection
        with connection.cursor() as cursor:
            owner = table_owners.new_owner(cursor)
        yield owner


@contextmanager
def scratch_table(
    warehouse: WarehouseResource, schema: str, name: str, select: str, owner: str
) -> Iterator[str]:
    """A scratch table of the rows of `select` (`pg_tables.create_scratch_as`), committed so that
    every connection of the step can read it; yields its qualified name, and drops it when the
    block ends, on success or failure."""
    with warehouse.build_transaction() as cursor:
        scratch = pg_tables.create_scratch_as(cursor, schema, name, select, owner)
    try:
        yield scratch
    finally:
        with warehouse.connect() as connection, connection.cursor() as cursor:
            pg_tables.drop_scratch(cursor, scratch)
