"""The funnel: how far the deals that entered the pipeline in a period went, stage by stage.

Which deals count: the **entry cohort** of a period, the opportunities whose *first* stage entry
(the earliest ``entered_at`` in the stage history) falls in the period's local days, followed
to today, whenever they moved on. An opportunity with no stage history is not in any funnel.

The funnel's steps are the pipeline's open stages in order, then one step "won" for every stage
whose status is won. A deal **reached** a step when it entered that stage or a later step
(a skipped stage counts as passed through), so that the counts never grow down the funnel:
``reached[i + 1] <= reached[i]``. Between one step and the next:

- conversion = reached[i + 1] / reached[i] (unknown when nobody reached step i);
- drop-off = 1 − conversion; the deals that dropped (reached[i] − reached[i + 1]) split into
  those lost there (their furthest step is i and they are lost) and those still open there.

The **bottleneck** is where the subject loses most against its peers (a rep against the rest of
their team, a team against the rest of the company): the step whose conversion, below the
peers', costs the most deals at the peers' rate, ``reached[i] × (peer conversion −
conversion)``. Peers' figures are pooled, so that only their totals are ever compared.

Everything here is either an unbound Ibis expression (:func:`cohort`, :func:`funnel_counts`,
:func:`deals_at`) or plain arithmetic on the counts those return (:func:`funnel_of`,
:func:`bottleneck`, :func:`bottleneck_text`); nothing connects.

>>> from salescore.model.org import Pipeline
>>> [s.name for s in funnel_steps(Pipeline())]
['lead', 'qualified', 'discovery', 'proposal', 'negotiation', 'won']
>>> mine = funnel_of({"deals": 10, "reached_0": 10, "reached_1": 4, "reached_2": 1},
...                  ("lead", "qualified", "won"))
>>> [s.conversion for s in mine.steps]
[0.4, 0.25, None]
>>> team = funnel_of({"deals": 20, "reached_0": 20, "reached_1": 16, "reached_2": 4},
...                  ("lead", "qualified", "won"))
>>> b = bottleneck(mine, team)
>>> b.stage, b.next_stage, round(b.shortfall, 1)
('lead', 'qualified', 4.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from salescore.compile.schema import unbound
from salescore.core.text import Text
from salescore.model.org import Pipeline, Stage

__all__ = ["BREAKDOWNS", "WON", "Bottleneck", "Funnel", "FunnelStep", "bottleneck",
           "bottleneck_text", "cohort", "deals_at", "funnel_counts", "funnel_of",
           "funnel_steps"]

WON = "won"
"""The name of the funnel's last step, whatever the pipeline's won stages are called."""

BREAKDOWNS: tuple[str, ...] = ("channel", "product", "segment")
"""What a funnel can be split by: the deal's channel and product, its customer's segment."""

Peers = Literal["team", "company"]


def funnel_steps(pipeline: Pipeline) -> tuple[Stage, ...]:
    """The funnel's steps: the open stages in order, then one ``won`` step (labelled as the
    pipeline's first won stage)."""
    won = next(s for s in pipeline.stages if s.status == "won")
    return (*(s for s in pipeline.stages if s.status == "open"),
            Stage(name=WON, status="won", label=won.label, probability=1.0))


def _step_index(stage: ir.StringValue, pipeline: Pipeline) -> ir.IntegerValue:
    """The funnel step a stage name stands for (every won stage is the last step); NULL for a
    lost stage."""
    open_ = [s.name for s in pipeline.stages if s.status == "open"]
    won = [s.name for s in pipeline.stages if s.status == "won"]
    branches = [(stage == name, i) for i, name in enumerate(open_)]
    branches.append((stage.isin(won), len(open_)))
    return ibis.cases(*branches, else_=ibis.null("int64"))


