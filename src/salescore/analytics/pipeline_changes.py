"""Pipeline changes between two instants: how the open pipeline expected to close in a window
of days moved from ``start`` to ``end``, per rep.

An opportunity's values at an instant ``t`` are its latest ``opportunity_history`` row valid
from ``t`` or earlier; an opportunity created by ``t`` whose first recorded row is later (it
was first imported after ``t``) stands at its first recorded values, as the best knowledge
there is, except that a deal recorded closed whose ``closed_at`` is after ``t`` was still open
then. An opportunity with no history row is in no pipeline.

It is **in the pipeline** at ``t`` when it was open then with an expected close date inside
the close window. Between the two instants each opportunity falls in one of these (amounts as
recorded at ``end``, in the reporting currency; an amount in another currency or unknown counts
as 0 and the opportunity is counted in ``unknown``):

- **new**: not in the pipeline at start, in it at end, created after start;
- **pulled in**: not in it at start, in it at end, created by start (its close date moved into
  the window, or it was reopened);
- **amount up / down**: in it at start: the rise or fall of its amount until end (or until it
  left);
- **won / lost**: in it at start, won or lost by end (at its amount at end);
- **pushed out**: in it at start, still open at end but expected to close outside the window.

So, for every rep and in total, ``start + new + pulled_in + up − down − pushed − won − lost =
end`` exactly (:func:`balance` checks it).

>>> row = {"start": 100, "new": 30, "pulled_in": 20, "up": 10, "down": 5, "pushed": 40,
...        "won": 25, "lost": 15, "end": 75}
>>> balance(row)
0
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from salescore.compile.schema import unbound

__all__ = ["FLOWS", "INFLOWS", "OUTFLOWS", "balance", "changes", "per_rep", "state_at"]

INFLOWS = ("new", "pulled_in", "up")
OUTFLOWS = ("down", "pushed", "won", "lost")
FLOWS = (*INFLOWS, *OUTFLOWS)
"""The movements, in the waterfall's order: what adds to the pipeline, then what takes away."""


def state_at(t: datetime, currency: str) -> ir.Table:
    """Each opportunity created by ``t`` (naive UTC) that has a history: ``opportunity_id``,
    ``status``, ``amount`` (NULL unless in ``currency`` or unknown currency),
    ``expected_close_date`` at ``t`` (see the module's docstring)."""
    history = unbound("opportunity_history")
    values = ("status", "amount", "currency", "expected_close_date")

    def one_per_deal(rows: ir.Table, prefix: str, *, newest: bool) -> ir.Table:
        order = ibis.desc(rows.valid_from) if newest else rows.valid_from
        ranked = rows.mutate(rank_=ibis.row_number().over(
            group_by=rows.opportunity_id, order_by=order))
        ranked = ranked.filter(ranked.rank_ == 0)
        return ranked.select(**{f"{prefix}id": ranked.opportunity_id},
                             **{f"{prefix}{c}": ranked[c] for c in values})

    last = one_per_deal(history.filter(history.valid_from <= t), "l_", newest=True)
    first = one_per_deal(history, "f_", newest=False)
    opps = unbound("opportunities")
    opps = opps.filter(opps.created_at <= t).select(
        o_id="opportunity_id", closed_at="closed_at")
    joined = opps.join(first, opps.o_id == first.f_id).left_join(
        last, opps.o_id == last.l_id)
    seen = joined.l_id.notnull()
    picked = joined.select(
        "o_id", "closed_at",
        **{c: ibis.cases((seen, joined[f"l_{c}"]), else_=joined[f"f_{c}"]) for c in values})
    joined = picked
    reopened = ((joined.status != "open") & joined.closed_at.notnull()
                & (joined.closed_at > t))
    known = joined.currency.isnull() | (joined.currency == currency)
    return joined.select(
        opportunity_id=joined.o_id,
        status=ibis.cases((reopened, "open"), else_=joined.status),
        amount=ibis.cases((known, joined.amount), else_=ibis.null("decimal(18, 4)")),
        expected_close_date=joined.expected_close_date)


