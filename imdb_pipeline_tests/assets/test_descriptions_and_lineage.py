"""What BI tools and Dagster show of each table: PostgreSQL comments on every table and column,
kept run after run; column descriptions in Dagster; column lineage of the fact and analytics.

The whole graph runs twice on the bundled sample, once for the module: the second run replaces
every whole table and exchanges every day's partition, which is what could lose comments.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import pytest

from imdb_pipeline.assets.warehouse_table import table_key
from imdb_pipeline.definitions import defs
from imdb_pipeline.lib import column_lineage
from imdb_pipeline.lib.warehouse_tables import WAREHOUSE_TABLES
from imdb_pipeline_tests.conftest import module_warehouse, query
from imdb_pipeline_tests.warehouse_state import DAY, materialize_all

SCHEMAS = ("staging", "core", "analytics")


@dataclass(frozen=True)
class Relation:
    oid: int
    partitioned: bool
    partition: bool
    comment: str | None
    columns: dict[str, str | None]


def _relations(url: str) -> dict[str, Relation]:
    """Every table and partition in the warehouse's schemas, with its comments."""
    rows = query(
        url,
        """SELECT n.nspname || '.' || c.relname, c.oid::bigint, c.relkind = 'p', c.relispartition,
                  obj_description(c.oid, 'pg_class'),
                  array_agg(a.attname::text ORDER BY a.attnum),
                  array_agg(col_description(c.oid, a.attnum) ORDER BY a.attnum)
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p')
           GROUP BY 1, 2, 3, 4, 5""",
        (list(SCHEMAS),),
    )
    return {
        name: Relation(oid, partitioned, partition, comment, dict(zip(columns, comments)))
        for name, oid, partitioned, partition, comment, columns, comments in rows
    }


@dataclass(frozen=True)
class TwoRuns:
    first: dict[str, Relation]
    second: dict[str, Relation]
    result: dg.ExecuteInProcessResult


@pytest.fixture(scope="module")
def two_runs(postgres_server, tmp_path_factory) -> Iterator[TwoRuns]:
    """The graph materialized twice for one day on a database of its own."""
    with module_warehouse(postgres_server, tmp_path_factory) as url:
        materialize_all()
        first = _relations(url)
        result = materialize_all()
        yield TwoRuns(first, _relations(url), result)


def test_every_table_and_column_has_a_comment_after_each_run(two_runs):
    for relations in (two_runs.first, two_runs.second):
        tables = {name for name, relation in relations.items() if not relation.partition}
        assert tables == {f"{table.schema}.{table.name}" for table in WAREHOUSE_TABLES}
        for name, relation in relations.items():
            assert relation.comment and relation.comment.strip(), name
            assert [column for column, text in relation.columns.items() if not text] == [], name


def test_comments_are_the_declared_descriptions_and_survive_the_swaps(two_runs):
    for table in WAREHOUSE_TABLES:
        name = f"{table.schema}.{table.name}"
        first, second = two_runs.first[name], two_runs.second[name]
        assert second.comment == table.description, name
        assert second.columns == {c.name: c.description for c in table.columns}, name
        assert (second.comment, second.columns) == (first.comment, first.columns), name
    # Both runs replaced the whole tables and the day's partitions: they are new tables.
    for name in ("core.dim_movies", "analytics.agg_top_movies",
                 f"core.fact_movie_performance_p{DAY.replace('-', '')}"):  # fmt: skip
        assert two_runs.second[name].oid != two_runs.first[name].oid, name


def test_daily_tables_are_commented_on_their_parent_and_each_day(two_runs):
    daily = [table for table in WAREHOUSE_TABLES if table.partition_column]
    assert len(daily) == 5
    for table in daily:
        name = f"{table.schema}.{table.name}"
        assert two_runs.second[name].partitioned, name
        partition = two_runs.second[f"{name}_p{DAY.replace('-', '')}"]
        assert partition.partition
        assert partition.comment == f"One day ({DAY}) of {name}: {table.description}"
        assert partition.columns == two_runs.second[name].columns


def test_lineage_is_recorded_with_each_materialization_of_the_fact_and_analytics(two_runs):
    recorded = {
        event.asset_key: event.materialization.metadata.get("dagster/column_lineage")
        for event in two_runs.result.get_asset_materialization_events()
    }
    with_lineage = {key for key, lineage in recorded.items() if lineage is not None}
    assert with_lineage == {table_key(table) for table in column_lineage.LINEAGE}
    for table, declared in column_lineage.LINEAGE.items():
        lineage = recorded[table_key(table)].value
        assert set(lineage.deps_by_column) == set(table.column_names)
        for column, sources in declared.items():  # Dagster sorts each column's deps
            deps = lineage.deps_by_column[column]
            assert {(dep.asset_key, dep.column_name) for dep in deps} == {
                (table_key(upstream), upstream_column) for upstream, upstream_column in sources
            }


def test_lineage_names_only_columns_of_the_assets_a_table_depends_on():
    graph = defs.resolve_asset_graph()
    for table, declared in column_lineage.LINEAGE.items():
        parents = graph.get(table_key(table)).parent_keys
        for column, sources in declared.items():
            for upstream, _ in sources:
                assert table_key(upstream) in parents, f"{table.name}.{column}: {upstream.name}"


def test_every_column_schema_in_dagster_has_descriptions():
    graph = defs.resolve_asset_graph()
    schemas = {
        key: graph.get(key).metadata.get("dagster/column_schema")
        for key in graph.get_all_asset_keys()
    }
    described = {key for key, schema in schemas.items() if schema is not None}
    assert described == {table_key(table) for table in WAREHOUSE_TABLES}
    for key in described:
        for column in schemas[key].columns:
            assert column.description and column.description.strip(), f"{key}: {column.name}"
