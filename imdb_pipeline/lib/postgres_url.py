"""One place that turns the PostgreSQL URLs users hand us into what each driver expects."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_ACCEPTED_SCHEMES = ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg")


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
    return urlunsplit(("postgresql", *parts[1:]))


def sqlalchemy_url(url: str) -> str:
    """The URL for SQLAlchemy 2.x, naming the psycopg2 driver explicitly (its default is psycopg 3)."""
    return "postgresql+psycopg2" + libpq_url(url)[len("postgresql") :]


def redact(url: str) -> str:
    """The URL with any password replaced by `***`, safe to log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, *parts[2:]))


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
