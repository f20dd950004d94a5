"""dim_movies as a slowly changing dimension of type 2, derived from the daily snapshots."""

import datetime as dt

import pandas as pd
import pytest

from imdb_pipeline.lib import movie_versions as mv
from imdb_pipeline.lib.movie_versions import OPEN_END, movie_versions, versions_on
from imdb_pipeline.lib.snapshots import DATE_DTYPE

D1, D2, D3, D4 = (dt.date(2024, 1, day) for day in (1, 2, 3, 4))

ALPHA = dict(movie_id="tt1", title="Alpha", year=1994, certificate="R", runtime_minutes=142,
             description="A heist.", director="Amy")  # fmt: skip
BETA = dict(movie_id="tt2", title="Beta", year=2001, certificate=None, runtime_minutes=89,
            description=None, director="Bob")  # fmt: skip
TYPES = {"movie_id": "string", "title": "string", "year": "Int32", "certificate": "string",
         "runtime_minutes": "Int32", "description": "string", "director": "string"}  # fmt: skip


def on(day: dt.date, movie: dict, **changes) -> dict:
    return {"snapshot_date": day, **movie, **changes}


def history(*rows: dict) -> pd.DataFrame:
    """Staging history rows, typed as stg_movies is."""
    frame = pd.DataFrame(rows)
    return frame.astype({name: dtype for name, dtype in TYPES.items() if name in frame})


def rows(table: pd.DataFrame, *columns: str) -> list[list]:
    """The columns as plain lists with NULLs as None."""
    part = table[list(columns)].astype(object)
    return part.where(part.notna(), None).values.tolist()


SCD = ("movie_key", "movie_id", "title", "valid_from", "valid_to", "is_current",
       "last_seen_date", "in_latest_snapshot")  # fmt: skip


def test_unchanged_movie_over_three_days_is_one_open_current_version():
    table = movie_versions(history(on(D1, ALPHA), on(D2, ALPHA), on(D3, ALPHA)), None)

    expected = pd.DataFrame({
        "movie_key": pd.array([1], dtype="Int64"),
        "movie_id": pd.array(["tt1"], dtype="string"),
        "title": pd.array(["Alpha"], dtype="string"),
        "year": pd.array([1994], dtype="Int32"),
        "decade": pd.array([1990], dtype="Int32"),
        "certificate": pd.array(["R"], dtype="string"),
        "runtime_minutes": pd.array([142], dtype="Int32"),
        "runtime_bucket": pd.array(["120-149 min"], dtype="string"),
        "description": pd.array(["A heist."], dtype="string"),
        "director": pd.array(["Amy"], dtype="string"),
        "valid_from": pd.Series([D1], dtype=object),
        "valid_to": pd.Series([OPEN_END], dtype=object),
        "is_current": pd.array([True], dtype="boolean"),
        "last_seen_date": pd.Series([D3], dtype=object),
        "in_latest_snapshot": pd.array([True], dtype="boolean"),
    })  # fmt: skip
    pd.testing.assert_frame_equal(table, expected)


def test_output_columns_are_the_declared_columns():
    table = movie_versions(history(on(D1, ALPHA), on(D1, BETA)), None)
    assert list(table.columns) == mv.COLUMNS


def test_open_end_is_9999_12_31():
    assert OPEN_END == dt.date(9999, 12, 31)


def test_title_change_closes_the_old_version_and_opens_one_with_a_new_key():
    table = movie_versions(
        history(on(D1, ALPHA), on(D2, ALPHA, title="Alpha II"), on(D3, ALPHA, title="Alpha II")),
        None,
    )

    assert rows(table, *SCD) == [
        [1, "tt1", "Alpha", D1, D2, False, D1, False],
        [2, "tt1", "Alpha II", D2, OPEN_END, True, D3, True],
    ]


