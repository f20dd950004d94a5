"""Masking sensitive columns: which columns are sensitive, and rows, samples and Great
Expectations results without their values. IMDb has no sensitive column: the contracts and
columns marked sensitive here are made up for the tests."""

from dataclasses import dataclass, replace

from imdb_pipeline.lib import contract, masking
from imdb_pipeline.lib.masking import MASK
from imdb_pipeline.lib.warehouse_tables import (
    DIM_MOVIES,
    STG_MOVIES,
    STG_MOVIES_REJECTS,
    WAREHOUSE_TABLES,
    Column,
    Table,
)

SENSITIVE = frozenset({"email"})
# A contract of the test's own: IMDb's, with the director's name marked sensitive.
DIRECTOR_SENSITIVE = tuple(
    replace(column, sensitive=column.name == "director") for column in contract.COLUMNS
)


@dataclass(frozen=True)
class SensitiveColumn(Column):
    sensitive: bool = True


def test_no_imdb_column_is_sensitive():
    assert not any(column.sensitive for column in contract.COLUMNS)
    assert all(masking.sensitive_columns(table) == frozenset() for table in WAREHOUSE_TABLES)


def test_a_sensitive_source_column_is_masked_in_the_tables_that_carry_it():
    assert masking.sensitive_columns(STG_MOVIES, DIRECTOR_SENSITIVE) == {"director"}
    assert masking.sensitive_columns(DIM_MOVIES, DIRECTOR_SENSITIVE) == (
        {"director"} & set(DIM_MOVIES.column_names))
    # A rejected row's record is the source line, with the director's name in it.
    assert masking.sensitive_columns(STG_MOVIES_REJECTS, DIRECTOR_SENSITIVE) == {"record"}


def test_a_column_declared_sensitive_is_masked():
    table = Table("private", "people", (Column("person_id", "text", False, "Who"),
                                        SensitiveColumn("email", "text", True, "Address")),
                  primary_key=("person_id",))  # fmt: skip
    assert masking.sensitive_columns(table) == {"email"}


def test_rows_keep_their_identity_and_lose_sensitive_values():
    row = {"movie_id": "tt0111161", "email": "a@b.example", "age": 40}
    assert masking.mask_record(row, SENSITIVE) == {"movie_id": "tt0111161", "email": MASK,
                                                   "age": 40}  # fmt: skip
    assert masking.mask_record({"email": None}, SENSITIVE) == {"email": None}  # NULL stays


def test_bare_samples_are_masked_only_for_a_sensitive_column():
    assert masking.mask_samples(["a@b.example", None], ["email"], SENSITIVE) == [MASK, None]
    assert masking.mask_samples([11.5], ["rating"], SENSITIVE) == [11.5]
    assert masking.mask_samples([{"movie_id": "tt1", "email": "x"}], ["email"], SENSITIVE) == [
        {"movie_id": "tt1", "email": MASK}]


def test_nested_samples_are_masked_at_any_depth():
    samples = {"email valid": [{"movie_id": "tt1", "email": "x"}], "count": 3}
    assert masking.mask_nested(samples, SENSITIVE) == {
        "email valid": [{"movie_id": "tt1", "email": MASK}], "count": 3}


def test_a_gx_result_of_a_sensitive_column_keeps_counts_only():
    result = {
        "element_count": 4, "unexpected_count": 2, "unexpected_percent": 50.0,
        "partial_unexpected_list": ["a@b.example", "c@d.example"],
        "partial_unexpected_counts": [{"value": "a@b.example", "count": 1}],
        "partial_unexpected_index_list": [{"person_id": "p1", "email": "a@b.example"}],
        "unexpected_index_column_names": ["person_id"],
        "observed_value": ["a@b.example"],
        "details": {"value_counts": [{"value": "a@b.example", "count": 1}]},
    }  # fmt: skip
    assert masking.mask_expectation_result({"column": "email"}, result, SENSITIVE) == {
        "element_count": 4, "unexpected_count": 2, "unexpected_percent": 50.0,
        "partial_unexpected_list": [MASK, MASK],
        "partial_unexpected_counts": [{"value": MASK, "count": 1}],
        "partial_unexpected_index_list": [{"person_id": "p1", "email": MASK}],
        "unexpected_index_column_names": ["person_id"],
        "observed_value": [MASK],
        "details": {"value_counts": [{"value": MASK, "count": MASK}]},
    }  # fmt: skip


def test_a_gx_result_of_another_column_is_kept_but_its_rows_are_masked():
    result = {"unexpected_count": 1, "partial_unexpected_list": [11.5],
              "partial_unexpected_index_list": [{"email": "a@b.example", "rating": 11.5}]}
    assert masking.mask_expectation_result({"column": "rating"}, result, SENSITIVE) == {
        "unexpected_count": 1, "partial_unexpected_list": [11.5],
        "partial_unexpected_index_list": [{"email": MASK, "rating": 11.5}]}
    assert masking.mask_expectation_result({"column_list": ["a", "email"]}, {"x": 1},
                                           SENSITIVE) == {"x": MASK}  # fmt: skip
