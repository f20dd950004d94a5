"""Pieces of SQL text, rendered in one place: quoted identifiers and literals, and values read
back from PostgreSQL made plain for metadata."""

import datetime as dt


def quote(identifier: str) -> str:
    """An identifier, always quoted: `"name"`."""
    return '"' + identifier.replace('"', '""') + '"'


def day_sql(day: dt.date) -> str:
    """`DATE 'YYYY-MM-DD'`; anything but a date is refused rather than rendered."""
    return f"DATE '{dt.date.isoformat(day)}'"


def text_sql(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def plain(value):
    """A value from a query as a JSON scalar: numbers, text, booleans and None as they are,
    anything else (dates, decimals) as its text."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)
