"""One place that turns the PostgreSQL URLs users hand us into what each driver expects."""

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

_ACCEPTED_SCHEMES = ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg")
# A `%` that does not start a %XX escape: libpq refuses it, quoting the token (the password
# included) in its error.
_BARE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
REDACTED = "***"


def libpq_url(url: str) -> str:
    """The URL as libpq (psycopg2.connect) reads it: scheme `postgresql://`, driver suffix removed."""
    parts = urlsplit(url.strip())
    if parts.scheme not in _ACCEPTED_SCHEMES:
        raise ValueError(
            f"Not a PostgreSQL URL: scheme {parts.scheme!r} in {redact(url)!r}; expected "
            "postgresql://user:password@host:port/database"
        )
    if not parts.hostname or not parts.path.strip("/"):
        raise ValueError(
            f"PostgreSQL URL {redact(url)!r} needs a host and a database: "
            "postgresql://user:password@host:port/database"
        )
    _require_escapes(url, parts)
    return urlunsplit(("postgresql", *parts[1:]))


def _userinfo(netloc: str) -> tuple[str, str | None, str]:
    """(user, password or None, host:port) of a URL's netloc, as written (still escaped)."""
    userinfo, _, hostport = netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    return user, password if colon else None, hostport


def _require_escapes(url: str, parts) -> None:
    user, password, hostport = _userinfo(parts.netloc)
    components = {"user name": user, "password": password or "", "host": hostport,
                  "database": parts.path, "parameters": parts.query}  # fmt: skip
    for name, text in components.items():
        if _BARE_PERCENT.search(text):
            raise ValueError(
                f"PostgreSQL URL {redact(url)!r}: its {name} holds a '%' that does not start a "
                "percent-escape (%XX). Write a literal '%' as %25 (and '@' as %40, ':' as %3A)."
            )


def scrubbed(text: str, url: str) -> str:
    """`text` (an error message, a log line) with the URL's password removed, as written and
    as decoded: libpq quotes either in its errors."""
    parts = urlsplit(url.strip())
    password = _userinfo(parts.netloc)[1] or ""
    secrets = {password, unquote(password)} - {""}
    for query_name, value in parse_qsl(parts.query):
        if query_name == "password" and value:
            secrets |= {value}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def sqlalchemy_url(url: str) -> str:
    """The URL for SQLAlchemy 2.x, naming the psycopg2 driver explicitly (its default is psycopg 3)."""
    return "postgresql+psycopg2" + libpq_url(url)[len("postgresql") :]


def redact(url: str) -> str:
    """The URL with any password replaced by `***`, safe to log."""
    parts = urlsplit(url)
    user, password, hostport = _userinfo(parts.netloc)
    netloc, query = parts.netloc, parts.query
    if password is not None:
        netloc = f"{user}:{REDACTED}@{hostport}"
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(name == "password" for name, _ in pairs):
        query = urlencode([(name, REDACTED if name == "password" else value)
                           for name, value in pairs])  # fmt: skip
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(libpq_url(url))
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def with_search_path(url: str, schema: str) -> str:
    """The same URL with `schema` as the connections' search path (libpq `options`), so that
    unqualified table names are looked up there."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["options"] = f"{query.get('options', '')} -csearch_path={schema}".strip()
    return urlunsplit((*parts[:3], urlencode(query), parts.fragment))
