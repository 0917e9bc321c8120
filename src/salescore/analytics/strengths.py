"""Strengths and weaknesses: where a rep stands on each KPI among the peers scored with them.

Pure arithmetic over values the KPI engine computed (no expression is needed beyond the
engine's own): for each KPI column (a per-stage KPI gives one column per stage, ``name[stage]``)
the rep's *percentile* among the other peers with a known value, the direction of the KPI
taken into account::

    percentile = 100 × (peers the rep does better than + ½ × peers level with them) / peers

so 100 is better than every peer, 0 worse than every one, 50 the middle. A rep whose value is
unknown, or with fewer than :data:`MIN_PEERS` peers who have one, has no percentile (unknown,
never 0). The *peer median* is the median of the other peers' known values (the rep left
out): what an improvement lever raises the rep to.

The levers themselves are scored by the workspace through the scoring engine
(:mod:`salescore.workspace.rep_analyses`): this module says which KPIs are candidates
(:func:`lever_candidates`).

>>> s = standing("win_rate", "r1", {"r1": 0.5, "r2": 0.2, "r3": 0.5, "r4": 0.8}, "higher")
>>> (s.percentile, s.peers, s.peer_median)
(50.0, 3, 0.5)
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["MIN_PEERS", "TOP", "KpiStanding", "base_kpi", "lever_candidates", "standing",
           "standings", "standings_of", "strongest", "weakest"]

MIN_PEERS = 2
"""The fewest other peers with a known value a percentile is given against."""

TOP = 3
"""How many strongest and weakest KPIs are named."""


@dataclass(frozen=True)
class KpiStanding:
    """One rep's standing on one KPI column among their peers."""

    kpi: str
    direction: str
    value: float | None
    peers: int
    peer_median: float | None
    percentile: float | None

    @property
    def behind(self) -> bool:
        """Whether the rep's known value is worse than the peers' median."""
        if self.value is None or self.peer_median is None:
            return False
        if self.direction == "lower":
            return self.value > self.peer_median
        return self.value < self.peer_median


def base_kpi(column: str) -> str:
    """The catalogue KPI of a result column: ``stage_conversion[lead]`` is
    ``stage_conversion``.

    >>> base_kpi("stage_conversion[lead]"), base_kpi("win_rate")
    ('stage_conversion', 'win_rate')
    """
    return column.split("[", 1)[0]


