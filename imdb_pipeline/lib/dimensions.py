"""Dimension tables with surrogate keys that never change once given.

A key is handed out once per natural key and kept: rows already in the dimension keep theirs, new
names get the next numbers (in name order, so a run is deterministic), and names that stop
appearing in the source stay, so their keys are never reused.
"""

import pandas as pd

from imdb_pipeline.lib.lists import explode_list

RUNTIME_BUCKETS = ((90, "under 90 min"), (120, "90-119 min"), (150, "120-149 min"))
LONGEST_BUCKET = "150+ min"
MOVIE_ATTRIBUTES = ("title", "year", "certificate", "runtime_minutes", "description")


def assign_keys(
    natural_keys: pd.Series, existing: pd.DataFrame | None, key: str, name: str
) -> pd.DataFrame:
    """`existing` rows plus one row per unseen natural key, keyed max(key)+1, +2, ..."""
    current = (
        existing[[key, name]]
        if existing is not None and len(existing)
        else pd.DataFrame({key: pd.Series([], dtype="Int64"), name: pd.Series([], dtype="string")})
    )
    unseen = pd.Index(natural_keys.dropna().unique()).difference(pd.Index(current[name]), sort=True)
    first = int(current[key].max()) + 1 if len(current) else 1
    added = pd.DataFrame({key: range(first, first + len(unseen)), name: unseen})
    keyed = pd.concat([current, added], ignore_index=True)
    return keyed.astype({key: "Int64", name: "string"}).sort_values(key, ignore_index=True)


def named_dimension(
    names: pd.Series, existing: pd.DataFrame | None, key: str, name: str
) -> pd.DataFrame:
    """A dimension that is just a key and a name (directors, genres, actors)."""
    return assign_keys(names, existing, key, name)


def list_items(movies: pd.DataFrame, column: str) -> pd.Series:
    """Every item of a list column (`genre`, `stars`), once."""
    return explode_list(movies, "movie_id", column, "item")["item"].drop_duplicates()


def runtime_bucket(minutes: pd.Series) -> pd.Series:
    labels = pd.Series(LONGEST_BUCKET, index=minutes.index, dtype="string")
    for upper, label in reversed(RUNTIME_BUCKETS):
        labels = labels.mask(minutes < upper, label)
    return labels.where(minutes.notna())


def dim_movies(movies: pd.DataFrame, existing: pd.DataFrame | None) -> pd.DataFrame:
    """One row per movie ever seen; attributes from the latest source, else as last seen."""
    keys = assign_keys(movies["movie_id"], existing, "movie_key", "movie_id")
    latest = movies[["movie_id", *MOVIE_ATTRIBUTES]]
    if existing is not None and len(existing):
        gone = existing.loc[~existing["movie_id"].isin(movies["movie_id"]), latest.columns]
        latest = pd.concat([latest, gone], ignore_index=True)
    table = keys.merge(latest, on="movie_id", how="left", validate="one_to_one")
    table["decade"] = (table["year"] // 10 * 10).astype("Int32")
    table["runtime_bucket"] = runtime_bucket(table["runtime_minutes"])
    return table[
        ["movie_key", "movie_id", "title", "year", "decade", "certificate", "runtime_minutes",
         "runtime_bucket", "description"]
    ].sort_values("movie_key", ignore_index=True)  # fmt: skip
