"""title.basics and title.ratings, and the draws every title file shares (type, genres)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from imdb_datasets import text
from imdb_datasets.chunks import Chunk, Stream
from imdb_datasets.draws import weighted
from imdb_datasets.shapes import (
    ANNOUNCED_SHARE,
    EPISODE,
    FIRST_RATED_SHARE,
    MINISERIES,
    RATING_MOVED_SHARE,
    RATING_SIGMA,
    RENAMED_SHARE,
    RUNTIME_CHANGED_SHARE,
    SERIES,
    SHORT_TYPE,
    TV_SHORT,
    TYPES,
    VOTES_GREW_SHARE,
    VOTES_SIGMA,
    YEAR_LATEST,
    YEAR_MAX,
    YEAR_MIN,
    column,
)
from imdb_datasets.vocabulary import (
    ADULT,
    FOREIGN,
    GENRE_WEIGHTS,
    GENRES,
    SELF_GENRES,
    SHORT,
    genre_table,
    title_templates,
)

BASICS_COLUMNS = ("tconst", "titleType", "primaryTitle", "originalTitle", "isAdult",
                  "startYear", "endYear", "runtimeMinutes", "genres")
RATINGS_COLUMNS = ("tconst", "averageRating", "numVotes")

NO_GENRE = len(GENRES)
EPISODE_NUMBERED_SHARE = 0.4  # "Episode #2.7", as IMDb names an episode without a title
FOREIGN_ORIGINAL_SHARE = 0.08  # an English primaryTitle for a film first titled otherwise
SELF_EPISODE_SHARE = 0.1  # episodes of shows whose cast appear as themselves
VOTES_MAX = 3_000_000

_TYPES = text.table(TYPES)
_ADULT = text.table(["0", "1"])
_GENRES = text.table(genre_table())
_FOREIGN = text.table(FOREIGN)
_RATINGS = text.table([f"{i / 10:.1f}" for i in range(101)])
_VARIANTS, _VARIANT_WEIGHTS = title_templates()
_TITLES = text.table([title for variant in _VARIANTS for title in variant])
_VARIANT_SIZES = np.array([len(variant) for variant in _VARIANTS])
_VARIANT_OFFSETS = np.concatenate([[0], np.cumsum(_VARIANT_SIZES)[:-1]])


@dataclass(frozen=True)
class Core:
    """What every title file knows of a chunk's titles."""

    kind: np.ndarray  # index into shapes.TYPES
    adult: np.ndarray
    genres: np.ndarray  # (n, 3) sorted genre indices, NO_GENRE for an unused slot
    self_cast: np.ndarray  # the cast appear as themselves (documentaries, talk shows...)


def core(chunk: Chunk) -> Core:
    rng, n = chunk.rng(Stream.CORE), chunk.size
    kind = weighted(rng, column("share"), n)
    adult = rng.random(n) < column("adult")[kind]
    genres = weighted(rng, GENRE_WEIGHTS, (n, 3))
    wanted = weighted(rng, [45, 35, 20], n) + 1
    genres[np.arange(3) >= wanted[:, None]] = NO_GENRE
    short = (kind == SHORT_TYPE) | (kind == TV_SHORT)
    genres[short, 2] = SHORT
    genres[adult, 1] = ADULT
    genres[(rng.random(n) < column("genres_null")[kind]) & ~short & ~adult] = NO_GENRE
    genres.sort(axis=1)
    repeated = np.zeros_like(genres, dtype=bool)
    repeated[:, 1:] = genres[:, 1:] == genres[:, :-1]
    genres[repeated] = NO_GENRE
    genres.sort(axis=1)
    self_cast = np.isin(genres, SELF_GENRES).any(axis=1)
    self_cast |= (kind == EPISODE) & (rng.random(n) < SELF_EPISODE_SHARE)
    return Core(kind, adult, genres, self_cast)


def _titles(rng: np.random.Generator, n: int) -> pa.Array:
    variant = weighted(rng, _VARIANT_WEIGHTS, n)
    within = (rng.random(n) * _VARIANT_SIZES[variant]).astype(np.int64)
    return text.lookup(_TITLES, _VARIANT_OFFSETS[variant] + within)


def _episode_titles(rng: np.random.Generator, n: int) -> pa.Array:
    season = np.minimum(rng.geometric(0.3, n), 60)
    episode = rng.integers(1, 40, n)
    return pc.binary_join_element_wise(
        "Episode #", text.small_ints(season), ".", text.small_ints(episode), ""
    )


def _renamed(chunk: Chunk, primary: pa.Array) -> pa.Array:
    """Day 2: about one title in a hundred gets a new primaryTitle."""
    rng, n = chunk.rng(Stream.RENAMES), chunk.size
    renamed = rng.random(n) < RENAMED_SHARE
    fresh = _titles(rng, n)
    # A draw may give back the old title: a rename must change it.
    same = pc.equal(fresh, primary)
    fresh = pc.if_else(same, pc.binary_join_element_wise(fresh, " (Redux)", ""), fresh)
    return pc.if_else(pa.array(renamed), fresh, primary)