def _known(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if number != number else number  # NaN is unknown


def standing(kpi: str, rep_id: str, values: Mapping[str, object], direction: str,
             *, min_peers: int = MIN_PEERS) -> KpiStanding:
    """``rep_id``'s standing on ``kpi`` among the reps of ``values`` (rep → value; the rep
    among them)."""
    mine = _known(values.get(rep_id))
    others = [v for r, v in ((r, _known(v)) for r, v in values.items() if r != rep_id)
              if v is not None]
    median = statistics.median(others) if others else None
    if mine is None or len(others) < min_peers:
        return KpiStanding(kpi, direction, mine, len(others), median, None)
    sign = -1.0 if direction == "lower" else 1.0
    better = sum(1 for v in others if sign * mine > sign * v)
    level = sum(1 for v in others if v == mine)
    return KpiStanding(kpi, direction, mine, len(others), median,
                       100.0 * (better + 0.5 * level) / len(others))


def standings(rep_id: str, rows: Sequence[Mapping[str, object]], columns: Sequence[str],
              directions: Mapping[str, str], *, min_peers: int = MIN_PEERS
              ) -> list[KpiStanding]:
    """``rep_id``'s standing on each of ``columns`` among ``rows`` (one per peer, with
    ``rep_id`` and the columns), in the order of ``columns``."""
    out = []
    for column in columns:
        values = {str(r["rep_id"]): r.get(column) for r in rows}
        out.append(standing(column, rep_id, values, directions.get(base_kpi(column), "higher"),
                            min_peers=min_peers))
    return out


def _column_standings(kpi: str, reps: Sequence[str], values: Mapping[str, object],
                      direction: str, min_peers: int) -> dict[str, KpiStanding]:
    """:func:`standing` of each of ``reps`` on one column, from the column's known values
    sorted once: the same counts, medians and percentiles, in O(log n) a rep."""
    known = {r: _known(v) for r, v in values.items()}
    ordered = np.sort(np.array([v for v in known.values() if v is not None], dtype="float64"))
    total = len(ordered)
    out = {}
    for rep in reps:
        mine = known.get(rep)
        if mine is None:  # not among the known values: the others are all of them
            n = total
            median = _median_without(ordered, None) if n else None
            out[rep] = KpiStanding(kpi, direction, None, n, median, None)
            continue
        n = total - 1
        at = int(np.searchsorted(ordered, mine, side="left"))
        median = _median_without(ordered, at) if n else None
        if n < min_peers:
            out[rep] = KpiStanding(kpi, direction, mine, n, median, None)
            continue
        below = at
        above = total - int(np.searchsorted(ordered, mine, side="right"))
        level = total - below - above - 1
        better = above if direction == "lower" else below
        out[rep] = KpiStanding(kpi, direction, mine, n, median,
                               100.0 * (better + 0.5 * level) / n)
    return out


def _median_without(ordered: np.ndarray, at: int | None) -> float:
    """``statistics.median`` of ``ordered`` (sorted) with the element at ``at`` left out."""
    n = len(ordered) - (0 if at is None else 1)

    def item(i: int) -> float:
        return float(ordered[i if at is None or i < at else i + 1])

    half = n // 2
    if n % 2:
        return item(half)
    return (item(half - 1) + item(half)) / 2


def standings_of(reps: Sequence[str], rows: Sequence[Mapping[str, object]],
                 columns: Sequence[str], directions: Mapping[str, str], *,
                 min_peers: int = MIN_PEERS) -> dict[str, list[KpiStanding]]:
    """:func:`standings` of each of ``reps`` among ``rows`` (one per peer), each column's
    values sorted once for them all.

    >>> rows = [{"rep_id": r, "win_rate": v} for r, v in
    ...         (("r1", 0.5), ("r2", 0.2), ("r3", 0.5), ("r4", 0.8))]
    >>> s = standings_of(["r1"], rows, ["win_rate"], {"win_rate": "higher"})["r1"][0]
    >>> (s.percentile, s.peers, s.peer_median)
    (50.0, 3, 0.5)
    """
    out: dict[str, list[KpiStanding]] = {rep: [] for rep in reps}
    for column in columns:
        values = {str(r["rep_id"]): r.get(column) for r in rows}
        found = _column_standings(column, reps, values,
                                  directions.get(base_kpi(column), "higher"), min_peers)
        for rep in reps:
            out[rep].append(found[rep])
    return out


def strongest(found: Sequence[KpiStanding], n: int = TOP) -> list[KpiStanding]:
    """The ``n`` KPIs with the highest percentile (ties: by name)."""
    ranked = sorted((s for s in found if s.percentile is not None),
                    key=lambda s: (-(s.percentile or 0.0), s.kpi))
    return ranked[:n]


def weakest(found: Sequence[KpiStanding], n: int = TOP) -> list[KpiStanding]:
    """The ``n`` KPIs with the lowest percentile (ties: by name), none of the
    :func:`strongest`: with few KPIs, a KPI is named once."""
    top = {s.kpi for s in strongest(found, n)}
    ranked = sorted((s for s in found if s.percentile is not None and s.kpi not in top),
                    key=lambda s: (s.percentile or 0.0, s.kpi))
    return ranked[:n]


def lever_candidates(found: Sequence[KpiStanding], line_kpis: Sequence[str]
                     ) -> list[KpiStanding]:
    """The plan's line KPIs on which the rep is behind the peers' median: each is re-scored
    at that median to see what it would add."""
    lines = set(line_kpis)
    return [s for s in found if s.kpi in lines and s.behind]
