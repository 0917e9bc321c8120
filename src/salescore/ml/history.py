"""What the organisation had recorded before a cut-off, read once through a runner.

A model predicts from an instant (the cut-off) and must not see anything recorded after it.
:func:`read_history` filters every table at the query, so that rows after the cut-off never
leave the warehouse: an opportunity created later is absent, one closed later is still open
(its status, stage, close time and lost reason as they were), a later stage entry, activity or
order is absent. Snapshot features (:mod:`salescore.ml.features`) are then taken at instants up
to the cut-off from these frames alone.

The amount and expected close date of an opportunity are the values the warehouse holds now:
the canonical tables keep no history of edits, so a deal re-priced after the cut-off is read
at its new price (said in docs/ml.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import ibis
import numpy as np
import pandas as pd

from salescore.compile.schema import unbound
from salescore.engine.runner import Runner

__all__ = ["History", "positions", "read_history", "truncate"]


@dataclass(frozen=True)
class History:
    """The frames as of ``cutoff`` (naive UTC): every row recorded before it, and no other."""

    cutoff: datetime
    opportunities: pd.DataFrame  # status/closed_at as they were at the cut-off
    stage_changes: pd.DataFrame
    activities: pd.DataFrame
    orders: pd.DataFrame
    reps: pd.DataFrame
    teams: pd.DataFrame
    trainings: pd.DataFrame
    # What is derived from the rows and holds for any instant up to the cut-off (the snapshot
    # index, snapshots at month starts): shared by a history and its truncations, since what
    # is known at an instant is the same in all of them (features.py).
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def first_day(self) -> datetime | None:
        """The first instant of recorded activity (opportunity created or order placed)."""
        firsts = [f for f in (self.opportunities["created_at"].min(),
                              self.orders["ordered_at"].min()) if pd.notna(f)]
        return min(firsts).to_pydatetime() if firsts else None


def _frame(runner: Runner, expr: ibis.Table) -> pd.DataFrame:
    return runner.run(expr).to_pandas()


def read_history(runner: Runner, cutoff: datetime) -> History:
    """Every canonical row relevant to the models that was recorded before ``cutoff``, within
    the runner's scope (five queries)."""
    at = ibis.literal(cutoff)
    o = unbound("opportunities")
    o = o.filter(o.created_at < at)
    closed = o.closed_at.notnull() & (o.closed_at < at)
    opps = o.select(
        "opportunity_id", "customer_id", "owner_rep_id", "product", "channel", "created_at",
        "amount", "expected_close_date",
        status=ibis.ifelse(closed, o.status, ibis.literal("open")),
        closed_at=ibis.ifelse(closed, o.closed_at, ibis.null("timestamp")))
    # The timed tables come in time order, so that an earlier cut-off is a prefix of each
    # (truncate slices instead of copying millions of rows).
    s = unbound("stage_changes")
    stages = s.filter(s.entered_at < at).order_by(["entered_at", "opportunity_id", "stage"]) \
        .select("opportunity_id", "stage", "entered_at")
    a = unbound("activities")
    acts = a.filter(a.occurred_at < at).order_by(["occurred_at", "activity_id"]) \
        .select("rep_id", "customer_id", "opportunity_id", "occurred_at", "direction")
    r = unbound("orders")
    orders = r.filter(r.ordered_at < at).order_by(["ordered_at", "order_id"]) \
        .select("customer_id", "rep_id", "ordered_at", "amount")
    t = unbound("trainings")
    trainings = t.filter(t.completed_at < at).order_by(["completed_at", "training_id"]) \
        .select("rep_id", "course", "kind", "completed_at")
    opp_frame = _frame(runner, opps)
    stage_frame = _frame(runner, stages)
    # A stage entered after the cut-off by a deal created before it is absent; so is a stage
    # change of a deal that is not visible (created later).
    stage_frame = stage_frame[stage_frame["opportunity_id"].isin(opp_frame["opportunity_id"])]
    opp_frame["amount"] = pd.to_numeric(opp_frame["amount"], errors="coerce").astype(float)
    order_frame = _frame(runner, orders)
    order_frame["amount"] = pd.to_numeric(order_frame["amount"], errors="coerce").astype(float)
    return History(
        cutoff=cutoff, opportunities=opp_frame, stage_changes=stage_frame.reset_index(drop=True),
        activities=_frame(runner, acts), orders=order_frame,
        reps=_frame(runner, unbound("reps").select("rep_id", "name", "team_id", "hire_date",
                                                   "active")),
        teams=_frame(runner, unbound("teams").select("team_id", "name", "parent_team_id")),
        trainings=_frame(runner, trainings))


def truncate(history: History, cutoff: datetime) -> History:
    """``history`` as it was at an earlier ``cutoff``: the same filters as :func:`read_history`,
    applied to the frames already read (for a time-based split without a second read)."""
    if cutoff > history.cutoff:
        raise ValueError(f"cannot move a history's cut-off later ({history.cutoff} -> {cutoff})")
    o = history.opportunities
    o = o[o["created_at"] < cutoff].copy()
    later = o["closed_at"].notna() & (o["closed_at"] >= cutoff)
    o.loc[later, "status"] = "open"
    o.loc[later, "closed_at"] = pd.NaT
    s = _before(history.stage_changes, "entered_at", cutoff)
    return History(
        cutoff=cutoff, opportunities=o.reset_index(drop=True),
        stage_changes=s[positions(o["opportunity_id"], s["opportunity_id"]) >= 0]
        .reset_index(drop=True),
        activities=_before(history.activities, "occurred_at", cutoff),
        orders=_before(history.orders, "ordered_at", cutoff),
        reps=history.reps, teams=history.teams,
        trainings=_before(history.trainings, "completed_at", cutoff), derived=history.derived)


def positions(keys: pd.Series | pd.Index, values: pd.Series) -> np.ndarray:
    """Where each of ``values`` is in ``keys`` (its first place), -1 where absent or unknown:
    Arrow's hash look-up, a few times faster than pandas' on millions of strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.index_in(pa.array(values, from_pandas=True),
                        value_set=pa.array(keys, from_pandas=True))
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype="int64")


def _before(frame: pd.DataFrame, column: str, cutoff: datetime) -> pd.DataFrame:
    """The rows of ``frame`` with ``column`` before ``cutoff``: a slice where the frame is in
    time order (as :func:`read_history` reads it), a filter where not."""
    times = frame[column]
    if times.is_monotonic_increasing:
        return frame.iloc[:int(times.searchsorted(pd.Timestamp(cutoff), side="left"))]
    return frame[times < cutoff].reset_index(drop=True)
