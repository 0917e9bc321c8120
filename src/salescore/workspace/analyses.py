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
    funnel_of,
    funnel_steps,
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
           "cycle_report", "funnel_deals", "funnel_report"]

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
    deals = cohort(pipeline, start, end, reps=subject.reps)
    row = session.runner.rows(funnel_counts(deals, len(steps)))
    mine = funnel_of(row[0] if row else {}, names)
    by_value = []
    if by is not None:
        for r in session.runner.rows(funnel_counts(deals, len(steps), by=by)):
            by_value.append((r[by], funnel_of(r, names)))
    peers_kind, peer_reps = _peer_reps(session, subject)
    peers: Funnel | None = None
    found = None
    if peer_reps:
        theirs = _everyone(session).rows(funnel_counts(
            cohort(pipeline, start, end, reps=peer_reps), len(steps)))
        pooled = funnel_of(theirs[0] if theirs else {}, names)
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
