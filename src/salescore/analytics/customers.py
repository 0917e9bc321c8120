"""Customer behaviour: RFM segments, purchase intervals, product affinity, revenue shares.

Which orders count: those of a window (a period's local days) credited to the subject's reps
(``orders.rep_id``, as :mod:`salescore.analytics.retention` attributes them), as of the window's
last day.

**RFM.** Per customer with a purchase (a positive order) in the window: *recency* the days from
the local day of their last purchase to the window's last day, *frequency* their purchases,
*monetary* the sum of their orders' amounts (refunds included). Each gets a quintile score from
1 to 5 among the subject's customers: ``1 + floor(5 × b / n)``, ``b`` the customers strictly
worse (a longer recency, a lower frequency or monetary), ``n`` all of them, so that equal values
score alike and the lowest value always scores 1. The named segment is the first rule of
:data:`SEGMENTS` that the recency (R) and frequency (F) scores meet:

=================  ====================  ======================================
segment            rule                  in words
=================  ====================  ======================================
champions          R ≥ 4 and F ≥ 4       bought lately and often
loyal              R = 3 and F ≥ 4       buy often, not the very latest
new                R ≥ 4 and F = 1       first purchase lately
promising          R ≥ 4 and F 2–3       recent, a few purchases
needs attention    R = 3 and F ≤ 3       middling on both
at risk            R ≤ 2 and F ≥ 3       bought often, not for a while
hibernating        R ≤ 2 and F ≤ 2       few purchases, long ago
=================  ====================  ======================================

**Purchase intervals**: the days between each purchase of a customer and their next, median and
mean over every such gap in the window.

**Product affinity.** An order carries one product, its opportunity's (an order with no
opportunity has no known product and is left out), so products are *bought together* when one
customer bought both in the window, and *in sequence* (``a → b``) when the customer's first
purchase of ``a`` came before their first of ``b``. Over the ``n`` customers with a known
product: ``support = both / n``, ``confidence(a → b) = both / with a``, ``lift = both × n /
(with a × with b)`` (above 1: bought together more often than chance).

>>> scores([10, 20, 20, 40, 80])
[1, 2, 2, 4, 5]
>>> segment_of(5, 1), segment_of(2, 4), segment_of(3, 3)
('new', 'at_risk', 'needs_attention')
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

import ibis

from salescore.analytics.retention import purchases
from salescore.compile.schema import unbound
from salescore.compile.timezone import local_day
from salescore.core.text import Text

__all__ = ["SEGMENTS", "SEGMENT_NAMES", "affinity_counts", "customer_rfm", "product_buyers",
           "purchase_intervals", "revenue_by_channel", "scores", "segment_of"]

SEGMENTS: tuple[str, ...] = ("champions", "loyal", "new", "promising", "needs_attention",
                             "at_risk", "hibernating")
"""The named segments, in the order of their rules."""

SEGMENT_NAMES: dict[str, Text] = {
    "champions": Text("Champions", "冠军客户"),
    "loyal": Text("Loyal", "忠诚客户"),
    "new": Text("New", "新客户"),
    "promising": Text("Promising", "潜力客户"),
    "needs_attention": Text("Needs attention", "需要关注"),
    "at_risk": Text("At risk", "流失风险"),
    "hibernating": Text("Hibernating", "沉睡客户"),
}

_DAY = 86400.0


def scores(values: Sequence[float]) -> list[int]:
    """The quintile score (1–5) of each of ``values`` (higher is better): ``1 + floor(5 × b /
    n)``, ``b`` how many values are strictly lower."""
    n = len(values)
    ordered = sorted(values)
    out = []
    for v in values:
        below = 0
        lo, hi = 0, n
        while lo < hi:  # the first index not below v
            mid = (lo + hi) // 2
            if ordered[mid] < v:
                lo = mid + 1
            else:
                hi = mid
        below = lo
        out.append(1 + (5 * below) // n)
    return out


def segment_of(r: int, f: int) -> str:
    """The named segment of recency score ``r`` and frequency score ``f`` (module table)."""
    if r >= 4:
        return "champions" if f >= 4 else "new" if f == 1 else "promising"
    if r == 3:
        return "loyal" if f >= 4 else "needs_attention"
    return "at_risk" if f >= 3 else "hibernating"


def customer_rfm(start: datetime, end: datetime, zone: ZoneInfo, first_day: date,
                 last_day: date, *, reps: Sequence[str] | None = None) -> ibis.Table:
    """One row per customer with a purchase in ``[start, end)`` from one of ``reps``:
    ``customer_id``, ``name``, ``channel``, ``last_day`` (local day of the last purchase),
    ``frequency`` (purchases) and ``monetary`` (the sum of every order's amount, refunds
    included), by customer id."""
    orders = unbound("orders")
    orders = orders.filter(orders.ordered_at >= start, orders.ordered_at < end)
    if reps is not None:
        orders = orders.filter(orders.rep_id.isin(list(reps)))
    bought = orders.amount > 0
    per = orders.group_by("customer_id").aggregate(
        last_at=bought.ifelse(orders.ordered_at, ibis.null("timestamp")).max(),
        frequency=bought.ifelse(1, 0).sum(),
        monetary=orders.amount.sum())
    per = per.filter(per.frequency > 0)
    per = per.mutate(last_day=local_day(per.last_at, zone, first_day, last_day))
    customers = unbound("customers").select(c_id="customer_id", name="name",
                                            channel="channel")
    joined = per.left_join(customers, per.customer_id == customers.c_id)
    return joined.select("customer_id", "name", "channel", "last_day", "frequency",
                         "monetary").order_by("customer_id")


def purchase_intervals(start: datetime, end: datetime, *,
                       reps: Sequence[str] | None = None) -> ibis.Table:
    """One row: ``gaps`` (between a purchase in the window and the same customer's next one),
    their ``median_days`` and ``mean_days`` (fractional days)."""
    bought = purchases(end, reps=reps)
    bought = bought.filter(bought.ordered_at >= start)
    window = ibis.window(group_by=bought.customer_id, order_by=bought.ordered_at)
    nxt = bought.mutate(next_at=bought.ordered_at.lead().over(window))
    gaps = nxt.filter(nxt.next_at.notnull())
    days = (gaps.next_at.epoch_seconds() - gaps.ordered_at.epoch_seconds()).cast(
        "float64") / _DAY
    gaps = gaps.mutate(days=days)
    return gaps.aggregate(gaps=gaps.count(), median_days=gaps.days.median(),
                          mean_days=gaps.days.mean())


def product_buyers(start: datetime, end: datetime, *,
                   reps: Sequence[str] | None = None) -> ibis.Table:
    """One row per customer and product they bought in the window (the product of the
    order's opportunity): ``customer_id``, ``product``, ``first_at`` (their first purchase
    of it)."""
    bought_full = unbound("orders")
    bought_full = bought_full.filter(bought_full.amount > 0, bought_full.ordered_at >= start,
                                     bought_full.ordered_at < end,
                                     bought_full.opportunity_id.notnull())
    if reps is not None:
        bought_full = bought_full.filter(bought_full.rep_id.isin(list(reps)))
    opps = unbound("opportunities").select(op_id="opportunity_id", product="product")
    joined = bought_full.join(opps, bought_full.opportunity_id == opps.op_id)
    joined = joined.filter(joined.product.notnull())
    return joined.group_by(["customer_id", "product"]).aggregate(
        first_at=joined.ordered_at.min())


def affinity_counts(buyers: ibis.Table) -> ibis.Table:
    """Per ordered pair of different products ``a``, ``b`` of :func:`product_buyers`:
    ``both`` (customers who bought both) and ``then`` (of those, who bought ``a`` first and
    ``b`` strictly later), by ``a`` then ``b``."""
    left = buyers.select(customer_a="customer_id", a="product", a_at="first_at")
    right = buyers.select(customer_b="customer_id", b="product", b_at="first_at")
    pairs = left.join(right, (left.customer_a == right.customer_b) & (left.a != right.b))
    return pairs.group_by(["a", "b"]).aggregate(
        both=pairs.count(), then=(pairs.a_at < pairs.b_at).ifelse(1, 0).sum()
    ).order_by(["a", "b"])


def revenue_by_channel(start: datetime, end: datetime, *,
                       reps: Sequence[str] | None = None) -> ibis.Table:
    """Per acquisition channel of the customer (NULL where unknown): ``revenue``, the sum of
    the window's order amounts (refunds included), and ``customers``."""
    orders = unbound("orders")
    orders = orders.filter(orders.ordered_at >= start, orders.ordered_at < end)
    if reps is not None:
        orders = orders.filter(orders.rep_id.isin(list(reps)))
    customers = unbound("customers").select(c_id="customer_id", channel="channel")
    joined = orders.left_join(customers, orders.customer_id == customers.c_id)
    return joined.group_by("channel").aggregate(
        revenue=joined.amount.sum(), customers=joined.customer_id.nunique()
    ).order_by("channel")
