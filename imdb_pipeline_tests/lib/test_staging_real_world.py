"""Files as users make them: what is normalised, what is kept, and what is refused because no
table downstream could store it."""

import codecs
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imdb_pipeline.lib.column_rules import NUL_SHOWN
from imdb_pipeline.lib.contract import COLUMN_NAMES, NAME_MAX_LENGTH
from imdb_pipeline.lib.staging import stage_all, valid_row_line
from imdb_pipeline_tests.lib.test_staging import line, run

TODAY = dt.date(2024, 6, 1)
# 12 made-up movies written by pandas (`real_world_exports.pandas_export(12, seed=3)`), opened
# in LibreOffice Calc 7.4, saved as .xlsx and exported again as CSV (UTF-8, comma): the shape
# of a file someone fixed by hand in a spreadsheet.
SPREADSHEET_EXPORT = Path(__file__).parents[1] / "fixtures" / "libreoffice_calc_export.csv"


def pandas_export(rows: int = 6) -> bytes:
    """An export written by pandas from a DataFrame whose integer columns have blanks: pandas
    holds them as floats, and `to_csv` writes 78.0."""
    frame = pd.DataFrame({
        "movie_id": [f"tt{1000000 + number}" for number in range(rows)],
        "title": [f"Movie {number}" for number in range(rows)],
        "year": [1994 + number for number in range(rows)],
        "certificate": (["UA", "U", "A", "12A", "15", None] * rows)[:rows],
        "runtime_minutes": ([142.0, np.nan, 95.0] * rows)[:rows],
        "genre": ["Drama, Crime"] * rows,
        "rating": [8.1] * rows,
        "metascore": ([78.0, np.nan] * rows)[:rows],
        "description": [None] * rows,
        "director": ["Rajkumar Hirani"] * rows,
        "stars": ["Aamir Khan, Kareena Kapoor"] * rows,
        "votes": [float(1000 + number) for number in range(rows)],
        "gross_millions": ([6.53, np.nan] * rows)[:rows],
    })  # fmt: skip
    assert frame["metascore"].dtype == "float64"
    return frame.to_csv(index=False).encode("utf-8")


def test_a_pandas_export_with_blanks_in_integer_columns_loads_without_rejects():
    data = pandas_export()
    assert b",78.0," in data and b",142.0," in data

    result = stage_all(data, "pandas.csv", TODAY)

    assert len(result.rejects) == 0
    assert result.movies["metascore"].tolist() == [78, pd.NA, 78, pd.NA, 78, pd.NA]
    assert result.movies["runtime_minutes"].tolist() == [142, pd.NA, 95, 142, pd.NA, 95]
    assert result.movies["votes"].tolist() == [1000, 1001, 1002, 1003, 1004, 1005]
    assert str(result.movies["metascore"].dtype) == "Int32"


def test_a_file_saved_by_a_spreadsheet_loads_without_rejects():
    data = SPREADSHEET_EXPORT.read_bytes()
    result = stage_all(data, SPREADSHEET_EXPORT.name, TODAY)
    assert (len(result.movies), len(result.rejects)) == (12, 0)
    assert {"सत्यजित राय", "Pedro Almodóvar"} <= set(result.movies["director"])


def test_excel_csv_utf8_with_its_byte_order_mark_and_crlf_loads_the_same_rows():
    # Excel's "CSV UTF-8" writes a byte order mark and ends lines with CRLF.
    data = SPREADSHEET_EXPORT.read_bytes()
    excel = codecs.BOM_UTF8 + data.replace(b"\n", b"\r\n")
    plain, from_excel = (stage_all(raw, "export.csv", TODAY).movies for raw in (data, excel))
    assert from_excel.drop(columns="source_line").equals(plain.drop(columns="source_line"))


@pytest.mark.parametrize(
    ("column", "value", "stored"),
    [("metascore", "78.0", 78), ("year", "1994.00", 1994), ("votes", "2853211.0", 2853211),
     ("metascore", "0.000", 0), ("metascore", "-0.0", 0), ("metascore", ".0", 0),
     ("votes", "+12.", 12), ("runtime_minutes", "142 min", 142),
     ("runtime_minutes", "95 Minutes", 95), ("runtime_minutes", "100.0 mins", 100)],
)  # fmt: skip
def test_whole_numbers_written_with_decimals_or_a_unit_are_stored_as_integers(column, value, stored):
    result = run(line(**{column: value}))
    assert result.rejects.empty
    assert result.movies[column].tolist() == [stored]


@pytest.mark.parametrize(
    ("column", "value"),
    [("metascore", "78.5"), ("year", "1994.01"), ("votes", "10.000001"), ("metascore", "78.0.0")],
)
def test_a_fraction_in_an_integer_column_is_still_a_reject_naming_column_and_value(column, value):
    result = run(line(**{column: value}))
    assert result.movies.empty
    assert result.rejects["reason"].tolist() == [f"{column} '{value}' is not an integer"]


@pytest.mark.parametrize("marker", ["NA", "NaN", "nan", "NULL", "null", "None", "N/A", r"\N"])
def test_missing_value_markers_in_numeric_columns_are_unknown(marker):
    result = run(line(metascore=marker, gross_millions=marker, runtime_minutes=marker))
    assert result.rejects.empty
    row = result.movies.iloc[0]
    assert [row["metascore"], row["gross_millions"], row["runtime_minutes"]] == [pd.NA] * 3


