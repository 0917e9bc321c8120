"""Personalised targets: a recommended ``revenue_won`` target per rep and period, with its
explanation, and a fairness report against flat targets.

The period's total is kept (the plan's rep targets for it, summed; without them the
organisation's revenue won over the last year, times the period's seasonal share) and shared
out by each rep's *potential* at the period's start::

    share = ramp x (0.2 x won / all won + 0.2 x book / all books
                    + 0.3 x pipeline / all pipelines + 0.3 / number of reps)

renormalised over the reps: ``won`` is the revenue they won over the last 365 days (history),
``book`` what their customers ordered through them then (territory: the customer base),
``pipeline`` their open deals x win probability (territory: what is coming), and ``ramp`` the
tenure ramp, ``min(1, 0.7 + 0.3 x days employed at mid-period / 180)`` (a new hire is not
asked for a veteran's number); the even part keeps one lumpy year from deciding a target.
Seasonality moves the total, not the shares.

**Fairness.** On the last complete period, targets recommended from what was known at its
start are compared with flat targets (the same total split evenly) and with the plan's: the
spread of the reps' attainment (actual revenue won over target), its Gini coefficient and the
share of reps below 70 %. A fair scheme leaves less spread to luck and to the territory.

With less than a year of history there is not enough data: the flat split is shown (the
baseline), with no explanation beyond it.

>>> round(gini([1.0, 1.0, 1.0]), 3), round(gini([0.0, 0.0, 3.0]), 3)
(0.0, 0.667)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from salescore.core.text import Text
from salescore.ml.features import snapshot
from salescore.ml.history import History

__all__ = ["RAMP_DAYS", "WEIGHTS", "FairnessRow", "Potential", "fairness_row", "gini",
           "potentials"]

WEIGHTS = {"won": 0.2, "book": 0.2, "pipeline": 0.3, "even": 0.3}
"""Chosen on the small demo's 2026-Q2 among four mixes (the least spread of attainment), and
confirmed on 2026-Q3 (bench/results/ml.md)."""
RAMP_DAYS = 180
RAMP_START = 0.7
YEAR = timedelta(days=365)
DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Potential:
    """One rep's potential at an instant: the components, their shares of all reps', the ramp
    and the resulting share of the total."""

    rep_id: str
    won: float
    book: float
    pipeline: float
    won_share: float
    book_share: float
    pipeline_share: float
    ramp: float
    tenure_days: float | None
    share: float

    def explain(self, total: float, target: float) -> Text:
        ramp_en = (f"; ramp {self.ramp:.0%} ({self.tenure_days:.0f} days employed by "
                   "mid-period)") if self.ramp < 1 and self.tenure_days is not None else ""
        ramp_zh = (f"；入职爬坡系数 {self.ramp:.0%}（至周期中点入职 {self.tenure_days:.0f} 天）"
                   if self.ramp < 1 and self.tenure_days is not None else "")
        w = {k: f"{v:.0%}" for k, v in WEIGHTS.items()}
        return Text(
            f"{self.share:.1%} of the total {total:,.0f} = {target:,.0f}: revenue won over the "
            f"last year {self.won:,.0f} ({self.won_share:.1%} of all, weight {w['won']}), "
            f"customers' orders {self.book:,.0f} ({self.book_share:.1%}, weight {w['book']}), "
            f"weighted pipeline {self.pipeline:,.0f} ({self.pipeline_share:.1%}, weight "
            f"{w['pipeline']}), an even share (weight {w['even']}){ramp_en}.",
            f"总额 {total:,.0f} 的 {self.share:.1%} = {target:,.0f}：近一年赢单收入 "
            f"{self.won:,.0f}（占全部 {self.won_share:.1%}，权重 {w['won']}），客户订单 "
            f"{self.book:,.0f}（{self.book_share:.1%}，权重 {w['book']}），加权管道 "
            f"{self.pipeline:,.0f}（{self.pipeline_share:.1%}，权重 {w['pipeline']}），"
            f"平均份额（权重 {w['even']}）{ramp_zh}。")


@dataclass(frozen=True)
class FairnessRow:
    """The attainment of the reps under one scheme (``recommended``, ``flat`` or ``plan``)."""

    scheme: str
    reps: int
    mean: float | None
    spread: float | None  # standard deviation of attainment
    gini: float | None
    below: float | None  # share of reps below 70 %


def gini(values: Sequence[float] | np.ndarray) -> float:
    """The Gini coefficient of non-negative ``values`` (0: all equal)."""
    x = np.sort(np.clip(np.asarray(values, dtype=float), 0, None))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def potentials(history: History, at: datetime, mid: datetime, reps: Sequence[str],
               stage_order: Sequence[str],
               probabilities: Callable[[pd.DataFrame], np.ndarray]) -> list[Potential]:
    """Each of ``reps``' potential at ``at`` (rows recorded before it), the ramp at ``mid``."""
    o = history.opportunities
    won = o[(o["status"] == "won") & o["closed_at"].notna() & (o["closed_at"] < at)
            & (o["closed_at"] >= at - YEAR)].groupby("owner_rep_id")["amount"].sum()
    r = history.orders
    book = r[(r["ordered_at"] < at) & (r["ordered_at"] >= at - YEAR)].groupby(
        "rep_id")["amount"].sum()
    open_now = snapshot(history, min(at, history.cutoff), stage_order)
    if len(open_now):
        value = np.nan_to_num(probabilities(open_now)) * open_now["amount"].fillna(0).to_numpy()
        pipe = open_now.assign(value=value).groupby("owner_rep_id")["value"].sum()
    else:
        pipe = pd.Series(dtype=float)
    frame = pd.DataFrame(index=list(reps))
    frame["won"] = won.reindex(frame.index).fillna(0.0).astype(float)
    frame["book"] = book.reindex(frame.index).fillna(0.0).astype(float)
    frame["pipeline"] = pipe.reindex(frame.index).fillna(0.0).astype(float)
    hires = pd.to_datetime(history.reps.set_index("rep_id")["hire_date"]).reindex(frame.index)
    tenure = (mid - hires) / DAY
    frame["ramp"] = (RAMP_START + (1 - RAMP_START) * tenure / RAMP_DAYS).clip(
        lower=RAMP_START, upper=1.0).fillna(1.0)
    mix = pd.Series(WEIGHTS.get("even", 0.0) / max(1, len(frame)), index=frame.index)
    shares = {}
    for c, w in WEIGHTS.items():
        if c == "even":
            continue
        total = frame[c].sum()
        shares[c] = frame[c] / total if total > 0 else pd.Series(0.0, index=frame.index)
        mix += w * shares[c]
    raw = frame["ramp"] * mix
    share = raw / raw.sum() if raw.sum() > 0 else pd.Series(1.0 / max(1, len(frame)),
                                                          index=frame.index)
    return [Potential(rep_id=str(rep), won=float(frame.loc[rep, "won"]),
                      book=float(frame.loc[rep, "book"]),
                      pipeline=float(frame.loc[rep, "pipeline"]),
                      won_share=float(shares["won"][rep]), book_share=float(shares["book"][rep]),
                      pipeline_share=float(shares["pipeline"][rep]),
                      ramp=float(frame.loc[rep, "ramp"]),
                      tenure_days=None if pd.isna(tenure[rep]) else float(tenure[rep]),
                      share=float(share[rep])) for rep in frame.index]


def fairness_row(scheme: str, actual: dict[str, float], targets: dict[str, float]) -> FairnessRow:
    """The attainment figures of ``scheme`` over the reps with a positive target."""
    att = [actual.get(r, 0.0) / t for r, t in targets.items() if t and t > 0]
    if not att:
        return FairnessRow(scheme, 0, None, None, None, None)
    a = np.asarray(att)
    return FairnessRow(scheme, len(a), float(a.mean()), float(a.std()), gini(a),
                       float((a < 0.7).mean()))
