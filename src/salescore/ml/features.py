"""Snapshot features of open opportunities at an instant, from a :class:`History` alone.

A snapshot at instant ``t`` (no later than the history's cut-off) describes each opportunity
open at ``t`` with what was known at ``t``: its stage then and days in it, its age, amount,
product and channel, its activities and their recency, the customer's orders and won deals,
the owner's recent win rate and tenure, and the days to its expected close. Every figure is
computed from rows recorded before ``t``; ``tests/ml/test_tiny.py`` moves the cut-off and
checks that the features at ``t`` do not change.

The rows are indexed once per history (deals by position, their stage entries and activities
sorted by deal and time, customers and owners as integer codes), so that a snapshot is a few
masks and counts: on the medium demo (half a million deals, five million activities) about 0.1
s against 1.6 s for the joins of every row, and the win models' monthly snapshots are taken once
for all the cut-offs that training visits (see :func:`snapshots`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from salescore.core.text import Text
from salescore.ml.history import History, positions

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

US_PER_DAY = 86_400_000_000.0


def _us(values: Any) -> np.ndarray:
    """Timestamps (a column, a scalar) as int64 microseconds (NaT: the smallest int64)."""
    return np.asarray(pd.to_datetime(values).to_numpy("datetime64[us]")
                      if not isinstance(values, datetime) else
                      np.datetime64(values, "us")).astype("int64")


NAT = np.iinfo("int64").min


@dataclass(frozen=True)
class _Index:
    """A history's rows as integer arrays, built once and shared by its truncations (see
    :class:`History.derived`): deals by position, their stage entries and activities sorted by
    deal and time (those before an instant are then a prefix of each deal's run), customers
    and owners as codes. A snapshot is a few masks and counts over them."""

    cutoff: datetime
    opps: pd.DataFrame
    created: np.ndarray
    closed: np.ndarray  # NaT where open at the cut-off
    won: np.ndarray  # bool
    customer: np.ndarray  # code, -1: unknown
    owner: np.ndarray
    customers: int
    owners: int
    tenure_from: np.ndarray  # per owner code: the hire date (us, NaT: unknown)
    stage_deal: np.ndarray
    stage_time: np.ndarray
    stage_code: np.ndarray  # into stage_names
    stage_names: pd.Index
    stage_start: np.ndarray  # per deal: where its run starts in the sorted stage entries
    act_deal: np.ndarray
    act_time: np.ndarray
    act_start: np.ndarray
    order_customer: np.ndarray
    order_time: np.ndarray
    expected: np.ndarray  # the deals' expected close dates (us, NaT: unknown)


def _runs(deal: np.ndarray, time: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The sort order of rows by deal, then time (stable), and each deal's first position."""
    order = np.lexsort((time, deal))
    return order, np.searchsorted(deal[order], np.arange(n + 1))


def _index(history: History) -> _Index:
    kept = history.derived.get("index")
    if kept is not None and kept.cutoff >= history.cutoff:
        return kept
    o = history.opportunities.reset_index(drop=True)
    n = len(o)
    deals = o["opportunity_id"]
    customers = pd.Index(pd.concat([o["customer_id"], history.orders["customer_id"]])
                         .dropna().unique())
    owners = pd.Index(pd.concat([o["owner_rep_id"], history.reps["rep_id"]]).dropna().unique())
    s = history.stage_changes
    stage_deal = positions(deals, s["opportunity_id"])
    keep = stage_deal >= 0
    stage_deal, s = stage_deal[keep], s[keep]
    stage_time = _us(s["entered_at"])
    order, stage_start = _runs(stage_deal, stage_time, n)
    stage_code, stage_names = pd.factorize(s["stage"])
    a = history.activities
    act_deal = positions(deals, a["opportunity_id"])
    keep = act_deal >= 0
    act_deal, act_time = act_deal[keep], _us(a["occurred_at"])[keep]
    act_order, act_start = _runs(act_deal, act_time, n)
    hires = history.reps.drop_duplicates("rep_id").set_index("rep_id")["hire_date"]
    index = _Index(
        cutoff=history.cutoff, opps=o, created=_us(o["created_at"]),
        closed=_us(o["closed_at"]), won=(o["status"] == "won").to_numpy(bool),
        customer=positions(customers, o["customer_id"]),
        owner=positions(owners, o["owner_rep_id"]), customers=len(customers),
        owners=len(owners), tenure_from=_us(owners.map(hires).to_series()),
        stage_deal=stage_deal[order], stage_time=stage_time[order],
        stage_code=stage_code[order], stage_names=pd.Index(stage_names),
        stage_start=stage_start,
        act_deal=act_deal[act_order], act_time=act_time[act_order], act_start=act_start,
        order_customer=positions(customers, history.orders["customer_id"]),
        order_time=_us(history.orders["ordered_at"]), expected=_us(o["expected_close_date"]))
    history.derived["index"] = index
    return index


def _count(codes: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """How many rows under ``mask`` each code in ``0..n-1`` has (unknown codes, -1, left out)."""
    picked = codes[mask]
    return np.bincount(picked[picked >= 0], minlength=n)


def _last(start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Per deal: the position of its last row before the instant (rows before it being a
    prefix of the deal's run), -1 where it has none."""
    return np.where(count > 0, start[:-1] + count - 1, -1)


def _days(later: np.ndarray | int, earlier: np.ndarray | int) -> np.ndarray:
    """Days from ``earlier`` to ``later`` (microseconds), NaN where either is unknown."""
    a = np.broadcast_to(np.asarray(later, dtype="int64"), np.shape(earlier) or np.shape(later))
    b = np.broadcast_to(np.asarray(earlier, dtype="int64"), a.shape)
    out = (a - b).astype(float) / US_PER_DAY
    out[(a == NAT) | (b == NAT)] = np.nan
    return out


def snapshot(history: History, at: datetime, stage_order: Sequence[str]) -> pd.DataFrame:
    """The features of every opportunity open at ``at`` (one row each, ``opportunity_id``,
    ``owner_rep_id`` and ``at`` beside the features), from rows recorded before ``at``."""
    if at > history.cutoff:
        raise ValueError(f"a snapshot at {at} is after the history's cut-off {history.cutoff}")
    ix = _index(history)
    t = int(_us(at))
    n = len(ix.opps)
    is_open = (ix.created < t) & ((ix.closed == NAT) | (ix.closed >= t))
    rows = np.flatnonzero(is_open)
    out = ix.opps.iloc[rows][["opportunity_id", "customer_id", "owner_rep_id", "product",
                              "channel", "created_at", "amount",
                              "expected_close_date"]].reset_index(drop=True)
    out["at"] = at
    stages = _count(ix.stage_deal, ix.stage_time < t, n)
    last = _last(ix.stage_start, stages)[rows]
    known = last >= 0
    out["stage"] = ix.stage_names.take(np.where(known, ix.stage_code[np.maximum(last, 0)], -1),
                                       allow_fill=True).to_numpy()
    order = {name: i for i, name in enumerate(stage_order)}
    out["stage_index"] = out["stage"].map(order).astype(float)
    created = ix.created[rows]
    entered = np.where(known, ix.stage_time[np.maximum(last, 0)], created)
    out["days_in_stage"] = _days(t, entered)
    out["stages_entered"] = stages[rows].astype(float)
    out["age_days"] = _days(t, created)
    out["log_amount"] = np.log1p(out["amount"].clip(lower=0))
    acts = _count(ix.act_deal, ix.act_time < t, n)
    recent = acts - _count(ix.act_deal, ix.act_time < t - int(30 * US_PER_DAY), n)
    out["activities"] = acts[rows].astype(float)
    out["activities_30d"] = recent[rows].astype(float)
    last_act = _last(ix.act_start, acts)[rows]
    out["days_since_activity"] = _days(
        t, np.where(last_act >= 0, ix.act_time[np.maximum(last_act, 0)], NAT))
    customer = ix.customer[rows]
    closed = (ix.closed != NAT) & (ix.closed < t)
    orders = _count(ix.order_customer, ix.order_time < t, ix.customers)
    won = _count(ix.customer, closed & ix.won, ix.customers)
    out["customer_orders"] = np.where(customer >= 0, orders[customer], 0).astype(float)
    out["customer_won"] = np.where(customer >= 0, won[customer], 0).astype(float)
    year = closed & (ix.closed >= t - int(365 * US_PER_DAY))
    rep_closed = _count(ix.owner, year, ix.owners).astype(float)
    rep_won = _count(ix.owner, year & ix.won, ix.owners).astype(float)
    owner = ix.owner[rows]
    mine = np.where(owner >= 0, rep_closed[owner], 0.0)
    out["rep_closed"] = mine
    with np.errstate(invalid="ignore", divide="ignore"):
        out["rep_win_rate"] = np.where((owner >= 0) & (mine > 0),
                                       np.where(owner >= 0, rep_won[owner], 0.0) / mine, np.nan)
    out["rep_tenure_days"] = _days(t, np.where(owner >= 0, ix.tenure_from[owner], NAT))
    out["days_to_expected_close"] = _days(ix.expected[rows], t)
    out["product"] = out["product"].astype("string")
    out["channel"] = out["channel"].astype("string")
    keep = ["opportunity_id", "owner_rep_id", "customer_id", "at", "amount", "stage",
            "expected_close_date", *FEATURES]
    return out[keep]


def snapshots(history: History, instants: Sequence[datetime],
              stage_order: Sequence[str]) -> pd.DataFrame:
    """:func:`snapshot` at each of ``instants``, stacked. Each instant's snapshot is kept with
    the history (and its truncations, see :class:`History.derived`): the win models trained at
    several cut-offs of one history (time split, attainment backtest) take the same monthly
    snapshots."""
    kept = history.derived.setdefault("snapshots", {})
    frames = []
    for at in instants:
        key = (at, tuple(stage_order))
        if key not in kept:
            kept[key] = snapshot(history, at, stage_order)
        frames.append(kept[key])
    frames = [f for f in frames if len(f)]
    if not frames:
        return snapshot(history, instants[0], stage_order) if instants else pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def labels(history: History, frame: pd.DataFrame) -> pd.Series:
    """For each row of ``frame``: 1 if its opportunity was won by the history's cut-off, 0 if
    lost, missing (NaN) if still open then (its outcome is not known yet)."""
    o = history.opportunities
    at = positions(o["opportunity_id"], frame["opportunity_id"])
    won = np.append((o["status"] == "won").to_numpy(bool), False)  # at -1: not a deal
    lost = np.append((o["status"] == "lost").to_numpy(bool), False)
    out = np.where(won[at], 1.0, np.where(lost[at], 0.0, np.nan))
    return pd.Series(out, index=frame.index)
