"""Dimensions whose surrogate keys never change once given, as SQL run inside PostgreSQL.

Every dimension is derived from the staging history (all daily snapshots), so the result does
not depend on the order in which days were processed: a backfill equals a day-by-day run.
New keys follow the existing maximum, handed out in order of first appearance (then name, in
byte order, so the keys do not depend on the server's collation): a key given on day 1 is the
same whether day 2 was loaded after it or in the same backfill.
"""

from imdb_pipeline.constants import SNAPSHOT_DATE
from imdb_pipeline.lib.contract import LIST_JOINER
from imdb_pipeline.lib.server_version import NEWEST, split_sql
from imdb_pipeline.lib.sql_text import quote, text_sql
from imdb_pipeline.lib.warehouse_tables import (
    DIM_ACTORS,
    DIM_DIRECTORS,
    DIM_GENRES,
    Table,
)

RUNTIME_BUCKETS = ((90, "under 90 min"), (120, "90-119 min"), (150, "120-149 min"))
LONGEST_BUCKET = "150+ min"


def runtime_bucket_sql(column_sql: str) -> str:
    """The runtime bucket label of an integer expression; NULL for an unknown runtime."""
    branches = " ".join(
        f"WHEN {column_sql} < {int(upper)} THEN {text_sql(label)}" for upper, label in RUNTIME_BUCKETS
    )
    return (
        f"(CASE WHEN {column_sql} IS NULL THEN NULL {branches} "
        f"ELSE {text_sql(LONGEST_BUCKET)} END)"
    )


def list_items_sql(source: str, column: str, alias: str = "item", server_version: int = NEWEST) -> str:
    """`CROSS JOIN LATERAL` giving `alias`.name and `alias`.position (1-based) for every item of
    a list column of `source` (an alias in the FROM). Staging joins items with exactly ", "."""
    return (
        f"CROSS JOIN LATERAL {split_sql(f'{source}.{quote(column)}', LIST_JOINER, server_version)} "
        f"WITH ORDINALITY AS {alias} (name, position)"
    )


def new_directors_select(history: str, existing: str | None) -> str:
    """Rows to add to dim_directors: directors of the history not in `existing`."""
    appearances = f"SELECT h.{quote(SNAPSHOT_DATE)} AS day, h.director AS name FROM {history} AS h"
    return _new_names_select(appearances, DIM_DIRECTORS, existing)


def new_genres_select(history: str, existing: str | None, server_version: int = NEWEST) -> str:
    """Rows to add to dim_genres: items of the `genre` lists not in `existing`."""
    return _new_names_select(_item_appearances(history, "genre", server_version), DIM_GENRES,
                             existing)  # fmt: skip


def new_actors_select(history: str, existing: str | None, server_version: int = NEWEST) -> str:
    """Rows to add to dim_actors: items of the `stars` lists not in `existing`."""
    return _new_names_select(_item_appearances(history, "stars", server_version), DIM_ACTORS,
                             existing)  # fmt: skip


def _item_appearances(history: str, column: str, server_version: int) -> str:
    return (
        f"SELECT h.{quote(SNAPSHOT_DATE)} AS day, item.name FROM {history} AS h "
        f"{list_items_sql('h', column, server_version=server_version)} WHERE item.name <> ''"
    )


def _new_names_select(appearances: str, dimension: Table, existing: str | None) -> str:
    """A name dimension (SCD type 1) grows by the names it lacks: `<x>_key, <x>_name` rows for
    names of `appearances` (day, name) not in `existing` (None: no dimension yet), keyed from
    max(existing key) + 1 by first day, then name. Names that stop appearing keep their row;
    nothing is ever renumbered. NULL names are not rows.

    Known names are dropped after the per-name aggregate: probing the existing names once per
    distinct name costs less than once per appearance."""
    key, name = (quote(column) for column in dimension.column_names)
    if existing is None:
        first_key, unseen = "1", ""
    else:
        first_key = f"(SELECT coalesce(max(e.{key}), 0) + 1 FROM {existing} AS e)"
        unseen = f"WHERE NOT EXISTS (SELECT FROM {existing} AS e WHERE e.{name} = f.name)"
    return f"""
        SELECT {first_key} + row_number() OVER (ORDER BY f.first_day, f.name COLLATE "C") - 1
                   AS {key},
               f.name AS {name}
        FROM (
            SELECT a.name, min(a.day) AS first_day
            FROM ({appearances}) AS a
            WHERE a.name IS NOT NULL
            GROUP BY a.name
        ) AS f
        {unseen}
    """