def test_decade_and_runtime_bucket_are_derived_per_version():
    table = movie_versions(
        history(on(D1, ALPHA), on(D1, BETA), on(D2, ALPHA, year=2000, runtime_minutes=150)), None
    )

    assert rows(table, "movie_id", "year", "decade", "runtime_minutes", "runtime_bucket") == [
        ["tt1", 1994, 1990, 142, "120-149 min"],
        ["tt2", 2001, 2000, 89, "under 90 min"],
        ["tt1", 2000, 2000, 150, "150+ min"],
    ]


def test_null_staying_null_is_not_a_change():
    table = movie_versions(history(on(D1, BETA), on(D2, BETA), on(D3, BETA)), None)
    assert rows(table, "movie_key", "certificate", "valid_from", "valid_to") == [
        [1, None, D1, OPEN_END]
    ]


def test_null_becoming_a_value_is_a_change():
    table = movie_versions(history(on(D1, BETA), on(D2, BETA, certificate="PG")), None)
    assert rows(table, "movie_key", "certificate", "valid_from", "valid_to", "is_current") == [
        [1, None, D1, D2, False],
        [2, "PG", D2, OPEN_END, True],
    ]


def test_a_value_becoming_null_is_a_change():
    table = movie_versions(history(on(D1, ALPHA), on(D2, ALPHA, description=None)), None)
    assert rows(table, "movie_key", "description", "valid_from", "valid_to") == [
        [1, "A heist.", D1, D2],
        [2, None, D2, OPEN_END],
    ]


def test_zero_is_not_null():
    table = movie_versions(
        history(on(D1, ALPHA, runtime_minutes=None), on(D2, ALPHA, runtime_minutes=0)), None
    )
    assert rows(table, "movie_key", "runtime_minutes", "runtime_bucket", "valid_from") == [
        [1, None, None, D1], [2, 0, "under 90 min", D2]
    ]  # fmt: skip


@pytest.mark.parametrize(("column", "value"), [
    ("title", "Alpha!"), ("year", 1995), ("certificate", "PG-13"), ("runtime_minutes", 143),
    ("description", "A caper."), ("director", "Ann"),
])  # fmt: skip
def test_each_tracked_attribute_opens_a_new_version(column, value):
    table = movie_versions(history(on(D1, ALPHA), on(D2, ALPHA, **{column: value})), None)
    assert rows(table, "movie_key", column, "valid_from") == [
        [1, ALPHA[column], D1], [2, value, D2]
    ]  # fmt: skip


def test_tracked_attributes_are_exactly_the_descriptive_columns():
    assert mv.TRACKED_ATTRIBUTES == (
        "title", "year", "certificate", "runtime_minutes", "description", "director"
    )  # fmt: skip


def test_a_change_in_an_untracked_column_creates_no_version():
    staged = history(on(D1, ALPHA), on(D2, ALPHA), on(D3, ALPHA)).assign(
        rating=pd.array([7.0, 7.5, 8.0], dtype="Float64"),
        votes=pd.array([100, 200, 300], dtype="Int64"),
        genre=pd.array(["Drama", "Crime", "Drama, Crime"], dtype="string"),
    )

    table = movie_versions(staged, None)

    assert rows(table, "movie_key", "valid_from", "valid_to", "last_seen_date") == [
        [1, D1, OPEN_END, D3]
    ]
    assert "rating" not in table.columns


def test_only_the_history_columns_are_needed():
    staged = history(on(D1, ALPHA), on(D2, ALPHA, title="Alpha II"))
    assert list(staged.columns) == mv.HISTORY_COLUMNS
    assert len(movie_versions(staged, None)) == 2


def test_movie_missing_from_the_latest_day_stays_current_but_not_in_latest_snapshot():
    table = movie_versions(history(on(D1, ALPHA), on(D2, ALPHA), on(D1, BETA), on(D2, BETA),
                                   on(D3, BETA)), None)  # fmt: skip

    assert rows(table, *SCD) == [
        [1, "tt1", "Alpha", D1, OPEN_END, True, D2, False],
        [2, "tt2", "Beta", D1, OPEN_END, True, D3, True],
    ]


