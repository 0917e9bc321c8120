"""Each rep's expected attainment at the end of a period, its interval and the at-risk flag,
backtested on past periods.

At an instant ``t`` inside a period ``[s, e)`` a rep has won ``won`` (revenue won, closed from
``s`` up to ``t``); their open deals expected to close by ``e`` (overdue ones included) weigh
``pipeline`` (amount x win probability from the win model as of the period's start or of
``t``); and their run rate (revenue won per day over the :data:`RUN_RATE_DAYS` days before
``t``, counted from their hire date when later) times the days left gives ``run``. The
expected revenue at the end is::

    expected = won + a_k * pipeline + b_k * run

with ``a_k, b_k >= 0`` fitted (non-negative least squares over reps) on the earlier periods at
the same checkpoint ``k`` (the share of the period elapsed, in :data:`CHECKPOINTS` steps):
early in a period the run rate carries the forecast, later the pipeline does. Expected
attainment is ``expected / target`` (the rep's ``revenue_won`` target for the period). The
interval is the 10th and 90th percentile of the backtest's errors (actual minus expected
attainment) at that checkpoint; the rep is **at risk** when the expected attainment is below
:data:`FLAG_LINE`, a margin above the :data:`AT_RISK` line (70 %) that the flag is meant to catch.

**Backtest.** On each of the last :data:`BACKTEST_PERIODS` complete periods with targets, at
every checkpoint, the prediction is made from what was known then (coefficients from the
periods before it only) and compared with the attainment at the period's end: the mean
absolute error in attainment points beside the run-rate baseline's, and the recall and
precision of the flag for the reps who ended below 70 %. The period is "reliable from" the
first checkpoint from which the error stays within :data:`RELIABLE_MAE`.

With fewer than :data:`MIN_PERIODS` such periods (or :data:`MIN_REP_PERIODS` reps with a
target over them) there is not enough data: the baseline, the
run rate alone (``a = 0, b = 1``), is shown with no interval.

>>> x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0], [0.0, 2.0]])
>>> [round(v, 6) for v in fit_coefficients(x, x @ np.array([0.5, 1.0]))]
[0.5, 1.0]
>>> fit_coefficients(x[:2], np.array([1.0, 1.0]))  # too few rows: the run rate alone
(0.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from salescore.ml.features import snapshot
from salescore.ml.history import History

__all__ = ["AT_RISK", "BACKTEST_PERIODS", "CHECKPOINTS", "FLAG_LINE", "MIN_PERIODS",
           "MIN_REP_PERIODS", "RELIABLE_MAE", "RUN_RATE_DAYS", "AttainmentBacktest",
           "CheckpointAccuracy", "PeriodWindow", "backtest", "checkpoint_of",
           "fit_coefficients", "rep_inputs"]

CHECKPOINTS = 6
BACKTEST_PERIODS = 4
MIN_PERIODS = 3
MIN_REP_PERIODS = 20  # reps x periods with a target, at the first checkpoint
AT_RISK = 0.7
FLAG_LINE = 0.8
RELIABLE_MAE = 0.15
RUN_RATE_DAYS = 182
MIN_RUN_DAYS = 30
BASELINE = (0.0, 1.0)  # the run rate alone
DAY = np.timedelta64(1, "D")

Probabilities = Callable[[datetime, pd.DataFrame], np.ndarray]


@dataclass(frozen=True)
class PeriodWindow:
    """A period by its label and naive UTC bounds ``[start, end)``, with the reps' targets."""

    label: str
    start: datetime
    end: datetime
    last_day: date  # the period's last local day
    targets: dict[str, float]

    def at(self, k: int) -> datetime:
        """Checkpoint ``k`` (0: the start) of :data:`CHECKPOINTS`."""
        return self.start + (self.end - self.start) * k / CHECKPOINTS


@dataclass(frozen=True)
class CheckpointAccuracy:
    """The backtest at one checkpoint, over the tested periods' reps with a target."""

    checkpoint: int
    elapsed: float  # share of the period elapsed
    reps: int
    mae: float | None  # attainment points (0.1 = 10 points)
    baseline_mae: float | None
    below: int  # reps who ended below AT_RISK
    flagged: int
    caught: int  # flagged and ended below
    recall: float | None
    precision: float | None
    low: float  # the interval: 10th percentile of actual - expected attainment
    high: float


@dataclass(frozen=True)
class AttainmentBacktest:
    periods: list[str]  # fitted on
    tested: list[str]  # predicted from the periods before each
    coefficients: list[tuple[float, float]]  # per checkpoint, fitted on every period
    checkpoints: list[CheckpointAccuracy]
    reliable_from: int | None  # the first checkpoint from which the error stays small
    enough: bool


