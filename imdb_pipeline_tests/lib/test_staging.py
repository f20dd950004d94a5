"""From source records to the typed staging table and its rejects."""

import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

from imdb_pipeline.lib.contract import COLUMN_NAMES
from imdb_pipeline.lib.staging import stage_all

TODAY = dt.date(2024, 6, 1)  # the last valid year is 2025
GOOD = {"movie_id": "tt0000001", "title": "Alpha", "year": "1994", "certificate": "R",
        "runtime_minutes": "142", "genre": "Drama", "rating": "9.3", "metascore": "82",
        "description": "Desc", "director": "Frank D", "stars": "Tim R, Morgan F",
        "votes": "1000", "gross_millions": "28.34"}  # fmt: skip


def line(columns=COLUMN_NAMES, **changes) -> str:
    values = {**GOOD, **changes}
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([values.get(name, "") for name in columns])
    return buffer.getvalue().removesuffix("\n")


def run(*lines: str, header: str = ",".join(COLUMN_NAMES)):
    return stage_all(("\n".join([header, *lines]) + "\n").encode("utf-8"), "mem.csv", TODAY)


def test_clean_row_is_typed():
    result = run(line())

    expected = pd.DataFrame({name: pd.array([value], dtype=dtype) for name, value, dtype in [
        ("movie_id", "tt0000001", "string"), ("title", "Alpha", "string"),
        ("year", 1994, "Int32"), ("certificate", "R", "string"),
        ("runtime_minutes", 142, "Int32"), ("genre", "Drama", "string"),
        ("rating", 9.3, "Float64"), ("metascore", 82, "Int32"), ("description", "Desc", "string"),
        ("director", "Frank D", "string"), ("stars", "Tim R, Morgan F", "string"),
        ("votes", 1000, "Int64"), ("gross_millions", 28.34, "Float64"),
        ("source_line", 2, "Int64"),
    ]})  # fmt: skip
    pd.testing.assert_frame_equal(result.movies, expected)
    assert len(result.rejects) == 0
    assert result.duplicates_resolved == 0


def test_values_are_trimmed_and_empty_becomes_null():
    result = run(line(movie_id=" tt0000001 ", title="  Alpha ", certificate="   ",
                      description="", metascore=" ", gross_millions=""))  # fmt: skip

    row = result.movies.iloc[0]
    assert (row["movie_id"], row["title"]) == ("tt0000001", "Alpha")
    assert [row[c] is pd.NA for c in ("certificate", "description")] == [True, True]
    assert len(result.rejects) == 0


def test_missing_metascore_and_gross_stay_null_never_zero():
    movies = run(line(metascore="", gross_millions="")).movies
    assert movies["metascore"].isna().tolist() == [True]
    assert movies["gross_millions"].isna().tolist() == [True]


def test_lists_are_normalised():
    movies = run(line(genre=" Drama ,Crime,,Drama", stars="Ann ,Bob,Ann")).movies
    assert movies[["genre", "stars"]].values.tolist() == [["Drama, Crime", "Ann, Bob"]]


@pytest.mark.parametrize(("column", "value"), [
    ("year", "1888"), ("year", "2025"), ("rating", "0"), ("rating", "10"), ("metascore", "0"),
    ("metascore", "100"), ("votes", "0"), ("runtime_minutes", "0"), ("gross_millions", "0"),
    ("certificate", "Not Rated"), ("certificate", ""), ("movie_id", "tt1"),
    ("certificate", "PG13"), ("certificate", "x" * 32), ("votes", "10000000000"),
    ("gross_millions", "1000000000"), ("title", ""), ("runtime_minutes", ""), ("stars", ""),
])  # fmt: skip
def test_boundary_values_pass(column, value):
    result = run(line(**{column: value}))
    assert len(result.movies) == 1
    assert len(result.rejects) == 0



@pytest.mark.parametrize(("column", "value", "reason"), [
    ("rating", "nine", "rating 'nine' is not a number"),
    ("votes", "1,000", "votes '1,000' is not an integer"),
    ("year", "1994.5", "year '1994.5' is not an integer"),
    ("rating", "10.1", "rating '10.1' is outside 0..10"),
    ("rating", "-0.5", "rating '-0.5' is outside 0..10"),
    ("metascore", "101", "metascore '101' is outside 0..100"),
    ("metascore", "-1", "metascore '-1' is outside 0..100"),
    ("year", "1887", "year '1887' is outside 1888..2025"),
    ("year", "2026", "year '2026' is outside 1888..2025"),
    ("votes", "-1", "votes '-1' is outside 0..10000000000"),
    ("gross_millions", "-0.01", "gross_millions '-0.01' is outside 0..1000000000"),
    ("runtime_minutes", "-5", "runtime_minutes '-5' is outside 0.."),
    ("movie_id", "0000001", r"movie_id '0000001' does not match ^tt\d+$"),
    ("movie_id", "tt12a", r"movie_id 'tt12a' does not match ^tt\d+$"),
    ("certificate", "x" * 33, "certificate has 33 characters; at most 32 are allowed"),
    ("director", "  ", "director is empty"),
    ("year", "", "year is empty"),
    ("votes", "10000000001", "votes '10000000001' is outside 0..10000000000"),
    ("gross_millions", "1000000000.01",
     "gross_millions '1000000000.01' is outside 0..1000000000"),
    ("genre", " , ,", "genre lists no items"),
])  # fmt: skip
def test_row_breaking_one_rule_is_rejected_with_its_reason(column, value, reason):
    result = run(line(**{column: value}))

    assert len(result.movies) == 0
    assert result.rejects["reason"].tolist() == [reason]
    assert result.rejects["source_line"].tolist() == [2]