def changes(start: datetime, end: datetime, close_from: date, close_to: date,
            currency: str) -> ir.Table:
    """One row per opportunity in the pipeline at ``start`` or at ``end`` (naive UTC; the
    window: expected close dates ``close_from`` … ``close_to``, both included):
    ``opportunity_id``, ``owner_rep_id``, ``start``, ``end`` and one column per movement of
    :data:`FLOWS` (amounts, 0 where it does not apply), ``flow`` (which of ``new``,
    ``pulled_in``, ``kept``, ``pushed``, ``won``, ``lost`` it is) and ``unknown`` (1 when an
    amount it moved with is unknown)."""
    s1 = state_at(start, currency).rename(
        a_id="opportunity_id", a_status="status", a_amount="amount",
        a_close="expected_close_date")
    s2 = state_at(end, currency).rename(
        b_id="opportunity_id", b_status="status", b_amount="amount",
        b_close="expected_close_date")
    opps = unbound("opportunities").select("opportunity_id", "owner_rep_id", "created_at")
    joined = opps.left_join(s1, opps.opportunity_id == s1.a_id).left_join(
        s2, opps.opportunity_id == s2.b_id)
    in1 = ((joined.a_status == "open") & joined.a_close.between(close_from, close_to)).fill_null(
        False)
    in2 = ((joined.b_status == "open") & joined.b_close.between(close_from, close_to)).fill_null(
        False)
    zero = ibis.literal(Decimal(0), type="decimal(18, 4)")
    a1 = joined.a_amount.fill_null(zero)
    a2 = joined.b_amount.fill_null(zero)
    entered = ~in1 & in2
    left = in1 & ~in2
    delta = ibis.cases((in1, a2 - a1), else_=zero)
    flow = ibis.cases(
        (entered & (joined.created_at > start), "new"),
        (entered, "pulled_in"),
        (in1 & in2, "kept"),
        (left & (joined.b_status == "won"), "won"),
        (left & (joined.b_status == "lost"), "lost"),
        (left, "pushed"),
        else_=ibis.null("string"))

    def when(name: str) -> ir.Value:
        return ibis.cases((flow == name, a2), else_=zero)

    unknown = ((in1 & joined.a_amount.isnull()) | ((in1 | in2) & joined.b_amount.isnull()))
    out = joined.select(
        "opportunity_id", "owner_rep_id", flow=flow,
        start=ibis.cases((in1, a1), else_=zero), end=ibis.cases((in2, a2), else_=zero),
        new=when("new"), pulled_in=when("pulled_in"),
        up=ibis.greatest(delta, zero), down=ibis.greatest(-delta, zero),
        pushed=when("pushed"), won=when("won"), lost=when("lost"),
        unknown=unknown.ifelse(1, 0))
    return out.filter(out.flow.notnull())


def per_rep(moves: ir.Table) -> ir.Table:
    """:func:`changes` summed per ``owner_rep_id``: the amounts, ``deals`` (in the pipeline at
    either instant), ``n_<flow>`` for each flow and ``unknown``."""
    measures: dict[str, ir.Value] = {
        name: moves[name].sum() for name in ("start", "end", *FLOWS)}
    measures["deals"] = moves.count()
    for name in ("new", "pulled_in", "pushed", "won", "lost"):
        measures[f"n_{name}"] = (moves.flow == name).ifelse(1, 0).sum()
    measures["n_up"] = (moves.up > 0).ifelse(1, 0).sum()
    measures["n_down"] = (moves.down > 0).ifelse(1, 0).sum()
    measures["unknown"] = moves.unknown.sum()
    return moves.group_by("owner_rep_id").aggregate(**measures).order_by("owner_rep_id")


def balance(row: Mapping[str, Any]) -> Any:
    """``start + new + pulled_in + up − down − pushed − won − lost − end``: zero when the
    movements account for the whole change."""
    total = row["start"]
    for name in INFLOWS:
        total += row[name]
    for name in OUTFLOWS:
        total -= row[name]
    return total - row["end"]
