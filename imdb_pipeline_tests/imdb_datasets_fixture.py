"""A small dataset in the shape of IMDb's five official files, made up for the tests.

A few hand-written titles cover what the real files hold (`\\N`, quotes inside titles,
unicode, several directors, titles without a rating, principals of other categories, name ids
missing from name.basics, a band whose name holds a comma), and a few hundred more made by a
seeded loop give the day its bulk. `expected_movies` reads the written files again with the
csv module, as an independent statement of what staging must produce.
"""

import csv
import gzip
import io
import random
from pathlib import Path

from imdb_pipeline.lib.imdb_datasets import FILES, NAME_BASICS, TITLE_BASICS

N = "\\N"
GENRES = ["Action", "Comedy", "Drama", "Documentary", "Horror", "Romance", "Sci-Fi", "Thriller"]
TYPES = ["movie", "movie", "movie", "short", "tvEpisode", "tvEpisode", "tvSeries", "video"]

# tconst: (titleType, primaryTitle, isAdult, startYear, runtimeMinutes, genres, rating, votes,
#          directors, principals as (nconst, category))
SPECIAL = {
    "tt0000001": ("movie", 'The "Great" Escape', "0", "1963", "172", "Adventure,Drama,History",
                  "8.2", "250000", "nm0000001",
                  [("nm0000010", "actor"), ("nm0000011", "actress"), ("nm0000001", "director"),
                   ("nm0000012", "self"), ("nm0000013", "writer")]),
    "tt0000002": ("movie", "Le Fabuleux Destin d'Amélie Poulain", "0", "2001", "122",
                  "Comedy,Romance", "8.3", "780000", "nm0000002,nm0000003",
                  [("nm0000014", "actress"), ("nm0000015", "actor")]),
    "tt0000003": ("movie", "Never Rated", "0", "2020", "90", "Drama", None, None, "nm0000002",
                  [("nm0000010", "actor")]),
    "tt0000004": ("tvEpisode", "Pilot", "0", "2010", "42", "Drama", "7.0", "100", "nm0000002",
                  [("nm0000010", "actor")]),
    "tt0000005": ("movie", "Adult Title", "1", "2005", "80", "Drama", "5.0", "50", "nm0000002",
                  [("nm0000011", "actress")]),
    "tt0000006": ("movie", "Unclassified", "0", "1999", N, N, "6.1", "1200", "nm0000003",
                  [("nm0000015", "actor")]),
    "tt0000007": ("movie", "Lost Director", "0", "1980", "95", "Horror", "5.5", "3000",
                  "nm9999999", [("nm0000010", "actor")]),
    "tt0000008": ("movie", "Live in Concert", "0", "1979", "70", "Documentary,Music", "7.4",
                  "900", "nm0000003", [("nm0000016", "self"), ("nm0000017", "self")]),
    "tt0000009": ("movie", "No Director Known", "0", "1931", "66", "Drama", "6.0", "40", N,
                  [("nm0000011", "actress")]),
    "tt0000010": ("movie", "Year Unknown", "0", N, "88", "Comedy", "5.9", "77", "nm0000002",
                  [("nm0000014", "actress")]),
    "tt0000011": ("short", "A Short", "0", "1895", "1", "Documentary,Short", "6.9", "2500",
                  "nm0000003", []),
    "tt0000012": ("movie", "東京物語", "0", "1953", "136", "Drama", "8.2", "70000", "nm0000004",
                  [("nm0000018", "actor"), ("nm9999998", "actress")]),
    "tt0000013": ("movie", "Ölüm Yolu", "0", "1985", N, "Action", "6.3", "450", "nm0000004",
                  []),
}
NAMES = {
    "nm0000001": "John Sturges", "nm0000002": "Jean-Pierre Jeunet", "nm0000003": "Marc Caro",
    "nm0000004": "小津安二郎", "nm0000010": "Steve McQueen", "nm0000011": "Zoë Saldaña",
    "nm0000012": '"Weird Al" Yankovic', "nm0000013": "James Clavell",
    "nm0000014": "Audrey Tautou", "nm0000015": "Mathieu Kassovitz",
    "nm0000016": "Earth, Wind & Fire", "nm0000017": "Björk", "nm0000018": "笠智衆",
}
# The special titles' outcome: the reason of a reject, or None for a staged movie; titles that
# are not movies of the day (another type, adult, or unrated) are absent.
SPECIAL_REJECTS = {
    "tt0000007": "director nm9999999 is not in name.basics.tsv.gz",
    "tt0000008": "star nm0000016 is named 'Earth, Wind & Fire', which holds the list separator ','",
    "tt0000009": "director is empty",
    "tt0000010": "year is empty",
    "tt0000012": "star nm9999998 is not in name.basics.tsv.gz",
}