def _years(rng: np.random.Generator, chunk: Chunk, kind: np.ndarray):
    n = chunk.size
    start = YEAR_LATEST - np.floor(rng.exponential(column("year_scale")[kind])).astype(np.int64)
    start = np.where(rng.random(n) < ANNOUNCED_SHARE, YEAR_MAX, np.maximum(start, YEAR_MIN))
    if chunk.is_new:
        start = YEAR_MAX - rng.integers(0, 2, n)
    start_null = rng.random(n) < column("year_null")[kind]
    series_end = np.minimum(start + rng.geometric(0.3, n) - 1, YEAR_MAX)
    miniseries_end = start + (rng.random(n) < 0.2)
    end = np.where(kind == SERIES, series_end, miniseries_end)
    ended = np.where(kind == SERIES, rng.random(n) < 0.55, rng.random(n) < 0.7)
    end_null = start_null | ~ended | ((kind != SERIES) & (kind != MINISERIES))
    end = np.minimum(end, YEAR_MAX)
    return text.small_ints(start, start_null), text.small_ints(end, end_null)


def _runtimes(rng: np.random.Generator, chunk: Chunk, kind: np.ndarray) -> pa.Array:
    n = chunk.size
    log_minutes = np.log(column("runtime_median")[kind])
    log_minutes = log_minutes + column("runtime_sigma")[kind] * rng.standard_normal(n)
    minutes = np.clip(np.rint(np.exp(log_minutes)), 1, 1000).astype(np.int64)
    null = rng.random(n) < column("runtime_null")[kind]
    if chunk.changes:
        # Day 2 corrects a few runtimes, some of them missing until now.
        changes = chunk.rng(Stream.RUNTIMES)
        corrected = changes.random(n) < RUNTIME_CHANGED_SHARE
        step = changes.integers(1, 11, n) * np.where(changes.random(n) < 0.5, -1, 1)
        minutes = np.where(corrected & ~null, np.maximum(minutes + step, 1), minutes)
        null &= ~corrected
    return text.small_ints(minutes, null)


def basics(chunk: Chunk) -> tuple[memoryview, int]:
    """title.basics lines of the chunk, and their count."""
    titles = core(chunk)
    rng, n = chunk.rng(Stream.BASICS), chunk.size
    primary = _titles(rng, n)
    numbered = (titles.kind == EPISODE) & (rng.random(n) < EPISODE_NUMBERED_SHARE)
    primary = pc.if_else(pa.array(numbered), _episode_titles(rng, n), primary)
    foreign = rng.random(n) < FOREIGN_ORIGINAL_SHARE
    original = text.lookup(_FOREIGN, rng.integers(0, len(FOREIGN), n))
    original = pc.if_else(pa.array(foreign & ~numbered), original, primary)
    if chunk.changes:
        primary = _renamed(chunk, primary)
    start, end = _years(rng, chunk, titles.kind)
    g = titles.genres
    genre_codes = (g[:, 0] * (NO_GENRE + 1) + g[:, 1]) * (NO_GENRE + 1) + g[:, 2]
    columns = [
        text.ids("tt", chunk.numbers()),
        text.lookup(_TYPES, titles.kind),
        primary,
        original,
        text.lookup(_ADULT, titles.adult.astype(np.int64)),
        start,
        end,
        _runtimes(rng, chunk, titles.kind),
        text.lookup(_GENRES, genre_codes),
    ]
    return text.tsv(columns), n


def ratings(chunk: Chunk) -> tuple[memoryview, int]:
    """title.ratings lines of the chunk's rated titles, and their count."""
    kind = core(chunk).kind
    rng, n = chunk.rng(Stream.RATINGS), chunk.size
    rated = rng.random(n) < column("rated")[kind]
    log_votes = column("votes_log_median")[kind] + VOTES_SIGMA * rng.standard_normal(n)
    votes = np.clip(np.rint(np.exp(log_votes)), 5, VOTES_MAX).astype(np.int64)
    rating = rng.normal(column("rating_mean")[kind], RATING_SIGMA)
    tenths = np.clip(np.rint(rating * 10), 10, 100).astype(np.int64)
    if chunk.is_new:
        rated[:] = True
        votes = rng.integers(5, 60, n)
    if chunk.changes:
        changes = chunk.rng(Stream.VOTES)
        first = ~rated & (changes.random(n) < FIRST_RATED_SHARE)
        grew = changes.random(n) < VOTES_GREW_SHARE
        gained = 1 + np.floor(votes * 0.02 * changes.random(n)).astype(np.int64)
        votes = np.where(first, 5 + changes.integers(0, 20, n), votes + grew * gained)
        moved = changes.random(n) < RATING_MOVED_SHARE
        step = np.where(changes.random(n) < 0.5, -1, 1)
        tenths = np.clip(tenths + moved * step, 10, 100)
        rated |= first
    columns = [
        text.ids("tt", chunk.numbers()[rated]),
        text.lookup(_RATINGS, tenths[rated]),
        text.ints(np.minimum(votes[rated], VOTES_MAX)),
    ]
    return text.tsv(columns), int(rated.sum())
