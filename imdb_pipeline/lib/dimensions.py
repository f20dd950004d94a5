"""Dimensions whose surrogate keys never change once given.

Every dimension is derived from the staging history (all daily snapshots), so the result does
not depend on the order in which days were processed: a backfill equals a day-by-day run.
New keys follow the existing maximum, handed out in order of first appearance (then name), so a
key given on day 1 is the same whether day 2 was loaded after it or in the same backfill.
"""

import pandas as pd

from imdb_pipeline.constants import SNAPSHOT_DATE
from imdb_pipeline.lib.lists import explode_list

RUNTIME_BUCKETS = ((90, "under 90 min"), (120, "90-119 min"), (150, "120-149 min"))
LONGEST_BUCKET = "150+ min"


def assign_keys(
    candidates: pd.DataFrame, existing: pd.DataFrame | None, key: str, natural_key: list[str]
) -> pd.DataFrame:
    """The candidates with `key`: kept from `existing` where the natural key matches, else
    numbered from max(existing key) + 1 in the candidates' order."""
    keyed = candidates.reset_index(drop=True)
    if existing is not None and len(existing):
        keyed = keyed.merge(existing[[*natural_key, key]], on=natural_key, how="left")
        first = int(existing[key].max()) + 1
    else:
        keyed[key] = pd.NA
        first = 1
    new = keyed[key].isna().to_numpy()
    keyed.loc[new, key] = range(first, first + int(new.sum()))
    return keyed.astype({key: "Int64"})


def first_appearances(history: pd.DataFrame, name_column: str) -> pd.DataFrame:
    """Each name once, with the first day it appeared, ordered by that day then name."""
    named = history[history[name_column].notna()]
    # datetime64 keeps the per-name minimum vectorised; object dates fall back to Python.
    days = pd.to_datetime(pd.Series(named[SNAPSHOT_DATE].astype(object), index=named.index))
    first = days.groupby(named[name_column].to_numpy(), sort=False).min()
    first = pd.DataFrame({name_column: first.index, SNAPSHOT_DATE: first.to_numpy()})
    first = first.sort_values([SNAPSHOT_DATE, name_column], ignore_index=True)
    first[SNAPSHOT_DATE] = first[SNAPSHOT_DATE].dt.date
    return first.astype({name_column: named[name_column].dtype})


def new_named_rows(
    history: pd.DataFrame, name_column: str, existing: pd.DataFrame | None, key: str, name: str
) -> pd.DataFrame:
    """Rows to add to a name dimension (SCD type 1): names not in it yet, with new keys.

    Names that stop appearing keep their row; nothing is ever renumbered.
    """
    appearances = first_appearances(history, name_column).rename(columns={name_column: name})
    if existing is not None and len(existing):
        appearances = appearances[~appearances[name].isin(existing[name])]
    keyed = assign_keys(appearances[[name]], existing, key, [name])
    return keyed[[key, name]].astype({name: "string"})


def list_item_history(history: pd.DataFrame, column: str, item_name: str) -> pd.DataFrame:
    """(snapshot_date, item) for every item of a list column (`genre`, `stars`) on every day."""
    items = explode_list(history, SNAPSHOT_DATE, column, item_name)
    return items[[SNAPSHOT_DATE, item_name]]


def runtime_bucket(minutes: pd.Series) -> pd.Series:
    labels = pd.Series(LONGEST_BUCKET, index=minutes.index, dtype="string")
    for upper, label in reversed(RUNTIME_BUCKETS):
        labels = labels.mask(minutes < upper, label)
    return labels.where(minutes.notna())
