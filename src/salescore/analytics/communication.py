"""Communication effectiveness: follow-up cadence on the deals closed in a period (touches per
deal, days between touches) and how it, the response time, the reply rate and the follow-up
rate relate to the win rate.

:func:`closed_deals` and :func:`deal_touches` are unbound expressions (the workspace runs them
through the session's scoped runner); the rest is arithmetic over their rows. A *touch* is an
activity linked to the deal, of any kind and direction. A deal's *gap* is the mean number of
days between its consecutive touches (none with fewer than two). Relations are Spearman rank
correlations across reps (:func:`relation`), given with at least :data:`MIN_REPS` reps.

>>> gaps_of([datetime(2025, 1, 6), datetime(2025, 1, 8), datetime(2025, 1, 13)])
[2.0, 5.0]
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import ibis.expr.types as ir

from salescore.compile.schema import unbound

__all__ = ["GAP_BINS", "MIN_REPS", "TOUCH_BINS", "Bin", "DealCadence", "Relation", "bins_of",
           "cadence", "closed_deals", "deal_touches", "gaps_of", "relation"]

MIN_REPS = 5
"""The fewest reps (with a value and a closed deal) a correlation is given over."""

TOUCH_BINS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0), ("1–2", 1, 2), ("3–5", 3, 5), ("6–10", 6, 10), ("11+", 11, None))
"""Touches per deal: label, least, most (inclusive; ``None``: no upper bound)."""

GAP_BINS: tuple[tuple[str, float, float | None], ...] = (
    ("≤3", 0.0, 3.0), ("3–7", 3.0, 7.0), ("7–14", 7.0, 14.0), ("14+", 14.0, None))
"""Mean days between touches: label, above, at most (the first bin includes 0)."""


def closed_deals(start: datetime, end: datetime, reps: Sequence[str] | None = None
                 ) -> ir.Table:
    """The deals won or lost in ``[start, end)`` (UTC): ``opportunity_id, owner_rep_id,
    status``, of ``reps`` alone where given."""
    opps = unbound("opportunities")
    deals = opps.filter(opps.status.isin(["won", "lost"]), opps.closed_at >= start,
                        opps.closed_at < end)
    if reps is not None:
        deals = deals.filter(deals.owner_rep_id.isin(list(reps)))
    return deals.select("opportunity_id", "owner_rep_id", "status")


def deal_touches(deals: ir.Table) -> ir.Table:
    """The touches of ``deals``: ``opportunity_id, occurred_at``, by deal and time."""
    acts = unbound("activities")
    linked = acts.filter(acts.opportunity_id.notnull())
    ids = deals.select("opportunity_id")
    return linked.semi_join(ids, linked.opportunity_id == ids.opportunity_id).select(
        "opportunity_id", "occurred_at").order_by(["opportunity_id", "occurred_at"])


def gaps_of(times: Iterable[datetime]) -> list[float]:
    """Days between consecutive ``times`` (sorted first)."""
    ordered = sorted(times)
    return [(b - a).total_seconds() / 86400 for a, b in zip(ordered, ordered[1:], strict=False)]


@dataclass(frozen=True)
class DealCadence:
    opportunity_id: str
    rep_id: str
    won: bool
    touches: int
    gaps: tuple[float, ...]

    @cached_property
    def mean_gap(self) -> float | None:
        return statistics.fmean(self.gaps) if self.gaps else None


def cadence(deals: Iterable[Mapping[str, object]],
            touches: Iterable[Mapping[str, object]] | tuple[list[Any], list[Any]]
            ) -> list[DealCadence]:
    """Each deal's touches and gaps, from the rows of :func:`closed_deals` and
    :func:`deal_touches` (or the columns of the touches: ``(opportunity ids, times)``)."""
    times: dict[str, list[datetime]] = {}
    if isinstance(touches, tuple):
        for oid, at in zip(*touches, strict=True):
            times.setdefault(str(oid), []).append(at)
    else:
        for t in touches:
            times.setdefault(str(t["opportunity_id"]), []).append(t["occurred_at"])  # type: ignore[arg-type]
    out = []
    for d in deals:
        oid = str(d["opportunity_id"])
        mine = times.get(oid, [])
        out.append(DealCadence(oid, str(d["owner_rep_id"]), d["status"] == "won", len(mine),
                               tuple(gaps_of(mine))))
    return out


@dataclass(frozen=True)
class Bin:
    label: str
    deals: int
    won: int

    @property
    def win_rate(self) -> float | None:
        return self.won / self.deals if self.deals else None


def bins_of(found: Sequence[DealCadence]) -> tuple[list[Bin], list[Bin], Bin]:
    """Deals and wins by touches per deal, by mean gap, and of the deals with fewer than two
    touches (no gap)."""
    touches = []
    for label, low, high in TOUCH_BINS:
        inside = [d for d in found if d.touches >= low and (high is None or d.touches <= high)]
        touches.append(Bin(label, len(inside), sum(d.won for d in inside)))
    gaps = []
    for i, (name, above, most) in enumerate(GAP_BINS):
        within = [d for d in found if d.mean_gap is not None
                  and (d.mean_gap > above or (i == 0 and d.mean_gap >= above))
                  and (most is None or d.mean_gap <= most)]
        gaps.append(Bin(name, len(within), sum(d.won for d in within)))
    none = [d for d in found if d.mean_gap is None]
    return touches, gaps, Bin("—", len(none), sum(d.won for d in none))


@dataclass(frozen=True)
class Relation:
    """The rank correlation of one measure with the win rate across ``reps`` reps (``rho``
    ``None``: not enough reps, or no spread)."""

    measure: str
    reps: int
    rho: float | None
    p_value: float | None


def relation(measure: str, pairs: Sequence[tuple[float | None, float | None]],
             *, min_reps: int = MIN_REPS) -> Relation:
    """Spearman's rho of the measure (first of each pair) against the win rate (second), over
    the pairs where both are known, and its two-sided p-value, as ``scipy.stats.spearmanr``
    gives them (the Pearson correlation of the mid-ranks; Student's t with n − 2 degrees of
    freedom), without loading ``scipy.stats`` (a second and more on a cold start).

    >>> r = relation("x", [(1, 0.1), (2, 0.3), (3, 0.2), (4, 0.5), (5, 0.4)])
    >>> round(r.rho, 6), round(r.p_value, 6)
    (0.8, 0.104088)
    """
    import numpy as np
    import pandas as pd
    from scipy.special import stdtr

    known = [(x, y) for x, y in pairs if x is not None and y is not None]
    if len(known) < min_reps or len({x for x, _ in known}) < 2 or len({y for _, y in known}) < 2:
        return Relation(measure, len(known), None, None)
    xs = pd.Series([float(x) for x, _ in known]).rank(method="average").to_numpy()
    ys = pd.Series([float(y) for _, y in known]).rank(method="average").to_numpy()
    rho = float(np.corrcoef(xs, ys)[0, 1])
    rho = max(-1.0, min(1.0, rho))
    df = len(known) - 2
    with np.errstate(divide="ignore"):
        t = rho * np.sqrt(df / ((rho + 1.0) * (1.0 - rho)))
    p = float(2 * stdtr(df, -np.abs(t)))
    return Relation(measure, len(known), rho, p)
