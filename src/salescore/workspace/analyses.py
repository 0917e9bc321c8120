"""The funnel and the sales cycle as a session reads them (:meth:`Session.funnel`,
:meth:`Session.funnel_deals`, :meth:`Session.cycle`): the expressions of
:mod:`salescore.analytics.funnel` and :mod:`salescore.analytics.cycle` run through the
session's scoped runner, so that a rep's funnel is made of their own deals alone.

A subject is a rep, a team (with every team under it) or the company (all the session
reaches). The bottleneck compares the subject with its peers (a rep with the rest of their
team, a team with the rest of the company): the peers' deals are read outside the session's
scope, but only as pooled counts per step (like :meth:`Session.team_line_medians`), and only
when at least :data:`MIN_PEERS` reps' deals make them up, so that no colleague's own figures
can be read back from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from salescore.analytics.cycle import (
    BIN_EDGES,
    bin_labels,
    closed_deals,
    cycle_summary,
    stage_days,
)
from salescore.analytics.funnel import (
    BREAKDOWNS,
    Bottleneck,
    Funnel,
    FunnelStep,
    bottleneck,
    bottleneck_text,
    cohort,
    deals_at,
    funnel_counts,
    funnel_counts_by_side,
    funnel_of,
    funnel_steps,
)
from salescore.analytics.training import (
    CONFIDENCE as TRAINING_CONFIDENCE,
)
from salescore.analytics.training import (
    KPIS as TRAINING_KPIS,
)
from salescore.analytics.training import (
    MIN_PEERS as TRAINING_MIN_PEERS,
)
from salescore.analytics.training import (
    MIN_TRAINEES,
    SOURCE_KPIS,
    WINDOW_MONTHS,
    CourseImpact,
    Effect,
    cohort_outcomes,
    month_index,
    month_label,
    training_impacts,
)
from salescore.analytics.trends import (
    DIMENSIONS,
    MEASURES,
    MIN_SEASONAL_MONTHS,
    Series,
    series_of,
    trend_words,
)
from salescore.compile.schema import unbound
from salescore.core.errors import SalescoreError
from salescore.core.scope import Scope
from salescore.core.text import Text
from salescore.engine.runner import Runner

if TYPE_CHECKING:
    from salescore.workspace.session import Session

__all__ = ["BIN_EDGES", "BREAKDOWNS", "MIN_PEERS", "Bottleneck", "CycleReport", "CycleStats",
           "Funnel", "FunnelReport", "FunnelStep", "StageDays", "SubjectKind", "bin_labels",
           "cycle_report", "funnel_deals", "funnel_report",
           "CourseImpact", "DIMENSIONS", "Effect", "MEASURES", "MIN_TRAINEES", "Series",
           "TRAINING_CONFIDENCE", "TRAINING_KPIS", "TRAINING_MIN_PEERS", "TrainingReport",
           "TrendReport",
           "training_report", "trend_report"]

MIN_PEERS = 2
"""How many reps' deals the peers' pooled funnel must hold before it is compared with."""

SubjectKind = Literal["rep", "team", "company"]


class AnalysisError(SalescoreError):
    """An analysis asked for in a way it cannot be answered (two subjects, a bad split)."""


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    id: str | None
    reps: tuple[str, ...] | None  # whose deals; None: all the session reaches


@dataclass(frozen=True)
class FunnelReport:
    """A subject's funnel in ``period``: its steps (``stages``, with their ``labels``), the
    peers' pooled funnel where there are enough peers, the bottleneck and its words, and the
    funnel per value of ``breakdown`` when one was asked for."""

    period: str
    subject_kind: SubjectKind
    subject_id: str | None
    stages: tuple[str, ...]
    labels: dict[str, Text]
    funnel: Funnel
    peers: Funnel | None
    peers_kind: Literal["team", "company"] | None
    bottleneck: Bottleneck | None
    words: Text
    breakdown: str | None = None
    by_value: list[tuple[str | None, Funnel]] = field(default_factory=list)


@dataclass(frozen=True)
class CycleStats:
    """The cycles of the deals closed with one status: how many, how many with a known cycle,
    their median and mean in days (``None`` when none is known), and the count per bin."""

    status: str
    deals: int
    known: int
    median_days: float | None
    mean_days: float | None
    bins: list[int]

    @property
    def unknown(self) -> int:
        return self.deals - self.known


@dataclass(frozen=True)
class StageDays:
    """The days spent in one open stage by the entries that left it (``None`` when none
    did)."""

    stage: str
    entries: int
    median_days: float | None
    mean_days: float | None


@dataclass(frozen=True)
class CycleReport:
    period: str
    subject_kind: SubjectKind
    subject_id: str | None
    bins: list[str]
    won: CycleStats
    lost: CycleStats
    stages: list[StageDays]
    labels: dict[str, Text]


def _subtree(teams: Sequence[dict[str, Any]], root: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for t in teams:
        if t["parent_team_id"] is not None:
            children.setdefault(t["parent_team_id"], []).append(t["team_id"])
    out: set[str] = set()
    todo = [root]
    while todo:
        team = todo.pop()
        if team not in out:
            out.add(team)
            todo.extend(children.get(team, []))
    return out


def _subject(session: Session, rep: str | None, team: str | None) -> Subject:
    if rep is not None and team is not None:
        raise AnalysisError("give a rep or a team, not both", message_zh="请只指定销售或团队之一")
    if rep is not None:
        session.require_rep(rep)
        return Subject("rep", rep, (rep,))
    if team is not None:
        session.require_team(team)
        tree = _subtree(session.teams(), team)
        return Subject("team", team, tuple(r["rep_id"] for r in session.reps()
                                           if r["team_id"] in tree))
    return Subject("company", None, None)


def _everyone(session: Session) -> Runner:
    """A runner over the whole organisation, for the peers' pooled counts alone."""
    return Runner(session.runner.backend, Scope.everything())


