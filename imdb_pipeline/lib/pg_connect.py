"""Connections whose errors never carry the password of the URL they were opened with."""

import psycopg2
from psycopg2.extensions import connection as PgConnection

from imdb_pipeline.lib.postgres_url import scrubbed


def connect(url: str, **options) -> PgConnection:
    """`psycopg2.connect(url)`. libpq quotes parts of a URL it cannot parse in its errors (a
    malformed escape in the password quotes the password): such errors are raised again with
    the password removed, and without the original in their chain."""
    try:
        return psycopg2.connect(url, **options)
    except psycopg2.Error as error:
        raise type(error)(scrubbed(str(error), url)) from None
