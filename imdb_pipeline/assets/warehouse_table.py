"""What every asset stored as a warehouse table declares."""

from typing import Any

from imdb_pipeline.constants import DATA_ENGINEERING_OWNER, WAREHOUSE_IO_MANAGER_KEY, Layer


def table_properties(layer: Layer, description: str, primary_key: list[str]) -> dict[str, Any]:
    """Keyword arguments for `dg.asset` / `dg.AssetOut`: the layer's group, the Postgres IO
    manager, owner, description and the primary key the IO manager declares on the table."""
    return {
        "group_name": layer.value,
        "io_manager_key": WAREHOUSE_IO_MANAGER_KEY,
        "kinds": {"pandas", "postgres"},
        "owners": [DATA_ENGINEERING_OWNER],
        "description": description,
        "metadata": {"primary_key": primary_key},
    }
