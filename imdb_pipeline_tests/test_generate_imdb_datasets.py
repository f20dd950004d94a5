"""The synthetic IMDb datasets are in IMDb's exact format, hang together, and change as IMDb's
do from one day to the next (a few thousand titles; no timing is asserted)."""

import gzip
import importlib
import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[1] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))
generator = importlib.import_module("generate_imdb_datasets")

TITLES = 3000
HEADERS = {
    "title.basics.tsv.gz": ["tconst", "titleType", "primaryTitle", "originalTitle", "isAdult",
                            "startYear", "endYear", "runtimeMinutes", "genres"],
    "title.ratings.tsv.gz": ["tconst", "averageRating", "numVotes"],
    "title.crew.tsv.gz": ["tconst", "directors", "writers"],
    "title.principals.tsv.gz": ["tconst", "ordering", "nconst", "category", "job",
                                "characters"],
    "name.basics.tsv.gz": ["nconst", "primaryName", "birthYear", "deathYear",
                           "primaryProfession", "knownForTitles"],
}  # fmt: skip
NULL = "\\N"
TYPES = {"movie", "short", "tvSeries", "tvEpisode", "tvMovie", "tvMiniSeries", "tvSpecial",
         "video", "videoGame", "tvShort", "tvPilot"}
GENRES = {"Action", "Adult", "Adventure", "Animation", "Biography", "Comedy", "Crime",
          "Documentary", "Drama", "Family", "Fantasy", "Film-Noir", "Game-Show", "History",
          "Horror", "Music", "Musical", "Mystery", "News", "Reality-TV", "Romance", "Sci-Fi",
          "Short", "Sport", "Talk-Show", "Thriller", "War", "Western"}
CATEGORIES = {"actor", "actress", "self", "director", "writer", "producer", "composer",
              "cinematographer", "editor", "production_designer", "casting_director",
              "archive_footage"}
TCONST, NCONST = re.compile(r"tt\d{7,}"), re.compile(r"nm\d{7,}")
YEAR, RATING = re.compile(r"\d{4}"), re.compile(r"\d{1,2}\.\d")


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    """A file's rows, read as IMDb's files must be read: tabs only, no quoting."""
    raw = (folder / name).read_bytes()
    assert raw[:2] == b"\x1f\x8b", f"{name} is not gzip"
    text = gzip.decompress(raw).decode("utf-8")
    assert text.endswith("\n") and "\r" not in text
    header, *lines = [line.split("\t") for line in text[:-1].split("\n")]
    assert header == HEADERS[name]
    for fields in lines:
        assert len(fields) == len(header), fields
        assert all(fields), fields  # NULL is written \N, never as an empty field
    return [dict(zip(header, fields, strict=True)) for fields in lines]


def read_all(folder: Path) -> dict[str, list[dict[str, str]]]:
    return {name: rows(folder, name) for name in HEADERS}


def ids_in(values) -> set[str]:
    return {i for value in values if value != NULL for i in value.split(",")}


@pytest.fixture(scope="module")
def day1(tmp_path_factory):
    folder = tmp_path_factory.mktemp("day1")
    counts = generator.write_datasets(folder, TITLES, seed=7, processes=1)
    return folder, counts, read_all(folder)


@pytest.fixture(scope="module")
def day2(tmp_path_factory):
    folder = tmp_path_factory.mktemp("day2")
    generator.write_datasets(folder, TITLES, seed=7, day=2, processes=1)
    return read_all(folder)


def test_the_files_hold_imdb_headers_fields_and_the_counted_rows(day1):
    folder, counts, files = day1
    assert sorted(p.name for p in folder.iterdir()) == sorted(HEADERS)
    assert counts == {name: len(files[name]) for name in HEADERS}
    assert counts["title.basics.tsv.gz"] == counts["title.crew.tsv.gz"] == TITLES


def test_values_follow_imdb_conventions(day1):
    files = day1[2]
    for title in files["title.basics.tsv.gz"]:
        assert TCONST.fullmatch(title["tconst"]) and title["titleType"] in TYPES
        assert title["isAdult"] in {"0", "1"}
        for year in (title["startYear"], title["endYear"]):
            assert year == NULL or (YEAR.fullmatch(year) and 1894 <= int(year) <= 2026)
        if title["titleType"] not in {"tvSeries", "tvMiniSeries"}:
            assert title["endYear"] == NULL
        assert title["genres"] == NULL or (set(title["genres"].split(",")) <= GENRES
                                           and len(title["genres"].split(",")) <= 3)
    for rating in files["title.ratings.tsv.gz"]:
        assert RATING.fullmatch(rating["averageRating"])
        assert 1.0 <= float(rating["averageRating"]) <= 10.0 and int(rating["numVotes"]) >= 5
    for principal in files["title.principals.tsv.gz"]:
        assert NCONST.fullmatch(principal["nconst"]) and principal["category"] in CATEGORIES
        characters = principal["characters"]
        assert characters == NULL or (characters.startswith('["') and characters.endswith('"]'))
    for name in files["name.basics.tsv.gz"]:
        assert NCONST.fullmatch(name["nconst"])
        assert name["birthYear"] == NULL or YEAR.fullmatch(name["birthYear"])
        assert " " not in name["primaryProfession"]
        assert all(TCONST.fullmatch(t) for t in ids_in([name["knownForTitles"]]))
    # \N where IMDb has it, in every nullable column.
    nullable = [("title.basics.tsv.gz", c) for c in ("startYear", "runtimeMinutes", "genres")]
    nullable += [("title.crew.tsv.gz", "directors"), ("title.crew.tsv.gz", "writers"),
                 ("title.principals.tsv.gz", "job"), ("title.principals.tsv.gz", "characters")]
    nullable += [("name.basics.tsv.gz", c) for c in ("birthYear", "deathYear",
                                                     "primaryProfession", "knownForTitles")]
    for name, column in nullable:
        values = [row[column] for row in files[name]]
        assert NULL in values and any(v != NULL for v in values), (name, column)


