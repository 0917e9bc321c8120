"""Retention and customer behaviour as a session reads them (:meth:`Session.retention`,
:meth:`Session.rfm`): the expressions of :mod:`salescore.analytics.retention` and
:mod:`salescore.analytics.customers` run through the session's scoped runner, so that a rep's
cohorts and segments are made of the orders credited to them alone, a manager's of their team's
subtree's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from salescore.analytics.customers import (
    SEGMENT_NAMES,
    SEGMENTS,
    affinity_counts,
    customer_rfm,
    product_buyers,
    purchase_intervals,
    revenue_by_channel,
    scores,
    segment_of,
)
from salescore.analytics.retention import (
    CHURN_DAYS,
    GRAINS,
    Grain,
    cohort_summary,
    period_index_of,
    period_name,
    retention_counts,
)
from salescore.core.text import Text
from salescore.workspace.analyses import AnalysisError, SubjectKind, _subject

if TYPE_CHECKING:
    from salescore.workspace.session import Session

__all__ = ["SEGMENTS", "SEGMENT_NAMES", "Affinity", "Cohort", "CustomerRfm", "RetentionReport",
           "RfmReport", "SegmentShare", "retention_report", "rfm_report"]


@dataclass(frozen=True)
class Cohort:
    """One cohort: its first-purchase period, its size, the share retained at each offset
    (``None`` where the period is not observed) and its repeat and churn figures."""

    period: str
    customers: int
    retained: list[int | None]
    shares: list[float | None]
    repeat: int
    exposed: int
    churned: int

    @property
    def repeat_rate(self) -> float | None:
        return self.repeat / self.customers if self.customers else None

    @property
    def churn_rate(self) -> float | None:
        return self.churned / self.exposed if self.exposed else None


@dataclass(frozen=True)
class RetentionReport:
    period: str
    grain: Grain
    subject_kind: SubjectKind
    subject_id: str | None
    churn_days: int
    cohorts: list[Cohort]
    offsets: int  # columns of the matrix: 0 .. offsets - 1

    @property
    def customers(self) -> int:
        return sum(c.customers for c in self.cohorts)

    @property
    def repeat_rate(self) -> float | None:
        n = self.customers
        return sum(c.repeat for c in self.cohorts) / n if n else None

    @property
    def churn_rate(self) -> float | None:
        n = sum(c.exposed for c in self.cohorts)
        return sum(c.churned for c in self.cohorts) / n if n else None

    def pooled(self, offset: int) -> float | None:
        """The share retained at ``offset`` over every cohort that observes it."""
        seen = [c for c in self.cohorts if offset < len(c.shares) and c.shares[offset] is not None]
        total = sum(c.customers for c in seen)
        return sum(c.retained[offset] or 0 for c in seen) / total if total else None


@dataclass(frozen=True)
class CustomerRfm:
    customer_id: str
    name: str | None
    channel: str | None
    recency_days: int
    frequency: int
    monetary: float
    r: int
    f: int
    m: int
    segment: str


@dataclass(frozen=True)
class SegmentShare:
    key: str | None
    label: Text
    customers: int
    revenue: float
    share: float | None


@dataclass(frozen=True)
class Affinity:
    a: str
    b: str
    both: int
    then: int
    support: float
    confidence: float
    lift: float


@dataclass(frozen=True)
class RfmReport:
    period: str
    as_of: date
    subject_kind: SubjectKind
    subject_id: str | None
    customers: list[CustomerRfm]
    segments: list[SegmentShare]
    channels: list[SegmentShare]
    gaps: int
    median_gap_days: float | None
    mean_gap_days: float | None
    pairs: list[Affinity]
    buyers: int  # customers with a known product


def _window(session: Session, period: str) -> tuple[Any, Any, Any, date, date]:
    calendar = session.workspace.settings.calendar
    chosen = calendar.parse(period)
    start, end = calendar.utc_bounds(chosen)
    return chosen, start, end, chosen.start - timedelta(days=1), chosen.end + timedelta(days=1)


def retention_report(session: Session, *, period: str, grain: str = "month",
                     rep: str | None = None, team: str | None = None,
                     churn_days: int = CHURN_DAYS) -> RetentionReport:
    """The cohorts of ``rep``, ``team`` or the company whose first purchase is in ``period``,
    by ``grain`` (month or quarter), followed to the period's end, within the session's
    scope. A month or quarter that the period ends inside is not observed (its cells are
    ``None``): a part of a quarter would read as customers lost."""
    if grain not in GRAINS:
        raise AnalysisError(f"cohorts are by {' or '.join(GRAINS)}, not {grain!r}",
                            message_zh=f"同期群只能按 {' 或 '.join(GRAINS)} 划分，而不是 {grain!r}")
    g: Grain = "month" if grain == "month" else "quarter"
    chosen, start, end, first, last = _window(session, period)
    zone = session.workspace.settings.calendar.zone
    subject = _subject(session, rep, team)
    counts = session.runner.rows(retention_counts(start, end, g, zone, first, last,
                                                  reps=subject.reps))
    summary = session.runner.rows(cohort_summary(start, end, g, zone, first, last,
                                                 reps=subject.reps, churn_days=churn_days))
    final = period_index_of(chosen.end.year, chosen.end.month, g)
    after = chosen.end + timedelta(days=1)
    if period_index_of(after.year, after.month, g) == final:
        final -= 1  # the window ends inside its last month or quarter: that one is not observed
    cells: dict[tuple[int, int], int] = {(int(r["cohort"]), int(r["offset"])): int(r["customers"])
                                         for r in counts}
    cohorts = []
    width = 0
    for row in summary:
        index = int(row["cohort"])
        size = int(row["customers"])
        span = max(final - index + 1, 1)  # a cohort of the unobserved last period: its own
        width = max(width, span)
        retained = [cells.get((index, k), 0) for k in range(span)]
        cohorts.append(Cohort(period=period_name(index, g), customers=size,
                              retained=list(retained),
                              shares=[n / size if size else None for n in retained],
                              repeat=int(row["repeat"] or 0), exposed=int(row["exposed"] or 0),
                              churned=int(row["churned"] or 0)))
    padded = [Cohort(c.period, c.customers, c.retained + [None] * (width - len(c.retained)),
                     c.shares + [None] * (width - len(c.shares)), c.repeat, c.exposed, c.churned)
              for c in cohorts]
    return RetentionReport(period=str(chosen), grain=g, subject_kind=subject.kind,
                           subject_id=subject.id, churn_days=churn_days, cohorts=padded,
                           offsets=width)


def _shares(groups: dict[str | None, tuple[int, float]], labels: dict[str | None, Text],
            order: list[str | None]) -> list[SegmentShare]:
    total = sum(rev for _, rev in groups.values())
    out = []
    for key in order:
        n, rev = groups.get(key, (0, 0.0))
        out.append(SegmentShare(key, labels[key], n, rev, rev / total if total else None))
    return out


def rfm_report(session: Session, *, period: str, rep: str | None = None,
               team: str | None = None, top: int = 10) -> RfmReport:
    """RFM scores and segments of the customers who bought in ``period`` from ``rep``,
    ``team`` or the company (as of the period's last day), the revenue share of each segment
    and channel, the purchase intervals and the ``top`` product pairs by lift, within the
    session's scope."""
    chosen, start, end, first, last = _window(session, period)
    zone = session.workspace.settings.calendar.zone
    subject = _subject(session, rep, team)
    reps = subject.reps
    rows = session.runner.rows(customer_rfm(start, end, zone, first, last, reps=reps))
    as_of = chosen.end
    recency = [(as_of - r["last_day"]).days for r in rows]
    frequency = [int(r["frequency"]) for r in rows]
    monetary = [float(r["monetary"]) for r in rows]
    r_s, f_s, m_s = scores([-d for d in recency]), scores(frequency), scores(monetary)
    customers = [CustomerRfm(customer_id=r["customer_id"], name=r["name"], channel=r["channel"],
                             recency_days=recency[i], frequency=frequency[i],
                             monetary=monetary[i], r=r_s[i], f=f_s[i], m=m_s[i],
                             segment=segment_of(r_s[i], f_s[i]))
                 for i, r in enumerate(rows)]
    by_segment: dict[str | None, tuple[int, float]] = {}
    for c in customers:
        n, rev = by_segment.get(c.segment, (0, 0.0))
        by_segment[c.segment] = (n + 1, rev + c.monetary)
    segments = _shares(by_segment, dict(SEGMENT_NAMES.items()), list(SEGMENTS))
    channel_rows = session.runner.rows(revenue_by_channel(start, end, reps=reps))
    by_channel = {r["channel"]: (int(r["customers"]), float(r["revenue"] or 0))
                  for r in channel_rows}
    channel_labels = {k: Text.same(k) if k is not None else Text("unknown", "未知")
                      for k in by_channel}
    channels = _shares(by_channel, channel_labels,
                       sorted(by_channel, key=lambda k: -by_channel[k][1]))
    gap = session.runner.rows(purchase_intervals(start, end, reps=reps))[0]
    buyers = product_buyers(start, end, reps=reps)
    n_buyers = int(session.runner.rows(buyers.aggregate(
        n=buyers.customer_id.nunique()))[0]["n"] or 0)
    per_product = {r["product"]: int(r["n"]) for r in session.runner.rows(
        buyers.group_by("product").aggregate(n=buyers.customer_id.nunique()))}
    pairs = []
    for r in session.runner.rows(affinity_counts(buyers)):
        both, with_a, with_b = int(r["both"]), per_product[r["a"]], per_product[r["b"]]
        pairs.append(Affinity(a=r["a"], b=r["b"], both=both, then=int(r["then"] or 0),
                              support=both / n_buyers, confidence=both / with_a,
                              lift=both * n_buyers / (with_a * with_b)))
    pairs.sort(key=lambda p: (-p.lift, -p.both, p.a, p.b))
    return RfmReport(period=str(chosen), as_of=as_of, subject_kind=subject.kind,
                     subject_id=subject.id, customers=customers, segments=segments,
                     channels=channels, gaps=int(gap["gaps"] or 0),
                     median_gap_days=None if gap["median_days"] is None
                     else float(gap["median_days"]),
                     mean_gap_days=None if gap["mean_days"] is None else float(gap["mean_days"]),
                     pairs=pairs[:top], buyers=n_buyers)