def test_a_missing_value_marker_in_a_required_column_is_an_empty_value():
    result = run(line(votes="NA"), line(description="NA", movie_id="tt2"))
    assert result.rejects["reason"].tolist() == ["votes is empty"]
    # In text, the same letters are text.
    assert result.movies["description"].tolist() == ["NA"]


@pytest.mark.parametrize(
    "certificate",
    ["U", "UA", "U/A", "A", "S", "UA 13+", "PG", "12", "12A", "15", "18", "R18", "16", "18+",
     "TV-MA", "Approved", "K-16", "Tous publics", "PG-13 "],
)  # fmt: skip
def test_certificates_of_every_rating_system_and_unknown_ones_are_kept(certificate):
    result = run(line(certificate=certificate))
    assert result.rejects.empty
    assert result.movies["certificate"].tolist() == [certificate.strip()]


def test_a_movie_without_title_runtime_or_stars_is_kept_with_them_unknown():
    result = run(line(title="", runtime_minutes="", stars=" , "))
    assert result.rejects.empty
    row = result.movies.iloc[0]
    assert [row["title"], row["runtime_minutes"], row["stars"]] == [pd.NA] * 3


def test_an_upper_case_id_prefix_is_normalised():
    assert run(line(movie_id="TT0111161")).movies["movie_id"].tolist() == ["tt0111161"]


LONG_NAME = "N" * 8000

# Each of these values would make a later step fail (a NUL byte in any text, a key longer than
# an index entry can hold) or floods the tables (a list of 40,000 names).
ONE_ROW_FAULTS = {
    "NUL byte in a title": (
        {"title": "Al\x00pha"},
        f"title holds a NUL byte (shown as {NUL_SHOWN}), which PostgreSQL cannot store"),
    "NUL byte in a list": (
        {"stars": "Ann, B\x00b"},
        f"stars holds a NUL byte (shown as {NUL_SHOWN}), which PostgreSQL cannot store"),
    "8,000-digit movie_id": (
        {"movie_id": "tt" + "1" * 8000}, "movie_id has 8,002 characters; at most 32 are allowed"),
    "8,000-character director": (
        {"director": LONG_NAME}, "director has 8,000 characters; at most 500 are allowed"),
    "8,000-character actor": (
        {"stars": f"Ann, {LONG_NAME}"},
        "stars has an item of 8,000 characters; at most 500 are allowed"),
    "8,000-character genre": (
        {"genre": f"Drama, {LONG_NAME}"},
        "genre has an item of 8,000 characters; at most 500 are allowed"),
    "40,000 stars": (
        {"stars": ", ".join(f"Actor {number}" for number in range(40_000))},
        "stars lists 40,000 items; at most 100 are allowed"),
}


@pytest.mark.parametrize("fault", list(ONE_ROW_FAULTS))
def test_a_value_no_table_could_store_is_a_reject_and_the_rest_of_the_file_loads(fault):
    changes, reason = ONE_ROW_FAULTS[fault]
    result = run(line(movie_id="tt1"), line(**{"movie_id": "tt2", **changes}), line(movie_id="tt3"))

    assert result.rejects["reason"].tolist() == [reason]
    assert result.rejects["source_line"].tolist() == [3]
    assert "\x00" not in result.rejects["record"].iloc[0]
    assert result.movies["movie_id"].tolist() == ["tt1", "tt3"]


def test_a_name_at_the_limit_is_kept():
    name = "N" * NAME_MAX_LENGTH
    result = run(line(director=name, stars=f"Ann, {name}"))
    assert result.rejects.empty


def test_a_long_list_of_repeated_names_is_kept_once_each():
    result = run(line(stars=", ".join(["Ann", "Bob"] * 20_000)))
    assert result.movies["stars"].tolist() == ["Ann, Bob"]


def test_a_nul_byte_is_shown_in_the_reason_and_the_stored_record():
    result = run(line(rating="8\x005"))
    assert result.rejects["reason"].tolist() == [
        (f"rating holds a NUL byte (shown as {NUL_SHOWN}), which PostgreSQL cannot store; "
         f"rating '8{NUL_SHOWN}5' is not a number")
    ]
    assert f"8{NUL_SHOWN}5" in result.rejects["record"].iloc[0]


def test_a_reason_quotes_at_most_the_start_of_a_long_value():
    result = run(line(movie_id="x" * 5000))
    (reason,) = result.rejects["reason"].tolist()
    assert reason.startswith("movie_id has 5,000 characters; at most 32 are allowed; movie_id 'xxx")
    assert len(reason) < 300
    assert len(result.rejects["movie_id"].iloc[0]) == 101  # 100 characters and an ellipsis


def test_the_source_line_of_a_valid_row_counts_valid_records_only():
    header = ",".join(COLUMN_NAMES)
    data = "\n".join([header, line(movie_id="tt1"), line(rating="x"), "",
                      line(movie_id="tt2", description="two\nlines"), line(movie_id="tt3")])
    lines = [valid_row_line(io.BytesIO((data + "\n").encode()), "f.csv", TODAY, row)
             for row in (1, 2, 3, 4)]  # fmt: skip
    assert lines == [2, 5, 7, None]
