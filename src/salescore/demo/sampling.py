"""Vectorised draws that numpy does not offer directly.

>>> rng = np.random.default_rng(0)
>>> rows = by_group(rng, np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1, 1, 0]))
>>> rows.tolist()
[0, 1, 1, 0]
>>> within(np.array([2, 0, 3])).tolist()
[0, 1, 0, 1, 2]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def by_group(rng: np.random.Generator, probabilities: F64, group: I64) -> I64:
    """One category per row, drawn from the row's group's probabilities (rows of the table)."""
    table = np.asarray(probabilities, dtype=np.float64)
    cdf = np.cumsum(table, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(group))
    out = np.empty(len(group), dtype=np.int64)
    for g in range(table.shape[0]):  # one step per group, never per row
        rows = group == g
        out[rows] = np.searchsorted(cdf[g], u[rows], side="right")
    return np.minimum(out, table.shape[1] - 1)


def categorical(rng: np.random.Generator, probabilities: tuple[float, ...] | F64, n: int) -> I64:
    """``n`` draws from one distribution over ``range(len(probabilities))``."""
    p = np.asarray(probabilities, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int64)


def within(counts: I64) -> I64:
    """For rows repeated ``counts`` times, each copy's position 0, 1, ... within its run."""
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


def lognormal_median(rng: np.random.Generator, median: F64 | float, sigma: float,
                     n: int) -> F64:
    """Log-normal draws with the given median(s)."""
    return np.asarray(median, dtype=np.float64) * np.exp(rng.normal(0.0, sigma, n))
