"""Random draws shared by the files: weighted picks, and distinct picks from a pool."""

from __future__ import annotations

import numpy as np

# Redraws of a row with a repeat; only tiny pools (a few names) need more than a handful.
_REDRAWS = 64


def weighted(rng: np.random.Generator, weights, size) -> np.ndarray:
    """Indices drawn with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _from_pool(rng: np.random.Generator, pool: int, shape, power: float) -> np.ndarray:
    return np.floor(pool * rng.random(shape) ** power).astype(np.int64) + 1


def distinct(rng: np.random.Generator, pool: int, n: int, k: int, power: float) -> np.ndarray:
    """(n, k) numbers in 1..pool, distinct along each row (unless the pool is too small to
    allow it). ``power`` > 1 favours low numbers: the most popular, as IMDb's oldest ids."""
    picks = _from_pool(rng, pool, (n, k), power)
    for _ in range(_REDRAWS):
        ordered = np.sort(picks, axis=1)
        repeats = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        count = int(repeats.sum())
        if count == 0:
            break
        picks[repeats] = _from_pool(rng, pool, (count, k), power)
    return picks
