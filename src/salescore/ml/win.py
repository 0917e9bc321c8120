"""The win probability of open opportunities.

A gradient-boosted classifier (scikit-learn's ``HistGradientBoostingClassifier``) on snapshot
features (:mod:`salescore.ml.features`), taken at the first of every month of the history and
labelled with each deal's outcome as known at the cut-off (deals still open then are left
out), calibrated (isotonic, fitted on a quarter of the deals held out of the fit: all snapshots
of one deal sit on one side).

Its accuracy is measured on a time-based split: a model trained on the history before
:data:`TEST_MONTHS` months ago predicts the deals open at the first of each later month, and
those predictions are scored against the outcomes (AUC, Brier score, a reliability table and its
expected calibration error), beside the baseline's. The baseline is the share of the deals that
reached each stage and were won (:func:`stage_rates`), which is also what is shown when there is
not enough history (fewer than :data:`MIN_LABELLED` labelled snapshots, or fewer than
:data:`MIN_CLASS` of either outcome).

Each prediction names its top reasons: the features whose replacement by a typical value
(the training median, or the most common category) moves its probability most.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from salescore.core.text import Text
from salescore.ml.features import CATEGORICAL, FEATURES, labels, snapshots
from salescore.ml.history import History, positions, truncate

__all__ = ["MAX_FIT_ROWS", "MIN_CLASS", "MIN_LABELLED", "PAST_FIT_ROWS", "TEST_MONTHS",
           "Reason", "Reliability", "WinMetrics", "WinModel", "evaluate", "month_starts",
           "stage_rates", "train"]

MIN_LABELLED = 200
MIN_CLASS = 30
MAX_FIT_ROWS = 200_000  # snapshots a model is fitted on, at most (whole deals, drawn at random)
PAST_FIT_ROWS = 50_000  # the same for the models of past cut-offs (attainment's backtest)
TEST_MONTHS = 6
BINS = 10


@dataclass(frozen=True)
class Reason:
    """One reason of a prediction: the feature, its value, and how far the probability moves
    when it is replaced by a typical value (positive: it raises the odds)."""

    feature: str
    value: float | str | None
    effect: float


@dataclass(frozen=True)
class Reliability:
    """One bin of the reliability table: predictions in ``[low, high)``, their mean and the
    share that was won."""

    low: float
    high: float
    count: int
    predicted: float | None
    observed: float | None


@dataclass(frozen=True)
class WinMetrics:
    """The time-based split's figures: trained before ``split``, tested on the deals open at
    the first of each month from ``split`` on with a known outcome."""

    split: datetime
    train_rows: int
    test_rows: int
    auc: float | None
    brier: float | None
    ece: float | None
    baseline_auc: float | None
    baseline_brier: float | None
    reliability: list[Reliability]


@dataclass
class WinModel:
    """A trained model (``estimator``: None when there was not enough data, and the baseline
    is what it predicts) with its training window, size and time-split metrics."""

    cutoff: datetime
    first: datetime | None
    stage_order: tuple[str, ...]
    rates: dict[str, float]
    overall: float | None
    estimator: object | None
    reference: dict[str, float | str | None]
    categories: dict[str, list[str]]
    train_rows: int
    metrics: WinMetrics | None = None
    note: Text = field(default_factory=lambda: Text("", ""))

    @property
    def enough(self) -> bool:
        return self.estimator is not None

    @property
    def name(self) -> str:
        """What predicts: ``win-gbm@<cut-off day>`` or ``win-baseline@<cut-off day>``."""
        kind = "win-gbm" if self.enough else "win-baseline"
        return f"{kind}@{self.cutoff:%Y-%m-%d}"

    def baseline(self, frame: pd.DataFrame) -> np.ndarray:
        """The stage rates' probability of each row (the overall rate for a stage without
        one; NaN with no closed deal at all)."""
        fallback = np.nan if self.overall is None else self.overall
        return frame["stage"].map(self.rates).astype(float).fillna(fallback).to_numpy()

    def _matrix(self, frame: pd.DataFrame) -> pd.DataFrame:
        x = frame[list(FEATURES)].copy()
        for c in CATEGORICAL:
            x[c] = pd.Categorical(x[c].astype(object), categories=self.categories[c])
        for c in FEATURES:
            if c not in CATEGORICAL:
                x[c] = x[c].astype(float)
        return x

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """The win probability of each row of a snapshot frame."""
        if self.estimator is None or frame.empty:
            return self.baseline(frame)
        return np.asarray(self.estimator.predict_proba(self._matrix(frame))[:, 1])  # type: ignore[attr-defined]

    def reasons(self, frame: pd.DataFrame, top: int = 3) -> list[list[Reason]]:
        """The ``top`` reasons of each row's prediction (none from the baseline: its one reason
        is the stage)."""
        if frame.empty:
            return []
        if self.estimator is None:
            return [[Reason("stage_index", s, 0.0)] for s in frame["stage"]]
        x = self._matrix(frame)
        base = self.estimator.predict_proba(x)[:, 1]  # type: ignore[attr-defined]
        effects = np.zeros((len(x), len(FEATURES)))
        for j, c in enumerate(FEATURES):
            moved = x.copy()
            ref = self.reference[c]
            if c in CATEGORICAL:
                moved[c] = pd.Categorical([ref] * len(x), categories=self.categories[c])
            else:
                moved[c] = np.nan if ref is None else float(ref)
            effects[:, j] = base - self.estimator.predict_proba(moved)[:, 1]  # type: ignore[attr-defined]
        out = []
        for i in range(len(x)):
            order = np.argsort(-np.abs(effects[i]))[:top]
            row = frame.iloc[i]
            out.append([Reason(FEATURES[j], _shown(row, FEATURES[j]), float(effects[i, j]))
                        for j in order if abs(effects[i, j]) > 1e-6])
        return out


def _shown(row: pd.Series, feature: str) -> float | str | None:
    if feature == "stage_index":
        return None if pd.isna(row["stage"]) else str(row["stage"])
    if feature == "log_amount":
        return None if pd.isna(row["amount"]) else float(row["amount"])
    value = row[feature]
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value if isinstance(value, str) else float(value)


def month_starts(first: datetime, last: datetime) -> list[datetime]:
    """The first instant of every month after ``first`` up to ``last`` (inclusive)."""
    out: list[datetime] = []
    y, m = first.year, first.month
    while True:
        m += 1
        if m > 12:
            y, m = y + 1, 1
        at = datetime(y, m, 1)
        if at > last:
            return out
        out.append(at)


def stage_rates(history: History, stage_order: Sequence[str]) -> tuple[dict[str, float],
                                                                          float | None]:
    """The share won of the deals closed by the cut-off that reached each open stage, and of
    all of them (``None``: no closed deal)."""
    o = history.opportunities
    closed = o[o["status"].isin(["won", "lost"])][["opportunity_id", "status"]]
    if closed.empty:
        return {}, None
    overall = float((closed["status"] == "won").mean())
    # Each (stage, closed deal) once, over integer codes: a merge of the stage entries with
    # the deals took a second per cut-off on the medium demo's two million entries.
    s = history.stage_changes
    deal = positions(o["opportunity_id"], s["opportunity_id"])
    won = (o["status"] == "won").to_numpy(bool)
    done = np.append(o["status"].isin(["won", "lost"]).to_numpy(bool), False)
    stage, names = pd.factorize(s["stage"])
    keep = done[deal] & (stage >= 0)
    pairs = np.unique(stage[keep].astype("int64") * (len(o) + 1) + deal[keep])
    reached, at = pairs // (len(o) + 1), pairs % (len(o) + 1)
    count = np.bincount(reached, minlength=len(names))
    wins = np.bincount(reached, weights=won[at], minlength=len(names))
    where = {str(name): i for i, name in enumerate(names)}
    rates = {}
    for name in stage_order:
        i = where.get(name)
        if i is not None and count[i] >= 5:
            rates[name] = float(wins[i] / count[i])
    return rates, overall


def _labelled(history: History, stage_order: Sequence[str]) -> pd.DataFrame:
    first = history.first_day()
    if first is None:
        return pd.DataFrame()
    frame = snapshots(history, month_starts(first, history.cutoff), stage_order)
    if frame.empty:
        return frame
    frame["won"] = labels(history, frame)
    return frame[frame["won"].notna()].reset_index(drop=True)


class Calibrated:
    """A gradient-boosted classifier and the isotonic map fitted on deals it did not see: the
    calibrated probability of the positive class in column 1 of :meth:`predict_proba`."""

    def __init__(self, gbm: Any, iso: Any) -> None:
        self.gbm = gbm
        self.iso = iso

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        with threadpool_limits(limits=1):
            raw = self.gbm.predict_proba(x)[:, 1]
        p = np.clip(self.iso.predict(raw), 0.0, 1.0)
        return np.column_stack([1.0 - p, p])


def _sample(frame: pd.DataFrame, cap: int = MAX_FIT_ROWS) -> pd.DataFrame:
    """At most about ``cap`` rows of ``frame``: every snapshot of deals drawn at random (a fixed
    seed), in their order. Past a few hundred thousand snapshots the fit learns no more (the
    medium demo's 1.08 million snapshots took 98 s of CPU) while the time grows with them."""
    if len(frame) <= cap:
        return frame
    # Codes of the deals in sorted order (as np.unique gives them), without comparing a million
    # strings as Python objects.
    codes, deals = pd.factorize(frame["opportunity_id"], sort=True)
    counts = np.bincount(codes, minlength=len(deals))
    order = np.random.default_rng(0).permutation(len(deals))
    kept = np.zeros(len(deals), dtype=bool)
    kept[order[:int(np.searchsorted(np.cumsum(counts[order]), cap)) + 1]] = True
    return frame[kept[codes]].reset_index(drop=True)


def _fit(frame: pd.DataFrame, categories: dict[str, list[str]],
         max_rows: int = MAX_FIT_ROWS) -> object:
    """One fit on three quarters of the deals (all snapshots of a deal on one side; of the
    deals :func:`_sample` keeps where there are many), isotonic
    calibration on the other quarter. One thread: on a shared machine OpenMP's threads fight
    each other (a fit took 30 s with them and 1 s without, see bench/results/ml.md)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.isotonic import IsotonicRegression
    from sklearn.model_selection import GroupShuffleSplit

    frame = _sample(frame, max_rows)
    x = frame[list(FEATURES)].copy()
    for c in CATEGORICAL:
        x[c] = pd.Categorical(x[c].astype(object), categories=categories[c])
    y = frame["won"].astype(int).to_numpy()
    fit_rows, cal_rows = next(GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
                              .split(x, y, groups=frame["opportunity_id"]))
    gbm = HistGradientBoostingClassifier(
        max_iter=120, learning_rate=0.06, max_leaf_nodes=15, min_samples_leaf=40,
        l2_regularization=1.0, categorical_features="from_dtype", early_stopping=False,
        random_state=0)
    with threadpool_limits(limits=1):
        gbm.fit(x.iloc[fit_rows], y[fit_rows])
        raw = gbm.predict_proba(x.iloc[cal_rows])[:, 1]
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y[cal_rows])
    return Calibrated(gbm, iso)


def train(history: History, stage_order: Sequence[str],
          max_rows: int = MAX_FIT_ROWS) -> WinModel:
    """A model trained on ``history`` (everything before its cut-off), on at most about
    ``max_rows`` snapshots (whole deals drawn at random where there are more), or the baseline
    with its reason when the history is too thin."""
    order = tuple(stage_order)
    rates, overall = stage_rates(history, order)
    frame = _labelled(history, order)
    n = len(frame)
    won = int(frame["won"].sum()) if n else 0
    first = history.first_day()

    def model(estimator: object | None, reference: dict[str, float | str | None],
              categories: dict[str, list[str]], note: Text) -> WinModel:
        return WinModel(cutoff=history.cutoff, first=first, stage_order=order, rates=rates,
                        overall=overall, estimator=estimator, reference=reference,
                        categories=categories, train_rows=n, note=note)

    if n < MIN_LABELLED or won < MIN_CLASS or n - won < MIN_CLASS:
        note = Text(
            f"Not enough data: {n} labelled snapshots ({won} won); the model needs "
            f"{MIN_LABELLED} with {MIN_CLASS} of each outcome. Shown: the win rate of past "
            "deals at the same stage.",
            f"数据不足：仅有 {n} 个已知结果的快照（赢单 {won} 个），模型需要 {MIN_LABELLED} 个且"
            f"赢单与丢单各至少 {MIN_CLASS} 个。显示的是历史上同阶段商机的赢单率。")
        return model(None, {}, {}, note)
    categories = {c: sorted(frame[c].dropna().astype(str).unique()) for c in CATEGORICAL}
    reference: dict[str, float | str | None] = {}
    for c in FEATURES:
        if c in CATEGORICAL:
            mode = frame[c].dropna().astype(str).mode()
            reference[c] = str(mode.iloc[0]) if len(mode) else None
        else:
            med = frame[c].median()
            reference[c] = None if pd.isna(med) else float(med)
    note = Text(f"Gradient boosting on {n} snapshots of deals with a known outcome, calibrated.",
                f"基于 {n} 个已知结果的商机快照训练的梯度提升模型，已校准。")
    return model(_fit(frame, categories, max_rows), reference, categories, note)


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(set(y.tolist())) < 2:
        return None
    return float(roc_auc_score(y, p))


def reliability(y: np.ndarray, p: np.ndarray, bins: int = BINS) -> tuple[list[Reliability],
                                                                          float | None]:
    """The reliability table (``bins`` equal-width bins) and the expected calibration error
    (the count-weighted mean gap between predicted and observed)."""
    table = []
    gap = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = (p >= low) & ((p < high) if b < bins - 1 else (p <= high))
        n = int(inside.sum())
        pred = float(p[inside].mean()) if n else None
        obs = float(y[inside].mean()) if n else None
        if n and pred is not None and obs is not None:
            gap += n * abs(pred - obs)
        table.append(Reliability(low, high, n, pred, obs))
    return table, (gap / len(p) if len(p) else None)


def evaluate(history: History, stage_order: Sequence[str],
             test_months: int = TEST_MONTHS,
             trainer: Callable[[datetime], WinModel] | None = None) -> WinMetrics | None:
    """The time-based split (see the module): ``None`` when either side is too thin.
    ``trainer`` gives the model trained before a cut-off (one kept from an earlier call, say);
    by default it is trained here."""
    from sklearn.metrics import brier_score_loss

    cutoff = history.cutoff
    split = datetime(cutoff.year, cutoff.month, 1) - timedelta(days=1)
    for _ in range(test_months - 1):
        split = datetime(split.year, split.month, 1) - timedelta(days=1)
    split = datetime(split.year, split.month, 1)
    first = history.first_day()
    if first is None or split <= first:
        return None
    model = trainer(split) if trainer is not None else train(truncate(history, split),
                                                             stage_order)
    if not model.enough:
        return None
    instants = [split, *month_starts(split, cutoff)]
    test = snapshots(history, instants, stage_order)
    if test.empty:
        return None
    test["won"] = labels(history, test)
    test = test[test["won"].notna()].reset_index(drop=True)
    y = test["won"].astype(int).to_numpy()
    if len(test) < MIN_CLASS or len(set(y.tolist())) < 2:
        return None
    p = model.predict(test)
    b = model.baseline(test)
    table, ece = reliability(y, p)
    return WinMetrics(split=split, train_rows=model.train_rows, test_rows=len(test),
                      auc=_auc(y, p), brier=float(brier_score_loss(y, p)), ece=ece,
                      baseline_auc=_auc(y, b) if not np.isnan(b).any() else None,
                      baseline_brier=float(brier_score_loss(y, b))
                      if not np.isnan(b).any() else None,
                      reliability=table)
