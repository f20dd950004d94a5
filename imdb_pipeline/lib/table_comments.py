"""A warehouse table's descriptions as PostgreSQL comments, which BI tools show beside each
table and column.

A comment belongs to the table that carries it: a table built aside and renamed into place, or a
day's table exchanged for its partition, takes its comments with it. So every table is
commented when it is created, in the transaction that creates it, and the comments of a table
that stays in place (a partitioned parent, a dimension that only grows) are brought up to date
when they differ from the declaration: a warehouse loaded before the comments, or a changed
description.
"""

import datetime as dt

from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.lib.sql_text import quote
from imdb_pipeline.lib.warehouse_tables import Table

# Comments keyed by column name; None for the table's own.
Comments = dict[str | None, str]


def declared_comments(table: Table, day: dt.date | None = None) -> Comments:
    """The comments of `table`, or of its partition for `day`, as declared; an empty
    description has none."""
    comments: Comments = {}
    if table.description:
        comments[None] = (
            f"One day ({day.isoformat()}) of {table.schema}.{table.name}: {table.description}"
            if day is not None
            else table.description
        )
    comments.update(
        (column.name, column.description) for column in table.columns if column.description
    )
    return comments


def comment_sql(
    table: Table, name: str | None = None, day: dt.date | None = None
) -> tuple[str, list[str]]:
    """`COMMENT ON TABLE` and `COMMENT ON COLUMN` for the declared descriptions, as one SQL text
    and its parameters (the driver quotes the texts): `cursor.execute(*comment_sql(table))`.
    `name` is the table to comment instead (one being built, under the table's schema); `day`
    makes it that day's partition. Empty text when nothing is declared."""
    target = _sql(f"{quote(table.schema)}.{quote(name or table.name)}")
    statements, parameters = [], []
    for column, text in declared_comments(table, day).items():
        if column is None:
            statements.append(f"COMMENT ON TABLE {target} IS %s")
        else:
            statements.append(f"COMMENT ON COLUMN {target}.{_sql(quote(column))} IS %s")
        parameters.append(text)
    return "; ".join(statements), parameters


def stored_comments(cursor: PgCursor, schema: str, name: str) -> Comments:
    """The comments a table has now (none if the table does not exist)."""
    qualified = f"{quote(schema)}.{quote(name)}"
    cursor.execute(
        "SELECT NULL, obj_description(to_regclass(%s), 'pg_class') "
        "UNION ALL SELECT attname::text, col_description(attrelid, attnum) FROM pg_attribute "
        "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
        (qualified, qualified),
    )
    return {column: text for column, text in cursor.fetchall() if text is not None}


def comment(
    cursor: PgCursor, table: Table, name: str | None = None, day: dt.date | None = None
) -> None:
    """Comment a table just created (`comment_sql`)."""
    sql, parameters = comment_sql(table, name, day)
    if sql:
        cursor.execute(sql, parameters)


def bring_up_to_date(cursor: PgCursor, table: Table) -> bool:
    """Comment a table in place when its comments differ from the declaration; True when they
    did. Reading first leaves the table unlocked when nothing changes: a comment takes a lock
    that would make concurrent writers of the table's partitions wait."""
    stored = stored_comments(cursor, table.schema, table.name)
    if all(stored.get(key) == text for key, text in declared_comments(table).items()):
        return False
    comment(cursor, table)
    return True


def _sql(text: str) -> str:
    """SQL text that goes through the driver's parameter substitution unchanged."""
    return text.replace("%", "%%")
