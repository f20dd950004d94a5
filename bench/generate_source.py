"""Synthetic IMDb-like source generator for benchmarking the pipeline.

Writes a CSV with the same contract as ``imdb_pipeline/data/imdb_movies.csv``: UTF-8,
comma-delimited, RFC 4180 minimal quoting, ``\\n`` line endings and the header

    movie_id,title,year,certificate,runtime_minutes,genre,rating,metascore,description,
    director,stars,votes,gross_millions

Rows are generated in chunks with vectorised numpy code and appended with pandas, so memory
stays bounded regardless of the row count. Output is deterministic for a given
``(seed, chunk_rows)`` pair.

Usage::

    python bench/generate_source.py --rows 1000000 --out /tmp/imdb_1m.csv [--seed 42]
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = [
    "movie_id",
    "title",
    "year",
    "certificate",
    "runtime_minutes",
    "genre",
    "rating",
    "metascore",
    "description",
    "director",
    "stars",
    "votes",
    "gross_millions",
]

CERTIFICATES = ["G", "PG", "PG-13", "R", "NC-17", "Approved", "Passed", "Not Rated", "Unrated",
                "TV-MA", "TV-14"]
CERTIFICATE_WEIGHTS = [0.05, 0.14, 0.22, 0.33, 0.01, 0.04, 0.03, 0.08, 0.04, 0.03, 0.03]
CERTIFICATE_EMPTY_SHARE = 0.05

GENRES = ["Action", "Adventure", "Animation", "Biography", "Comedy", "Crime", "Drama", "Family",
          "Fantasy", "History", "Horror", "Music", "Mystery", "Romance", "Sci-Fi", "Thriller",
          "War", "Western"]
GENRE_WEIGHTS = [8, 6, 2, 2, 8, 6, 14, 2, 3, 2, 4, 1, 4, 5, 3, 6, 2, 1]

FIRST_NAMES = [
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark",
    "Margaret", "Paul", "Sandra", "Steven", "Ashley", "Andrew", "Emily", "Kenneth", "Donna",
    "Joshua", "Michelle", "Kevin", "Carol", "Brian", "Amanda", "George", "Melissa", "Edward",
    "Deborah", "Ryan", "Stephanie", "Jacob", "Rebecca", "Gary", "Laura", "Nicholas", "Helen",
    "Eric", "Sharon", "Jonathan", "Cynthia", "Larry", "Kathleen", "Frank", "Amy", "Scott",
    "Shirley", "Justin", "Angela", "Samuel", "Anna", "Gregory", "Ruth", "Alexander", "Julia",
    "Hiroshi", "Yuki", "Kenji", "Mei", "Raj", "Priya", "Ahmed", "Fatima", "Olga", "Ivan",
    "Lars", "Ingrid", "Marco", "Giulia", "Hans", "Greta", "Pierre", "Camille", "Diego", "Lucía",
    "José", "Zoë", "Léa", "Renée", "Björn", "Søren", "Chloé", "Andrés", "Siân", "Noémie",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner",
    "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales",
    "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey",
    "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks",
    "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price",
    "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
    "Tanaka", "Suzuki", "Kowalski", "Novak", "Rossi", "Bianchi", "Schmidt", "Fischer",
    "Lindqvist", "Dubois", "Lefebvre", "Ivanova", "Kapoor", "Chen", "Wang", "Park",
    "O'Brien", "O'Connell", "O'Toole", "D'Amico", "Nyong'o", "Muñoz", "Müller", "Peña",
    "Almodóvar", "Núñez", "Søndergaard", "Désormeaux",
]

ADJECTIVES = ["Silent", "Last", "Broken", "Hidden", "Golden", "Dark", "Lost", "Eternal",
              "Crimson", "Forgotten", "Wild", "Final", "Burning", "Distant", "Secret", "Frozen",
              "Midnight", "Savage", "Quiet", "Endless", "Bitter", "Electric", "Hollow", "Restless"]
NOUNS = ["River", "Kingdom", "Shadow", "Empire", "Storm", "Garden", "Night", "Promise", "City",
         "Heart", "Road", "Mirror", "Frontier", "Summer", "Island", "Machine", "Witness",
         "Horizon", "Legacy", "Harbor", "Stranger", "Winter", "Signal", "Crown", "Dream",
         "Station", "Circus", "Orchard", "Tide", "Fortress"]
ROLES = ["detective", "young widow", "retired boxer", "small-town teacher", "rookie cop",
         "disgraced scientist", "con artist", "struggling musician", "former soldier",
         "teenage runaway", "ambitious lawyer", "lonely astronaut", "village doctor",
         "aging gangster", "journalist"]
VERBS = ["uncover", "escape", "confront", "protect", "avenge", "rebuild", "outwit", "expose",
         "survive", "chase"]
OBJECTS = ["a family secret", "a ruthless crime syndicate", "the truth about a missing friend",
           "a corrupt mayor", "a deadly storm", "an ancient curse", "a rival gang",
           "a forgotten past", "a government conspiracy", "the love of a lifetime"]
SETTINGS = ["in a small coastal town", "on the streets of 1970s New York", "in post-war Berlin",
            "aboard a failing space station", "across the American West",
            "in a remote mountain village", "during a long, hot summer", "in near-future Tokyo",
            "in the Scottish Highlands", "inside a crumbling mansion"]
QUOTED_WORDS = ["Dreamers", "Outsiders", "Believers", "Survivors", "Good Ones", "Lucky Few"]

ID_MIN, ID_MAX = 10_000_000, 99_999_999  # "tt" + 8 digits
YEAR_MIN, YEAR_MAX = 1920, 2024
NAME_PRIME = 1_000_003  # coprime to every name-tier size, so the hash below is a bijection

_INITIALS = np.array([f"{chr(c)}. " for c in range(ord("A"), ord("Z") + 1)], dtype=object)
_FIRST = np.array([f"{n} " for n in FIRST_NAMES], dtype=object)
_LAST = np.array(LAST_NAMES, dtype=object)
_HYPHENATED = np.array([f"{a}-{b}" for a in LAST_NAMES for b in LAST_NAMES if a != b],
                       dtype=object)
# Tiers of unique names, simplest first: "First Last", "First X. Last", "First Last-Other",
# "First X. Last-Other". Small pools only ever use the first tier.
_NAME_TIERS = [
    (_LAST, np.array([""], dtype=object)),
    (_LAST, _INITIALS),
    (_HYPHENATED, np.array([""], dtype=object)),
    (_HYPHENATED, _INITIALS),
]
NAME_CAPACITY = sum(len(_FIRST) * len(s) * len(m) for s, m in _NAME_TIERS)

_RATING_STR = np.array([f"{i / 10:.1f}" for i in range(101)], dtype=object)
_METASCORE_STR = np.array([str(i) for i in range(101)] + [""], dtype=object)


def _genre_table() -> np.ndarray:
    """Lookup table: code of a sorted genre-index triple (18 = unused) -> genre string."""
    n = len(GENRES)
    table = np.full((n + 1) ** 3, "", dtype=object)
    for k in (1, 2, 3):
        for combo in combinations(range(n), k):
            padded = list(combo) + [n] * (3 - k)
            code = (padded[0] * (n + 1) + padded[1]) * (n + 1) + padded[2]
            table[code] = ", ".join(GENRES[i] for i in combo)
    return table


_GENRE_TABLE = _genre_table()


def _names(pool_idx: np.ndarray, offset: int) -> np.ndarray:
    """Map pool indices to unique person names (same index and offset -> same name)."""
    out = np.empty(pool_idx.shape, dtype=object)
    lo = 0
    n_first = len(_FIRST)
    for surnames, middles in _NAME_TIERS:
        size = n_first * len(surnames) * len(middles)
        mask = (pool_idx >= lo) & (pool_idx < lo + size)
        if mask.any():
            j = ((pool_idx[mask] - lo) * NAME_PRIME + offset) % size
            first = _FIRST[j % n_first]
            rest = j // n_first
            out[mask] = first + middles[rest // len(surnames)] + surnames[rest % len(surnames)]
        lo += size
    return out


def _pool_draw(rng: np.random.Generator, shape, pool: int, hot_share: float) -> np.ndarray:
    """Draw pool indices where a small "popular" head gets ``hot_share`` of all draws."""
    hot = max(10, pool // 20)
    idx = rng.integers(0, pool, size=shape)
    is_hot = rng.random(shape) < hot_share
    idx[is_hot] = rng.integers(0, hot, size=int(is_hot.sum()))
    return idx


def _distinct_draw(rng: np.random.Generator, n: int, k: int, pool: int) -> np.ndarray:
    """Draw ``k`` distinct pool indices per row (rows with repeats are redrawn)."""
    idx = _pool_draw(rng, (n, k), pool, hot_share=0.3)
    while True:
        s = np.sort(idx, axis=1)
        bad = (s[:, 1:] == s[:, :-1]).any(axis=1)
        n_bad = int(bad.sum())
        if n_bad == 0:
            return idx
        idx[bad] = _pool_draw(rng, (n_bad, k), pool, hot_share=0.3)


def _template_table(parts: list[list[str]], weights: list[float]):
    """Flatten template variants into one lookup table plus per-variant offsets and sizes."""
    sizes = np.array([len(p) for p in parts], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = np.array([text for part in parts for text in part], dtype=object)
    return flat, offsets, sizes, np.asarray(weights) / np.sum(weights)


def _sample_table(rng: np.random.Generator, n: int, table) -> np.ndarray:
    """Pick a variant by weight, then a uniform entry inside it, for ``n`` rows."""
    flat, offsets, sizes, probs = table
    variant = rng.choice(len(sizes), size=n, p=probs)
    within = (rng.random(n) * sizes[variant]).astype(np.int64)
    return flat[offsets[variant] + within]


# Every title / description the templates can produce (~45k and ~16k strings), so that a
# chunk only needs integer draws plus one lookup.
_TITLES = _template_table(
    [
        [f"The {a} {n}" for a in ADJECTIVES for n in NOUNS],
        [f"{a} {n}" for a in ADJECTIVES for n in NOUNS],
        [f"The {n} of the {a} {m}" for n in NOUNS for a in ADJECTIVES for m in NOUNS],
        [f"{n} and {m}" for n in NOUNS for m in NOUNS if n != m],
        [f"{n}, {m} and the {a}" for n in NOUNS for m in NOUNS if n != m for a in ADJECTIVES],
        [f'The "{q}" of {n}' for q in QUOTED_WORDS for n in NOUNS],
    ],
    [0.35, 0.2, 0.2, 0.1, 0.08, 0.07],
)
_DESCRIPTIONS = _template_table(
    [
        [
            f"A {r} must {v} {o} {s}."
            for r in ROLES
            for v in VERBS
            for o in OBJECTS
            for s in SETTINGS
        ],
        [f"After years in hiding, a {r} returns to {v} {o}." for r in ROLES for v in VERBS
         for o in OBJECTS],
    ],
    [0.7, 0.3],
)


def _titles(rng: np.random.Generator, n: int) -> np.ndarray:
    """Titles from word combinations; a few contain commas or double quotes."""
    out = _sample_table(rng, n, _TITLES)
    sequel = rng.random(n) < 0.04
    out[sequel] = out[sequel] + np.where(rng.random(int(sequel.sum())) < 0.7, " II", " III")
    return out


def _descriptions(rng: np.random.Generator, n: int) -> np.ndarray:
    """Short one-sentence plot summaries."""
    return _sample_table(rng, n, _DESCRIPTIONS)


def _genres(rng: np.random.Generator, n: int) -> np.ndarray:
    """1-3 distinct, alphabetically ordered genres per row (weighted Gumbel top-k)."""
    n_genres = len(GENRES)
    keys = np.log(np.asarray(GENRE_WEIGHTS, dtype=float)) + rng.gumbel(size=(n, n_genres))
    top = np.argsort(-keys, axis=1)[:, :3]
    k = rng.choice([1, 2, 3], size=n, p=[0.3, 0.4, 0.3])
    top[np.arange(3)[None, :] >= k[:, None]] = n_genres
    top.sort(axis=1)
    code = (top[:, 0] * (n_genres + 1) + top[:, 1]) * (n_genres + 1) + top[:, 2]
    return _GENRE_TABLE[code]


def _stars(rng: np.random.Generator, n: int, pool: int, offset: int) -> np.ndarray:
    """3-5 distinct star names per row, joined with ", "."""
    names = _names(_distinct_draw(rng, n, 5, pool), offset)
    k = rng.integers(3, 6, size=n)
    out = names[:, 0] + ", " + names[:, 1] + ", " + names[:, 2]
    for col in (3, 4):
        more = k > col
        out[more] = out[more] + ", " + names[more, col]
    return out


def _chunk(
    rng: np.random.Generator,
    start_id: int,
    n: int,
    director_pool: int,
    star_pool: int,
    offsets: tuple[int, int],
) -> pd.DataFrame:
    """Generate one chunk of ``n`` rows as a DataFrame ready for ``to_csv``."""
    ids = "tt" + np.arange(start_id, start_id + n).astype(str).astype(object)

    span = YEAR_MAX - YEAR_MIN
    year = YEAR_MIN + np.floor(rng.beta(2.5, 1.0, n) * (span + 1)).astype(np.int64)
    year = np.minimum(year, YEAR_MAX)

    cert = np.asarray(CERTIFICATES, dtype=object)[
        rng.choice(len(CERTIFICATES), size=n, p=CERTIFICATE_WEIGHTS)
    ]
    cert[rng.random(n) < CERTIFICATE_EMPTY_SHARE] = ""

    runtime = np.clip(np.rint(rng.normal(110, 20, n)), 60, 240).astype(np.int64)

    rating10 = np.clip(np.rint(rng.normal(65, 10, n)), 10, 100).astype(np.int64)
    meta = np.clip(np.rint(rating10 + rng.normal(0, 12, n)), 0, 100).astype(np.int64)
    meta[rng.random(n) < 1 / 3] = 101  # -> empty string

    votes = np.maximum(np.rint(rng.lognormal(8.5, 2.0, n)), 5).astype(np.int64)
    votes = np.minimum(votes, 3_000_000)

    # US gross loosely follows popularity: lognormal around a votes-driven median.
    log_gross = 0.6 * (np.log(votes) - 8.5) + rng.normal(1.5, 1.2, n)
    gross = np.round(np.clip(np.exp(log_gross), 0.01, 950.0), 2)
    gross[rng.random(n) < 1 / 3] = np.nan

    director = _names(_pool_draw(rng, n, director_pool, hot_share=0.4), offsets[0])

    return pd.DataFrame(
        {
            "movie_id": ids,
            "title": _titles(rng, n),
            "year": year,
            "certificate": cert,
            "runtime_minutes": runtime,
            "genre": _genres(rng, n),
            "rating": _RATING_STR[rating10],
            "metascore": _METASCORE_STR[meta],
            "description": _descriptions(rng, n),
            "director": director,
            "stars": _stars(rng, n, star_pool, offsets[1]),
            "votes": votes,
            "gross_millions": gross,
        },
        columns=COLUMNS,
    )


def generate_source(
    path: str | os.PathLike[str], rows: int, seed: int = 42, chunk_rows: int = 200_000
) -> None:
    """Write ``rows`` synthetic movies to the CSV at ``path``, ``chunk_rows`` at a time."""
    if rows < 0:
        raise ValueError("rows must be >= 0")
    if chunk_rows <= 0:
        raise ValueError("chunk_rows must be > 0")
    if rows > ID_MAX - ID_MIN + 1:
        raise ValueError(f"rows must be <= {ID_MAX - ID_MIN + 1} (8-digit ids)")

    rng = np.random.default_rng(seed)
    director_pool = min(max(50, rows // 8), NAME_CAPACITY)
    star_pool = min(max(200, rows // 2), NAME_CAPACITY)
    offsets = (int(rng.integers(0, 2**31)), int(rng.integers(0, 2**31)))
    start_id = int(rng.integers(ID_MIN, ID_MAX - rows + 2))

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        if rows == 0:
            fh.write(",".join(COLUMNS) + "\n")
            return
        for done in range(0, rows, chunk_rows):
            n = min(chunk_rows, rows - done)
            df = _chunk(rng, start_id + done, n, director_pool, star_pool, offsets)
            df.to_csv(
                fh,
                header=done == 0,
                index=False,
                lineterminator="\n",
                quoting=csv.QUOTE_MINIMAL,
                float_format="%.2f",
                na_rep="",
            )


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="number of data rows")
    parser.add_argument("--out", required=True, help="output CSV path")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--chunk-rows", type=int, default=200_000, help="rows per chunk")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    generate_source(args.out, args.rows, seed=args.seed, chunk_rows=args.chunk_rows)
    elapsed = time.perf_counter() - t0
    size = os.path.getsize(args.out)
    print(f"wrote {args.rows:,} rows to {args.out}: {size / 1e6:,.1f} MB in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