def cohort(pipeline: Pipeline, start: datetime, end: datetime, *,
           reps: Sequence[str] | None = None) -> ibis.Table:
    """One row per opportunity whose first stage entry is in ``[start, end)`` (naive UTC, as
    :meth:`Calendar.utc_bounds` gives a period's), owned by one of ``reps`` (any rep when
    ``None``): ``opportunity_id``, ``owner_rep_id``, ``status``, ``amount``, ``currency``,
    ``channel``, ``product``, ``segment``, ``first_entered_at``, ``last_entered_at`` and
    ``reached`` (the furthest funnel step entered, 0-based; NULL when it only entered a lost
    stage)."""
    changes = unbound("stage_changes")
    # A deal whose first entry is in the period has an entry in it: only those deals' entries
    # are grouped (all of them: the first, last and furthest are over the deal's whole life),
    # not every entry ever made (21 M on the large demo for a few hundred thousand deals).
    inside = changes.filter((changes.entered_at >= start) & (changes.entered_at < end))
    changes = changes.filter(changes.opportunity_id.isin(inside.opportunity_id))
    per_deal = changes.group_by("opportunity_id").aggregate(
        first_entered_at=changes.entered_at.min(),
        last_entered_at=changes.entered_at.max(),
        reached=_step_index(changes.stage, pipeline).max())
    per_deal = per_deal.filter((per_deal.first_entered_at >= start)
                               & (per_deal.first_entered_at < end))
    opps = unbound("opportunities")
    if reps is not None:
        opps = opps.filter(opps.owner_rep_id.isin(list(reps)))
    customers = unbound("customers").select(c_id="customer_id", segment="segment")
    deals = per_deal.join(opps, per_deal.opportunity_id == opps.opportunity_id)
    deals = deals.select(
        "opportunity_id", "owner_rep_id", "status", "amount", "currency", "channel", "product",
        "customer_id", "first_entered_at", "last_entered_at", "reached")
    with_segment = deals.left_join(customers, deals.customer_id == customers.c_id)
    return with_segment.select(
        "opportunity_id", "owner_rep_id", "status", "amount", "currency", "channel", "product",
        "customer_id", "segment", "first_entered_at", "last_entered_at", "reached")


def funnel_counts(deals: ibis.Table, steps: int, *, by: str | None = None) -> ibis.Table:
    """Per value of ``by`` (one row when ``None``): ``deals`` (the cohort), ``reps`` (distinct
    owners) and, for each step ``i`` of ``steps``, ``reached_i``, ``lost_i`` (furthest step i,
    lost) and ``open_i`` (furthest step i, still open)."""
    if by is not None and by not in BREAKDOWNS:
        raise ValueError(f"a funnel is split by one of {', '.join(BREAKDOWNS)}, not {by!r}")
    measures = _measures(deals, steps)
    if by is None:
        return deals.aggregate(**measures)
    return deals.group_by(by).aggregate(**measures).order_by(by)


def funnel_counts_by_side(deals: ibis.Table, steps: int, mine: Sequence[str]) -> ibis.Table:
    """:func:`funnel_counts` of the deals owned by ``mine`` (``side`` ``"mine"``) and of the
    others (``"others"``) in one pass over the cohort: one row per side that has deals (a
    subject and its peers read the stage entries once, not once each)."""
    sided = deals.mutate(side=ibis.cases((deals.owner_rep_id.isin(list(mine)), "mine"),
                                         else_="others"))
    return sided.group_by("side").aggregate(**_measures(sided, steps))


def _measures(deals: ibis.Table, steps: int) -> dict[str, ir.Value]:
    measures: dict[str, ir.Value] = {"deals": deals.count(),
                                     "reps": deals.owner_rep_id.nunique()}
    for i in range(steps):
        measures[f"reached_{i}"] = (deals.reached >= i).ifelse(1, 0).sum()
        at = deals.reached == i
        measures[f"lost_{i}"] = (at & (deals.status == "lost")).ifelse(1, 0).sum()
        measures[f"open_{i}"] = (at & (deals.status == "open")).ifelse(1, 0).sum()
    return measures


def deals_at(deals: ibis.Table, step: int, *, by: str | None = None,
             value: str | None = None) -> ibis.Table:
    """The deals behind step ``step``'s count: those that reached it, by first entry then id;
    with ``by``, only those whose ``by`` is ``value`` (unknown when ``value`` is ``None``), the
    deals behind that row of :func:`funnel_counts` split ``by``."""
    kept = deals.filter(deals.reached >= step)
    if by is not None:
        if by not in BREAKDOWNS:
            raise ValueError(f"a funnel is split by one of {', '.join(BREAKDOWNS)}, not {by!r}")
        kept = kept.filter(kept[by].isnull() if value is None else kept[by] == value)
    return kept.order_by(["first_entered_at", "opportunity_id"])


@dataclass(frozen=True)
class FunnelStep:
    """One step: how many deals reached it, and what became of them before the next step
    (``None`` on the last step, or where nobody reached this one)."""

    stage: str
    reached: int
    went_on: int | None
    conversion: float | None
    drop_off: float | None
    dropped: int | None
    lost: int
    still_open: int


@dataclass(frozen=True)
class Funnel:
    """The steps of one subject's (or one group's) funnel; ``deals``: the whole cohort,
    ``reps``: how many owners its deals have."""

    steps: tuple[FunnelStep, ...]
    deals: int
    reps: int = 0

    @property
    def won(self) -> int:
        return self.steps[-1].reached if self.steps else 0

    @property
    def win_rate(self) -> float | None:
        """Deals won of the deals that entered: ``None`` for an empty cohort."""
        return self.won / self.deals if self.deals else None

    def step(self, stage: str) -> FunnelStep:
        return next(s for s in self.steps if s.stage == stage)


