"""The numbers that make the synthetic datasets look like IMDb's, per title type.

At 12M titles they give: 5.8% movies and 68% episodes; 2.6% adult titles; 13.4% of titles
rated (45% of movies); directors ``\\N`` for 42% of titles but 3% of movies, and 2 or 3 for
7.9% of movies; runtime ``\\N`` for 30% of titles (12% of movies); 7.9 principals per title
(95M in all); 1.25 names per title.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAMES_PER_TITLE = 1.25
# A reference to a name that name.basics no longer holds, as in IMDb's own files.
DANGLING_SHARE = 1e-5
# Day 2: renamed titles, runtimes corrected, titles whose votes grew or whose rating moved by
# 0.1, titles rated for the first time, and titles added (all rated).
RENAMED_SHARE = 0.01
RUNTIME_CHANGED_SHARE = 0.003
VOTES_GREW_SHARE = 0.25
RATING_MOVED_SHARE = 0.03
FIRST_RATED_SHARE = 0.0005
NEW_TITLE_SHARE = 0.001
NEW_TITLES_MIN = 3

YEAR_MIN, YEAR_MAX = 1894, 2026
# Most titles have started by the last full year; a few are announced for the next.
YEAR_LATEST = 2025
ANNOUNCED_SHARE = 0.02
VOTES_SIGMA = 1.9
RATING_SIGMA = 1.2
PRINCIPALS_MAX = 10


@dataclass(frozen=True)
class TypeShape:
    name: str
    share: float
    adult: float  # share with isAdult = 1
    rated: float  # share with a title.ratings row
    votes_log_median: float
    rating_mean: float
    genres_null: float
    year_scale: float  # mean years before YEAR_LATEST that a title starts
    year_null: float
    runtime_median: float
    runtime_sigma: float  # of its logarithm
    runtime_null: float
    directors_null: float
    writers_null: float
    full_cast: float  # share with all PRINCIPALS_MAX principals; others have 1 to 9
    cast_mean: float  # cast members billed before the crew, beyond the first


# Fields in TypeShape's order.
SHAPES = [
    TypeShape("movie", .058, .06, .45, 4.2, 6.2, .02, 35, .01, 92, .22, .12, .03, .12, .85, 4.),
    TypeShape("short", .085, .02, .12, 2.8, 6.8, .0, 45, .03, 12, .7, .22, .25, .35, .35, 1.5),
    TypeShape("tvEpisode", .68, .01, .07, 2.7, 7.4, .45, 10, .08, 30, .45, .32, .45, .5, .58, 4.5),
    TypeShape("video", .05, .25, .2, 3.2, 6.5, .1, 20, .05, 70, .5, .3, .3, .45, .5, 3.5),
    TypeShape("tvSeries", .05, .01, .35, 3.8, 6.9, .08, 15, .03, 40, .4, .35, .9, .85, .75, 5.),
    TypeShape("tvMovie", .025, .02, .35, 3.3, 6.4, .05, 30, .02, 88, .18, .2, .1, .25, .8, 4.5),
    TypeShape("tvMiniSeries", .02, .01, .3, 3.5, 7.1, .08, 15, .03, 55, .4, .3, .8, .7, .7, 5.),
    TypeShape("tvSpecial", .012, .005, .25, 2.8, 6.9, .1, 20, .03, 60, .4, .3, .3, .5, .5, 4.),
    TypeShape("videoGame", .012, .02, .3, 3.5, 6.8, .05, 12, .03, 120, .8, .9, .6, .6, .4, 4.),
    TypeShape("tvShort", .006, .01, .2, 2.5, 6.8, .05, 30, .05, 8, .6, .3, .3, .5, .4, 1.5),
    TypeShape("tvPilot", .002, .0, .1, 2.5, 6.5, .2, 25, .1, 45, .3, .3, .2, .4, .6, 4.),
]
TYPES = [shape.name for shape in SHAPES]
MOVIE, SHORT_TYPE, EPISODE = (TYPES.index(t) for t in ("movie", "short", "tvEpisode"))
SERIES, MINISERIES, TV_SHORT = (TYPES.index(t) for t in ("tvSeries", "tvMiniSeries", "tvShort"))

# How many directors (1, 2, 3) and writers (1 to 4) a title has when it has any.
DIRECTOR_COUNTS = {"movie": [92, 6, 2], "other": [95, 4, 1]}
WRITER_COUNTS = {"movie": [50, 30, 13, 7], "other": [70, 20, 7, 3]}


def column(field: str) -> np.ndarray:
    """One field of every type's shape, indexable by type code."""
    return np.array([getattr(shape, field) for shape in SHAPES])
