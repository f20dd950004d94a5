"""The code location loads, and every definition tells a data steward what it is."""

import datetime as dt
import importlib
import os
import subprocess
import sys

import dagster as dg

from imdb_pipeline.constants import WAREHOUSE_IO_MANAGER_KEY, Layer
from imdb_pipeline.definitions import defs

EXPECTED_ASSETS = {
    "raw/raw_imdb_movies",
    "staging/stg_movies", "staging/stg_movies_rejects",
    "core/dim_movies", "core/dim_directors", "core/dim_genres", "core/dim_actors",
    "core/bridge_movie_genre", "core/bridge_movie_actor", "core/fact_movie_performance",
    "analytics/agg_director_stats", "analytics/agg_genre_trends",
    "analytics/agg_yearly_revenue", "analytics/agg_top_movies",
}  # fmt: skip
# Assets that are not warehouse tables: pages built from them.
REPORTS = {"analytics/analytics_dashboard"}


def test_definitions_validate():
    dg.Definitions.validate_loadable(defs)


def test_the_graph_holds_every_warehouse_table():
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == EXPECTED_ASSETS | REPORTS


def test_every_asset_has_its_layer_as_group_and_prefix_a_description_and_an_owner():
    graph = defs.resolve_asset_graph()
    layers = {layer.value for layer in Layer}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name in layers, key
        assert key.path[0] == node.group_name, key
        assert node.description, key
        assert node.owners, key


def test_every_asset_is_tagged_with_its_layer_domain_and_tier():
    tiers = {"raw": "bronze", "staging": "silver", "core": "gold", "analytics": "gold"}
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        tags = graph.get(key).tags
        layer = key.path[0]
        assert (tags["layer"], tags["domain"], tags["tier"]) == (layer, "movies", tiers[layer]), key


def test_the_analytics_are_stale_when_the_daily_run_has_not_rebuilt_them_by_04_00():
    graph = defs.resolve_asset_graph()
    fresh = {key.to_user_string(): graph.get(key).freshness_policy
             for key in graph.get_all_asset_keys() if graph.get(key).freshness_policy}  # fmt: skip
    assert set(fresh) == {key for key in EXPECTED_ASSETS | REPORTS if key.startswith("analytics/")}
    for policy in fresh.values():
        assert policy == dg.FreshnessPolicy.cron(
            deadline_cron="0 4 * * *", lower_bound_delta=dt.timedelta(hours=2), timezone="UTC")


def test_every_warehouse_table_is_read_through_the_warehouse_io_manager():
    graph = defs.resolve_asset_graph()
    assert WAREHOUSE_IO_MANAGER_KEY in defs.resources
    for key in graph.get_all_asset_keys():
        if key.path[0] != Layer.RAW.value and key.to_user_string() not in REPORTS:
            io_manager_key = defs.resolve_assets_def(key).get_io_manager_key_for_asset_key(key)
            assert io_manager_key == WAREHOUSE_IO_MANAGER_KEY, key


def test_every_job_has_a_description():
    for job in defs.jobs:
        assert job.description


def test_the_graph_shape_is_as_designed():
    graph = defs.resolve_asset_graph()
    parents = {
        key.to_user_string(): sorted(parent.to_user_string() for parent in graph.get(key).parent_keys)
        for key in graph.get_all_asset_keys()
    }
    assert parents["staging/stg_movies"] == ["raw/raw_imdb_movies"]
    # The fact depends on its own previous day, so backfills run in date order.
    assert parents["core/fact_movie_performance"] == [
        "core/dim_directors", "core/dim_movies", "core/fact_movie_performance",
        "staging/stg_movies",
    ]  # fmt: skip
    assert parents["analytics/agg_genre_trends"] == [
        "core/bridge_movie_genre", "core/dim_genres", "core/dim_movies",
        "core/fact_movie_performance",
    ]  # fmt: skip


def test_every_daily_table_is_partitioned_by_day_and_the_rest_is_not():
    graph = defs.resolve_asset_graph()
    daily = {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if graph.get(key).partitions_def is not None
    }
    assert daily == {
        "raw/raw_imdb_movies", "staging/stg_movies", "staging/stg_movies_rejects",
        "core/bridge_movie_genre", "core/bridge_movie_actor", "core/fact_movie_performance",
    }  # fmt: skip


def test_importing_the_code_location_starts_nothing_and_touches_no_files(tmp_path):
    # A fresh interpreter with a pipeline home that must stay untouched by the import.
    home = tmp_path / "untouched"
    environment = {**os.environ, "IMDB_PIPELINE_HOME": str(home)}
    subprocess.run(
        [sys.executable, "-c", "import imdb_pipeline.definitions"], env=environment, check=True
    )
    assert not home.exists()
    importlib.import_module("imdb_pipeline.definitions")


def test_every_asset_check_has_a_description_and_error_checks_block():
    graph = defs.resolve_asset_graph()
    for key in graph.asset_check_keys:
        spec = graph.get_check_spec(key)
        assert spec.description, key
        if spec.description.startswith("[ERROR]"):
            assert spec.blocking, key


def test_every_warehouse_table_has_quality_checks():
    graph = defs.resolve_asset_graph()
    checked = {key.asset_key.to_user_string() for key in graph.asset_check_keys
               if key.name != "column_schema_change"}  # fmt: skip
    assert checked >= EXPECTED_ASSETS - {"staging/stg_movies_rejects"}


def test_a_job_runs_only_the_checks():
    job = defs.resolve_job_def("validate_warehouse")
    assert job.asset_layer.selected_asset_keys == set()
    assert {node.name for node in job.graph.nodes} >= {
        "raw_file_quality", "staging_quality", "dimension_quality", "fact_and_bridge_quality",
        "analytics_quality",
    }  # fmt: skip