def _count(row: Mapping[str, Any], key: str) -> int:
    value = row.get(key)
    return int(value) if value is not None else 0  # an empty group sums to NULL: no deal


def funnel_of(row: Mapping[str, Any], stages: Sequence[str]) -> Funnel:
    """The funnel a row of :func:`funnel_counts` says, for steps named ``stages``."""
    reached = [_count(row, f"reached_{i}") for i in range(len(stages))]
    steps = []
    for i, name in enumerate(stages):
        nxt = reached[i + 1] if i + 1 < len(stages) else None
        conversion = nxt / reached[i] if nxt is not None and reached[i] else None
        steps.append(FunnelStep(
            stage=name, reached=reached[i], went_on=nxt, conversion=conversion,
            drop_off=None if conversion is None else 1 - conversion,
            dropped=None if nxt is None else reached[i] - nxt,
            lost=_count(row, f"lost_{i}"), still_open=_count(row, f"open_{i}")))
    return Funnel(tuple(steps), _count(row, "deals"), _count(row, "reps"))


@dataclass(frozen=True)
class Bottleneck:
    """Where a subject loses most against its peers: between ``stage`` and ``next_stage``,
    ``conversion`` against the peers' ``peer_conversion``; ``shortfall``: the deals that the
    peers' rate would have taken on (``reached × (peer − own)``)."""

    stage: str
    next_stage: str
    reached: int
    conversion: float
    peer_conversion: float
    shortfall: float
    peers: Peers = "team"


def bottleneck(subject: Funnel, peers: Funnel, against: Peers = "team") -> Bottleneck | None:
    """The step where ``subject`` falls furthest below ``peers`` in deals (ties: the larger
    gap in conversion, then the earlier step); ``None`` when it is nowhere below them."""
    best: Bottleneck | None = None
    for own, theirs, nxt in zip(subject.steps, peers.steps, subject.steps[1:], strict=False):
        if own.conversion is None or theirs.conversion is None:
            continue
        gap = theirs.conversion - own.conversion
        if gap <= 1e-12:
            continue
        found = Bottleneck(own.stage, nxt.stage, own.reached, own.conversion,
                           theirs.conversion, own.reached * gap, against)
        if best is None or (found.shortfall, gap) > (best.shortfall,
                                                     best.peer_conversion - best.conversion):
            best = found
    return best


def _pct(value: float) -> str:
    return f"{round(value * 100)}%"


def bottleneck_text(found: Bottleneck | None, names: Mapping[str, Text], *,
                    compared: bool = True) -> Text:
    """The bottleneck in plain words, in both languages; ``names``: each step's label.
    ``compared`` is false when there were no peers to compare with.

    >>> b = Bottleneck("proposal", "won", 5, 0.2, 0.5, 1.5, "team")
    >>> t = bottleneck_text(b, {"proposal": Text("Proposal", "方案报价"),
    ...                         "won": Text("Closed won", "赢单")})
    >>> t.en.split(": ")[0]
    'Most deals are lost between Proposal and Closed won'
    >>> t.zh.split("（")[0]
    '流失最多的环节在“方案报价”到“赢单”之间：推进率 20%，团队其他成员为 50%'
    """
    if not compared:
        return Text("Not enough peers to compare with, so no bottleneck is named.",
                    "可比较的同级不足，因此不指出瓶颈。")
    if found is None:
        return Text("No stage converts below the peers: there is no bottleneck.",
                    "没有哪个阶段的转化率低于同级：不存在瓶颈。")
    a, b = names.get(found.stage, Text.same(found.stage)), names.get(
        found.next_stage, Text.same(found.next_stage))
    who_en = "the rest of the team" if found.peers == "team" else "the rest of the company"
    who_zh = "团队其他成员" if found.peers == "team" else "公司其他团队"
    fewer = f"{found.shortfall:.1f}"
    return Text(
        f"Most deals are lost between {a.en} and {b.en}: {_pct(found.conversion)} went on, "
        f"against {_pct(found.peer_conversion)} for {who_en} (about {fewer} deals fewer of "
        f"the {found.reached} that reached {a.en}).",
        f"流失最多的环节在“{a.zh}”到“{b.zh}”之间：推进率 {_pct(found.conversion)}，"
        f"{who_zh}为 {_pct(found.peer_conversion)}（到达“{a.zh}”的 {found.reached} 个商机中"
        f"约少推进 {fewer} 个）。")