def _peer_reps(session: Session, subject: Subject
               ) -> tuple[Literal["team", "company"] | None, list[str]]:
    """Who the subject is compared with: the rest of a rep's team, the rest of the company
    for a team; nobody for the company."""
    if subject.kind == "company":
        return None, []
    everyone = _everyone(session)
    reps = everyone.rows(unbound("reps").select("rep_id", "team_id"))
    if subject.kind == "rep":
        team = next((r["team_id"] for r in reps if r["rep_id"] == subject.id), None)
        if team is None:
            return "team", []
        return "team", sorted(r["rep_id"] for r in reps
                              if r["team_id"] == team and r["rep_id"] != subject.id)
    assert subject.id is not None
    tree = _subtree(everyone.rows(unbound("teams").select("team_id", "parent_team_id")),
                    subject.id)
    return "company", sorted(r["rep_id"] for r in reps if r["team_id"] not in tree)


def _labels(session: Session, stages: Sequence[Any]) -> dict[str, Text]:
    out = {}
    for s in stages:
        out[s.name] = s.label if s.label is not None else Text.same(s.name)
    return out


def funnel_report(session: Session, *, period: str, rep: str | None = None,
                  team: str | None = None, by: str | None = None) -> FunnelReport:
    """The funnel of ``rep``, ``team`` or (neither) the company in ``period``, within the
    session's scope; see the module's docstring for the peers."""
    if by is not None and by not in BREAKDOWNS:
        raise AnalysisError(f"a funnel is split by {', '.join(BREAKDOWNS)}, not {by!r}",
                            message_zh=f"漏斗只能按 {', '.join(BREAKDOWNS)} 拆分，而不是 {by!r}")
    settings = session.workspace.settings
    calendar = settings.calendar
    chosen = calendar.parse(period)
    start, end = calendar.utc_bounds(chosen)
    pipeline = settings.pipeline
    steps = funnel_steps(pipeline)
    names = tuple(s.name for s in steps)
    subject = _subject(session, rep, team)
    peers_kind, peer_reps = _peer_reps(session, subject)
    deals = cohort(pipeline, start, end, reps=subject.reps)
    theirs: dict[str, Any] | None = None
    if peer_reps and subject.reps is not None:
        # The subject's and the peers' counts in one pass over the stage entries (the
        # subject's deals are the same rows within its scope and without: it is in reach).
        both = cohort(pipeline, start, end, reps=sorted({*subject.reps, *peer_reps}))
        sides = {r["side"]: r for r in _everyone(session).rows(
            funnel_counts_by_side(both, len(steps), subject.reps))}
        mine = funnel_of(sides.get("mine", {}), names)
        theirs = sides.get("others", {})
    else:
        row = session.runner.rows(funnel_counts(deals, len(steps)))
        mine = funnel_of(row[0] if row else {}, names)
    by_value = []
    if by is not None:
        for r in session.runner.rows(funnel_counts(deals, len(steps), by=by)):
            by_value.append((r[by], funnel_of(r, names)))
    peers: Funnel | None = None
    found = None
    if theirs is not None:
        pooled = funnel_of(theirs, names)
        if pooled.reps >= MIN_PEERS:
            peers = pooled
            assert peers_kind is not None
            found = bottleneck(mine, peers, peers_kind)
    labels = _labels(session, steps)
    words = bottleneck_text(found, labels, compared=peers is not None) \
        if subject.kind != "company" else Text(
            "The company is not compared with anyone: see a team or a rep for a bottleneck.",
            "公司整体没有比较对象：请查看团队或销售以找出瓶颈。")
    return FunnelReport(period=str(chosen), subject_kind=subject.kind,
                        subject_id=subject.id, stages=names, labels=labels, funnel=mine,
                        peers=peers, peers_kind=peers_kind if peers else None,
                        bottleneck=found, words=words, breakdown=by, by_value=by_value)


