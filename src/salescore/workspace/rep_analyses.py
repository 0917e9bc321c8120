"""Strengths and weaknesses, communication effectiveness, team and individual balance, as a
session reads them (:meth:`Session.strengths`, :meth:`Session.communication`,
:meth:`Session.balance`; issue 11, parts 5 to 7).

The peers of a rep are the reps scored with them under the same plan version in the period.
Their values are read over the whole organisation (scores are relative, and so is a
percentile), but what leaves the session is the caller's own reps' figures, and of the peers
only counts, medians and percentiles: no colleague's own value.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from salescore.analytics.strengths import (
    MIN_PEERS,
    KpiStanding,
    base_kpi,
    lever_candidates,
    standings_of,
    strongest,
    weakest,
)
from salescore.core.periods import Period
from salescore.core.scope import Scope
from salescore.core.text import Text
from salescore.scorecards.arithmetic.rescore import Rescorer
from salescore.scorecards.inputs import PeriodValues, additive_kpis, read_targets
from salescore.scorecards.versions import version_in_force
from salescore.semantic.plan import Blend, Plan
from salescore.workspace.analyses import AnalysisError, _subject
from salescore.workspace.kpi_memo import kept, kpi_table, stamp

if TYPE_CHECKING:
    from salescore.workspace.session import Session

__all__ = ["BalanceReport", "CommunicationReport", "Lever", "RepCommunication", "RepStrengths",
           "StrengthsReport", "balance_report", "communication_report", "kpi_words",
           "strengths_report"]


@dataclass(frozen=True)
class Lever:
    """What raising one plan line's KPI to the peers' median would add to the rep's score,
    scored by the plan itself (``gain``: score points; the rating it would give)."""

    kpi: str
    value: float | None
    peer_median: float
    score: float | None
    new_score: float | None
    gain: float
    rating: str | None
    new_rating: str | None


@dataclass(frozen=True)
class RepStrengths:
    rep_id: str
    team_id: str | None
    plan: str
    peers: int
    score: float | None
    rating: str | None
    kpis: list[KpiStanding]
    strongest: list[KpiStanding]
    weakest: list[KpiStanding]
    levers: list[Lever]


@dataclass(frozen=True)
class StrengthsReport:
    """Every rep the session reaches (or the one asked for) scored in ``period``, with their
    standings against the peers under the same plan."""

    period: str
    plans: list[str]
    reps: list[RepStrengths]
    labels: dict[str, Text]
    note: Text

    def rep(self, rep_id: str) -> RepStrengths:
        return next(r for r in self.reps if r.rep_id == rep_id)


def kpi_words(session: Session, columns: Sequence[str]) -> dict[str, Text]:
    """The name of each KPI column in both languages (a stage's column names its stage)."""
    kpis = session.catalog.kpis
    stages = {s.name: (s.label if s.label is not None else Text.same(s.name))
              for s in session.workspace.settings.pipeline.stages}
    out = {}
    for column in columns:
        spec = kpis.get(base_kpi(column))
        label = spec.label if spec is not None else Text.same(column)
        if "[" in column:
            stage = column.split("[", 1)[1].rstrip("]")
            words = stages.get(stage, Text.same(stage))
            label = Text(f"{label.en} ({words.en})", f"{label.zh}（{words.zh}）")
        out[column] = label
    return out


def _plans_in_force(whole: Session, period: Period, plan: str | None) -> list[Plan]:
    from salescore.scorecards.versions import adopted_versions

    names = sorted({v.plan for v in whole.plans()}) if plan is None else [plan]
    out = []
    with whole.workspace._app.session() as store:
        found = [(n, version_in_force(store, n, period)) for n in names]
        if plan is not None and not adopted_versions(store, plan):
            raise AnalysisError(f"no adopted plan {plan!r}",
                                message_zh=f"没有已采用的方案 {plan!r}")
        numbers = [(n, v.version) for n, v in found if v is not None]
    for name, number in numbers:
        document = whole.scorecards.version_plan(name, number)
        if document.grain == period.grain:
            out.append(document)
    return out


class _Scoring:
    """One plan's scoring inputs for one period, gathered once; :meth:`score` re-scores with
    some reps' values changed."""

    def __init__(self, whole: Session, plan: Plan, period: Period, members: pd.DataFrame,
                 rep_values: pa.Table | None = None) -> None:
        engine = whole.engine
        self.plan, self.period, self.members = plan, period, members
        self._scored: dict[tuple[Any, ...], pd.DataFrame] = {}
        kpis = list(plan.kpis())
        line_kpis = [line.kpi for line in plan.lines]
        previous = plan.needs_previous()
        asked = [period, period.previous()] if previous else [period]
        additive = additive_kpis(engine.catalog, kpis)
        if rep_values is None:  # not read with the percentiles' KPIs: one pass of its own
            rep_values = kpi_table(whole, kpis, by="rep", periods=asked, grain=plan.grain,
                                   subjects=sorted(members["rep_id"].astype(str)))
        values = PeriodValues(rep_values, key="rep_id", kpis=kpis, additive=additive)
        reps = members["rep_id"].tolist()
        self.values = values.rows(str(period), reps)
        calendar = whole.workspace.settings.calendar
        roster = whole.scorecards.roster()
        self.previous = values.rows(str(period.previous()),
                                    roster.worked(reps, period.previous())) if previous else None
        targets = read_targets(engine.runner, line_kpis, calendar) \
            if plan.needs_targets() else None
        self.targets = None if targets is None else targets.get(str(period))
        self.team_values = self.team_previous = None
        if plan.needs_team_values():
            teams = PeriodValues(kpi_table(whole, line_kpis, by="team", periods=asked,
                                           grain=plan.grain), key="team_id", kpis=line_kpis,
                                 additive=additive)
            ids = list(dict.fromkeys(members["team_id"].tolist()))
            self.team_values = teams.rows(str(period), ids)
            self.team_previous = teams.rows(str(period.previous()), ids) if previous else None
        self.rescorer = Rescorer(plan, period, members=members, values=self.values,
                                 previous=self.previous, targets=self.targets,
                                 directions=whole.scorecards.directions(),
                                 team_values=self.team_values, team_previous=self.team_previous)

    def score(self, changed: dict[tuple[str, str], float] | None = None,
              blend: Blend | None = None) -> pd.DataFrame:
        """The subjects' ``score`` and ``rating`` (indexed by ``rep_id``) with ``changed``
        ((rep, KPI) → value) in place of the values read, under ``blend`` (the plan's when
        ``None``), scored again in memory by the plan's arithmetic; each answer is kept with
        this object (a re-scored lever is not scored again while its inputs stand)."""
        key = (tuple(sorted((changed or {}).items())),
               None if blend is None else blend.model_dump_json())
        found = self._scored.get(key)
        if found is None:
            found = self._scored[key] = self.rescorer.scores(changed, blend)
        return found

    def each_alone(self, kpi: str, values: dict[str, float]) -> pd.DataFrame:
        """:meth:`Rescorer.each_alone`: each rep's score with only their ``kpi`` changed."""
        return self.rescorer.each_alone(kpi, values)


def _opt(value: Any) -> Any:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _float(value: Any) -> float | None:
    value = _opt(value)
    return None if value is None else float(value)


def _kept_scoring(whole: Session, plan: Plan, period: Period, members: pd.DataFrame,
                  rep_values: pa.Table | None = None) -> _Scoring:
    """One plan's :class:`_Scoring` of ``period`` for ``members``, kept while the plan, the
    data and targets its KPIs read stand: strengths and balance share one (``rep_values``, a
    wider table already read, only spares the scoring's own read)."""
    key = ("scoring", plan.model_dump_json(), str(period),
           tuple(members["rep_id"].astype(str)), *stamp(whole, list(plan.kpis())))
    return kept(whole, key, functools.partial(_Scoring, whole, plan, period, members,
                                              rep_values))


def strengths_report(session: Session, *, period: str, rep: str | None = None,
                     team: str | None = None, plan: str | None = None,
                     kpis: Sequence[str] | None = None, levers: bool = True
                     ) -> StrengthsReport:
    """:func:`_strengths_report`, kept per workspace and scope while the plans in force, the
    data, targets, settings and the KPIs' definitions stand."""
    chosen = session.workspace.settings.calendar.parse(period)
    whole = session.workspace.session(Scope.everything())
    documents = _plans_in_force(whole, chosen, plan)
    names = list(kpis) if kpis is not None else sorted(session.catalog.kpis)
    needed = list(dict.fromkeys([*names, *(k for d in documents for k in d.kpis())]))
    key = ("strengths", str(chosen), rep, team, plan, tuple(names), levers,
           tuple(d.model_dump_json() for d in documents), *stamp(whole, needed))
    return kept(session, key, functools.partial(
        _strengths_report, session, period=period, rep=rep, team=team, plan=plan, kpis=kpis,
        levers=levers))


def _strengths_report(session: Session, *, period: str, rep: str | None = None,
                      team: str | None = None, plan: str | None = None,
                      kpis: Sequence[str] | None = None, levers: bool = True
                      ) -> StrengthsReport:
    """Each rep of ``rep``, ``team`` or the session's reach scored in ``period`` (a period of
    the plan's grain): their percentile on every catalogue KPI (or ``kpis``) against the peers
    under the same plan, the :data:`TOP` strongest and weakest, and the improvement levers:
    each plan line on which they are behind the peers' median, re-scored by the plan at that
    median (largest gain first)."""
    calendar = session.workspace.settings.calendar
    chosen = calendar.parse(period)
    subject = _subject(session, rep, team)
    wanted = set(subject.reps) if subject.reps is not None else None
    names = list(kpis) if kpis is not None else sorted(session.catalog.kpis)
    unknown = [k for k in names if k not in session.catalog.kpis]
    if unknown:
        raise AnalysisError(f"unknown KPI {unknown[0]!r}", message_zh=f"未知指标 {unknown[0]!r}")
    whole = session.workspace.session(Scope.everything())
    documents = _plans_in_force(whole, chosen, plan)
    directions = {n: str(k.direction) for n, k in session.catalog.kpis.items()}
    roster = whole.scorecards.roster() if documents else None
    # One pass per grain: every KPI the percentiles and the plans' lines need, for the period
    # (and the one before where a plan's targets read it), kept for the next call.
    needed = list(dict.fromkeys([*names, *(k for d in documents for k in d.kpis())]))
    asked = [chosen, chosen.previous()] if any(d.needs_previous() for d in documents) \
        else [chosen]
    # Only the reps under these plans are anyone's peers: their rows alone are read (a
    # quarterly plan's reps are a third of the large demo's 2,000).
    planned = [(d, roster.members(d.applies_to, chosen)) for d in documents] \
        if roster is not None else []
    peers_all = sorted({str(r) for _, m in planned for r in m["rep_id"]})
    read = kpi_table(whole, needed, by="rep", periods=asked, grain=chosen.grain,
                     subjects=peers_all) if documents else None
    table = [] if read is None else [
        r for r in read.to_pylist() if str(r.get("period")) == str(chosen)]
    named = set(names)
    columns = [c for c in (read.column_names if read is not None else [])
               if c not in ("rep_id", "period") and base_kpi(c) in named]
    by_rep = {str(r["rep_id"]): r for r in table}
    out: list[RepStrengths] = []
    for document, members in planned:
        peers = members["rep_id"].astype(str).tolist()
        mine = [r for r in peers if session.reach.has_rep(r)
                and (wanted is None or r in wanted)]
        if not mine:
            continue
        rows = [by_rep.get(r, {"rep_id": r}) for r in peers]
        scoring = _kept_scoring(whole, document, chosen, members, read)
        base = scoring.score()
        team_of = dict(zip(members["rep_id"].astype(str), members["team_id"], strict=True))
        line_kpis = [line.kpi for line in document.lines]
        all_found = standings_of(mine, rows, columns, directions)
        all_lines = standings_of(mine, rows, line_kpis, directions) \
            if not set(line_kpis) <= set(columns) else all_found
        # every rep's levers on one KPI re-scored at once, each with only their own value
        # changed (the same scores as one re-scoring per lever)
        candidates = {rep_id: lever_candidates(all_lines[rep_id], line_kpis) if levers else []
                      for rep_id in mine}
        questions: dict[str, dict[str, float]] = {}
        for rep_id, found_levers in candidates.items():
            for s in found_levers:
                assert s.peer_median is not None
                questions.setdefault(s.kpi, {})[rep_id] = s.peer_median
        answers = {kpi: scoring.each_alone(kpi, values) for kpi, values in questions.items()}
        for rep_id in mine:
            found = all_found[rep_id]
            now = base.loc[rep_id]
            got: list[Lever] = []
            for s in candidates[rep_id]:
                assert s.peer_median is not None
                new = answers[s.kpi].loc[rep_id]
                before, after = _float(now["score"]), _float(new["score"])
                gain = (after or 0.0) - (before or 0.0)
                if gain > 1e-9:
                    got.append(Lever(s.kpi, s.value, s.peer_median, before, after, gain,
                                     _opt(now["rating"]), _opt(new["rating"])))
            got.sort(key=lambda lever: (-lever.gain, lever.kpi))
            out.append(RepStrengths(
                rep_id=rep_id, team_id=_opt(team_of.get(rep_id)), plan=document.name,
                peers=len(peers) - 1, score=_float(now["score"]), rating=_opt(now["rating"]),
                kpis=found, strongest=strongest(found), weakest=weakest(found), levers=got))
    if rep is not None and not out:
        raise AnalysisError(f"no adopted plan scores {rep} in {chosen}",
                            message_zh=f"{chosen} 没有为 {rep} 评分的已采用方案")
    out.sort(key=lambda r: r.rep_id)
    note = Text(
        f"Percentile among the other reps scored under the same plan in {chosen} (100: better "
        f"than all of them; the KPI's direction counted), given with at least {MIN_PEERS} "
        f"peers with a value. Levers: each plan line on which the rep is behind the peers' "
        f"median, scored again by the plan with the rep at that median.",
        f"在 {chosen} 同一方案下与其他被评分销售相比的百分位（100：优于所有人；已考虑指标方向），"
        f"至少 {MIN_PEERS} 名同级有数值时给出。提升杠杆：销售低于同级中位数的方案指标，"
        f"按方案将该指标提升到中位数后重新评分所增加的分数。")
    return StrengthsReport(period=str(chosen), plans=[d.name for d in documents], reps=out,
                           labels=kpi_words(session, columns or list(names)), note=note)



# -- communication effectiveness (part 6) ------------------------------------------------------
COMMUNICATION_KPIS = ("avg_response_hours", "reply_rate", "follow_up_rate")
"""The catalogue's communication KPIs each rep's row carries (through the KPI engine)."""

MEASURES = ("touches_per_deal", "median_gap_days", *COMMUNICATION_KPIS)


@dataclass(frozen=True)
class RepCommunication:
    rep_id: str
    deals: int
    won: int
    touches_per_deal: float | None
    median_gap_days: float | None
    avg_response_hours: float | None
    reply_rate: float | None
    follow_up_rate: float | None

    @property
    def win_rate(self) -> float | None:
        return self.won / self.deals if self.deals else None

    def measure(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value


@dataclass(frozen=True)
class CommunicationReport:
    """Follow-up cadence and communication KPIs of the reps of a subject in ``period``, the
    win rate of their closed deals by cadence, and each measure's rank correlation with the
    reps' win rates."""

    period: str
    subject_kind: str
    subject_id: str | None
    reps: list[RepCommunication]
    touch_bins: list[Any]
    gap_bins: list[Any]
    no_gap: Any
    relations: list[Any]
    labels: dict[str, Text]
    note: Text


def communication_report(session: Session, *, period: str, rep: str | None = None,
                         team: str | None = None) -> CommunicationReport:
    """:func:`_communication_report`, kept per workspace and scope while the data, targets,
    settings and the communication KPIs' definitions stand."""
    key = ("communication", period, rep, team, *stamp(session, COMMUNICATION_KPIS))
    return kept(session, key, functools.partial(_communication_report, session,
                                                period=period, rep=rep, team=team))


def _communication_report(session: Session, *, period: str, rep: str | None = None,
                          team: str | None = None) -> CommunicationReport:
    """The communication effectiveness of ``rep``, ``team`` or every rep the session reaches
    in ``period``: the deals closed in it, their touches, and the catalogue's response time,
    reply rate and follow-up rate per rep, all within the session's scope."""
    from salescore.analytics import communication as co

    calendar = session.workspace.settings.calendar
    chosen = calendar.parse(period)
    start, end = calendar.utc_bounds(chosen)
    subject = _subject(session, rep, team)
    deals_expr = co.closed_deals(start, end, subject.reps)
    deals = session.runner.rows(deals_expr)
    read = session.runner.run(co.deal_touches(deals_expr))
    found = co.cadence(deals, (read.column("opportunity_id").to_pylist(),
                               read.column("occurred_at").to_pylist()))
    by_rep: dict[str, list[Any]] = {}
    for d in found:
        by_rep.setdefault(d.rep_id, []).append(d)
    kpis = {str(r["rep_id"]): r for r in session.kpi_result(
        COMMUNICATION_KPIS, by="rep", period=str(chosen)).table.to_pylist()}
    ids = sorted({d.rep_id for d in found} | {
        r for r, v in kpis.items() if (subject.reps is None or r in subject.reps)
        and any(v.get(k) is not None for k in COMMUNICATION_KPIS)})
    reps = []
    for rep_id in ids:
        mine = by_rep.get(rep_id, [])
        gaps = [g for d in mine for g in d.gaps]
        k = kpis.get(rep_id, {})
        reps.append(RepCommunication(
            rep_id=rep_id, deals=len(mine), won=sum(d.won for d in mine),
            touches_per_deal=sum(d.touches for d in mine) / len(mine) if mine else None,
            median_gap_days=statistics.median(gaps) if gaps else None,
            avg_response_hours=_float(k.get("avg_response_hours")),
            reply_rate=_float(k.get("reply_rate")), follow_up_rate=_float(k.get("follow_up_rate"))))
    touch_bins, gap_bins, no_gap = co.bins_of(found)
    relations = [co.relation(m, [(r.measure(m), r.win_rate) for r in reps]) for m in MEASURES]
    labels = kpi_words(session, COMMUNICATION_KPIS)
    labels["touches_per_deal"] = Text("Touches per closed deal", "每个已关闭商机的接触次数")
    labels["median_gap_days"] = Text("Median days between touches", "接触间隔天数中位数")
    note = Text(
        f"Deals won or lost in {chosen}; a touch is any activity linked to the deal. Relation: "
        f"Spearman's rank correlation of each measure with the reps' win rates, given over at "
        f"least {co.MIN_REPS} reps (a correlation, not a cause).",
        f"{chosen} 赢单或输单的商机；接触指与该商机关联的任何活动。关系：各指标与销售赢单率的"
        f"Spearman 等级相关，至少 {co.MIN_REPS} 名销售时给出（相关不等于因果）。")
    return CommunicationReport(str(chosen), subject.kind, subject.id, reps, touch_bins,
                               gap_bins, no_gap, relations, labels, note)


# -- team and individual balance (part 7) ------------------------------------------------------
TEAM_KPIS = ("revenue_won", "team_revenue_share", "assists_given",
             "assists_received", "cross_team_assists")
REP_KPIS = ("assists_given", "assist_points", "assists_received", "cross_team_assists",
            "peer_collaboration_score")


@dataclass(frozen=True)
class TeamBalance:
    team_id: str
    name: str | None
    revenue_won: float | None
    assisted_revenue_won: float | None
    assisted_share: float | None
    assists_given: int
    assists_received: int
    cross_team_given: int


@dataclass(frozen=True)
class RepBalance:
    rep_id: str
    team_id: str | None
    assists_given: int
    assist_points: float
    assists_received: int
    cross_team_given: int
    peer_collaboration_score: float | None = None


@dataclass(frozen=True)
class BlendSpread:
    individual: float
    team: float
    current: bool
    scored: int
    range: float | None
    stdev: float | None


@dataclass(frozen=True)
class BlendScores:
    """A plan's blends replayed: the spread of its reps' scores under each, and the reps the
    session reaches with their score under each (``None``: not scored)."""

    plan: str
    blends: list[BlendSpread]
    reps: list[tuple[str, list[float | None]]]


@dataclass(frozen=True)
class BalanceReport:
    period: str
    teams: list[TeamBalance]
    reps: list[RepBalance]
    flows: list[tuple[str | None, str | None, int]]  # helper's team, helped team, assists
    plans: list[BlendScores]
    note: Text


def _assisted(row: dict[str, Any]) -> float | None:
    """The revenue of the assisted deals: the catalogue's share of revenue won as a team
    times the revenue won (unknown when either is)."""
    revenue, share = _float(row.get("revenue_won")), _float(row.get("team_revenue_share"))
    return None if revenue is None or share is None else revenue * share


def _int(value: Any) -> int:
    value = _opt(value)
    return 0 if value is None else int(value)


def balance_report(session: Session, *, period: str, team: str | None = None) -> BalanceReport:
    """:func:`_balance_report`, kept per workspace and scope while the plans in force, the
    data, targets, settings and the KPIs' definitions stand."""
    chosen = session.workspace.settings.calendar.parse(period)
    whole = session.workspace.session(Scope.everything())
    documents = _plans_in_force(whole, chosen, None)
    needed = list(dict.fromkeys([*TEAM_KPIS, *REP_KPIS,
                                 *(k for d in documents for k in d.kpis())]))
    key = ("balance", str(chosen), team, tuple(d.model_dump_json() for d in documents),
           *stamp(whole, needed))
    return kept(session, key, functools.partial(_balance_report, session, period=period,
                                                team=team))


def _balance_report(session: Session, *, period: str, team: str | None = None
                    ) -> BalanceReport:
    """Each team's revenue from assisted deals and assists given, received and across teams,
    each rep's, who helped which team, and how each plan's individual/team blend spreads the
    scores of ``period`` (replayed by the plan with each share of :data:`BLENDS`), within the
    session's scope (``team``: that team's subtree)."""
    from salescore.analytics.balance import BLENDS, assists_in, blend_spread

    calendar = session.workspace.settings.calendar
    chosen = calendar.parse(period)
    start, end = calendar.utc_bounds(chosen)
    subject = _subject(session, None, team)
    mine = set(subject.reps) if subject.reps is not None else None
    teams = session.teams()
    if subject.kind == "team":
        from salescore.workspace.analyses import _subtree
        tree = _subtree(teams, str(subject.id))
        teams = [t for t in teams if t["team_id"] in tree]
    names = {t["team_id"]: t.get("name") for t in teams}
    by_team = {str(r["team_id"]): r for r in session.kpi_result(
        TEAM_KPIS, by="team", period=str(chosen)).table.to_pylist()}
    team_rows = [TeamBalance(
        team_id=t, name=names[t], revenue_won=_float(by_team.get(t, {}).get("revenue_won")),
        assisted_revenue_won=_assisted(by_team.get(t, {})),
        assisted_share=_float(by_team.get(t, {}).get("team_revenue_share")),
        assists_given=_int(by_team.get(t, {}).get("assists_given")),
        assists_received=_int(by_team.get(t, {}).get("assists_received")),
        cross_team_given=_int(by_team.get(t, {}).get("cross_team_assists")))
        for t in sorted(names)]
    team_of = {r["rep_id"]: r["team_id"] for r in session.reps()}
    rep_rows = [RepBalance(
        rep_id=str(r["rep_id"]), team_id=team_of.get(r["rep_id"]),
        assists_given=_int(r.get("assists_given")),
        assist_points=_float(r.get("assist_points")) or 0.0,
        assists_received=_int(r.get("assists_received")),
        cross_team_given=_int(r.get("cross_team_assists")),
        peer_collaboration_score=_float(r.get("peer_collaboration_score")))
        for r in session.kpi_result(REP_KPIS, by="rep", period=str(chosen)).table.to_pylist()
        if mine is None or r["rep_id"] in mine]
    rep_rows.sort(key=lambda r: r.rep_id)
    flows: dict[tuple[str | None, str | None], int] = {}
    for a in session.runner.rows(assists_in(start, end)):
        if mine is not None and a["helper_rep_id"] not in mine and a["helped_rep_id"] not in mine:
            continue
        key = (a["helper_team_id"], a["helped_team_id"])
        flows[key] = flows.get(key, 0) + 1
    whole = session.workspace.session(Scope.everything())
    plans = []
    roster = whole.scorecards.roster()
    for document in _plans_in_force(whole, chosen, None):
        members = roster.members(document.applies_to, chosen)
        if members.empty:
            continue
        scoring = _kept_scoring(whole, document, chosen, members)
        current = document.blend.individual
        shares = sorted({*BLENDS, current}, reverse=True)
        spreads, by_rep = [], {}
        for w in shares:
            blend = document.blend.model_copy(update={"individual": w, "team": 1.0 - w})
            scores = scoring.score(blend=blend)
            known = [float(v) for v in scores["score"] if _opt(v) is not None]
            spread, sd = blend_spread(known)
            spreads.append(BlendSpread(w, round(1.0 - w, 6), abs(w - current) < 1e-9, len(known),
                                       spread, sd))
            by_rep[w] = {str(k): _float(v) for k, v in scores["score"].items()}
        reps = [(r, [by_rep[w].get(r) for w in shares])
                for r in members["rep_id"].astype(str)
                if session.reach.has_rep(r) and (mine is None or r in mine)]
        plans.append(BlendScores(document.name, spreads, sorted(reps)))
    note = Text(
        f"{chosen}. Assisted revenue: won deals with at least one assist recorded on them. "
        "Cross-team: the helper's team is not the helped rep's. Blends: each plan scored "
        "again by the plan with another individual/team share; the spread is over every rep "
        "it scores.",
        f"{chosen}。协同成交金额：至少有一次协助记录的赢单商机。跨团队：协助者与被协助者不在同一团队。"
        "权重组合：按方案以不同的个人/团队权重重新评分；分布范围覆盖该方案评分的所有销售。")
    return BalanceReport(str(chosen), team_rows, rep_rows,
                         sorted(((h, g, n) for (h, g), n in flows.items()),
                                key=lambda f: (str(f[0]), str(f[1]))), plans, note)
