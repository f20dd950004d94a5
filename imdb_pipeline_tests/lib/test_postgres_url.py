"""PostgreSQL URLs as users write them, turned into what each driver expects."""

import pytest

from imdb_pipeline.lib.postgres_url import (
    libpq_url,
    redact,
    scrubbed,
    sqlalchemy_url,
    with_database,
)

SHAPE = "postgresql://user:password@host:port/database"


@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://u:p@h:5432/db", "postgresql://u:p@h:5432/db"),
    ("postgres://u:p@h:5432/db", "postgresql://u:p@h:5432/db"),
    ("postgresql+psycopg2://u:p@h/db", "postgresql://u:p@h/db"),
    ("postgresql+psycopg://h/db?sslmode=require", "postgresql://h/db?sslmode=require"),
    ("  postgresql://h/db \n", "postgresql://h/db"),
])  # fmt: skip
def test_libpq_url_normalises_the_scheme(given, expected):
    assert libpq_url(given) == expected


@pytest.mark.parametrize(("given", "expected"), [
    ("postgres://u:p@h:5432/db", "postgresql+psycopg2://u:p@h:5432/db"),
    ("postgresql+psycopg://h/db", "postgresql+psycopg2://h/db"),
    ("postgresql+psycopg2://h/db", "postgresql+psycopg2://h/db"),
])  # fmt: skip
def test_sqlalchemy_url_names_the_psycopg2_driver(given, expected):
    assert sqlalchemy_url(given) == expected


@pytest.mark.parametrize(("given", "scheme", "shown"), [
    ("mysql://u:secret@h/db", "mysql", "mysql://u:***@h/db"),
    ("sqlite:///x.db", "sqlite", "sqlite:///x.db"),
    ("h:5432/db", "h", "h:5432/db"),
])  # fmt: skip
def test_non_postgres_url_is_rejected_without_its_password(given, scheme, shown):
    with pytest.raises(ValueError) as error:
        libpq_url(given)
    assert str(error.value) == (
        f"Not a PostgreSQL URL: scheme {scheme!r} in {shown!r}; expected {SHAPE}"
    )


@pytest.mark.parametrize(("given", "shown"), [
    ("postgresql://u:secret@h:5432", "postgresql://u:***@h:5432"),
    ("postgresql://u:secret@h/", "postgresql://u:***@h/"),
    ("postgresql:///db", "postgresql:///db"),
])  # fmt: skip
def test_url_without_host_or_database_is_rejected(given, shown):
    with pytest.raises(ValueError) as error:
        libpq_url(given)
    assert str(error.value) == f"PostgreSQL URL {shown!r} needs a host and a database: {SHAPE}"


@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://u:secret@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("postgresql://secret:secret@h/db", "postgresql://secret:***@h/db"),
    ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),
    ("postgresql://u@h/db", "postgresql://u@h/db"),
    ("postgresql://h/db", "postgresql://h/db"),
])  # fmt: skip
def test_redact_hides_only_the_password(given, expected):
    assert redact(given) == expected


def test_with_database_keeps_server_and_query():
    assert (
        with_database("postgres://u:p@h:5432/db?sslmode=require", "other")
        == "postgresql://u:p@h:5432/other?sslmode=require"
    )


def test_with_database_rejects_a_non_postgres_url():
    with pytest.raises(ValueError, match="Not a PostgreSQL URL"):
        with_database("mysql://h/db", "other")


def test_search_path_is_added_to_the_connection_options_keeping_the_query():
    from imdb_pipeline.lib.postgres_url import with_search_path

    url = with_search_path("postgresql+psycopg2://u:p@h:5432/db?sslmode=require", "core")
    assert url == "postgresql+psycopg2://u:p@h:5432/db?sslmode=require&options=-csearch_path%3Dcore"
    assert with_search_path(url.replace("core", "x"), "core").endswith(
        "options=-csearch_path%3Dx+-csearch_path%3Dcore"
    )


@pytest.mark.parametrize(("given", "part"), [
    ("postgresql://u:pa%zz-Secret@h/db", "password"),
    ("postgresql://u:50%-Secret@h/db", "password"),
    ("postgresql://u%:Secret@h/db", "user name"),
    ("postgresql://u:Secret@h/d%b", "database"),
    ("postgresql://u:Secret@h/db?application_name=a%", "parameters"),
])  # fmt: skip
def test_a_bare_percent_is_rejected_naming_the_part_without_the_password(given, part):
    with pytest.raises(ValueError, match=f"its {part} holds a '%'") as error:
        libpq_url(given)
    assert "Secret" not in str(error.value) and "%25" in str(error.value)


def test_percent_escapes_are_accepted():
    assert libpq_url("postgresql://u:50%25%40x@h/db") == "postgresql://u:50%25%40x@h/db"


def test_scrubbed_removes_the_password_as_written_and_decoded():
    url = "postgresql://u:50%25off@h/db?password=other"
    text = 'invalid token "50%25off"; password "50%off" or "other" refused'
    assert scrubbed(text, url) == 'invalid token "***"; password "***" or "***" refused'


def test_redact_hides_a_password_given_as_a_parameter():
    assert redact("postgresql://h/db?sslmode=require&password=s3") == (
        "postgresql://h/db?sslmode=require&password=%2A%2A%2A")