def funnel_deals(session: Session, *, period: str, stage: str, rep: str | None = None,
                 team: str | None = None, by: str | None = None, value: str | None = None,
                 offset: int = 0, limit: int = 50) -> tuple[list[dict[str, Any]], int]:
    """The deals behind one step's count (``stage``: a step's name), ``limit`` of them from
    ``offset`` (by first stage entry, then id), and how many there are in all; with ``by``,
    those of the split's row ``value`` alone (``None``: where it is unknown)."""
    if by is not None and by not in BREAKDOWNS:
        raise AnalysisError(f"a funnel is split by {', '.join(BREAKDOWNS)}, not {by!r}",
                            message_zh=f"漏斗只能按 {', '.join(BREAKDOWNS)} 拆分，而不是 {by!r}")
    settings = session.workspace.settings
    calendar = settings.calendar
    start, end = calendar.utc_bounds(calendar.parse(period))
    pipeline = settings.pipeline
    names = [s.name for s in funnel_steps(pipeline)]
    if stage not in names:
        raise AnalysisError(f"the funnel has no step {stage!r} (its steps: {', '.join(names)})",
                            message_zh=f"漏斗中没有阶段 {stage!r}（可用：{', '.join(names)}）")
    subject = _subject(session, rep, team)
    behind = deals_at(cohort(pipeline, start, end, reps=subject.reps), names.index(stage),
                      by=by, value=value)
    total = session.runner.rows(behind.aggregate(n=behind.count()))[0]["n"]
    rows = session.runner.rows(behind.limit(limit, offset=offset))
    return rows, int(total or 0)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def cycle_report(session: Session, *, period: str, rep: str | None = None,
                 team: str | None = None) -> CycleReport:
    """The cycle of the deals of ``rep``, ``team`` or the company closed in ``period``, and
    the days their stage entries took, within the session's scope."""
    settings = session.workspace.settings
    calendar = settings.calendar
    chosen = calendar.parse(period)
    start, end = calendar.utc_bounds(chosen)
    subject = _subject(session, rep, team)
    deals = closed_deals(start, end, reps=list(subject.reps) if subject.reps is not None
                         else None)
    rows = {r["status"]: r for r in session.runner.rows(cycle_summary(deals))}

    def stats(status: str) -> CycleStats:
        r = rows.get(status, {})
        return CycleStats(status=status, deals=int(r.get("deals") or 0),
                          known=int(r.get("known") or 0),
                          median_days=_float(r.get("median_days")),
                          mean_days=_float(r.get("mean_days")),
                          bins=[int(r.get(f"bin_{i}") or 0) for i in range(len(BIN_EDGES))])

    pipeline = settings.pipeline
    spent = {r["stage"]: r for r in session.runner.rows(stage_days(deals, pipeline))}
    stages = [StageDays(name, int((spent.get(name) or {}).get("entries") or 0),
                        _float((spent.get(name) or {}).get("median_days")),
                        _float((spent.get(name) or {}).get("mean_days")))
              for name in pipeline.open_stage_names()]
    return CycleReport(period=str(chosen), subject_kind=subject.kind, subject_id=subject.id,
                       bins=bin_labels(), won=stats("won"), lost=stats("lost"), stages=stages,
                       labels=_labels(session, pipeline.stages))


