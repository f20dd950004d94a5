"""The comma-separated list columns (`genre`, `stars`)."""

import pandas as pd

from imdb_pipeline.lib.contract import LIST_JOINER, LIST_SEPARATOR


def normalise_list(value: str) -> str:
    """Items trimmed, empties dropped, repeats removed (first kept), joined as `a, b`."""
    items = (item.strip() for item in value.split(LIST_SEPARATOR))
    return LIST_JOINER.join(dict.fromkeys(item for item in items if item))


def explode_list(frame: pd.DataFrame, key: str, column: str, item_name: str) -> pd.DataFrame:
    """One row per (key, item) with the item's 1-based position in the list."""
    items = frame[[key]].assign(**{item_name: frame[column].str.split(LIST_JOINER, regex=False)})
    items = items.explode(item_name, ignore_index=True)
    items = items[items[item_name].notna() & (items[item_name] != "")]
    items["position"] = items.groupby(key, sort=False).cumcount() + 1
    return items.astype({item_name: "string"}).reset_index(drop=True)
