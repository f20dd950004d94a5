"""How a dataset is cut into chunks, and the random streams each chunk draws from.

Every (file, chunk) pair is generated on its own from ``(seed, stream, chunk key)``: the files
can be written by different processes, in any order, and still agree on every title (its type,
its crew) because each file draws what it shares with the others from the same stream. Day 2
is day 1 plus draws from streams of its own, so day 1 never has to be stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from imdb_datasets.shapes import NAMES_PER_TITLE, NEW_TITLE_SHARE, NEW_TITLES_MIN

CHUNK_ROWS = 250_000
# The key of day 2's added titles: above any regular chunk's.
NEW_TITLES_KEY = 1 << 30


class Stream(IntEnum):
    CORE = 1  # type, isAdult, genres: shared by every title file
    BASICS = 2
    RATINGS = 3
    CREW = 4  # shared by title.crew and title.principals
    PRINCIPALS = 5
    NAMES = 6
    RENAMES = 7  # day 2
    VOTES = 8  # day 2
    RUNTIMES = 9  # day 2


@dataclass(frozen=True)
class Dataset:
    titles: int  # on day 1
    seed: int
    day: int

    @property
    def names(self) -> int:
        return max(1, round(self.titles * NAMES_PER_TITLE))

    @property
    def new_titles(self) -> int:
        if self.day < 2:
            return 0
        return max(NEW_TITLES_MIN, round(self.titles * NEW_TITLE_SHARE))


@dataclass(frozen=True)
class Chunk:
    dataset: Dataset
    key: int
    first: int  # number of its first title (or name)
    size: int

    @property
    def is_new(self) -> bool:
        return self.key == NEW_TITLES_KEY

    @property
    def changes(self) -> bool:
        """Whether day 2's changes apply (not to the titles day 2 adds)."""
        return self.dataset.day >= 2 and not self.is_new

    def numbers(self) -> np.ndarray:
        return np.arange(self.first, self.first + self.size, dtype=np.int64)

    def rng(self, stream: Stream) -> np.random.Generator:
        return np.random.default_rng([self.dataset.seed, int(stream), self.key])


def _cut(dataset: Dataset, rows: int) -> list[Chunk]:
    return [Chunk(dataset, key, 1 + start, min(CHUNK_ROWS, rows - start))
            for key, start in enumerate(range(0, rows, CHUNK_ROWS))]  # fmt: skip


def title_chunks(dataset: Dataset) -> list[Chunk]:
    """Day 1's titles, then (on day 2) the added ones, numbered after them."""
    chunks = _cut(dataset, dataset.titles)
    if dataset.new_titles:
        chunks.append(Chunk(dataset, NEW_TITLES_KEY, dataset.titles + 1, dataset.new_titles))
    return chunks


def name_chunks(dataset: Dataset) -> list[Chunk]:
    return _cut(dataset, dataset.names)