# -- training impact and market trends (issue 11, parts 8 and 9) ------------------------------
def _history(session: Session) -> tuple[int, int] | None:
    """The complete months of data, as month numbers: from the month of the organisation's
    first close to the last month whose last day the data reaches (:meth:`data_last_day`).
    Read over the whole organisation, like that day: two dates, no record."""
    settings = session.workspace.settings
    calendar = settings.calendar
    last_day = session.data_last_day()
    opps = unbound("opportunities")
    row = _everyone(session).rows(opps.aggregate(first=opps.closed_at.min()))[0]
    if last_day is None or row["first"] is None:
        return None
    first = calendar.local_date(row["first"])
    last = month_index(f"{last_day:%Y-%m}")
    if (last_day + timedelta(days=1)).month == last_day.month:
        last -= 1  # the last month is still running
    start = month_index(f"{first:%Y-%m}")
    return (start, last) if start <= last else None


def _month_range(first: int, last: int) -> str:
    start = month_label(first)
    end = month_label(last + 1)
    y, m = int(end[:4]), int(end[5:])
    return f"{start}-01..{date(y, m, 1) - timedelta(days=1):%Y-%m-%d}"


@dataclass(frozen=True)
class TrainingReport:
    """Each course's and each kind's impact within the session's scope (trainees: the reps it
    reaches), over the complete months ``first_month``..``last_month``."""

    first_month: str | None
    last_month: str | None
    window: int
    courses: list[CourseImpact]
    kinds: list[CourseImpact]
    note: Text


def training_report(session: Session, *, window: int = WINDOW_MONTHS,
                    team: str | None = None, rep: str | None = None) -> TrainingReport:
    """The training impact of :mod:`salescore.analytics.training` for ``rep``, ``team`` or
    everyone the session reaches: the trainings and the KPIs per rep and month (through the
    KPI engine) of the reps it reaches; the peers are the reps it reaches too."""
    if window < 1 or window > 24:
        raise AnalysisError("the window is 1 to 24 months", message_zh="窗口为 1 到 24 个月")
    subject = _subject(session, rep, team)
    note = Text(
        f"Difference in differences, every course in one regression (rep and month fixed "
        f"effects): the {window} month{'s' if window != 1 else ''} after the month of the "
        f"training against the months before, net of the other courses; 95 % confidence "
        f"interval, clustered by rep. Not enough data: fewer than {MIN_TRAINEES} trainees "
        f"with deals in both windows, or fewer than {TRAINING_MIN_PEERS} untrained peers.",
        f"双重差分，所有课程在同一回归中估计（销售与月份固定效应）：培训当月之后 {window} 个月"
        f"对比之前的月份，并扣除其他课程的影响；95% 置信区间，按销售聚类。"
        f"两个窗口内都有商机的受训者少于 {MIN_TRAINEES} 人，"
        f"或未受训的同级少于 {TRAINING_MIN_PEERS} 人时，显示数据不足。")
    history = _history(session)
    if history is None:
        return TrainingReport(None, None, window, [], [], note)
    first, last = history
    calendar = session.workspace.settings.calendar
    trainings = unbound("trainings")
    if subject.reps is not None:
        trainings = trainings.filter(trainings.rep_id.isin(list(subject.reps)))
    rows = [{"rep_id": r["rep_id"], "course": r["course"], "kind": r["kind"],
             "month": f"{calendar.local_date(r['completed_at']):%Y-%m}"}
            for r in session.runner.rows(trainings.select("rep_id", "course", "kind",
                                                          "completed_at"))]
    monthly = session.kpi_result(SOURCE_KPIS, by="rep", period=_month_range(first, last),
                                 grain="month").table.to_pylist()
    # the win rate of each window's creation cohort: the deals created in it, closed since
    start = calendar.utc_bounds(calendar.parse(month_label(first)))[0]
    end = calendar.utc_bounds(calendar.parse(month_label(last)))[1]
    cohorts = {(r["rep_id"], f"{int(r['year']):04d}-{int(r['month']):02d}"): r
               for r in session.runner.rows(cohort_outcomes(
                   start, end, calendar.zone, calendar.local_date(start),
                   calendar.local_date(end)))}
    rows_of = {(r["rep_id"], str(r["period"])[:7]): r for r in monthly}
    for key, found in cohorts.items():
        row = rows_of.get(key)
        if row is None:  # created then, closed nothing that month: a row of its own
            row = rows_of[key] = {"rep_id": key[0], "period": key[1]}
            monthly.append(row)
        row["cohort_won"], row["cohort_lost"] = found["cohort_won"], found["cohort_lost"]
    hired = {str(r["rep_id"]): r["hire_date"] for r in session.runner.rows(
        unbound("reps").select("rep_id", "hire_date"))}
    courses, kinds = training_impacts(rows, monthly, first_month=month_label(first),
                                      last_month=month_label(last), window=window, hired=hired)
    return TrainingReport(month_label(first), month_label(last), window, courses, kinds, note)


