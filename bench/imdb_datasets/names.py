"""name.basics: people (and a few bands), most without known birth or death years."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from imdb_datasets import text
from imdb_datasets.chunks import Chunk, Stream
from imdb_datasets.draws import distinct, weighted
from imdb_datasets.people import is_band, is_female
from imdb_datasets.shapes import YEAR_MAX
from imdb_datasets.vocabulary import (
    BAND_PROFESSIONS,
    BANDS,
    CJK_GIVEN,
    CJK_SURNAMES,
    FEMALE_FIRST,
    LAST,
    MALE_FIRST,
    NOTABLE_NAMES,
    PROFESSIONS_FEMALE,
    PROFESSIONS_MALE,
)

NAMES_COLUMNS = ("nconst", "primaryName", "birthYear", "deathYear", "primaryProfession",
                 "knownForTitles")
CJK_SHARE = 0.03
MIDDLE_INITIAL_SHARE = 0.5
DOUBLE_SURNAME_SHARE = 0.35
NOTABLE_SHARE = 0.002
BIRTH_KNOWN_SHARE = 0.09  # IMDb knows few birth years
KNOWN_FOR_NULL_SHARE = 0.1
KNOWN_FOR_COUNTS = [25, 15, 15, 45]  # 1 to 4 titles

_FIRST = text.table(FEMALE_FIRST + MALE_FIRST)
_LAST = text.table(LAST)
_INITIALS = text.table([f"{letter}." for letter in "ABCDEFGHIJKLMNOPRSTVW"])
_CJK_SURNAMES = text.table(CJK_SURNAMES)
_CJK_GIVEN = text.table(CJK_GIVEN)
_NOTABLE = text.table(NOTABLE_NAMES)
_BANDS = text.table(BANDS)
_PROFESSIONS = text.table([p for p, _ in PROFESSIONS_FEMALE + PROFESSIONS_MALE]
                          + [BAND_PROFESSIONS])  # fmt: skip


def _primary_names(rng: np.random.Generator, female: np.ndarray, band: np.ndarray):
    n = len(female)
    first = np.where(female, rng.integers(0, len(FEMALE_FIRST), n),
                     len(FEMALE_FIRST) + rng.integers(0, len(MALE_FIRST), n))  # fmt: skip
    # Middle initials, double surnames and two-character given names make most of 15M names
    # distinct, as IMDb's are: the name dimensions are keyed by name, so their sizes follow.
    last = text.lookup(_LAST, rng.integers(0, len(LAST), n))
    double = pc.binary_join_element_wise(last, text.lookup(_LAST, rng.integers(0, len(LAST), n)),
                                         "-")  # fmt: skip
    last = pc.if_else(pa.array(rng.random(n) < DOUBLE_SURNAME_SHARE), double, last)
    given = text.lookup(_FIRST, first)
    initial = pc.binary_join_element_wise(
        given, text.lookup(_INITIALS, rng.integers(0, len(_INITIALS), n)), " ")
    given = pc.if_else(pa.array(rng.random(n) < MIDDLE_INITIAL_SHARE), initial, given)
    western = pc.binary_join_element_wise(given, last, " ")
    cjk = pc.binary_join_element_wise(
        text.lookup(_CJK_SURNAMES, rng.integers(0, len(CJK_SURNAMES), n)),
        text.lookup(_CJK_GIVEN, rng.integers(0, len(CJK_GIVEN), n)),
        text.lookup(_CJK_GIVEN, rng.integers(0, len(CJK_GIVEN), n)), "",
    )
    notable = text.lookup(_NOTABLE, rng.integers(0, len(NOTABLE_NAMES), n))
    kind = weighted(rng, [1 - CJK_SHARE - NOTABLE_SHARE, CJK_SHARE, NOTABLE_SHARE], n)
    bands = text.lookup(_BANDS, rng.integers(0, len(BANDS), n))
    chosen = pc.if_else(pa.array(kind == 1), cjk, western)
    chosen = pc.if_else(pa.array(kind == 2), notable, chosen)
    return pc.if_else(pa.array(band), bands, chosen)


def _years(rng: np.random.Generator, band: np.ndarray):
    n = len(band)
    birth = np.clip(np.rint(rng.normal(1965, 22, n)), 1840, YEAR_MAX - 8).astype(np.int64)
    born = (rng.random(n) < BIRTH_KNOWN_SHARE) & ~band
    death = birth + np.clip(np.rint(rng.normal(72, 12, n)), 18, 105).astype(np.int64)
    died = born & np.where(birth < 1935, rng.random(n) < 0.85, rng.random(n) < 0.05)
    died &= death <= YEAR_MAX
    return text.small_ints(birth, ~born), text.small_ints(np.minimum(death, YEAR_MAX), ~died)


def _known_for(rng: np.random.Generator, titles: int, n: int) -> np.ndarray:
    """1 to 4 distinct titles per name, or none."""
    count = np.minimum(weighted(rng, KNOWN_FOR_COUNTS, n) + 1, titles)
    count[rng.random(n) < KNOWN_FOR_NULL_SHARE] = 0
    known = distinct(rng, titles, n, 4, power=1.0)
    known[np.arange(4) >= count[:, None]] = -1
    return known


def names(chunk: Chunk) -> tuple[memoryview, int]:
    """name.basics lines of the chunk, and their count."""
    rng, n, numbers = chunk.rng(Stream.NAMES), chunk.size, chunk.numbers()
    female, band = is_female(numbers), is_band(numbers)
    birth, death = _years(rng, band)
    profession = np.where(
        female,
        weighted(rng, [w for _, w in PROFESSIONS_FEMALE], n),
        len(PROFESSIONS_FEMALE) + weighted(rng, [w for _, w in PROFESSIONS_MALE], n),
    )
    profession[band] = len(_PROFESSIONS) - 1
    columns = [
        text.ids("nm", numbers),
        _primary_names(rng, female, band),
        birth,
        death,
        text.lookup(_PROFESSIONS, profession),
        text.id_lists("tt", _known_for(rng, chunk.dataset.titles, n)),
    ]
    return text.tsv(columns), n
