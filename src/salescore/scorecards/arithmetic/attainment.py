"""From value and target to attainment and points: the arithmetic of one line, vectorised.

Every function takes numpy arrays over subjects and returns arrays of the same length; NaN means
"no number" and is never turned into 0 here (the line's status says why, see
:func:`evaluate_line`).

Attainment (direction-aware, before clamping):

- higher is better: ``value / target``;
- lower is better: ``target / value``, and ``cap`` when ``value <= 0`` (nothing can beat zero
  hours of response time). So a lower-is-better line is continuous, never 0-or-100: with target
  30 days, 30 days gives 1.0, 40 days 0.75, 60 days 0.5.

The target must be a positive number; a missing or non-positive target makes the line
``no_target``. Points:

- linear: ``100 × clamp(attainment, floor, cap)``;
- bands: the points of the first band (highest ``at`` first) with ``clamped attainment ≥ at``,
  0 below the lowest band;
- percentile: ``100 × (floor + (cap − floor) × p)`` where ``p`` is the subject's mid-rank
  percentile among the subjects with a value: ``(rank − 1) / (n − 1)``, ranks from 1 (worst) to
  n (best), ties given their average rank, a lone subject ``0.5``. The attainment reported for
  a percentile line is ``p`` itself. Scaling rather than clamping keeps the points a subject
  gains by overtaking equal to the points the overtaken lose, so that a rising rep never lowers
  a team score.

>>> import numpy as np
>>> raw_attainment(np.array([30.0, 40.0, 0.0]), np.array([30.0, 30.0, 30.0]), Direction.LOWER,
...                cap=1.2)
array([1.  , 0.75, 1.2 ])
>>> percentile_ranks(np.array([5.0, 7.0, 7.0, np.nan, 1.0, 9.0]), Direction.HIGHER).tolist()
[0.25, 0.625, 0.625, nan, 0.0, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, assert_never

import numpy as np
import pandas as pd

from salescore.semantic.plan import (
    ATTAINMENT_TOLERANCE,
    Bands,
    Direction,
    Line,
    Linear,
    Percentile,
)

__all__ = [
    "LineStatus",
    "LineValues",
    "band_points",
    "evaluate_line",
    "percentile_ranks",
    "raw_attainment",
]

LineStatus = Literal["ok", "no_data", "no_target"]

FloatArray = np.ndarray


def raw_attainment(
    value: FloatArray, target: FloatArray, direction: Direction, *, cap: float
) -> FloatArray:
    """Attainment before clamping; NaN where the value is missing or the target unusable.

    ``cap`` is what a lower-is-better value of 0 or less attains.
    """
    usable = ~np.isnan(value) & (target > 0)
    # A tiny target or value overflows to inf, which the cap then clamps: no warning wanted.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        match direction:
            case Direction.HIGHER:
                ratio = value / target
            case Direction.LOWER:
                ratio = np.where(value > 0, target / value, cap)
            case _:
                assert_never(direction)
    return np.where(usable, ratio, np.nan)


def band_points(attainment: FloatArray, scoring: Bands) -> FloatArray:
    """The bands' points for each (clamped) attainment; NaN stays NaN."""
    thresholds = np.array([band.at for band in reversed(scoring.bands)])
    points = np.array([band.points for band in reversed(scoring.bands)])
    # searchsorted on the ascending thresholds finds the highest band at or below attainment.
    index = np.searchsorted(thresholds, attainment + ATTAINMENT_TOLERANCE, side="right") - 1
    earned = np.where(index >= 0, points[np.clip(index, 0, None)], 0.0)
    return np.where(np.isnan(attainment), np.nan, earned)


def percentile_ranks(value: FloatArray, direction: Direction) -> FloatArray:
    """Each subject's mid-rank percentile among those with a value (1 best, 0 worst)."""
    present = ~np.isnan(value)
    count = int(present.sum())
    result = np.full(value.shape, np.nan)
    if count == 0:
        return result
    if count == 1:
        result[present] = 0.5
        return result
    match direction:
        case Direction.HIGHER:
            oriented = value[present]
        case Direction.LOWER:
            oriented = -value[present]
        case _:
            assert_never(direction)
    ranks = pd.Series(oriented).rank(method="average").to_numpy()
    result[present] = (ranks - 1.0) / (count - 1)
    return result


@dataclass(frozen=True)
class LineValues:
    """One line evaluated over the subjects: arrays aligned with the subjects."""

    value: FloatArray
    target: FloatArray
    attainment: FloatArray
    points: FloatArray
    status: np.ndarray  # "ok" | "no_data" | "no_target" per subject


def evaluate_line(
    line: Line, direction: Direction, value: FloatArray, target: FloatArray
) -> LineValues:
    """Status, clamped attainment and points of ``line`` for every subject.

    ``target`` is ignored (all NaN is fine) for a percentile line. Points and attainment are NaN
    wherever the status is not ``ok``.
    """
    scoring = line.scoring
    no_data = np.isnan(value)
    status = np.full(value.shape, "ok", dtype=object)
    status[no_data] = "no_data"
    match scoring:
        case Linear() | Bands():
            no_target = ~no_data & ~(target > 0)
            status[no_target] = "no_target"
            # Without a cap, a lower-is-better value of 0 attains the top band, and no more.
            best = scoring.cap if scoring.cap is not None else scoring.bands[0].at
            raw = raw_attainment(value, target, direction, cap=best)
        case Percentile():
            raw = percentile_ranks(value, direction)
        case _:
            assert_never(scoring)
    match scoring:
        case Linear():
            attainment = np.clip(raw, scoring.floor, scoring.cap)
            points = 100.0 * attainment
        case Bands():
            upper = np.inf if scoring.cap is None else scoring.cap
            attainment = np.clip(raw, scoring.floor, upper)
            points = band_points(attainment, scoring)
        case Percentile():
            attainment = raw
            points = 100.0 * (scoring.floor + (scoring.cap - scoring.floor) * raw)
        case _:
            assert_never(scoring)
    return LineValues(value, target, attainment, points, status)
