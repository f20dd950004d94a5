"""The PostgreSQL versions the warehouse runs on, 13 to 18, and the SQL that differs among them.

Versions are PostgreSQL's `server_version_num` (psycopg2's `connection.server_version`):
150018 is 15.18. The tests run on 18 (the embedded server) and on an older server.
"""

import functools

from imdb_pipeline.lib import pg_connect
from imdb_pipeline.lib.sql_text import text_sql

MINIMUM = 130000
# Assumed by SQL built without asking the server: the embedded server's version.
NEWEST = 180000
# `string_to_table` came with PostgreSQL 14.
STRING_TO_TABLE = 140000


class UnsupportedServer(RuntimeError):
    """The warehouse runs a PostgreSQL older than the pipeline's SQL supports."""


def name(version: int) -> str:
    """`15.18` for 150018."""
    return f"{version // 10000}.{version % 10000}"


def unsupported(version: int) -> str | None:
    """Why the pipeline cannot run on this server, or None when it can."""
    if version >= MINIMUM:
        return None
    return (
        f"The warehouse runs PostgreSQL {name(version)}; the pipeline needs PostgreSQL "
        f"{MINIMUM // 10000} or newer. Upgrade the server, or point "
        "IMDB_WAREHOUSE_URL at a newer one."
    )


@functools.lru_cache(maxsize=32)
def of(url: str) -> int:
    """The version of the server at `url`, asked once per process."""
    connection = pg_connect.connect(url)
    try:
        return connection.server_version
    finally:
        connection.close()


def require_supported(url: str) -> int:
    """The version of the server at `url`; raises UnsupportedServer if it is too old."""
    version = of(url)
    problem = unsupported(version)
    if problem:
        raise UnsupportedServer(problem)
    return version


def split_sql(text: str, separator: str, version: int = NEWEST) -> str:
    """A set-returning call giving each item of the list `text` (SQL) split on `separator`.

    `string_to_table` yields the items without building an array first: 4M items took
    1.1-1.4 s against 2.2-3.0 s for `unnest(string_to_array(...))` on PostgreSQL 18. Before 14
    only the latter exists; both give the same items in the same order.
    """
    if version >= STRING_TO_TABLE:
        return f"string_to_table({text}, {text_sql(separator)})"
    return f"unnest(string_to_array({text}, {text_sql(separator)}))"
