"""Errors PostgreSQL raises about the data itself, told apart from transient ones.

A value the server cannot take (a data exception), a limit it cannot exceed (an index entry of
more than about 2,700 bytes) or a broken key (an integrity violation) fails the same way on
every retry: the step should fail at once and say where the value came from. A dropped
connection or a busy server is another matter, and is retried.
"""

import re

import psycopg2
from psycopg2 import errors

# SQLSTATE classes 22 (data exception), 23 (integrity constraint violation) and 54 (program
# limit exceeded; psycopg2 files it under OperationalError, with lost connections).
DATA_ERRORS = (psycopg2.DataError, psycopg2.IntegrityError, errors.ProgramLimitExceeded)

_COPY_CONTEXT = re.compile(r"COPY [^,]+, line (\d+)(?:, column ([^:\s]+))?")


# A connection refused for its settings: a login the server refused, or a server whose TLS
# certificate does not verify. Retrying with the same settings cannot succeed. libpq reports
# these before any SQLSTATE reaches psycopg2, so they are told by their message.
_REFUSED_CONNECTION = re.compile(
    r"password authentication failed|no pg_hba\.conf entry|role \"[^\"]*\" does not exist|"
    r"password is required|authentication failed for user|"
    r"server certificate for .* does not match host name|certificate verify failed|"
    r"root certificate file .* does not exist|server does not support SSL"
)


def is_refused_connection(error: BaseException) -> bool:
    return isinstance(error, psycopg2.OperationalError) and bool(
        _REFUSED_CONNECTION.search(str(error)))


def is_data_error(error: BaseException) -> bool:
    return isinstance(error, DATA_ERRORS)


def described(error: psycopg2.Error) -> str:
    """The server's message and its detail, on one line, without the `ERROR:` prefix or a
    final full stop; the exception's text when the server sent none. (Its hint is advice on
    designing tables, not on this data.)"""
    diag = error.diag
    parts = [diag.message_primary or str(error).strip().splitlines()[0]]
    if diag.message_detail:
        parts.append(f"detail: {diag.message_detail}")
    return "; ".join(part.replace("\n", " ").rstrip(". ") for part in parts)


def copy_position(error: psycopg2.Error) -> tuple[int, str | None] | None:
    """(row of the COPY's input, counted from 1; column, if the server named one) of a
    failed COPY, from the error's context; None for any other statement."""
    found = _COPY_CONTEXT.search(error.diag.context or "")
    if found is None:
        return None
    return int(found.group(1)), found.group(2)
