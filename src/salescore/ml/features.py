"""Snapshot features of open opportunities at an instant, from a :class:`History` alone.

A snapshot at instant ``t`` (no later than the history's cut-off) describes each opportunity
open at ``t`` with what was known at ``t``: its stage then and days in it, its age, amount,
product and channel, its activities and their recency, the customer's orders and won deals,
the owner's recent win rate and tenure, and the days to its expected close. Every figure is
computed from rows recorded before ``t``; ``tests/ml/test_leakage.py`` moves the cut-off and
checks that the features at ``t`` do not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from salescore.core.text import Text
from salescore.ml.history import History

__all__ = ["CATEGORICAL", "FEATURES", "FEATURE_NAMES", "labels", "snapshot", "snapshots"]

NUMERIC = ("stage_index", "days_in_stage", "stages_entered", "age_days", "log_amount",
           "activities", "activities_30d", "days_since_activity", "customer_orders",
           "customer_won", "rep_win_rate", "rep_closed", "rep_tenure_days",
           "days_to_expected_close")
CATEGORICAL = ("product", "channel")
FEATURES = NUMERIC + CATEGORICAL

FEATURE_NAMES: dict[str, Text] = {
    "stage_index": Text("stage", "阶段"),
    "days_in_stage": Text("days in stage", "当前阶段停留天数"),
    "stages_entered": Text("stages entered", "已进入阶段数"),
    "age_days": Text("age", "商机存续天数"),
    "log_amount": Text("amount", "金额"),
    "activities": Text("activities", "活动数"),
    "activities_30d": Text("activities in the last 30 days", "近 30 天活动数"),
    "days_since_activity": Text("days since the last activity", "距上次活动天数"),
    "customer_orders": Text("customer's orders", "客户历史订单数"),
    "customer_won": Text("customer's won deals", "客户历史赢单数"),
    "rep_win_rate": Text("owner's win rate (last 12 months)", "负责人近 12 个月赢单率"),
    "rep_closed": Text("owner's closed deals (last 12 months)", "负责人近 12 个月关闭商机数"),
    "rep_tenure_days": Text("owner's tenure", "负责人司龄"),
    "days_to_expected_close": Text("days to expected close", "距预计成交天数"),
    "product": Text("product", "产品"),
    "channel": Text("channel", "渠道"),
}

YEAR = timedelta(days=365)
DAY = np.timedelta64(1, "D")


def _days(delta: pd.Series) -> pd.Series:
    return delta / DAY


def _join(left: pd.DataFrame, right: pd.DataFrame | pd.Series, on: str) -> pd.DataFrame:
    """``left`` with the columns of ``right`` (indexed by the key) matched on column ``on``, and
    missing where nothing matches. Where either side has no rows there is nothing to match: the
    columns are added empty (pandas cannot factorize two empty Arrow-backed keys)."""
    frame = right.to_frame() if isinstance(right, pd.Series) else right
    if not (left.empty or frame.empty):
        return left.merge(frame, how="left", left_on=on, right_index=True)
    out = left.copy()
    for column in frame.columns:
        dtype = frame[column].dtype
        out[column] = pd.Series(index=out.index, dtype="float64" if dtype.kind in "iub" else dtype)
    return out


def snapshot(history: History, at: datetime, stage_order: Sequence[str]) -> pd.DataFrame:
    """The features of every opportunity open at ``at`` (one row each, ``opportunity_id``,
    ``owner_rep_id`` and ``at`` beside the features), from rows recorded before ``at``."""
    if at > history.cutoff:
        raise ValueError(f"a snapshot at {at} is after the history's cut-off {history.cutoff}")
    o = history.opportunities
    opened = o[(o["created_at"] < at) & (o["closed_at"].isna() | (o["closed_at"] >= at))]
    out = opened[["opportunity_id", "customer_id", "owner_rep_id", "product", "channel",
                  "created_at", "amount", "expected_close_date"]].copy()
    out["at"] = at
    s = history.stage_changes
    s = s[(s["entered_at"] < at) & s["opportunity_id"].isin(out["opportunity_id"])]
    order = {name: i for i, name in enumerate(stage_order)}
    last = s.sort_values("entered_at").groupby("opportunity_id").agg(
        stage=("stage", "last"), entered=("entered_at", "last"),
        stages_entered=("stage", "size"))
    out = _join(out, last, "opportunity_id")
    out["stage_index"] = out["stage"].map(order).astype(float)
    out["days_in_stage"] = _days(at - out["entered"].fillna(out["created_at"]))
    out["stages_entered"] = out["stages_entered"].fillna(0).astype(float)
    out["age_days"] = _days(at - out["created_at"])
    out["log_amount"] = np.log1p(out["amount"].clip(lower=0))
    a = history.activities
    a = a[(a["occurred_at"] < at) & a["opportunity_id"].isin(out["opportunity_id"])]
    recent = at - timedelta(days=30)
    a = a.assign(recent=(a["occurred_at"] >= recent).astype(float))
    acts = a.groupby("opportunity_id").agg(
        activities=("occurred_at", "size"), last_activity=("occurred_at", "max"),
        activities_30d=("recent", "sum"))
    out = _join(out, acts, "opportunity_id")
    out["activities"] = out["activities"].fillna(0).astype(float)
    out["activities_30d"] = out["activities_30d"].fillna(0).astype(float)
    out["days_since_activity"] = _days(at - out["last_activity"])
    orders = history.orders[history.orders["ordered_at"] < at]
    per_customer = orders.groupby("customer_id").size().rename("customer_orders")
    closed = o[o["closed_at"].notna() & (o["closed_at"] < at)]
    won = closed[closed["status"] == "won"]
    out = _join(out, per_customer, "customer_id")
    out = _join(out, won.groupby("customer_id").size().rename("customer_won"), "customer_id")
    out["customer_orders"] = out["customer_orders"].fillna(0).astype(float)
    out["customer_won"] = out["customer_won"].fillna(0).astype(float)
    year = closed[closed["closed_at"] >= at - YEAR]
    year = year.assign(is_won=(year["status"] == "won").astype(float))
    rep = year.groupby("owner_rep_id").agg(rep_closed=("status", "size"),
                                           rep_won=("is_won", "sum"))
    out = _join(out, rep, "owner_rep_id")
    out["rep_closed"] = out["rep_closed"].fillna(0).astype(float)
    out["rep_win_rate"] = (out["rep_won"] / out["rep_closed"]).where(out["rep_closed"] > 0)
    hires = history.reps.set_index("rep_id")["hire_date"]
    hired = pd.to_datetime(out["owner_rep_id"].map(hires))
    out["rep_tenure_days"] = _days(at - hired).astype(float)
    expected = pd.to_datetime(out["expected_close_date"])
    out["days_to_expected_close"] = _days(expected - at).astype(float)
    out["product"] = out["product"].astype("string")
    out["channel"] = out["channel"].astype("string")
    keep = ["opportunity_id", "owner_rep_id", "customer_id", "at", "amount", "stage",
            "expected_close_date", *FEATURES]
    return out[keep].reset_index(drop=True)


def snapshots(history: History, instants: Sequence[datetime],
              stage_order: Sequence[str]) -> pd.DataFrame:
    """:func:`snapshot` at each of ``instants``, stacked."""
    frames = [snapshot(history, at, stage_order) for at in instants]
    frames = [f for f in frames if len(f)]
    if not frames:
        return snapshot(history, instants[0], stage_order) if instants else pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def labels(history: History, frame: pd.DataFrame) -> pd.Series:
    """For each row of ``frame``: 1 if its opportunity was won by the history's cut-off, 0 if
    lost, missing (NaN) if still open then (its outcome is not known yet)."""
    status = history.opportunities.set_index("opportunity_id")["status"]
    outcome = frame["opportunity_id"].map(status)
    return outcome.map({"won": 1.0, "lost": 0.0})