@dataclass(frozen=True)
class TrendReport:
    """Monthly series of every measure for ``by`` (the company or one dimension) and, for the
    words, every dimension; ``adjusted``: whether there were two years to adjust with."""

    months: list[str]
    by: str
    series: list[Series]
    adjusted: bool
    note: Text
    words: dict[str, Text]


def trend_report(session: Session, *, by: str = "segment", months: int = 24) -> TrendReport:
    """Revenue won, deals created and win rate per month over the last ``months`` complete
    months (no more than there are) for the company or each value of ``by``, within the
    session's scope; the fastest-growing and fastest-shrinking value of any dimension."""
    if by != "company" and by not in DIMENSIONS:
        raise AnalysisError(f"a trend is by company, {', '.join(DIMENSIONS)}, not {by!r}",
                            message_zh=f"趋势只能按 company、{', '.join(DIMENSIONS)} 查看，"
                                       f"而不是 {by!r}")
    if months < 2 or months > 120:
        raise AnalysisError("a trend spans 2 to 120 months", message_zh="趋势跨度为 2 到 120 个月")
    history = _history(session)
    if history is None:
        return TrendReport([], by, [], False, Text("There is no closed deal yet.",
                                                   "还没有已关闭的商机。"), {})
    first, last = history
    first = max(first, last - months + 1)
    labels = [month_label(m) for m in range(first, last + 1)]
    span = _month_range(first, last)
    shown: list[Series] = []
    every: list[Series] = []
    for dim in ("company", *DIMENSIONS):
        rows = session.kpi_result(MEASURES, by=dim, period=span,
                                  grain="month").table.to_pylist()
        got = series_of(rows, by=dim, months=labels)
        every += got
        if dim == by:
            shown = got
    adjusted = len(labels) >= MIN_SEASONAL_MONTHS
    if adjusted:
        note = Text(f"Seasonally adjusted with STL (12-month season) over {len(labels)} months; "
                    "a series with a month without a value is shown raw.",
                    f"已用 STL（12 个月季节周期）对 {len(labels)} 个月的数据做季节调整；"
                    "有月份缺值的序列显示原始值。")
    else:
        note = Text(f"Only {len(labels)} months of history: seasonal adjustment needs "
                    f"{MIN_SEASONAL_MONTHS}, so the series are raw.",
                    f"历史只有 {len(labels)} 个月：季节调整需要 {MIN_SEASONAL_MONTHS} 个月，"
                    "因此显示原始值。")
    words = {m: trend_words(every, m, len(labels)) for m in MEASURES}
    return TrendReport(labels, by, shown, adjusted, note, words)
