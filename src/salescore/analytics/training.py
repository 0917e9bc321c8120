"""Training impact: each course's effect on its trainees' KPIs, as a difference in
differences estimated for every course at once, with a confidence interval.

Pure functions over the KPI tables a session returns (rows per rep and month of
``deals_won``, ``deals_lost`` and ``revenue_won``, computed by the KPI engine, so scoped and
consistent with the catalogue); the statistics are NumPy and SciPy, not Ibis.

**The estimate.** One weighted least-squares regression per KPI over the rep-month cells of the
complete months (two-way fixed effects, the standard difference in differences with staggered
trainings)::

    value[rep, month] = rep effect + month effect + Σ_course effect[course]·after[course]
                        + Σ_course later_effect[course]·later[course] + error

For a rep who first completed a course in month *t*, ``after`` is 1 in the ``window`` months
after *t* (the months the effect is measured in) and ``later`` (a nuisance term) is 1 in the
months after those; the training month itself is left out (it is neither before nor after).
Every course has its own indicator in the same regression, so a colleague trained on another
course is not read as untrained: with one comparison per course, the coaching trainees' peers
held the VR trainees and their own gain, which pulled the coaching estimate down (on the small
demo +0.023 for a planted +0.10). Rate cells are weighted by their deals (the regression is a
deal's), revenue cells count once. The interval is Student-t on a cluster-robust (by rep,
CR1) standard error, with *trainees − 1* degrees of freedom: the effect is identified by the
trainees, and with few of them a t on all reps would be too narrow. Kinds of course are
estimated the same way with one indicator per kind (a rep counted once, at their first course
of it).

A rep's first :data:`RAMP_MONTHS` months from their hire month are left out: a new hire's
results climb as they ramp up, and among the comparison reps that climb would lift the month
effects and understate the trainees' gain.

A trainee is **counted** when their before-window (the ``window`` months before *t*) and
after-window both lie in the complete months and hold a cell of the KPI. Fewer than
:data:`MIN_TRAINEES` counted trainees, or fewer than :data:`MIN_PEERS` peers (reps in the
regression who never completed the course): not enough data, no effect is given.

KPIs: ``win_rate``, of the deals *created* in a month (won ÷ those closed so far: the month's
creation cohort, from :func:`cohort_outcomes`), ``lead_to_win_rate`` (won ÷ created, the same
cohort) and ``revenue_won`` per month (by close date). The win rate is the cohort's, not the
catalogue's by close date: a training can only change the deals worked after it, and the deals
closed in the months after a training were in good part created before it. A month's cohort
counts once :data:`MATURE_SHARE` of its deals (over everyone the rows hold) have closed: the
deals of the last months are mostly still open, those closed so far are the quick ones (more
often lost), and the open ones dilute the lead-to-win rate, so an effect measured there is not
the one on the deals once closed. The ``before``/``after`` figures reported beside the
estimate are plain means over the counted trainees' windows and their untrained peers' over
the same months (what a reader can check by hand); the estimate is the regression's.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt

from salescore.compile.schema import unbound
from salescore.compile.timezone import local_day

__all__ = ["CONFIDENCE", "KPIS", "MATURE_SHARE", "MIN_PEERS", "MIN_TRAINEES", "RAMP_MONTHS",
           "WINDOW_MONTHS",
           "CourseImpact", "Effect", "cohort_outcomes", "month_index", "month_label",
           "training_impacts"]

KPIS = ("win_rate", "lead_to_win_rate", "revenue_won")
"""The KPIs whose change is measured, in the order reported."""
SOURCE_KPIS = ("deals_won", "deals_lost", "revenue_won", "lead_to_win_rate",
               "opportunities_created")
"""The KPIs read per rep and month to work them out."""
WINDOW_MONTHS = 6
LAG_MONTHS = 0
MIN_TRAINEES = 5
"""Counted trainees (data in both windows) needed before an effect is estimated."""
MIN_PEERS = 5
"""Untrained peers (reps in the regression who never completed the course) needed."""
CONFIDENCE = 0.95
MATURE_SHARE = 0.95
"""The share of a month's created deals that must have closed for its cohort to count."""
RAMP_MONTHS = 6
"""A rep's months from their hire month on that are left out: still ramping up."""


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
    in both windows); ``peers``: the reps in the regression who never completed it.
    ``before``/``after``: the counted trainees' mean value; ``peers_before``/``peers_after``:
    the mean of each trainee's peers' mean over the same months (plain means, beside the
    regression's ``estimate``). ``estimate``, ``low``, ``high``: ``None`` when not
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


Key = Any
"""A course, ``(kind, course)``, or a kind of course: what one indicator stands for."""
Array = npt.NDArray[np.float64]
Index = npt.NDArray[np.int64]


@dataclass(frozen=True)
class _Cells:
    """One KPI's rep-month cells (each month's value and weight) in the complete months."""

    reps: list[str]
    rep: Index
    month: Index
    value: Array
    weight: Array


def _mature_months(monthly: Iterable[Mapping[str, Any]]) -> set[int]:
    """The months whose creation cohort has closed (:data:`MATURE_SHARE` of its deals)."""
    created: dict[int, float] = {}
    closed: dict[int, float] = {}
    for row in monthly:
        m = month_index(row["period"])
        created[m] = created.get(m, 0.0) + float(row.get("opportunities_created") or 0)
        closed[m] = closed.get(m, 0.0) + float(row.get("cohort_won") or 0) + float(
            row.get("cohort_lost") or 0)
    return {m for m, n in created.items() if n and closed[m] / n >= MATURE_SHARE}


def _cell(kpi: str, row: Mapping[str, Any]) -> tuple[float, float] | None:
    """``(value, weight)`` of one rep's month, ``None`` when it has none."""
    if kpi == "win_rate":
        won = float(row.get("cohort_won") or 0)
        closed = won + float(row.get("cohort_lost") or 0)
        return (won / closed, closed) if closed else None
    if kpi == "lead_to_win_rate":
        created = float(row.get("opportunities_created") or 0)
        won = round(created * float(row.get("lead_to_win_rate") or 0))
        return (won / created, created) if created else None
    if float(row.get("deals_won") or 0) + float(row.get("deals_lost") or 0) == 0:
        return None  # closed nothing: not active as a seller that month
    return float(row.get("revenue_won") or 0), 1.0


def _cells(kpi: str, by_rep: Mapping[str, Mapping[int, Mapping[str, Any]]], first: int,
           last: int, mature: set[int], ramped: Mapping[str, int]) -> _Cells:
    reps = sorted(by_rep)
    rep: list[int] = []
    month: list[int] = []
    value: list[float] = []
    weight: list[float] = []
    cohort = kpi != "revenue_won"
    for i, name in enumerate(reps):
        start = max(first, ramped.get(name, first))
        for m, row in sorted(by_rep[name].items()):
            if m < start or m > last or (cohort and m not in mature):
                continue
            got = _cell(kpi, row)
            if got is not None:
                rep.append(i)
                month.append(m)
                value.append(got[0])
                weight.append(got[1])
    return _Cells(reps, np.array(rep, dtype=np.int64), np.array(month, dtype=np.int64),
                  np.array(value, dtype=np.float64), np.array(weight, dtype=np.float64))


def _within(z: Array, weight: Array, group: Index) -> Array:
    """``z`` less its weighted mean within each group (the rep fixed effects taken out)."""
    total = np.bincount(group, weights=weight)
    sums = np.stack([np.bincount(group, weights=weight * z[:, j], minlength=len(total))
                     for j in range(z.shape[1])], axis=1)
    return z - (sums / np.where(total > 0, total, 1.0)[:, None])[group]


def _pooled(months: Mapping[int, tuple[float, float]], start: int, end: int) -> float | None:
    got = [months[m] for m in range(start, end + 1) if m in months]
    total = sum(w for _, w in got)
    return sum(v * w for v, w in got) / total if total else None


def _estimate(kpi: str, cells: _Cells, events: Mapping[Key, Mapping[str, int]], first: int,
              last: int, window: int, lag: int, confidence: float) -> dict[Key, Effect]:
    """Every unit's effect on one KPI from one regression (see the module's docstring)."""
    from scipy import stats  # the t quantile; loaded only when an effect is estimated

    keys = sorted(events)
    index = {name: i for i, name in enumerate(cells.reps)}
    span = last - first + 1  # the training month (and the lag) is neither
    dropped = {index[rep] * span + m - first for done in events.values()
               for rep, t in done.items() if rep in index
               for m in range(max(t, first), min(t + lag, last) + 1)}
    keep = ~np.isin(cells.rep * span + cells.month - first, np.array(sorted(dropped)))
    rep, month = cells.rep[keep], cells.month[keep]
    value, weight = cells.value[keep], cells.weight[keep]
    columns: list[Array] = []
    for key in keys:
        t_of = np.full(len(cells.reps), np.iinfo(np.int64).max // 2, dtype=np.int64)
        for name, t in events[key].items():
            if name in index:
                t_of[index[name]] = t
        at = t_of[rep]
        columns.append(((month > at + lag) & (month <= at + lag + window)).astype(np.float64))
        columns.append((month > at + lag + window).astype(np.float64))
    x = np.column_stack(columns) if columns else np.zeros((len(value), 0))
    # the month effects as indicators (the first month is the reference); the rep effects
    # are taken out by demeaning within each rep, which leaves the same coefficients
    dummies = (month[:, None] == np.arange(first + 1, last + 1)[None, :]).astype(np.float64)
    z = _within(np.column_stack([value, x, dummies]), weight, rep)
    y_, x_, m_ = z[:, 0], z[:, 1:1 + x.shape[1]], z[:, 1 + x.shape[1]:]
    # the normal equations on these few columns (a least-squares solver over every cell is
    # slower by far on a busy machine, its threads waiting for cores)
    gram = (z[:, 1:] * weight[:, None]).T @ z[:, 1:]
    k = x.shape[1]
    gxx, gxm, gmm = gram[:k, :k], gram[:k, k:], gram[k:, k:]
    # a unit's indicator that the month effects explain is not identified
    rest = np.diag(gxx - gxm @ np.linalg.pinv(gmm) @ gxm.T) if k else np.zeros(0)
    used = np.flatnonzero(rest > 1e-9 * np.maximum(np.diag(gxx), 1.0))
    xs = np.column_stack([x_[:, used], m_])
    bread = np.linalg.pinv((xs * weight[:, None]).T @ xs)
    beta = bread @ (xs * weight[:, None]).T @ y_
    scores = np.zeros((int(rep.max(initial=-1)) + 1, xs.shape[1]))
    np.add.at(scores, rep, xs * (weight * (y_ - xs @ beta))[:, None])
    clusters = len(np.unique(rep))
    covariance = bread @ scores.T @ scores @ bread * clusters / max(clusters - 1, 1)
    where = {int(c): j for j, c in enumerate(used)}

    by_rep: dict[int, dict[int, tuple[float, float]]] = {}
    for r, m, v, w in zip(rep.tolist(), month.tolist(), value.tolist(), weight.tolist(),
                          strict=True):
        by_rep.setdefault(r, {})[m] = (v, w)
    windows: dict[int, dict[int, tuple[float | None, float | None]]] = {}

    def around(t: int) -> dict[int, tuple[float | None, float | None]]:
        got = windows.get(t)
        if got is None:  # every rep's before- and after-window, once per month
            got = windows[t] = {r: (_pooled(months, t - window, t - 1),
                                    _pooled(months, t + lag + 1, t + lag + window))
                                for r, months in by_rep.items()}
        return got

    out: dict[Key, Effect] = {}
    for k, key in enumerate(keys):
        done = {index[r]: t for r, t in events[key].items() if r in index}
        peers = [r for r in by_rep if r not in done]
        before: list[float] = []
        after: list[float] = []
        peers_before: list[float] = []
        peers_after: list[float] = []
        peers_at: dict[int, tuple[float, float] | None] = {}
        for r, t in sorted(done.items()):
            if t - window < first or t + lag + window > last:
                continue
            vb, va = around(t).get(r, (None, None))
            if vb is None or va is None:
                continue
            before.append(vb)
            after.append(va)
            if t not in peers_at:
                both = [(b, a) for b, a in (around(t)[p] for p in peers)
                        if b is not None and a is not None]
                peers_at[t] = ((statistics.fmean(b for b, _ in both),
                                statistics.fmean(a for _, a in both)) if both else None)
            means = peers_at[t]
            if means is not None:
                peers_before.append(means[0])
                peers_after.append(means[1])
        estimate = low = high = None
        j = where.get(2 * k)
        if j is not None and len(before) >= MIN_TRAINEES and len(peers) >= MIN_PEERS:
            estimate = float(beta[j])
            half = float(stats.t.ppf(0.5 + confidence / 2, len(before) - 1)) * float(
                np.sqrt(max(covariance[j, j], 0.0)))
            low, high = estimate - half, estimate + half
        out[key] = Effect(kpi=kpi, trainees=len(before), peers=len(peers),
                          before=_mean(before), after=_mean(after),
                          peers_before=_mean(peers_before), peers_after=_mean(peers_after),
                          estimate=estimate, low=low, high=high)
    return out


def _mean(values: Iterable[float]) -> float | None:
    got = list(values)
    return statistics.fmean(got) if got else None


def training_impacts(trainings: Iterable[Mapping[str, Any]],
                     monthly: Iterable[Mapping[str, Any]], *, first_month: str,
                     last_month: str, window: int = WINDOW_MONTHS, lag: int = LAG_MONTHS,
                     confidence: float = CONFIDENCE,
                     hired: Mapping[str, date | None] | None = None
                     ) -> tuple[list[CourseImpact], list[CourseImpact]]:
    """The impact of every course, and of every kind of course pooled (a rep counted once per
    kind, at their first course of it), from ``trainings`` (rows with ``rep_id``, ``course``,
    ``kind`` and ``month``, the local month label of ``completed_at``) and ``monthly`` (a
    KPI table by rep and month with :data:`SOURCE_KPIS`, and ``cohort_won``, ``cohort_lost``
    of :func:`cohort_outcomes` by month of creation; a month without a row closed nothing).
    Only months from ``first_month`` to ``last_month`` (complete months of data) are
    cells, and of a rep with a day in ``hired`` (their hire date), only those from
    :data:`RAMP_MONTHS` after their hire month on. Courses by kind, then name; kinds by
    name."""
    rows = list(monthly)
    by_rep: dict[str, dict[int, Mapping[str, Any]]] = {}
    for row in rows:
        by_rep.setdefault(row["rep_id"], {})[month_index(row["period"])] = row
    courses: dict[tuple[str, str], dict[str, int]] = {}
    kinds: dict[str, dict[str, int]] = {}
    for row in trainings:
        m, rep = month_index(row["month"]), row["rep_id"]
        for done in (courses.setdefault((row["kind"], row["course"]), {}),
                     kinds.setdefault(row["kind"], {})):
            done[rep] = min(done.get(rep, m), m)
    first, last = month_index(first_month), month_index(last_month)
    mature = _mature_months(rows)
    ramped = {rep: day.year * 12 + day.month - 1 + RAMP_MONTHS
              for rep, day in (hired or {}).items() if day is not None}
    per_course: dict[Key, list[Effect]] = {key: [] for key in courses}
    per_kind: dict[Key, list[Effect]] = {key: [] for key in kinds}
    for kpi in KPIS:
        cells = _cells(kpi, by_rep, first, last, mature, ramped)
        for events, into in ((courses, per_course), (kinds, per_kind)):
            if events:
                for key, effect in _estimate(kpi, cells, events, first, last, window, lag,
                                             confidence).items():
                    into[key].append(effect)
    return ([CourseImpact(course=course, kind=kind, trainees=len(courses[(kind, course)]),
                          effects=per_course[(kind, course)])
             for kind, course in sorted(courses)],
            [CourseImpact(course=None, kind=kind, trainees=len(kinds[kind]),
                          effects=per_kind[kind]) for kind in sorted(kinds)])
