"""Training impact: each course's effect on its trainees' KPIs, as a difference in
differences against matched untrained peers, with a confidence interval.

Pure functions over the KPI tables a session returns (rows per rep and month of
``deals_won``, ``deals_lost`` and ``revenue_won``, computed by the KPI engine, so scoped and
consistent with the catalogue); the statistics are not Ibis. For a trainee who first completed
a course in month *t*, **before** is the ``window`` months before *t* and **after** the
``window`` months after it (the training month itself belongs to neither). The trainee's
change (after − before) is compared with the mean change of the **matched peers** over the
same months: the reps who had not completed the course by the end of that after-window, and
who, like the trainee, closed at least one deal in each window (active sellers). A trainee's
difference is ``change − peers' mean change``; the effect is the mean of the trainees'
differences, with a Student-t confidence interval (SciPy) over them. Fewer than
:data:`MIN_TRAINEES` trainees with data in both windows and :data:`MIN_PEERS` peers: not
enough data, no effect is given.

KPIs: ``win_rate``, of the deals *created* in the window (won ÷ those closed so far: the
window's creation cohort, from :func:`cohort_outcomes`), ``lead_to_win_rate`` (won ÷ created,
the same cohort) and ``revenue_won`` per month (the window's revenue won ÷ its months). The win
rate is the cohort's, not the catalogue's by close date: a training can only change the deals
worked after it, and the deals closed in the months after a training were in good part created
before it (on the medium demo the close-date win rate recovered a third of the planted +10
points, the cohort's four fifths; see ``docs/analytics.md``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import ibis.expr.types as ir

from salescore.compile.schema import unbound
from salescore.compile.timezone import local_day

__all__ = ["CONFIDENCE", "KPIS", "MIN_PEERS", "MIN_TRAINEES", "WINDOW_MONTHS", "CourseImpact",
           "Effect", "cohort_outcomes", "month_index", "month_label", "training_impacts"]

KPIS = ("win_rate", "lead_to_win_rate", "revenue_won")
"""The KPIs whose change is measured, in the order reported."""
SOURCE_KPIS = ("deals_won", "deals_lost", "revenue_won", "lead_to_win_rate",
               "opportunities_created")
"""The KPIs read per rep and month to work them out."""
WINDOW_MONTHS = 6
LAG_MONTHS = 0
MIN_TRAINEES = 5
"""Trainees with data in both windows needed before an effect is estimated."""
MIN_PEERS = 5
"""Matched untrained peers a trainee needs to be counted."""
CONFIDENCE = 0.95


def cohort_outcomes(start: datetime, end: datetime, zone: ZoneInfo, first: date,
                    last: date) -> ir.Table:
    """Per owner and local month of creation, the deals created in ``[start, end)`` (UTC) and
    closed since: ``rep_id, year, month, cohort_won, cohort_lost`` (``first``..``last``: the
    local days the creation times fall on, for the time zone's offsets)."""
    opps = unbound("opportunities")
    closed = opps.filter(opps.status.isin(["won", "lost"]), opps.created_at >= start,
                         opps.created_at < end)
    day = local_day(closed.created_at, zone, first, last)
    t = closed.select(rep_id=closed.owner_rep_id, year=day.year(), month=day.month(),
                      won=(closed.status == "won").ifelse(1, 0),
                      lost=(closed.status == "lost").ifelse(1, 0))
    return t.group_by(["rep_id", "year", "month"]).aggregate(cohort_won=t.won.sum(),
                                                              cohort_lost=t.lost.sum())


def month_index(label: str) -> int:
    """``'2025-03'`` → a month number that counts up by one a month.

    >>> month_index("2025-03") - month_index("2024-12")
    3
    """
    year, month = label.split("-")[:2]
    return int(year) * 12 + int(month) - 1


def month_label(index: int) -> str:
    """The inverse of :func:`month_index`.

    >>> month_label(month_index("2025-12"))
    '2025-12'
    """
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Effect:
    """One KPI's difference in differences for one course. ``trainees``: those counted (data
    in both windows and enough peers); ``peers``: the distinct peers they were matched with.
    ``before``/``after``: the trainees' mean value; ``peers_before``/``peers_after``: the mean
    of each trainee's peers' mean. ``estimate``, ``low``, ``high``: ``None`` when not
    ``enough``."""

    kpi: str
    trainees: int
    peers: int
    before: float | None
    after: float | None
    peers_before: float | None
    peers_after: float | None
    estimate: float | None
    low: float | None
    high: float | None

    @property
    def enough(self) -> bool:
        return self.estimate is not None


@dataclass(frozen=True)
class CourseImpact:
    """A course (or, with ``course`` ``None``, every course of a ``kind`` pooled): how many
    reps completed it (``trainees``) and its effect on each KPI of :data:`KPIS`."""

    course: str | None
    kind: str
    trainees: int
    effects: list[Effect] = field(default_factory=list)

    def effect(self, kpi: str) -> Effect:
        return next(e for e in self.effects if e.kpi == kpi)


@dataclass(frozen=True)
class _Window:
    won: float
    lost: float
    revenue: float
    created: float
    won_of_created: float
    months: int
    cohort_won: float = 0.0
    cohort_lost: float = 0.0

    def value(self, kpi: str) -> float | None:
        if kpi == "win_rate":
            closed = self.cohort_won + self.cohort_lost
            return self.cohort_won / closed if closed else None
        if kpi == "lead_to_win_rate":
            return self.won_of_created / self.created if self.created else None
        return self.revenue / self.months


def _window(monthly: Mapping[int, Mapping[str, Any]], first: int, last: int) -> _Window | None:
    won = lost = revenue = created = won_of_created = cohort_won = cohort_lost = 0.0
    for m in range(first, last + 1):
        row = monthly.get(m)
        if row is not None:
            won += float(row.get("deals_won") or 0)
            lost += float(row.get("deals_lost") or 0)
            revenue += float(row.get("revenue_won") or 0)
            n = float(row.get("opportunities_created") or 0)
            created += n
            won_of_created += round(n * float(row.get("lead_to_win_rate") or 0))
            cohort_won += float(row.get("cohort_won") or 0)
            cohort_lost += float(row.get("cohort_lost") or 0)
    if won + lost == 0:  # closed nothing: not active as a seller there
        return None
    return _Window(won, lost, revenue, created, won_of_created, last - first + 1, cohort_won,
                   cohort_lost)


def _t_interval(values: Sequence[float], confidence: float) -> tuple[float, float, float]:
    from scipy import stats  # the t quantile; loaded only when an effect is estimated

    n = len(values)
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * se
    return mean, mean - half, mean + half


def _mean(values: Iterable[float]) -> float | None:
    got = list(values)
    return statistics.fmean(got) if got else None


Windows = dict[str, tuple["_Window | None", "_Window | None"]]


def _windows_at(t: int, by_rep: Mapping[str, Mapping[int, Mapping[str, Any]]], window: int,
                lag: int, cache: dict[int, Windows]) -> Windows:
    """Every rep's before- and after-window around month ``t`` (worked out once per ``t``)."""
    got = cache.get(t)
    if got is None:
        got = cache[t] = {rep: (_window(months, t - window, t - 1),
                                _window(months, t + 1 + lag, t + lag + window))
                          for rep, months in by_rep.items()}
    return got


def _effects(first_done: Mapping[str, int], by_rep: Mapping[str, Mapping[int, Mapping[str, Any]]],
             done_any: Mapping[str, int], first_month: int, last_month: int, window: int,
             lag: int, confidence: float, cache: dict[int, Windows]) -> list[Effect]:
    out = []
    for kpi in KPIS:
        diffs: list[float] = []
        before: list[float] = []
        after: list[float] = []
        peers_before: list[float] = []
        peers_after: list[float] = []
        peers_used: set[str] = set()
        peers_at: dict[int, dict[str, tuple[float, float]]] = {}  # the same for every t
        for rep, t in sorted(first_done.items()):
            if t - window < first_month or t + lag + window > last_month:
                continue
            around = _windows_at(t, by_rep, window, lag, cache)
            b, a = around.get(rep, (None, None))
            vb, va = (b.value(kpi) if b else None), (a.value(kpi) if a else None)
            if vb is None or va is None:
                continue
            changes = peers_at.get(t)
            if changes is None:
                changes = peers_at[t] = {}
                end = t + lag + window
                for peer, (pb, pa) in around.items():
                    if done_any.get(peer, end + 1) <= end:
                        continue  # trained (this course or kind) by the end of the after-window
                    xb, xa = (pb.value(kpi) if pb else None), (pa.value(kpi) if pa else None)
                    if xb is not None and xa is not None:
                        changes[peer] = (xb, xa)
            if len(changes) < MIN_PEERS:
                continue
            pbm = statistics.fmean(x for x, _ in changes.values())
            pam = statistics.fmean(x for _, x in changes.values())
            diffs.append((va - vb) - (pam - pbm))
            before.append(vb)
            after.append(va)
            peers_before.append(pbm)
            peers_after.append(pam)
            peers_used.update(changes)
        estimate = low = high = None
        if len(diffs) >= MIN_TRAINEES:
            estimate, low, high = _t_interval(diffs, confidence)
        out.append(Effect(kpi=kpi, trainees=len(diffs), peers=len(peers_used),
                          before=_mean(before), after=_mean(after),
                          peers_before=_mean(peers_before), peers_after=_mean(peers_after),
                          estimate=estimate, low=low, high=high))
    return out


def training_impacts(trainings: Iterable[Mapping[str, Any]],
                     monthly: Iterable[Mapping[str, Any]], *, first_month: str,
                     last_month: str, window: int = WINDOW_MONTHS, lag: int = LAG_MONTHS,
                     confidence: float = CONFIDENCE) -> tuple[list[CourseImpact],
                                                              list[CourseImpact]]:
    """The impact of every course, and of every kind of course pooled (a rep counted once per
    kind, at their first course of it), from ``trainings`` (rows with ``rep_id``, ``course``,
    ``kind`` and ``month``, the local month label of ``completed_at``) and ``monthly`` (a
    KPI table by rep and month with :data:`SOURCE_KPIS`, and ``cohort_won``, ``cohort_lost``
    of :func:`cohort_outcomes` by month of creation; a month without a row closed nothing).
    Only months from ``first_month`` to ``last_month`` (complete months of data) are
    windows. Courses by kind, then name; kinds by name."""
    by_rep: dict[str, dict[int, Mapping[str, Any]]] = {}
    for row in monthly:
        by_rep.setdefault(row["rep_id"], {})[month_index(row["period"])] = row
    courses: dict[tuple[str, str], dict[str, int]] = {}
    kinds: dict[str, dict[str, int]] = {}
    for row in trainings:
        m, rep = month_index(row["month"]), row["rep_id"]
        for done in (courses.setdefault((row["kind"], row["course"]), {}),
                     kinds.setdefault(row["kind"], {})):
            done[rep] = min(done.get(rep, m), m)
    first, last = month_index(first_month), month_index(last_month)
    cache: dict[int, Windows] = {}
    per_course = [CourseImpact(course=course, kind=kind, trainees=len(done),
                               effects=_effects(done, by_rep, kinds[kind], first, last,
                                                window, lag, confidence, cache))
                  for (kind, course), done in sorted(courses.items())]
    per_kind = [CourseImpact(course=None, kind=kind, trainees=len(done),
                             effects=_effects(done, by_rep, done, first, last, window, lag,
                                              confidence, cache))
                for kind, done in sorted(kinds.items())]
    return per_course, per_kind