def titles(generated: int = 600, seed: int = 7, renamed: tuple[str, ...] = ()) -> dict:
    """The special titles, then `generated` made-up ones; `renamed` titles get a new name."""
    rows = dict(SPECIAL)
    chance = random.Random(seed)
    for number in range(100, 100 + generated):
        tconst = f"tt{number:07d}"
        kind = chance.choice(TYPES)
        rated = chance.random() < 0.8
        directors = ",".join(f"nm{chance.randrange(100, 160):07d}"
                             for _ in range(1 + (chance.random() < 0.1)))  # fmt: skip
        cast = [(f"nm{chance.randrange(160, 400):07d}", chance.choice(["actor", "actress"]))
                for _ in range(chance.randrange(0, 5))]  # fmt: skip
        cast.insert(min(1, len(cast)), (directors.split(",")[0], "director"))
        rows[tconst] = (
            kind, f"Title {number} – {chance.choice(['Noir', 'Été', 'Night'])}", "0",
            str(chance.randrange(1920, 2025)), str(chance.randrange(70, 180)),
            ",".join(sorted(chance.sample(GENRES, chance.randrange(1, 4)))),
            f"{chance.randrange(10, 100) / 10:.1f}" if rated else None,
            str(chance.randrange(5, 500000)) if rated else None, directors, cast,
        )
    for tconst in renamed:
        rows[tconst] = (rows[tconst][0], rows[tconst][1] + " (Restored)", *rows[tconst][2:])
    return rows


def names(generated_from: int = 100, generated_to: int = 400) -> dict:
    made = {f"nm{n:07d}": f"Person {n} Ñandú" for n in range(generated_from, generated_to)}
    return {**made, **NAMES}


def write(folder: Path, rows: dict | None = None, name_rows: dict | None = None) -> Path:
    """The five files, gzip-compressed, into `folder`; returns the folder."""
    rows, name_rows = rows or titles(), name_rows or names()
    folder.mkdir(parents=True, exist_ok=True)
    basics = [[t, r[0], r[1], r[1], r[2], r[3], N, r[4], r[5]] for t, r in rows.items()]
    ratings = [[t, r[6], r[7]] for t, r in rows.items() if r[6] is not None]
    crew = [[t, r[8], N] for t, r in rows.items()]
    principals = [[t, str(at), nconst, category, N, N if category != "actor" else '["Hero"]']
                  for t, r in rows.items() for at, (nconst, category) in enumerate(r[9], 1)]  # fmt: skip
    people = [[n, name, "1950", N, "actor", N] for n, name in sorted(name_rows.items())]
    for file, body in zip(FILES, (basics, ratings, crew, principals, people)):
        write_file(folder / file.name, [list(file.columns), *body])
    return folder


def write_file(path: Path, lines: list[list[str]]) -> None:
    text = "".join("\t".join(fields) + "\n" for fields in lines)
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))


def expected_movies(folder: Path) -> dict[str, dict]:
    """movie_id -> the staged values (as text) of every movie the files define, by a plain
    reading: rated, of type movie, not adult, with a resolvable director and stars."""

    def table(file) -> list[dict]:
        text = gzip.decompress((folder / file.name).read_bytes()).decode("utf-8")
        rows = csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
        return [{name: "" if value == N else value for name, value in row.items()} for row in rows]

    name_of = {row["nconst"]: row["primaryName"] for row in table(NAME_BASICS)}
    rating = {row["tconst"]: row for row in table(FILES[1])}
    director = {row["tconst"]: row["directors"].split(",")[0] for row in table(FILES[2])}
    stars: dict[str, list[str]] = {}
    for row in sorted(table(FILES[3]), key=lambda r: (r["tconst"], int(r["ordering"]))):
        if row["category"] in ("actor", "actress", "self"):
            stars.setdefault(row["tconst"], []).append(name_of.get(row["nconst"], "?"))
    movies = {}
    for row in table(TITLE_BASICS):
        tconst = row["tconst"]
        if row["titleType"] != "movie" or row["isAdult"] != "0" or tconst not in rating:
            continue
        movies[tconst] = {
            "title": row["primaryTitle"], "year": row["startYear"],
            "runtime_minutes": row["runtimeMinutes"], "genre": row["genres"].replace(",", ", "),
            "rating": rating[tconst]["averageRating"], "votes": rating[tconst]["numVotes"],
            "director": name_of.get(director[tconst], "?"), "stars": ", ".join(stars.get(tconst, [])),
        }  # fmt: skip
    return movies
