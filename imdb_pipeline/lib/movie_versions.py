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
versions (same keys) when its data is unchanged, and never shifts later versions. New days that
come after every day already derived are folded in from the existing versions and those days
alone (`dim_movies_fold_select`), with the same result.
"""

import datetime as dt

from imdb_pipeline.constants import SNAPSHOT_DATE
from imdb_pipeline.lib.certificates import certificate_system_sql
from imdb_pipeline.lib.dimensions import runtime_bucket_sql
from imdb_pipeline.lib.sql_text import day_sql, quote
from imdb_pipeline.lib.warehouse_tables import DIM_MOVIES

TRACKED_ATTRIBUTES = ("title", "year", "certificate", "runtime_minutes", "description", "director")
OPEN_END = dt.date(9999, 12, 31)
HISTORY_COLUMNS = [SNAPSHOT_DATE, "movie_id", *TRACKED_ATTRIBUTES]


def dim_movies_select(history: str, existing: str | None) -> str:
    """Every version of every movie in `history` (stg_movies rows of any days), keyed: the whole
    new dim_movies. Keys of `existing` (None: no dim_movies yet) are kept on (movie_id,
    valid_from); new versions are numbered from its max + 1 by valid_from, then movie_id.

    One sort of the history by movie and day feeds two windows. The first marks each movie's
    rows whose tracked attributes differ from its previous row (IS DISTINCT FROM: NULL staying
    NULL is no change, 0 vs NULL is one) and its last row. The second runs over those rows only:
    after a version's first row comes either the next version's first row (its day ends the
    version, the day before it was last seen) or the movie's last row (no further version; last
    seen that day). Every row of a version has the same attributes, so its first row carries
    them all."""
    day = quote(SNAPSHOT_DATE)
    attributes = ", ".join(f"h.{quote(name)}" for name in TRACKED_ATTRIBUTES)
    changed = " OR ".join(
        f"h.{quote(name)} IS DISTINCT FROM lag(h.{quote(name)}) OVER w" for name in TRACKED_ATTRIBUTES
    )
    # Grouping only needs equal ids together: byte order sorts fastest whatever the collation.
    marked = f"""
        SELECT h.movie_id, {attributes}, h.{day} AS day,
               lag(h.{day}) OVER w AS previous_day,
               (lag(h.{day}) OVER w IS NULL OR {changed}) AS starts,
               lead(h.{day}) OVER w IS NULL AS ends
        FROM {history} AS h
        WINDOW w AS (PARTITION BY h.movie_id COLLATE "C" ORDER BY h.{day})
    """
    following = f"""
        SELECT h.*, lead(h.starts) OVER v AS next_starts, lead(h.day) OVER v AS next_day,
               lead(h.previous_day) OVER v AS next_previous_day
        FROM ({marked}) AS h
        WHERE h.starts OR h.ends
        WINDOW v AS (PARTITION BY h.movie_id COLLATE "C" ORDER BY h.day)
    """
    versions = f"""
        SELECT h.movie_id, {attributes}, h.day AS valid_from,
               CASE WHEN h.next_starts THEN h.next_day ELSE {day_sql(OPEN_END)} END AS valid_to,
               CASE WHEN h.next_starts THEN h.next_previous_day
                    ELSE coalesce(h.next_day, h.day) END AS last_seen_date
        FROM ({following}) AS h
        WHERE h.starts
    """
    new_key = 'row_number() OVER (ORDER BY v.valid_from, v.movie_id COLLATE "C")'
    if existing is None:
        key, keyed = new_key, ""
    else:
        # Numbering the new versions only: known versions sort after them and are not counted.
        key = (
            f"coalesce(e.movie_key, (SELECT coalesce(max(x.movie_key), 0) FROM {existing} AS x) "
            f'+ row_number() OVER (ORDER BY e.movie_key IS NOT NULL, v.valid_from, '
            f'v.movie_id COLLATE "C"))'
        )
        keyed = (
            f"LEFT JOIN {existing} AS e "
            f"ON e.movie_id = v.movie_id AND e.valid_from = v.valid_from"
        )
    latest = f"(SELECT max(l.{day}) FROM {history} AS l)"
    # The decade floors as Python's // does, below zero too: integer arithmetic, no numeric.
    return f"""
        SELECT {key} AS movie_key, v.movie_id, v.title, v.year,
               v.year - mod(mod(v.year, 10) + 10, 10) AS decade,
               v.certificate, {certificate_system_sql("v.certificate")} AS certificate_system,
               v.runtime_minutes,
               {runtime_bucket_sql("v.runtime_minutes")} AS runtime_bucket,
               v.description, v.director, v.valid_from, v.valid_to,
               v.valid_to = {day_sql(OPEN_END)} AS is_current,
               v.last_seen_date,
               v.valid_to = {day_sql(OPEN_END)} AND v.last_seen_date = {latest}
                   AS in_latest_snapshot
        FROM ({versions}) AS v
        {keyed}
    """


def dim_movies_fold_select(existing: str, new_days: str, keys_from: str | None = None) -> str:
    """The whole new dim_movies when new days come after every day `existing` was derived from:
    the rows `dim_movies_select` gives over the whole history, read from `existing` and the new
    days' stg_movies rows (`new_days`) alone.

    `keys_from` (default: `existing`) is the dim_movies whose keys are kept and followed, as
    `dim_movies_select`'s `existing`. Folding into an earlier state of dim_movies (the latest
    day staged again) keys by the table in place, as a rebuild from the whole history would:
    its versions keep their keys, and no key passes to another version.

    A closed version cannot change: its run ended before the new days, and it is kept as it is.
    A current version stands for the days of its run by two rows, its first and its last day
    seen (one when they are the same day); after them come the new days. The windows of
    `dim_movies_select` then see each movie as they would over the whole history: they extend
    its current version, close it on the day it changes, or leave it as it was, and key new
    versions after the existing maximum, in the same order."""
    day = quote(SNAPSHOT_DATE)
    attributes = ", ".join(f"e.{quote(name)}" for name in TRACKED_ATTRIBUTES)
    new_attributes = ", ".join(f"n.{quote(name)}" for name in TRACKED_ATTRIBUTES)
    history = f"""(
        SELECT e.valid_from AS {day}, e.movie_id, {attributes}
        FROM {existing} AS e WHERE e.is_current
        UNION ALL
        SELECT e.last_seen_date, e.movie_id, {attributes}
        FROM {existing} AS e WHERE e.is_current AND e.last_seen_date <> e.valid_from
        UNION ALL
        SELECT n.{day}, n.movie_id, {new_attributes} FROM {new_days} AS n
    )"""
    # Derived columns are derived again: a table written before a column was added has none.
    derived = {"certificate_system": certificate_system_sql("e.certificate")}
    columns = ", ".join(
        f"{derived[name]} AS {quote(name)}" if name in derived else f"e.{quote(name)}"
        for name in DIM_MOVIES.column_names
    )
    return f"""
        {dim_movies_select(history, keys_from or existing)}
        UNION ALL
        SELECT {columns} FROM {existing} AS e WHERE NOT e.is_current
    """
