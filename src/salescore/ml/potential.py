"""High-potential customers: a score from behaviour, with its reasons.

Features of each customer at an instant ``t`` (rows recorded before it): RFM (days since the
last order, orders and revenue over the last year), engagement (activities over the last 90
days and the inbound share of them, open deals), the segment, and a look-alike figure: the
similarity (cosine, on the standardised features) to the centroid of the best customers (the
top tenth by revenue over the year). The score is a logistic regression's probability that the
customer orders in the next :data:`HORIZON_DAYS` days, trained on a snapshot taken that long
before the cut-off (labels from what followed it), times their typical order
(:func:`order_value`): the expected revenue of the next horizon. The reasons are the features
whose contribution (coefficient x standardised value) raises the odds most.

Its accuracy is measured one horizon earlier: trained on the snapshot two horizons back,
scored on the snapshot one horizon back against what followed, beside the baseline (revenue
over the last year alone): the AUC of the probability of ordering, and the share of the next
period's revenue that the top tenth by score brought. With less than :data:`MIN_DAYS` days
of history or fewer than :data:`MIN_CUSTOMERS` customers, there is not enough data: the
baseline ranks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from salescore.core.text import Text
from salescore.ml.history import History

__all__ = ["FEATURE_NAMES", "HORIZON_DAYS", "MIN_CUSTOMERS", "MIN_DAYS", "PotentialModel",
           "customer_features", "fit", "order_value", "score_check"]

HORIZON_DAYS = 180
MIN_DAYS = 2 * HORIZON_DAYS + 365
MIN_CUSTOMERS = 50
NUMERIC = ("recency_days", "orders_year", "log_revenue_year", "activities_90d",
           "inbound_share", "open_deals", "lookalike")
FEATURE_NAMES: dict[str, Text] = {
    "recency_days": Text("days since the last order", "距上次下单天数"),
    "orders_year": Text("orders over the last year", "近一年订单数"),
    "log_revenue_year": Text("revenue over the last year", "近一年订单金额"),
    "activities_90d": Text("activities over the last 90 days", "近 90 天活动数"),
    "inbound_share": Text("share of inbound contacts", "客户主动联系占比"),
    "open_deals": Text("open deals", "在途商机数"),
    "lookalike": Text("resemblance to the best customers", "与最佳客户的相似度"),
}


def customer_features(history: History, customers: pd.DataFrame, at: datetime) -> pd.DataFrame:
    """One row per customer created before ``at`` (``customer_id``, ``owner_rep_id``,
    ``segment``, the features, and ``revenue_year`` for the baseline)."""
    c = customers[customers["created_at"] < at][["customer_id", "owner_rep_id",
                                                 "segment"]].copy()
    c = c.set_index("customer_id")
    r = history.orders
    r = r[(r["ordered_at"] < at) & r["customer_id"].notna()]
    last = r.groupby("customer_id")["ordered_at"].max()
    year = r[r["ordered_at"] >= at - timedelta(days=365)]
    per = year.groupby("customer_id")["amount"].agg(["size", "sum"])
    a = history.activities
    a = a[(a["occurred_at"] < at) & (a["occurred_at"] >= at - timedelta(days=90))
          & a["customer_id"].notna()]
    acts = a.groupby("customer_id").size()
    inbound = pd.Series(dtype=float)
    if "direction" in a.columns:
        inbound = (a["direction"] == "inbound").groupby(a["customer_id"]).mean()
    o = history.opportunities
    o = o[(o["created_at"] < at) & (o["closed_at"].isna() | (o["closed_at"] >= at))]
    opened = o.groupby("customer_id").size()
    out = pd.DataFrame(index=c.index)
    out["owner_rep_id"] = c["owner_rep_id"]
    out["segment"] = c["segment"].astype("string")
    out["recency_days"] = ((at - last.reindex(out.index)) / timedelta(days=1)).fillna(3650.0)
    out["orders_year"] = per["size"].reindex(out.index).fillna(0).astype(float)
    out["revenue_year"] = per["sum"].reindex(out.index).fillna(0.0).astype(float)
    out["log_revenue_year"] = np.log1p(out["revenue_year"].clip(lower=0))
    out["activities_90d"] = acts.reindex(out.index).fillna(0).astype(float)
    out["inbound_share"] = inbound.reindex(out.index).fillna(0.0).astype(float)
    out["open_deals"] = opened.reindex(out.index).fillna(0).astype(float)
    base = out[[f for f in NUMERIC if f != "lookalike"]].to_numpy(float)
    z = (base - base.mean(axis=0)) / (base.std(axis=0) + 1e-9)
    best = out["revenue_year"] >= out["revenue_year"].quantile(0.9)
    if best.any() and out["revenue_year"].max() > 0:
        centre = z[best.to_numpy()].mean(axis=0)
        norm = np.linalg.norm(z, axis=1) * (np.linalg.norm(centre) + 1e-9) + 1e-9
        out["lookalike"] = (z @ centre) / norm
    else:
        out["lookalike"] = 0.0
    return out.reset_index()


def _label(history: History, frame: pd.DataFrame, start: datetime, end: datetime) -> np.ndarray:
    r = history.orders
    r = r[(r["ordered_at"] >= start) & (r["ordered_at"] < end)]
    bought = set(r["customer_id"].dropna())
    return frame["customer_id"].isin(bought).to_numpy(int)


def _revenue(history: History, frame: pd.DataFrame, start: datetime, end: datetime
             ) -> np.ndarray:
    r = history.orders
    r = r[(r["ordered_at"] >= start) & (r["ordered_at"] < end)]
    return frame["customer_id"].map(r.groupby("customer_id")["amount"].sum()).fillna(
        0.0).to_numpy(float)


def order_value(frame: pd.DataFrame) -> np.ndarray:
    """Each customer's typical order: their mean order over the last year, else their
    segment's median of it, else the overall median."""
    mean = (frame["revenue_year"] / frame["orders_year"]).where(frame["orders_year"] > 0)
    by_segment = mean.groupby(frame["segment"].astype(object)).transform("median")
    overall = float(mean.median()) if mean.notna().any() else 0.0
    return mean.fillna(by_segment).fillna(overall).to_numpy(float)


