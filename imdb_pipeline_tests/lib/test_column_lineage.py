"""The declared column lineage of the core and analytics tables."""

from imdb_pipeline.lib import column_lineage
from imdb_pipeline.lib.warehouse_tables import (
    AGG_TOP_MOVIES,
    DIM_MOVIES,
    FACT_MOVIE_PERFORMANCE,
    STG_MOVIES,
    WAREHOUSE_TABLES,
)

# Staging reads files, whose columns are no asset's: its lineage starts there.
WITH_LINEAGE = {table for table in WAREHOUSE_TABLES if table.schema in ("core", "analytics")}


def test_every_core_and_analytics_table_has_lineage_and_no_other_table():
    assert {table for table in WAREHOUSE_TABLES if column_lineage.lineage(table)} == WITH_LINEAGE


def test_every_column_has_lineage_and_only_declared_columns_do():
    for table in WITH_LINEAGE:
        lineage = column_lineage.lineage(table)
        assert list(lineage) == list(table.column_names), table.name
        assert all(lineage.values()), table.name


def test_every_upstream_column_is_declared_in_its_table():
    for table in WITH_LINEAGE:
        for column, sources in column_lineage.lineage(table).items():
            for upstream, upstream_column in sources:
                assert upstream in WAREHOUSE_TABLES, f"{table.name}.{column}: {upstream.name}"
                assert upstream_column in upstream.column_names, (
                    f"{table.name}.{column}: {upstream.name}.{upstream_column}"
                )
                assert upstream != table, f"{table.name}.{column} reads itself"


def test_measures_come_from_staging_through_the_fact():
    fact = column_lineage.lineage(FACT_MOVIE_PERFORMANCE)
    assert fact["gross_millions"] == ((STG_MOVIES, "gross_millions"),)
    assert fact["movie_key"] == ((DIM_MOVIES, "movie_key"),)
    assert column_lineage.lineage(DIM_MOVIES)["decade"] == ((STG_MOVIES, "year"),)
    top = column_lineage.lineage(AGG_TOP_MOVIES)
    assert top["votes"] == ((FACT_MOVIE_PERFORMANCE, "votes"),)
    assert top["title"] == ((DIM_MOVIES, "title"),)