def test_wrong_field_count_is_rejected_with_the_original_record():
    short = "tt0000002,Beta,1999"
    result = run(line(), short)

    assert result.rejects.to_dict("records") == [
        {"source_line": 3, "movie_id": "tt0000002", "reason": "expected 13 fields, found 3",
         "record": short}
    ]  # fmt: skip
    assert result.movies["movie_id"].tolist() == ["tt0000001"]


def test_several_broken_rules_are_joined_in_column_order():
    result = run(line(movie_id="x1", rating="11", votes="-1"))
    assert result.rejects["reason"].tolist() == [
        (
            "movie_id 'x1' does not match ^tt\\d+$; rating '11' is outside 0..10; "
            "votes '-1' is outside 0..10000000000"
        )
    ]


def test_rejects_carry_source_line_after_multiline_field_and_the_record():
    bad = line(movie_id="tt0000002", rating="x")
    result = run(line(description="first\nsecond\nthird"), bad, "tt0000003,short")

    assert result.rejects[["source_line", "movie_id"]].values.tolist() == [
        [5, "tt0000002"], [6, "tt0000003"]
    ]
    assert result.rejects["record"].tolist() == [bad, "tt0000003,short"]
    assert result.movies["source_line"].tolist() == [2]


def test_duplicate_movie_id_keeps_last_valid_row():
    result = run(line(title="First"), line(title="Second"), line(title="Third", rating="x"))

    assert result.movies[["title", "source_line"]].values.tolist() == [["Second", 3]]
    assert result.duplicates_resolved == 1
    assert result.rejects["source_line"].tolist() == [4]


def test_movies_are_sorted_by_movie_id():
    movies = run(line(movie_id="tt3"), line(movie_id="tt1"), line(movie_id="tt2")).movies
    assert movies["movie_id"].tolist() == ["tt1", "tt2", "tt3"]
    assert movies["source_line"].tolist() == [3, 4, 2]


def test_extra_columns_are_ignored():
    header = "notes," + ",".join(COLUMN_NAMES)
    result = run("a note," + line(), header=header)

    assert list(result.movies.columns) == [*COLUMN_NAMES, "source_line"]
    assert result.movies["title"].tolist() == ["Alpha"]


def test_reordered_header_still_parses():
    columns = tuple(reversed(COLUMN_NAMES))
    movies = run(line(columns), header=",".join(columns)).movies
    assert movies[["movie_id", "year", "votes"]].values.tolist() == [["tt0000001", 1994, 1000]]


@pytest.mark.parametrize(
    ("column", "value"), [("runtime_minutes", "3000000000"), ("votes", "99999999999999999999")]
)
def test_integer_too_large_for_its_type_is_rejected_not_wrapped(column, value):
    result = run(line(**{column: value}))
    assert result.movies.empty
    assert result.rejects["reason"].tolist() == [f"{column} '{value}' is too large"]


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [("votes", "1e3", "an integer"), ("year", "1994.5", "an integer"),
     ("rating", "8,5", "a number"), ("gross_millions", "1,234.50", "a number")],
)  # fmt: skip
def test_numbers_must_be_plain_decimal_notation(column, value, kind):
    result = run(line(**{column: value}))
    assert result.rejects["reason"].tolist() == [f"{column} '{value}' is not {kind}"]


def test_wrong_field_count_reports_movie_id_from_its_header_position():
    header = ",".join(["title", "movie_id", *COLUMN_NAMES[2:]])
    result = run("Alpha,tt0000001,1994", header=header)
    assert result.rejects["movie_id"].tolist() == ["tt0000001"]


def test_reject_record_is_the_original_record_with_extra_columns():
    original = line(rating="x") + ",a note"
    result = run(original, header=",".join(COLUMN_NAMES) + ",notes")
    assert result.rejects["record"].tolist() == [original]


def test_reject_record_of_a_multiline_row_reads_back_as_one_csv_row():
    result = run(line(description="first\nsecond", rating="x"))

    (record,) = result.rejects["record"].tolist()
    rows = list(csv.reader(io.StringIO(record)))
    assert len(rows) == 1
    assert rows[0][COLUMN_NAMES.index("description")] == "first\nsecond"


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [("votes", "0x10", "votes '0x10' is not an integer"),
     ("year", "١٩٩٤", "year '١٩٩٤' is not an integer"),
     ("gross_millions", "9" * 400, f"gross_millions '{'9' * 100}…' is too large")],
)  # fmt: skip
def test_only_ascii_plain_numbers_in_the_float_range_are_read(column, value, reason):
    assert run(line(**{column: value})).rejects["reason"].tolist() == [reason]


def test_signs_and_leading_zeros_are_plain_numbers():
    movies = run(line(votes="+0001000", metascore="-0", rating="+.5", gross_millions="7.")).movies
    assert movies[["votes", "metascore", "rating", "gross_millions"]].values.tolist() == [
        [1000, 0, 0.5, 7.0]
    ]


@pytest.mark.parametrize("value", ["8.25", "8.35", "0.05", "2.675", "1.005", "8.725", "0"])
def test_rounding_takes_decimal_halves_away_from_zero(value):
    movies = run(line(rating=value, gross_millions=value)).movies
    expected = [float(Decimal(value).quantize(Decimal(10) ** -digits, ROUND_HALF_UP))
                for digits in (1, 2)]  # fmt: skip
    assert movies[["rating", "gross_millions"]].values.tolist() == [expected]


def test_unicode_whitespace_is_trimmed_in_values_and_list_items():
    movies = run(line(title="\u00a0Alpha\u2003", genre="Drama,\u3000Crime ,\u00a0Drama")).movies
    assert movies[["title", "genre"]].values.tolist() == [["Alpha", "Drama, Crime"]]
