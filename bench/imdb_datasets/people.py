"""title.crew and title.principals: who made each title, drawn once and shared by both files.

A name's gender and whether it is a band follow from its number alone, so title.principals
bills an actress as one and name.basics agrees, without either file reading the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow.compute as pc

from imdb_datasets import text
from imdb_datasets.chunks import Chunk, Stream
from imdb_datasets.draws import distinct, weighted
from imdb_datasets.shapes import (
    DANGLING_SHARE,
    DIRECTOR_COUNTS,
    MOVIE,
    PRINCIPALS_MAX,
    WRITER_COUNTS,
    column,
)
from imdb_datasets.titles import core
from imdb_datasets.vocabulary import (
    ACTOR,
    ACTRESS,
    ARCHIVE,
    BAND_ROLE,
    CATEGORIES,
    CREW_BILLINGS,
    DIRECTOR,
    EXTRAS,
    FEMALE_FIRST,
    JOBS,
    MALE_FIRST,
    SELF,
    SELF_ROLES,
    UNCREDITED_SLOT,
    WRITER,
    character_names,
)

CREW_COLUMNS = ("tconst", "directors", "writers")
PRINCIPALS_COLUMNS = ("tconst", "ordering", "nconst", "category", "job", "characters")

BAND_ODDS = 20_000  # one name in this many is a band, billed as "self"
ARCHIVE_SHARE = 0.01  # cast members seen in archive footage
# An actor's characters: one, two, or none given.
CHARACTER_WEIGHTS = [88, 4, 8]
# Popular names (the low numbers, as IMDb's oldest) are drawn far more often than others.
POPULARITY_POWER = 2.0

_CATEGORIES = text.table(CATEGORIES)
_BILLINGS = np.array([[CATEGORIES.index(c) for c in billing] for billing in CREW_BILLINGS])
# How many times the category came earlier in the billing: the second writer is writers[1].
_OCCURRENCE = np.array([[billing[:i].count(c) for i, c in enumerate(billing)]
                        for billing in CREW_BILLINGS])  # fmt: skip


def _jobs() -> tuple[list[str | None], dict[int, tuple[int, list[float]]]]:
    values: list[str | None] = [None]
    by_category = {}
    for category, options in JOBS.items():
        by_category[CATEGORIES.index(category)] = (len(values), [w for _, w in options])
        values += [job for job, _ in options]
    return values, by_category


_JOB_VALUES, _JOBS_BY_CATEGORY = _jobs()
_JOBS = text.table(_JOB_VALUES)


def _characters() -> tuple[list[str | None], dict[str, tuple[int, int]]]:
    """One table of every characters value; (offset, size) of each kind in it."""
    female, male = character_names(FEMALE_FIRST), character_names(MALE_FIRST)
    kinds = {
        "female": [f'["{c}"]' for c in female],
        "male": [f'["{c}"]' for c in male],
        "two": [f'["{c}","{e}"]' for c in male[:150] + female[:150] for e in EXTRAS],
        "self": [f'["{role}"]' for role, _ in SELF_ROLES],
        "band": [f'["{BAND_ROLE}"]'],
    }
    values: list[str | None] = [None]
    spans = {}
    for kind, entries in kinds.items():
        spans[kind] = (len(values), len(entries))
        values += entries
    return values, spans


_CHARACTER_VALUES, _CHARACTER_SPANS = _characters()
_CHARACTERS = text.table(_CHARACTER_VALUES)
_SELF_WEIGHTS = [w for _, w in SELF_ROLES]


def _mixed(numbers: np.ndarray) -> np.ndarray:
    """A well-spread 64-bit hash of each name number (splitmix64's finaliser)."""
    h = numbers.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    return h


def is_female(numbers: np.ndarray) -> np.ndarray:
    return (_mixed(numbers) >> np.uint64(40)) % np.uint64(2) == 1


def is_band(numbers: np.ndarray) -> np.ndarray:
    return _mixed(numbers) % np.uint64(BAND_ODDS) == 0


def _dangling(rng: np.random.Generator, names: int, numbers: np.ndarray) -> np.ndarray:
    """Some references point past name.basics' last name, as to a name IMDb removed."""
    gone = rng.random(numbers.shape) < DANGLING_SHARE
    return np.where(gone & (numbers > 0), names + rng.integers(1, 1000, numbers.shape), numbers)


@dataclass(frozen=True)
class Crew:
    directors: np.ndarray  # (n, 3) name numbers, -1 for none
    writers: np.ndarray  # (n, 4)


def _credited(rng, names, kind, counts, null_share) -> np.ndarray:
    k = len(counts["movie"])
    count = np.where(kind == MOVIE, weighted(rng, counts["movie"], len(kind)),
                     weighted(rng, counts["other"], len(kind))) + 1  # fmt: skip
    count[rng.random(len(kind)) < null_share[kind]] = 0
    people = distinct(rng, names, len(kind), k, POPULARITY_POWER)
    people[np.arange(k) >= count[:, None]] = -1
    return _dangling(rng, names, people)


def crew_of(chunk: Chunk, kind: np.ndarray) -> Crew:
    rng, names = chunk.rng(Stream.CREW), chunk.dataset.names
    directors = _credited(rng, names, kind, DIRECTOR_COUNTS, column("directors_null"))
    writers = _credited(rng, names, kind, WRITER_COUNTS, column("writers_null"))
    return Crew(directors, writers)


def crew(chunk: Chunk) -> tuple[memoryview, int]:
    """title.crew lines of the chunk (one per title), and their count."""
    people = crew_of(chunk, core(chunk).kind)
    columns = [text.ids("tt", chunk.numbers()), text.id_lists("nm", people.directors),
               text.id_lists("nm", people.writers)]  # fmt: skip
    return text.tsv(columns), chunk.size


def _categories(rng, titles, title, ordering, cast, people) -> tuple[np.ndarray, np.ndarray]:
    """The cast first (actor, actress or self), then the crew in the title's billing."""
    n_rows = len(title)
    billing = rng.integers(0, len(CREW_BILLINGS), len(cast))[title]
    crew_slot = np.clip(ordering - cast[title] - 1, 0, PRINCIPALS_MAX - 1)
    acting = np.where(is_female(people), ACTRESS, ACTOR)
    acting = np.where(titles.self_cast[title] | is_band(people), SELF, acting)
    acting = np.where(rng.random(n_rows) < ARCHIVE_SHARE, ARCHIVE, acting)
    in_cast = ordering <= cast[title]
    category = np.where(in_cast, acting, _BILLINGS[billing, crew_slot])
    return category, np.where(in_cast, 0, _OCCURRENCE[billing, crew_slot])


def _credited_crew(rng, category, occurrence, title, people, credits: Crew):
    """A director or writer billed among the principals is the one title.crew names; where
    title.crew names none, another crew member takes the slot."""
    others = np.array([CATEGORIES.index(c) for c, _ in UNCREDITED_SLOT])
    instead = others[weighted(rng, [w for _, w in UNCREDITED_SLOT], len(category))]
    for wanted, listed in ((DIRECTOR, credits.directors), (WRITER, credits.writers)):
        named = listed[title, np.minimum(occurrence, listed.shape[1] - 1)]
        billed = category == wanted
        people = np.where(billed & (named > 0), named, people)
        category = np.where(billed & (named < 0), instead, category)
    return category, people


def _job_codes(rng, category) -> np.ndarray:
    codes = np.zeros(len(category), np.int64)
    for code, (offset, weights) in _JOBS_BY_CATEGORY.items():
        billed = category == code
        codes[billed] = offset + weighted(rng, weights, int(billed.sum()))
    return codes


def _character_codes(rng, category, people) -> np.ndarray:
    n_rows = len(category)
    spans = _CHARACTER_SPANS

    def drawn(kind: str) -> np.ndarray:
        return spans[kind][0] + rng.integers(0, spans[kind][1], n_rows)

    how_many = weighted(rng, CHARACTER_WEIGHTS, n_rows)
    one = np.where(category == ACTRESS, drawn("female"), drawn("male"))
    played = np.select([how_many == 0, how_many == 1], [one, drawn("two")], 0)
    as_self = spans["self"][0] + weighted(rng, _SELF_WEIGHTS, n_rows)
    as_self = np.where(is_band(people), spans["band"][0], as_self)
    codes = np.where(np.isin(category, [ACTOR, ACTRESS, ARCHIVE]), played, 0)
    return np.where(category == SELF, as_self, codes)


def principals(chunk: Chunk) -> tuple[memoryview, int]:
    """title.principals lines of the chunk (1 to 10 per title, by ordering), and their count."""
    titles = core(chunk)
    credits = crew_of(chunk, titles.kind)
    rng, n, names = chunk.rng(Stream.PRINCIPALS), chunk.size, chunk.dataset.names
    full = rng.random(n) < column("full_cast")[titles.kind]
    count = np.where(full, PRINCIPALS_MAX, rng.integers(1, PRINCIPALS_MAX, n))
    cast = np.minimum(count, 1 + rng.poisson(column("cast_mean")[titles.kind]))
    title = np.repeat(np.arange(n), count)
    ordering = np.arange(len(title)) - np.repeat(np.cumsum(count) - count, count) + 1
    people = distinct(rng, names, n, PRINCIPALS_MAX, POPULARITY_POWER)[title, ordering - 1]
    category, occurrence = _categories(rng, titles, title, ordering, cast, people)
    category, people = _credited_crew(rng, category, occurrence, title, people, credits)
    people = _dangling(rng, names, people)
    if chunk.key == 0:
        people[-1] = names + 1  # at least one, whatever the scale
    columns = [
        pc.take(text.ids("tt", chunk.numbers()), title),
        text.small_ints(ordering),
        text.ids("nm", people),
        text.lookup(_CATEGORIES, category),
        text.lookup(_JOBS, _job_codes(rng, category)),
        text.lookup(_CHARACTERS, _character_codes(rng, category, people)),
    ]
    return text.tsv(columns), len(title)
