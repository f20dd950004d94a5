"""Certificates of many countries, classified by rating system, as PostgreSQL runs it."""

import pytest

from imdb_pipeline.lib.certificates import SYSTEMS, certificate_system_sql
from imdb_pipeline.lib.sql_text import text_sql
from imdb_pipeline_tests.conftest import query

CLASSIFIED = {
    "MPAA": ["G", "PG", "PG-13", "R", "NC-17", "X", "GP", "M/PG", "pg-13"],
    "US TV": ["TV-Y", "TV-Y7", "TV-Y7-FV", "TV-G", "TV-PG", "TV-14", "TV-MA"],
    "CBFC": ["U", "UA", "U/A", "A", "S", "UA 7+", "UA 13+", "UA 16+", "U/A 13+", "ua"],
    "BBFC": ["Uc", "12", "12A", "15", "18", "R18"],
    "Other": ["Passed", "Approved", "Not Rated", "Unrated", "NR", "NOT RATED", " Not Rated ",
              "7", "13+", "16", "18+", "0"],
}  # fmt: skip
UNKNOWN = ["K-16", "Tous publics", "PG13", "100", "18 +", "R-18", "+", ""]
EVERY_VALUE = [value for values in CLASSIFIED.values() for value in values] + UNKNOWN


@pytest.fixture(scope="module")
def certificate_system(postgres_server):
    """The system PostgreSQL gives each value of this module, by value (None: NULL)."""
    values = ", ".join(f"({text_sql(value)})" for value in EVERY_VALUE)
    rows = query(postgres_server.url("postgres"),
                 f"SELECT v, {certificate_system_sql('v')} FROM (VALUES {values}, (NULL)) AS t (v)")  # fmt: skip
    return dict(rows).get


@pytest.mark.parametrize(
    ("value", "system"), [(value, system) for system, values in CLASSIFIED.items() for value in values]
)
def test_known_certificates_are_classified_by_rating_system(certificate_system, value, system):
    assert certificate_system(value) == system


@pytest.mark.parametrize("value", [*UNKNOWN, None])
def test_other_certificates_are_unknown(certificate_system, value):
    assert certificate_system(value) is None


def test_a_value_of_several_systems_goes_to_the_first_that_lists_it(certificate_system):
    # U is Indian and British, PG American and British: the order of SYSTEMS decides.
    assert [system.name for system in SYSTEMS][:4] == ["MPAA", "US TV", "CBFC", "BBFC"]
    assert (certificate_system("U"), certificate_system("PG")) == ("CBFC", "MPAA")
