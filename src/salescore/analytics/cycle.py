"""The sales cycle: how long the deals closed in a period took, and where the time went.

Which deals count: the opportunities **closed in the period** (``closed_at`` on one of its
local days) as won or lost, the convention of the catalogue's ``avg_sales_cycle_days``. A deal's
cycle is the time from its creation to its close in days (fractional); a close recorded before
the creation is not a cycle and stays unknown, as does a cycle without a close time. Unknown
cycles are counted (``unknown``) and left out of the bins, the median and the mean, never read
as 0.

Days in a stage: for each stage entry of those deals (the stage history), the days from
entering it to entering the deal's next stage; the entry of the stage a deal closed in has no
next stage and is left out. Each open stage of the pipeline gets the median and the mean of its
entries' days, and how many entries they are over.

The cycle's bins are :data:`BIN_EDGES` days wide, the last one open-ended.

>>> bin_labels()[:3], bin_labels()[-1]
(['0–15', '15–30', '30–45'], '180+')
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from salescore.compile.schema import unbound
from salescore.model.org import Pipeline

__all__ = ["BIN_EDGES", "bin_labels", "closed_deals", "cycle_summary", "stage_days"]

BIN_EDGES: tuple[int, ...] = (0, 15, 30, 45, 60, 90, 120, 180)
"""Where each bin of the cycle-length histogram starts, in days; the last has no end."""

_DAY = 86400.0


def bin_labels() -> list[str]:
    """The bins' names: ``0–15``, ``15–30``, …, ``180+``."""
    out = [f"{lo}–{hi}" for lo, hi in zip(BIN_EDGES, BIN_EDGES[1:], strict=False)]
    return [*out, f"{BIN_EDGES[-1]}+"]


def _days(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    seconds = later.epoch_seconds() - earlier.epoch_seconds()
    return seconds.cast("float64") / _DAY


def closed_deals(start: datetime, end: datetime, *, reps: list[str] | None = None
                 ) -> ibis.Table:
    """One row per opportunity won or lost in ``[start, end)`` (naive UTC) and owned by one of
    ``reps`` (any when ``None``): ``opportunity_id``, ``owner_rep_id``, ``status``,
    ``created_at``, ``closed_at``, ``channel``, ``product``, ``segment`` and ``cycle_days``
    (NULL where unknown)."""
    opps = unbound("opportunities")
    opps = opps.filter(opps.status.isin(["won", "lost"]), opps.closed_at >= start,
                       opps.closed_at < end)
    if reps is not None:
        opps = opps.filter(opps.owner_rep_id.isin(reps))
    days = _days(opps.closed_at, opps.created_at)
    opps = opps.mutate(cycle_days=ibis.cases((days >= 0, days), else_=ibis.null("float64")))
    customers = unbound("customers").select(c_id="customer_id", segment="segment")
    joined = opps.left_join(customers, opps.customer_id == customers.c_id)
    return joined.select("opportunity_id", "owner_rep_id", "status", "created_at", "closed_at",
                         "channel", "product", "segment", "cycle_days")


def cycle_summary(deals: ibis.Table) -> ibis.Table:
    """Per status (won, lost): ``deals``, ``known`` (with a known cycle), ``median_days``,
    ``mean_days`` and ``bin_0`` … ``bin_n`` (deals per bin of :data:`BIN_EDGES`)."""
    c = deals.cycle_days
    measures: dict[str, Any] = {"deals": deals.count(), "known": c.count(),
                                "median_days": c.median(), "mean_days": c.mean()}
    for i, lo in enumerate(BIN_EDGES):
        inside = c >= lo
        if i + 1 < len(BIN_EDGES):
            inside = inside & (c < BIN_EDGES[i + 1])
        measures[f"bin_{i}"] = inside.ifelse(1, 0).sum()
    return deals.group_by("status").aggregate(**measures).order_by("status")


def stage_days(deals: ibis.Table, pipeline: Pipeline) -> ibis.Table:
    """Per open stage of ``pipeline`` that the entries of ``deals`` left: ``entries``,
    ``median_days`` and ``mean_days`` spent in it before the deal's next stage."""
    changes = unbound("stage_changes")
    ids = deals.select(d_id="opportunity_id")
    mine = changes.join(ids, changes.opportunity_id == ids.d_id).select(
        "opportunity_id", "stage", "entered_at")
    window = ibis.window(group_by=mine.opportunity_id, order_by=mine.entered_at)
    spans = mine.mutate(next_at=mine.entered_at.lead().over(window))
    spans = spans.filter(spans.next_at.notnull(),
                         spans.stage.isin(list(pipeline.open_stage_names())))
    spans = spans.mutate(days=_days(spans.next_at, spans.entered_at))
    return spans.group_by("stage").aggregate(
        entries=spans.count(), median_days=spans.days.median(), mean_days=spans.days.mean())
