"""The comma-separated list columns: normalising and exploding; the vectorised text tests."""

import random

import pyarrow as pa
import pytest

from imdb_pipeline.lib.lists import (
    holds,
    holds_only,
    list_sizes,
    normalise_list,
    normalise_lists,
    trim_whitespace,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Drama", "Drama"),
        ("Drama, Crime", "Drama, Crime"),
        (" Drama ,Crime,,Drama", "Drama, Crime"),
        ("Crime,Drama,Crime", "Crime, Drama"),
        ("a,A, a", "a, A"),
        (" , ,", ""),
        ("", ""),
    ],
)
def test_normalise_list_trims_drops_empties_and_repeats_keeping_order(raw, expected):
    assert normalise_list(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Drama", "Drama"),
        (" Drama ,Crime,,Drama", "Drama, Crime"),
        ("a,A, a", "a, A"),
        (" , ,", ""),
        ("", ""),
        (None, None),
        ("x,\u00a0y\u3000, x", "x, y"),
        ("a, b, c, d, e, f, g, a", "a, b, c, d, e, f, g"),
        ("Ann,  Bob", "Ann, Bob"),
        ("Ann , Bob", "Ann, Bob"),
        ("Ann, , Bob", "Ann, Bob"),
        ("Ann, Bob, Ann", "Ann, Bob"),
    ],
)
def test_normalise_lists_normalises_a_whole_array(raw, expected):
    values = pa.array(["Drama, Crime", raw, "Ann, Bob"], pa.string())
    assert normalise_lists(values).to_pylist() == ["Drama, Crime", expected, "Ann, Bob"]


@pytest.mark.parametrize("seed", range(5))
def test_normalise_lists_agrees_with_normalise_list(seed):
    pick = random.Random(seed)
    pieces = ["Ann", "Bob", " Cy", "Dee ", "", " ", "Zoë", "\u2003Ann", "a,b"]
    values = [
        pick.choice([", ", ",", " ,", " , "]).join(pick.choices(pieces, k=pick.randint(1, 6)))
        for _ in range(200)
    ]
    normal = [normalise_list(value) for value in values]
    # Clean arrays take a shortcut, so both clean and dirty arrays are compared.
    for sample in (values, normal):
        expected = [normalise_list(value) for value in sample]
        assert normalise_lists(pa.array(sample)).to_pylist() == expected
        assert normalise_lists(pa.array(["x", *sample]).slice(1)).to_pylist() == expected


@pytest.mark.parametrize("seed", range(3))
def test_long_lists_are_normalised_as_short_ones(seed):
    # Lists longer than the shifted comparison handles are de-duplicated by hashing.
    pick = random.Random(seed)
    names = [f"Name {number}" for number in range(40)]
    values = [", ".join(pick.choices(names, k=pick.randint(1, 80))) for _ in range(50)]
    values += ["", " , ", "Ann, Ann"]
    for sample in (values, [normalise_list(value) for value in values]):
        expected = [normalise_list(value) for value in sample]
        assert normalise_lists(pa.array(sample)).to_pylist() == expected
        assert normalise_lists(pa.array(["x", *sample]).slice(1)).to_pylist() == expected


@pytest.mark.timeout(60)
def test_de_duplicating_a_huge_list_takes_linear_time():
    # 200,000 names in one cell: comparing each item with every earlier one would take hours;
    # the timeout only catches that, it measures nothing.
    names = [f"Actor {number}" for number in range(100_000)]
    value = ", ".join(names + names)
    assert normalise_lists(pa.array([value, "Ann"])).to_pylist() == [", ".join(names), "Ann"]


def test_list_sizes_count_items_and_characters_of_each_lists_longest_item():
    values = pa.array(["x", "Ann, Bobby", "", None, "Zoë, Renée Ö", "abc"]).slice(1)
    items, longest = list_sizes(values)
    assert longest.to_pylist() == [5, 0, 0, 7, 3]
    assert items.to_pylist() == [2, 0, 0, 2, 1]


WHITESPACE = [chr(code) for code in range(0x110000) if chr(code).isspace()]


@pytest.mark.parametrize("space", WHITESPACE, ids=[f"U+{ord(c):04X}" for c in WHITESPACE])
def test_trim_whitespace_trims_what_str_strip_trims(space):
    values = ["Zoë", "Renée", "", f"a{space}", f"{space}a", space, f"é{space}", f"{space}é"]
    for start in range(len(values)):
        array = pa.array(["x", *values]).slice(1 + start)
        assert trim_whitespace(array).to_pylist() == [value.strip() for value in values[start:]]


def test_trim_whitespace_returns_a_clean_array_itself():
    clean = pa.array(["Zoë", "Renée", "", "a b"])
    assert trim_whitespace(clean) is clean


def test_byte_searches_look_only_at_the_array_values():
    values = pa.array(["a\n", "12", "-3"]).slice(1)
    assert not holds(values, b"\n")
    assert holds(values, b"-")
    assert holds_only(values, b"-0123456789")
    assert not holds_only(pa.array(["0x10"]), b"-0123456789")