def test_movie_that_comes_back_unchanged_keeps_one_version():
    table = movie_versions(history(on(D1, ALPHA), on(D3, ALPHA), on(D1, BETA), on(D2, BETA),
                                   on(D3, BETA)), None)  # fmt: skip

    assert rows(table, *SCD) == [
        [1, "tt1", "Alpha", D1, OPEN_END, True, D3, True],
        [2, "tt2", "Beta", D1, OPEN_END, True, D3, True],
    ]


def test_movie_that_comes_back_changed_starts_a_version_on_the_day_it_came_back():
    table = movie_versions(
        history(on(D1, ALPHA), on(D3, ALPHA, title="Alpha Redux"), on(D1, BETA), on(D2, BETA),
                on(D3, BETA)),
        None,
    )  # fmt: skip

    # Absent on D2: the old version runs until the day the movie reappeared changed.
    assert rows(table, *SCD) == [
        [1, "tt1", "Alpha", D1, D3, False, D1, False],
        [2, "tt2", "Beta", D1, OPEN_END, True, D3, True],
        [3, "tt1", "Alpha Redux", D3, OPEN_END, True, D3, True],
    ]


def test_change_back_to_an_earlier_value_is_a_third_version():
    table = movie_versions(
        history(on(D1, ALPHA), on(D2, ALPHA, title="B"), on(D3, ALPHA)), None
    )
    assert rows(table, "movie_key", "title", "valid_from", "valid_to") == [
        [1, "Alpha", D1, D2], [2, "B", D2, D3], [3, "Alpha", D3, OPEN_END]
    ]  # fmt: skip


def test_two_movies_with_identical_attributes_are_two_versions():
    table = movie_versions(history(on(D1, ALPHA), on(D1, ALPHA, movie_id="tt3")), None)
    assert rows(table, "movie_key", "movie_id") == [[1, "tt1"], [2, "tt3"]]


def test_new_keys_follow_first_appearance_then_movie_id():
    table = movie_versions(
        history(on(D2, ALPHA, movie_id="tt0"), on(D1, BETA, movie_id="tt9"), on(D1, ALPHA),
                on(D2, ALPHA, title="Alpha II")),
        None,
    )  # fmt: skip
    assert rows(table, "movie_key", "movie_id", "valid_from") == [
        [1, "tt1", D1], [2, "tt9", D1], [3, "tt0", D2], [4, "tt1", D2]
    ]  # fmt: skip


def test_history_row_order_does_not_matter():
    staged = history(on(D1, ALPHA), on(D2, ALPHA, title="Alpha II"), on(D1, BETA), on(D3, BETA))
    shuffled = staged.iloc[[3, 1, 0, 2]]
    pd.testing.assert_frame_equal(movie_versions(shuffled, None), movie_versions(staged, None))


def test_recomputing_with_the_previous_output_keeps_every_key():
    staged = history(on(D1, ALPHA), on(D2, ALPHA, title="Alpha II"), on(D1, BETA), on(D2, BETA))
    first = movie_versions(staged, None)
    assert rows(first, "movie_key", "movie_id", "title") == [
        [1, "tt1", "Alpha"], [2, "tt2", "Beta"], [3, "tt1", "Alpha II"]
    ]  # fmt: skip
    previous = first.assign(movie_key=pd.array([30, 10, 20], dtype="Int64"))

    again = movie_versions(staged, previous)

    assert rows(again, "movie_key", "movie_id", "title", "valid_from") == [
        [10, "tt2", "Beta", D1], [20, "tt1", "Alpha II", D2], [30, "tt1", "Alpha", D1]
    ]  # fmt: skip


def test_recomputing_with_the_previous_output_gives_the_same_table():
    staged = history(on(D1, ALPHA), on(D2, ALPHA, title="Alpha II"), on(D1, BETA), on(D3, BETA))
    first = movie_versions(staged, None)
    pd.testing.assert_frame_equal(movie_versions(staged, first), first)


