"""`dim_movies` as a slowly changing dimension of type 2, derived from the daily snapshots.

A movie's version lasts while its tracked attributes stay the same; a change on day D closes the
version (valid_to = D) and opens a new one (valid_from = D) with a new `movie_key`. Intervals are
half-open, [valid_from, valid_to); the open end is 9999-12-31, so `snapshot_date >= valid_from AND
snapshot_date < valid_to` always finds exactly one version.

A movie missing from the latest snapshot keeps its current version (is_current stays true, so
each movie has exactly one current version); `last_seen_date` and `in_latest_snapshot = false`
tell a steward it is gone. If it comes back unchanged, the same version goes on; changed, a new
version starts on the day it comes back.

Because versions are derived from the whole history, re-processing a past day recomputes the same
versions (same keys) when its data is unchanged, and never shifts later versions.
"""

import datetime as dt

import pandas as pd

from imdb_pipeline.constants import SNAPSHOT_DATE
from imdb_pipeline.lib.dimensions import assign_keys, runtime_bucket

TRACKED_ATTRIBUTES = ("title", "year", "certificate", "runtime_minutes", "description", "director")
OPEN_END = dt.date(9999, 12, 31)
HISTORY_COLUMNS = [SNAPSHOT_DATE, "movie_id", *TRACKED_ATTRIBUTES]
COLUMNS = [
    "movie_key", "movie_id", "title", "year", "decade", "certificate", "runtime_minutes",
    "runtime_bucket", "description", "director", "valid_from", "valid_to", "is_current",
    "last_seen_date", "in_latest_snapshot",
]  # fmt: skip
_NULL = "\x00null"


def movie_versions(history: pd.DataFrame, existing: pd.DataFrame | None) -> pd.DataFrame:
    """Every version of every movie in the staging history, keyed; existing keys are kept."""
    ordered = history[HISTORY_COLUMNS].sort_values(["movie_id", SNAPSHOT_DATE], ignore_index=True)
    # Compare attributes as text with an explicit NULL token: NULL equals NULL, and 0 != NULL.
    attributes = ordered[list(TRACKED_ATTRIBUTES)].astype("string").fillna(_NULL)
    previous = attributes.shift()
    starts_movie = ordered["movie_id"].ne(ordered["movie_id"].shift()).fillna(True)
    changed = attributes.ne(previous).fillna(True).any(axis=1)
    starts = (starts_movie | changed).to_numpy(dtype=bool)
    version = starts.cumsum()

    # Rows are sorted by movie and day, so a version is the run of rows from its first row:
    # its attributes are that row's, its last day the run's last. Dates go through datetime64
    # so the per-version maximum is vectorised (object dates would fall back to Python).
    days = pd.to_datetime(pd.Series(ordered[SNAPSHOT_DATE].astype(object)))
    versions = ordered.loc[starts].drop(columns=[SNAPSHOT_DATE]).reset_index(drop=True)
    versions["valid_from"] = days[starts].dt.date.to_numpy()
    versions["last_seen_date"] = days.groupby(version).max().dt.date.to_numpy()

    next_start = versions.groupby("movie_id")["valid_from"].shift(-1)
    versions["valid_to"] = next_start.where(next_start.notna(), OPEN_END)
    versions["is_current"] = pd.array(versions["valid_to"] == OPEN_END, dtype="boolean")
    latest = history[SNAPSHOT_DATE].max() if len(history) else None
    versions["in_latest_snapshot"] = pd.array(
        versions["is_current"] & (versions["last_seen_date"] == latest), dtype="boolean"
    )
    versions["decade"] = (versions["year"] // 10 * 10).astype("Int32")
    versions["runtime_bucket"] = runtime_bucket(versions["runtime_minutes"])

    # New keys in order of appearance, so a backfill numbers versions as day-by-day runs do.
    versions = versions.sort_values(["valid_from", "movie_id"], ignore_index=True)
    keyed = assign_keys(versions, existing, "movie_key", ["movie_id", "valid_from"])
    return keyed[COLUMNS].sort_values("movie_key", ignore_index=True)


def versions_on(dim_movies: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """movie_id -> movie_key of the version valid on `day`."""
    valid = (dim_movies["valid_from"] <= day) & (day < dim_movies["valid_to"])
    return dim_movies.loc[valid, ["movie_id", "movie_key"]]
