"""A sensitive column's values reach neither a check's samples nor any file of the Great
Expectations project (stored results, Data Docs pages), with real GX on a real PostgreSQL table.

IMDb has no sensitive column, so the table here is made up: people with an e-mail address
(sensitive) and an age (not), validated by the same runner as the warehouse's tables.
"""

from dataclasses import dataclass

import psycopg2

from imdb_pipeline.checks import gx_data_docs, gx_runner
from imdb_pipeline.checks.rules import (
    Rule,
    Severity,
    TableSuite,
    expect,
    unexpected_rows,
)
from imdb_pipeline.lib.masking import MASK
from imdb_pipeline.lib.warehouse_tables import Column, Table

SECRET_DOMAIN = "@private.example.com"
ODD_AGE = 4321  # a non-sensitive offending value: shown as it is


@dataclass(frozen=True)
class SensitiveColumn(Column):
    sensitive: bool = True


PEOPLE = Table("private", "people", (
    Column("person_id", "text", False, "Who"),
    SensitiveColumn("email", "text", True, "Their e-mail address"),
    Column("age", "integer", True, "Their age"),
), primary_key=("person_id",))  # fmt: skip

SUITE = TableSuite(target=PEOPLE, rules=(
    Rule("emails_are_work_addresses", "E-mail addresses are work addresses.", Severity.ERROR, (
        expect("ExpectColumnValuesToMatchRegex", "email at work", column="email",
               regex=r"^[a-z]+@work\.example\.org$"),
        expect("ExpectColumnDistinctValuesToBeInSet", "email among the known", column="email",
               value_set=["x@work.example.org"]),
    )),
    Rule("ages_are_plausible", "Ages lie within 0..150.", Severity.ERROR, (
        expect("ExpectColumnValuesToBeBetween", "age within 0..150", column="age",
               min_value=0, max_value=150),
    )),
    Rule("nobody_named_bob", "No row is Bob's.", Severity.WARN, (
        unexpected_rows("SELECT person_id, email, age FROM {batch} WHERE email LIKE 'bob%'",
                        "no bob"),
    )),
))  # fmt: skip


def _load_people(url: str) -> None:
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(
                "CREATE SCHEMA private; CREATE TABLE private.people "
                "(person_id text PRIMARY KEY, email text, age integer);"
                "INSERT INTO private.people VALUES "
                f"('p1', 'alice{SECRET_DOMAIN}', 30), ('p2', 'bob{SECRET_DOMAIN}', {ODD_AGE}), "
                f"('p3', 'carol{SECRET_DOMAIN}', 40), ('p4', NULL, 50)"
            )
    finally:
        connection.close()


def test_sensitive_values_are_masked_in_samples_stored_results_and_data_docs(
    warehouse_url, tmp_path
):
    _load_people(warehouse_url)
    project = tmp_path / "gx_project"

    [outcome] = gx_runner.validate("people_checks", [SUITE], warehouse_url, project, None,
                                   "http://docs.example")  # fmt: skip
    gx_data_docs.wait_for_pages(timeout=120)

    samples = {expectation.summary: expectation.samples
               for rule in outcome.rules for expectation in rule.expectations}  # fmt: skip
    assert not any(rule.passed for rule in outcome.rules)
    # Each offending e-mail names its row; the address itself is masked.
    assert sorted(samples["email at work"], key=str) == [
        {"person_id": "p1", "email": MASK}, {"person_id": "p2", "email": MASK},
        {"person_id": "p3", "email": MASK},
    ]  # fmt: skip
    assert samples["no bob"] == [{"person_id": "p2", "email": MASK, "age": ODD_AGE}]
    assert samples["age within 0..150"] == [{"person_id": "p2", "age": ODD_AGE}]
    assert SECRET_DOMAIN not in str(samples)

    files = [path for path in project.rglob("*") if path.is_file()]
    pages = [path for path in files if path.suffix == ".html" and "validations" in path.parts]
    results = [path for path in files if path.suffix == ".json" and "validations" in path.parts]
    assert pages and results
    for path in files:
        assert SECRET_DOMAIN not in path.read_text(encoding="utf-8", errors="replace"), path
    # The page does show the failures: the non-sensitive value as it is, the others masked.
    [page] = pages
    html = page.read_text(encoding="utf-8")
    assert str(ODD_AGE) in html and MASK in html
