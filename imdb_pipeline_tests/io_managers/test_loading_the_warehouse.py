"""`defs.load_asset_value` reads every warehouse table after a run of the whole graph."""

import dagster as dg
import pandas as pd
import pyarrow as pa

from imdb_pipeline.assets.warehouse_table import table_key
from imdb_pipeline.definitions import defs
from imdb_pipeline.lib.table_data import arrow_schema
from imdb_pipeline.lib.warehouse_tables import (
    FACT_MOVIE_PERFORMANCE,
    WAREHOUSE_TABLES,
    declared_table,
)
from imdb_pipeline_tests.assets.test_graph_on_sample import EXPECTED_ROW_COUNTS
from imdb_pipeline_tests.warehouse_state import DAY, materialize_all


def test_every_warehouse_table_loads_with_its_declared_types(warehouse_url, sample_source):
    materialize_all()
    graph = defs.resolve_asset_graph()
    tables = [key for key in graph.get_all_asset_keys() if declared_table(*key.path)]
    assert {tuple(key.path) for key in tables} == {
        (table.schema, table.name) for table in WAREHOUSE_TABLES}
    assert len(tables) == len(EXPECTED_ROW_COUNTS)

    with defs.get_asset_value_loader(instance=dg.DagsterInstance.ephemeral()) as loader:
        for key in tables:
            table = declared_table(*key.path)
            day = DAY if graph.get(key).partitions_def is not None else None
            frame = loader.load_asset_value(key, partition_key=day)
            assert isinstance(frame, pd.DataFrame), key
            assert len(frame) == EXPECTED_ROW_COUNTS[f"{table.schema}.{table.name}"], key
            assert list(frame.columns) == list(table.column_names), key
            expected = {f.name: str(pd.ArrowDtype(f.type)) for f in arrow_schema(table)}
            assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == expected, key

    # As a user would, from a notebook: no instance, Arrow wanted.
    fact = defs.load_asset_value(
        table_key(FACT_MOVIE_PERFORMANCE), partition_key=DAY, python_type=pa.Table
    )
    assert fact.schema == arrow_schema(FACT_MOVIE_PERFORMANCE)
    assert fact.num_rows == EXPECTED_ROW_COUNTS["core.fact_movie_performance"]
