"""Customer cohorts by first purchase, and how many of each cohort buy again in each later period.

Which orders count: the orders of a window (a period's local days), as the caller's scope and
subject see them. A **purchase** is an order with a positive amount; a refund (a negative
order) is no purchase. Every order is attributed to the rep it credits (``orders.rep_id``),
so that a rep's cohorts are made of the orders credited to them alone: a customer enters a
rep's cohort with their first purchase credited to that rep, and returns when they buy from
that rep again. A team's cohorts are those of the orders of its reps (with its subtree).

- A customer's **cohort** is the period (month or quarter, by local day) of their first
  purchase in the subject's orders, ever (not only in the window); cohorts are those whose first
  purchase is in the window.
- **Retention** at offset ``k`` of a cohort: the share of its customers with a purchase in the
  ``k``-th period after the cohort's own (offset 0 is always 1). Purchases after the window's end
  are not read, so a past window reads the same tomorrow; a cell whose period ends after the
  window is not observed (``None``), never 0.
- **Repeat-purchase rate**: the share of the cohort's customers with two purchases or more in the
  window.
- **Churn rate**: of the cohort's customers whose first purchase is at least :data:`CHURN_DAYS`
  days before the window's end, the share with no purchase in those last days.

>>> period_index_of(2025, 3, "month"), period_index_of(2025, 3, "quarter")
(24302, 8100)
>>> period_name(24302, "month"), period_name(8100, "quarter")
('2025-03', '2025-Q1')
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from salescore.compile.schema import unbound
from salescore.compile.timezone import local_day

__all__ = ["CHURN_DAYS", "GRAINS", "Grain", "cohort_customers", "cohort_summary",
           "period_index_of", "period_name", "purchases", "retention_counts"]

Grain = Literal["month", "quarter"]
GRAINS: tuple[str, ...] = ("month", "quarter")

CHURN_DAYS = 180
"""A customer with no purchase in the window's last this many days has churned."""


def period_index_of(year: int, month: int, grain: Grain) -> int:
    """A month's or quarter's number counted from year 0, so that the next one is one more."""
    return year * 12 + month - 1 if grain == "month" else year * 4 + (month - 1) // 3


def period_name(index: int, grain: Grain) -> str:
    """The period label of :func:`period_index_of`'s number: ``2025-03``, ``2025-Q1``."""
    if grain == "month":
        return f"{index // 12:04d}-{index % 12 + 1:02d}"
    return f"{index // 4:04d}-Q{index % 4 + 1}"


def _index(day: ir.DateValue, grain: Grain) -> ir.IntegerValue:
    year, month = day.year().cast("int64"), day.month().cast("int64")
    if grain == "month":
        return year * 12 + month - 1
    return year * 4 + (month - 1) // 3


def purchases(end: datetime, *, reps: Sequence[str] | None = None) -> ibis.Table:
    """The purchases (positive orders) before ``end`` (naive UTC) credited to one of ``reps``
    (any rep when ``None``): ``customer_id``, ``rep_id``, ``ordered_at``, ``amount``."""
    orders = unbound("orders")
    orders = orders.filter(orders.amount > 0, orders.ordered_at < end)
    if reps is not None:
        orders = orders.filter(orders.rep_id.isin(list(reps)))
    return orders.select("customer_id", "rep_id", "ordered_at", "amount")


def cohort_customers(start: datetime, end: datetime, grain: Grain, zone: ZoneInfo,
                     first_day: date, last_day: date, *,
                     reps: Sequence[str] | None = None) -> ibis.Table:
    """One row per customer whose first purchase (in the orders of ``reps``) is in
    ``[start, end)``: ``customer_id``, ``cohort`` (the period number of that purchase's local
    day), ``first_at``, ``last_at`` (their last purchase before ``end``) and ``purchases``
    (how many in the window). ``first_day``..``last_day`` bound the local days the zone's
    offsets are worked out for (the window's)."""
    bought = purchases(end, reps=reps)
    per = bought.group_by("customer_id").aggregate(
        first_at=bought.ordered_at.min(), last_at=bought.ordered_at.max(),
        purchases=(bought.ordered_at >= start).ifelse(1, 0).sum())
    per = per.filter(per.first_at >= start)
    return per.mutate(cohort=_index(local_day(per.first_at, zone, first_day, last_day), grain))


def retention_counts(start: datetime, end: datetime, grain: Grain, zone: ZoneInfo,
                     first_day: date, last_day: date, *,
                     reps: Sequence[str] | None = None) -> ibis.Table:
    """Per cohort and offset (periods after the cohort's; 0 is the cohort's own):
    ``customers`` of the cohort with a purchase in that period, ordered by both."""
    cohorts = cohort_customers(start, end, grain, zone, first_day, last_day, reps=reps)
    bought = purchases(end, reps=reps)
    bought = bought.filter(bought.ordered_at >= start)
    bought = bought.mutate(
        period=_index(local_day(bought.ordered_at, zone, first_day, last_day), grain))
    mine = cohorts.select(c_id="customer_id", cohort="cohort")
    joined = bought.join(mine, bought.customer_id == mine.c_id)
    cells = joined.select("customer_id", "cohort", offset=joined.period - joined.cohort)
    return cells.group_by(["cohort", "offset"]).aggregate(
        customers=cells.customer_id.nunique()).order_by(["cohort", "offset"])


def cohort_summary(start: datetime, end: datetime, grain: Grain, zone: ZoneInfo,
                   first_day: date, last_day: date, *, reps: Sequence[str] | None = None,
                   churn_days: int = CHURN_DAYS) -> ibis.Table:
    """Per cohort: ``customers``, ``repeat`` (with two purchases or more in the window),
    ``exposed`` (first purchase at least ``churn_days`` before ``end``) and ``churned`` (of
    those, no purchase in the last ``churn_days``)."""
    cohorts = cohort_customers(start, end, grain, zone, first_day, last_day, reps=reps)
    cut = ibis.literal(end, type="timestamp") - ibis.interval(days=churn_days)
    exposed = cohorts.first_at < cut
    return cohorts.group_by("cohort").aggregate(
        customers=cohorts.count(),
        repeat=(cohorts.purchases >= 2).ifelse(1, 0).sum(),
        exposed=exposed.ifelse(1, 0).sum(),
        churned=(exposed & (cohorts.last_at < cut)).ifelse(1, 0).sum(),
    ).order_by("cohort")
