"""Masking views: BI readers see a table with sensitive columns only through a view that shows
those columns as NULL, and cannot read the table itself.

The view of `core.t` is `core.t_masked`, beside the table, so BI tools list the two together and
the reader's grants on the schema reach it. It runs with its owner's rights (the loader's), so
the reader needs none on the table. NULL, of the column's own type, rather than a hash or
`'***'`: the view keeps the table's column types (a BI model built on it stays valid), and a hash
of a value with few possibilities (an e-mail address, a phone number, a birth date) is undone by
hashing candidates.

Tables are replaced on every run, so this holds only if every load keeps it (`pg_tables` calls
these functions in the transaction that does the load):
- `restrict`: a table of a sensitive declaration (a table being built, a day's partition, a
  partitioned parent) loses the reader's rights in the transaction that creates it. Default
  privileges give every new table of core and analytics to the reader; revoked before commit,
  no reader ever sees them.
- `drop_view` and `create_view`: a view depends on its table, so the DROP of a swap would fail
  under it. The swap drops the view, puts the new table in place and creates the view on it,
  in one transaction: readers see the old view until it commits, then the new one. A day's
  partition is no such problem: the view reads the partitioned parent, which stays.

A table without sensitive columns costs nothing here: no statement is run for it.
"""

from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.constants import BI_READER_ROLE
from imdb_pipeline.lib.sql_text import quote, text_sql
from imdb_pipeline.lib.warehouse_tables import Table

MASKED_SUFFIX = "_masked"


def view_name(table: Table) -> str:
    return table.name + MASKED_SUFFIX


def view_sql(table: Table) -> str:
    """`CREATE VIEW` of the table's masking view: every declared column, in order, the
    sensitive ones as NULL of their type."""
    columns = ", ".join(
        f"NULL::{column.pg_type} AS {quote(column.name)}" if column.sensitive
        else quote(column.name)
        for column in table.columns
    )  # fmt: skip
    return f"CREATE VIEW {_qualified_view(table)} AS SELECT {columns} FROM {table.qualified}"


def view_comment_sql(table: Table) -> str:
    masked = ", ".join(column.name for column in table.columns if column.sensitive)
    text = f"{table.schema}.{table.name} with its sensitive columns ({masked}) as NULL."
    if table.description:
        text += f" {table.description}"
    return f"COMMENT ON VIEW {_qualified_view(table)} IS {text_sql(text)}"


def restrict(cursor: PgCursor, table: Table, name: str) -> None:
    """Take every right of the BI reader off `name`, a new table of `table`'s shape in its
    schema, when `table` has a sensitive column."""
    if table.sensitive and _role_exists(cursor, BI_READER_ROLE):
        cursor.execute(
            f"REVOKE ALL ON {quote(table.schema)}.{quote(name)} FROM {quote(BI_READER_ROLE)}"
        )


def drop_view(cursor: PgCursor, table: Table) -> None:
    """Drop the table's masking view before the table is dropped or moved."""
    if table.sensitive:
        cursor.execute(f"DROP VIEW IF EXISTS {_qualified_view(table)}")


def create_view(cursor: PgCursor, table: Table) -> None:
    """(Re)create the table's masking view on the table in place, readable by the BI reader."""
    if not table.sensitive:
        return
    drop_view(cursor, table)
    cursor.execute(view_sql(table))
    cursor.execute(view_comment_sql(table))
    if _role_exists(cursor, BI_READER_ROLE):
        cursor.execute(f"GRANT SELECT ON {_qualified_view(table)} TO {quote(BI_READER_ROLE)}")


def _qualified_view(table: Table) -> str:
    return f"{quote(table.schema)}.{quote(view_name(table))}"


def _role_exists(cursor: PgCursor, role: str) -> bool:
    cursor.execute("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = %s)", (role,))
    return cursor.fetchone()[0]