def test_new_versions_are_keyed_after_the_existing_maximum():
    day_1 = movie_versions(history(on(D1, ALPHA)), None).assign(
        movie_key=pd.array([41], dtype="Int64")
    )

    table = movie_versions(history(on(D1, ALPHA), on(D2, ALPHA, title="X"), on(D2, BETA)), day_1)

    assert rows(table, "movie_key", "movie_id", "valid_from") == [
        [41, "tt1", D1], [42, "tt1", D2], [43, "tt2", D2]
    ]  # fmt: skip


def test_day_by_day_equals_all_days_at_once():
    days = [
        [on(D1, ALPHA), on(D1, BETA)],
        [on(D2, ALPHA, title="Alpha II"), on(D2, BETA, movie_id="tt0")],
        [on(D3, ALPHA, title="Alpha II"), on(D3, BETA, certificate="PG")],
        [on(D4, BETA, certificate="PG"), on(D4, ALPHA, movie_id="tt5")],
    ]
    table = None
    seen: list[dict] = []
    for day in days:
        seen.extend(day)
        table = movie_versions(history(*seen), table)

    at_once = movie_versions(history(*seen), None)

    pd.testing.assert_frame_equal(table, at_once)
    assert rows(at_once, "movie_key", "movie_id", "valid_from", "valid_to",
                "in_latest_snapshot") == [
        [1, "tt1", D1, D2, False],
        [2, "tt2", D1, D3, False],
        [3, "tt0", D2, OPEN_END, False],
        [4, "tt1", D2, OPEN_END, False],
        [5, "tt2", D3, OPEN_END, True],
        [6, "tt5", D4, OPEN_END, True],
    ]  # fmt: skip


def test_every_movie_has_exactly_one_current_version():
    table = movie_versions(
        history(on(D1, ALPHA), on(D2, ALPHA, title="X"), on(D3, ALPHA, title="Y"), on(D1, BETA)),
        None,
    )
    current = table[table["is_current"]]
    assert sorted(current["movie_id"].tolist()) == ["tt1", "tt2"]
    assert (current["valid_to"] == OPEN_END).all()


def test_arrow_dates_from_the_warehouse_give_the_same_versions():
    staged = history(on(D1, ALPHA), on(D2, ALPHA, title="Alpha II"), on(D1, BETA))
    arrow = staged.assign(snapshot_date=pd.array(staged["snapshot_date"], dtype=DATE_DTYPE))

    table = movie_versions(arrow, None)

    assert rows(table, *SCD) == [
        [1, "tt1", "Alpha", D1, D2, False, D1, False],
        [2, "tt2", "Beta", D1, OPEN_END, True, D1, False],
        [3, "tt1", "Alpha II", D2, OPEN_END, True, D2, True],
    ]
    assert rows(versions_on(table, D2), "movie_id", "movie_key") == [["tt2", 2], ["tt1", 3]]


# versions_on


@pytest.fixture
def two_versions() -> pd.DataFrame:
    """tt1: key 1 on [D1, D3), key 3 from D3; tt2: key 2 from D1."""
    return movie_versions(
        history(on(D1, ALPHA), on(D2, ALPHA), on(D3, ALPHA, title="Alpha II"), on(D1, BETA)), None
    )


@pytest.mark.parametrize(("day", "expected"), [
    (D1, [["tt1", 1], ["tt2", 2]]),
    (D2, [["tt1", 1], ["tt2", 2]]),
    (D3, [["tt1", 3], ["tt2", 2]]),  # valid_to is exclusive: D3 belongs to the new version
    (dt.date(2030, 1, 1), [["tt1", 3], ["tt2", 2]]),
])  # fmt: skip
def test_versions_on_picks_the_version_whose_interval_contains_the_day(two_versions, day, expected):
    result = versions_on(two_versions, day)
    assert list(result.columns) == ["movie_id", "movie_key"]
    assert sorted(rows(result, "movie_id", "movie_key")) == expected


def test_versions_on_a_day_before_any_version_is_empty(two_versions):
    assert len(versions_on(two_versions, dt.date(2023, 12, 31))) == 0