def _matrix(frame: pd.DataFrame, segments: list[str]) -> np.ndarray:
    x = frame[list(NUMERIC)].to_numpy(float)
    seg = np.column_stack([(frame["segment"] == s).to_numpy(float) for s in segments]) \
        if segments else np.zeros((len(frame), 0))
    return np.hstack([x, seg])


@dataclass
class PotentialModel:
    """A fitted logistic regression (``None``: not enough data, the baseline ranks)."""

    estimator: object | None
    mean: np.ndarray
    scale: np.ndarray
    segments: list[str]

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        """The probability of an order in the next horizon."""
        z = (_matrix(frame, self.segments) - self.mean) / self.scale
        estimator: Any = self.estimator
        return np.asarray(estimator.predict_proba(z)[:, 1])

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """The expected revenue of the next horizon's orders (probability x typical order);
        the baseline: revenue over the last year."""
        if self.estimator is None or frame.empty:
            return frame["revenue_year"].to_numpy(float)
        return self.probability(frame) * order_value(frame)

    def reasons(self, frame: pd.DataFrame, top: int = 3) -> list[list[tuple[str, float]]]:
        if self.estimator is None:
            return [[("log_revenue_year", 0.0)] for _ in range(len(frame))]
        z = (_matrix(frame, self.segments) - self.mean) / self.scale
        coef = np.asarray(self.estimator.coef_)[0][:len(NUMERIC)]  # type: ignore[attr-defined]
        contrib = z[:, :len(NUMERIC)] * coef
        out = []
        for row in contrib:
            order = np.argsort(-row)[:top]
            out.append([(NUMERIC[j], float(row[j])) for j in order if row[j] > 0])
        return out


def fit(history: History, customers: pd.DataFrame, at: datetime) -> PotentialModel:
    """The model trained on the snapshot ``HORIZON_DAYS`` before ``at`` (labels: ordered
    between then and ``at``)."""
    from sklearn.linear_model import LogisticRegression

    then = at - timedelta(days=HORIZON_DAYS)
    frame = customer_features(history, customers, then)
    y = _label(history, frame, then, at)
    segments = sorted(frame["segment"].dropna().astype(str).unique())
    x = _matrix(frame, segments)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    if len(set(y.tolist())) < 2:
        return PotentialModel(None, mean, scale, segments)
    model = LogisticRegression(max_iter=500).fit((x - mean) / scale, y)
    return PotentialModel(model, mean, scale, segments)


def score_check(history: History, customers: pd.DataFrame) -> dict[str, float | None]:
    """The model trained two horizons back, scored one horizon back against what followed,
    beside the baseline: AUC, and the share of the next period's revenue from the top tenth."""
    from sklearn.metrics import roc_auc_score

    at = history.cutoff - timedelta(days=HORIZON_DAYS)
    model = fit(history, customers, at)
    frame = customer_features(history, customers, at)
    y = _label(history, frame, at, history.cutoff)
    revenue = _revenue(history, frame, at, history.cutoff)
    p, b = model.score(frame), frame["revenue_year"].to_numpy(float)

    def top_share(s: np.ndarray) -> float | None:
        if revenue.sum() <= 0:
            return None
        k = max(1, len(s) // 10)
        return float(revenue[np.argsort(-s)[:k]].sum() / revenue.sum())

    two = len(set(y.tolist())) == 2 and model.estimator is not None
    return {"auc": float(roc_auc_score(y, model.probability(frame))) if two else None,
            "baseline_auc": float(roc_auc_score(y, b)) if two else None,
            "top_share": top_share(p), "baseline_top_share": top_share(b),
            "customers": float(len(frame))}
