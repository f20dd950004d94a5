"""Owners of the tables a step commits before it puts them in place or drops them.

Most tables are built and put in place in one transaction: if the process dies, PostgreSQL
rolls the transaction back and nothing is left. A step that builds tables side by side on
several connections commits them first (`pg_tables.build_table_as`, `create_scratch_as`), and
drops what it did not put in place when it ends; a process killed before then leaves them
behind. So such tables carry their owner's name (`<table>__building_<owner>`,
`<table>__scratch_<owner>`), and the owner holds a session-level advisory lock on a connection
of its own while the step runs. PostgreSQL releases the lock when that connection ends,
however the process ends: a table whose owner's lock is free is abandoned, and the next such
step drops it (`drop_abandoned`).
"""

import re
import uuid

from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.lib.sql_text import quote

BUILDING, SCRATCH = "building", "scratch"
OWNED_NAME = re.compile(rf"__(?:{BUILDING}|{SCRATCH})_([0-9a-f]{{8}})$")


def owned_name(name: str, role: str, owner: str | None = None) -> str:
    """`<name>__<role>_<owner>`, the name of a building or scratch table. Without an owner (a
    table built and put in place in one transaction), a new name that no session holds."""
    return f"{name}__{role}_{owner or _new_name()}"


def new_owner(cursor: PgCursor) -> str:
    """A new owner name, held until the cursor's connection closes. The connection should be
    in autocommit mode: it then waits idle, not idle in a transaction, while the step runs."""
    owner = _new_name()
    cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (_lock_name(owner),))
    return owner


def drop_abandoned(cursor: PgCursor, schemas: list[str]) -> list[str]:
    """Drop the building and scratch tables of `schemas` whose owner is gone; returns their
    names. Tables still being built are invisible to this transaction until their builder
    commits, and a live owner's lock is taken: neither is touched."""
    cursor.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "AND c.relname ~ %s ORDER BY 1, 2",
        (list(schemas), OWNED_NAME.pattern),
    )
    dropped = []
    for schema, name in cursor.fetchall():
        owner = OWNED_NAME.search(name).group(1)
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", (_lock_name(owner),))
        if cursor.fetchone()[0]:
            cursor.execute(f"DROP TABLE IF EXISTS {quote(schema)}.{quote(name)}")
            dropped.append(f"{schema}.{name}")
    return dropped


def _new_name() -> str:
    return uuid.uuid4().hex[:8]


def _lock_name(owner: str) -> str:
    return f"imdb_pipeline table owner {owner}"