def rep_inputs(history: History, window: PeriodWindow, at: datetime,
               stage_order: Sequence[str], probabilities: Probabilities) -> pd.DataFrame:
    """Per rep of ``history``: revenue won in the period up to ``at``, the weighted pipeline
    expected to close by its end, and the run rate times the days left (from rows recorded
    before ``at`` only; ``history`` may reach later)."""
    o = history.opportunities
    won_rows = o[(o["status"] == "won") & o["closed_at"].notna()]
    won_rows = won_rows[won_rows["closed_at"] < at]
    in_period = won_rows[won_rows["closed_at"] >= window.start]
    won = in_period.groupby("owner_rep_id")["amount"].sum()
    since = at - timedelta(days=RUN_RATE_DAYS)
    recent = won_rows[won_rows["closed_at"] >= since].groupby("owner_rep_id")["amount"].sum()
    reps = history.reps.set_index("rep_id")
    hired = pd.to_datetime(reps["hire_date"])
    days = ((at - hired) / DAY).clip(lower=MIN_RUN_DAYS, upper=RUN_RATE_DAYS).fillna(
        RUN_RATE_DAYS)
    left = max(0.0, (window.end - at) / timedelta(days=1))
    open_now = snapshot(history, at, stage_order) if at <= history.cutoff else pd.DataFrame()
    if len(open_now):
        expected = pd.to_datetime(open_now["expected_close_date"])
        closing = expected.notna() & (expected <= pd.Timestamp(window.last_day))
        open_now = open_now[closing & open_now["amount"].notna()].copy()
    if len(open_now):
        p = probabilities(at, open_now)
        open_now["value"] = np.nan_to_num(p) * open_now["amount"].to_numpy()
        pipeline = open_now.groupby("owner_rep_id")["value"].sum()
    else:
        pipeline = pd.Series(dtype=float)
    out = pd.DataFrame(index=reps.index)
    out["won"] = won.reindex(out.index).fillna(0.0).astype(float)
    out["pipeline"] = pipeline.reindex(out.index).fillna(0.0).astype(float)
    rate = recent.reindex(out.index).fillna(0.0).astype(float) / days.reindex(out.index)
    out["run"] = rate * left
    return out


def fit_coefficients(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Non-negative least squares of ``y`` on the two columns of ``x`` (the baseline, the
    run rate alone, with fewer than 5 rows)."""
    from scipy.optimize import nnls

    if len(y) < 5:
        return BASELINE
    coef, _ = nnls(x, y)
    return float(coef[0]), float(coef[1])


def checkpoint_of(window: PeriodWindow, at: datetime) -> int:
    """The last checkpoint at or before ``at``."""
    share = (at - window.start) / (window.end - window.start)
    return int(min(CHECKPOINTS - 1, max(0, np.floor(share * CHECKPOINTS + 1e-9))))


def _actual(history: History, window: PeriodWindow) -> pd.Series:
    o = history.opportunities
    won = o[(o["status"] == "won") & o["closed_at"].notna() & (o["closed_at"] >= window.start)
            & (o["closed_at"] < window.end)]
    return won.groupby("owner_rep_id")["amount"].sum()


def backtest(history: History, windows: Sequence[PeriodWindow], stage_order: Sequence[str],
             probabilities: Probabilities) -> AttainmentBacktest:
    """Fit and test on ``windows`` (complete periods, oldest first, ending before the
    history's cut-off); see the module."""
    rows: list[pd.DataFrame] = []
    for w in windows:
        actual = _actual(history, w)
        for k in range(CHECKPOINTS):
            f = rep_inputs(history, w, w.at(k), stage_order, probabilities)
            f = f[f.index.isin(list(w.targets))].copy()
            f["target"] = [w.targets[r] for r in f.index]
            f = f[f["target"] > 0]
            f["actual"] = actual.reindex(f.index).fillna(0.0).astype(float)
            f["period"] = w.label
            f["k"] = k
            rows.append(f)
    labels = [w.label for w in windows]
    frame = pd.concat(rows) if rows else pd.DataFrame(
        columns=["won", "pipeline", "run", "target", "actual", "period", "k"])
    enough = len(windows) >= MIN_PERIODS and int((frame["k"] == 0).sum()) >= MIN_REP_PERIODS

    def coefficients(data: pd.DataFrame) -> list[tuple[float, float]]:
        out = []
        for k in range(CHECKPOINTS):
            d = data[data["k"] == k]
            out.append(fit_coefficients(d[["pipeline", "run"]].to_numpy(float),
                                        (d["actual"] - d["won"]).to_numpy(float)))
        return out

    tested: list[pd.DataFrame] = []
    for j in range(1, len(windows)):
        coef = coefficients(frame[frame["period"].isin(labels[:j])])
        d = frame[frame["period"] == labels[j]].copy()
        a = np.array([coef[k][0] for k in d["k"]])
        b = np.array([coef[k][1] for k in d["k"]])
        d["expected"] = d["won"] + a * d["pipeline"] + b * d["run"]
        tested.append(d)
    test = pd.concat(tested) if tested else frame.iloc[0:0].assign(expected=[])
    checkpoints: list[CheckpointAccuracy] = []
    for k in range(CHECKPOINTS):
        d = test[test["k"] == k]
        att = (d["actual"] / d["target"]).to_numpy(float)
        exp = (d["expected"] / d["target"]).to_numpy(float)
        base = ((d["won"] + d["run"]) / d["target"]).to_numpy(float)
        below = att < AT_RISK
        flagged = exp < FLAG_LINE
        caught = int((below & flagged).sum())
        err = att - exp
        checkpoints.append(CheckpointAccuracy(
            checkpoint=k, elapsed=k / CHECKPOINTS, reps=len(d),
            mae=float(np.abs(err).mean()) if len(d) else None,
            baseline_mae=float(np.abs(att - base).mean()) if len(d) else None,
            below=int(below.sum()), flagged=int(flagged.sum()), caught=caught,
            recall=caught / int(below.sum()) if below.any() else None,
            precision=caught / int(flagged.sum()) if flagged.any() else None,
            low=float(np.quantile(err, 0.1)) if len(d) >= 10 else 0.0,
            high=float(np.quantile(err, 0.9)) if len(d) >= 10 else 0.0))
    reliable = None
    for c in reversed(checkpoints):
        if c.mae is None or c.mae > RELIABLE_MAE:
            break
        reliable = c.checkpoint
    return AttainmentBacktest(periods=labels, tested=labels[1:],
                              coefficients=coefficients(frame) if enough
                              else [BASELINE] * CHECKPOINTS,
                              checkpoints=checkpoints, reliable_from=reliable, enough=enough)