def test_files_reference_existing_titles_sorted_as_imdb_sorts_them(day1):
    files = day1[2]
    titles = [t["tconst"] for t in files["title.basics.tsv.gz"]]
    assert len(set(titles)) == len(titles)
    for name in ("title.ratings.tsv.gz", "title.crew.tsv.gz"):
        tconsts = [row["tconst"] for row in files[name]]
        assert set(tconsts) <= set(titles)
        assert tconsts == sorted(set(tconsts), key=lambda t: int(t[2:]))
    principals = files["title.principals.tsv.gz"]
    keys = [(int(p["tconst"][2:]), int(p["ordering"])) for p in principals]
    assert keys == sorted(set(keys))
    per_title: dict[str, list[int]] = {}
    for p in principals:
        per_title.setdefault(p["tconst"], []).append(int(p["ordering"]))
    assert set(per_title) == set(titles)
    assert all(o == list(range(1, len(o) + 1)) and len(o) <= 10 for o in per_title.values())
    assert ids_in(n["knownForTitles"] for n in files["name.basics.tsv.gz"]) <= set(titles)


def test_a_few_references_name_people_absent_from_name_basics(day1):
    files = day1[2]
    names = {n["nconst"] for n in files["name.basics.tsv.gz"]}
    crew = files["title.crew.tsv.gz"]
    referenced = [p["nconst"] for p in files["title.principals.tsv.gz"]]
    referenced += [i for row in crew for i in ids_in([row["directors"], row["writers"]])]
    dangling = [n for n in referenced if n not in names]
    assert 1 <= len(dangling) < len(referenced) / 1000


def test_shapes_are_roughly_imdb_s(day1):
    files = day1[2]
    basics = files["title.basics.tsv.gz"]
    movies = {t["tconst"] for t in basics if t["titleType"] == "movie"}
    assert 0.03 < len(movies) / TITLES < 0.09
    assert 0.08 < len(files["title.ratings.tsv.gz"]) / TITLES < 0.2
    assert 0.003 < sum(t["isAdult"] == "1" for t in basics) / TITLES < 0.06
    assert 7 < len(files["title.principals.tsv.gz"]) / TITLES < 9
    assert len(files["name.basics.tsv.gz"]) == round(TITLES * 1.25)
    directed = [c["directors"] for c in files["title.crew.tsv.gz"] if c["tconst"] in movies]
    assert any("," in d for d in directed)
    assert sum(d == NULL for d in directed) < len(directed) / 5
    titles = [t["primaryTitle"] for t in basics]
    assert any('"' in t for t in titles) and any(not t.isascii() for t in titles)
    people = [n["primaryName"] for n in files["name.basics.tsv.gz"]]
    assert any(not n.isascii() for n in people) and any("'" in n for n in people)


def test_output_depends_only_on_titles_seed_and_day(day1, tmp_path):
    folder = day1[0]
    generator.write_datasets(tmp_path / "again", TITLES, seed=7, processes=2)
    for name in HEADERS:
        assert (tmp_path / "again" / name).read_bytes() == (folder / name).read_bytes(), name
    generator.write_datasets(tmp_path / "other", TITLES, seed=8, processes=1)
    other = tmp_path / "other" / "title.basics.tsv.gz"
    assert other.read_bytes() != (folder / "title.basics.tsv.gz").read_bytes()


def test_day_two_renames_titles_moves_ratings_and_adds_rated_titles(day1, day2):
    files = day1[2]
    before = {t["tconst"]: t for t in files["title.basics.tsv.gz"]}
    after = {t["tconst"]: t for t in day2["title.basics.tsv.gz"]}
    renamed = [k for k, t in before.items() if after[k]["primaryTitle"] != t["primaryTitle"]]
    assert 0.004 < len(renamed) / TITLES < 0.02
    for key, title in before.items():
        for column in ("titleType", "isAdult", "genres", "originalTitle"):
            assert after[key][column] == title[column]
    added = sorted(set(after) - set(before), key=lambda t: int(t[2:]))
    assert added and int(added[0][2:]) == TITLES + 1

    rated_before = {r["tconst"]: r for r in files["title.ratings.tsv.gz"]}
    rated_after = {r["tconst"]: r for r in day2["title.ratings.tsv.gz"]}
    assert set(added) <= set(rated_after) and set(rated_before) <= set(rated_after)
    grew = moved = 0
    for key, rating in rated_before.items():
        votes, new_votes = int(rating["numVotes"]), int(rated_after[key]["numVotes"])
        assert new_votes >= votes
        grew += new_votes > votes
        change = abs(float(rated_after[key]["averageRating"]) - float(rating["averageRating"]))
        assert change in (0, pytest.approx(0.1))
        moved += change > 0
    assert grew > len(rated_before) / 10 and moved > 0

    assert day2["name.basics.tsv.gz"] == files["name.basics.tsv.gz"]
    assert day2["title.crew.tsv.gz"][:TITLES] == files["title.crew.tsv.gz"]
