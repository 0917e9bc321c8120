"""Analyses: the funnel (with its bottleneck and the deals behind each step) and the sales
cycle, for a rep, a team (with its subtree) or the company, within the caller's scope.

Which deals count: the funnel follows the deals whose first stage entry falls in the period
(the entry cohort); the cycle the deals won or lost in the period. The peers a bottleneck is
found against are given as pooled counts alone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from salescore.app.cache import cached
from salescore.app.deps import LocaleDep, SessionDep
from salescore.app.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from salescore.app.problems import PROBLEM_RESPONSES
from salescore.app.schemas import TextOut, plain
from salescore.workspace.analyses import (
    MIN_TRAINEES,
    TRAINING_CONFIDENCE,
    TRAINING_MIN_PEERS,
    CourseImpact,
    CycleReport,
    CycleStats,
    Funnel,
    FunnelReport,
    TrainingReport,
    TrendReport,
)
from salescore.workspace.customer_analyses import RetentionReport, RfmReport

router = APIRouter(prefix="/analytics", tags=["analytics"], responses=PROBLEM_RESPONSES)

PeriodQuery = Annotated[str, Query(min_length=1, max_length=40,
                                   description="2025-03, 2025-Q1, FY2025, a..b, …")]
RepQuery = Annotated[str | None, Query(max_length=80, description="a rep's id")]
TeamQuery = Annotated[str | None, Query(max_length=80,
                                        description="a team's id (with its subtree)")]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class FunnelStepOut(_Out):
    stage: str
    label: TextOut
    reached: int = Field(description="Deals that entered this stage or a later one")
    went_on: int | None = Field(description="Of those, the deals that reached the next step")
    conversion: float | None
    drop_off: float | None
    dropped: int | None
    lost: int = Field(description="Deals whose furthest step this is, lost")
    still_open: int = Field(description="Deals whose furthest step this is, still open")


class FunnelOut(_Out):
    deals: int
    reps: int
    win_rate: float | None
    steps: list[FunnelStepOut]


class BottleneckOut(_Out):
    stage: str
    next_stage: str
    reached: int
    conversion: float
    peer_conversion: float
    shortfall: float = Field(description="Deals the peers' rate would have taken on")


class BreakdownOut(_Out):
    value: str | None
    funnel: FunnelOut


class FunnelReportOut(_Out):
    period: str
    subject_kind: Literal["rep", "team", "company"]
    subject_id: str | None
    funnel: FunnelOut
    peers: FunnelOut | None = Field(description="The peers' pooled funnel (no one's own)")
    peers_kind: Literal["team", "company"] | None
    bottleneck: BottleneckOut | None
    bottleneck_text: str
    breakdown: str | None
    by_value: list[BreakdownOut]


class DealOut(_Out):
    opportunity_id: str
    owner_rep_id: str
    status: str
    amount: float | None
    currency: str | None
    channel: str | None
    product: str | None
    segment: str | None
    first_entered_at: datetime


class FunnelDealsOut(_Out):
    total: int
    items: list[DealOut]
    next_cursor: str | None


class CycleStatsOut(_Out):
    status: str
    deals: int
    known: int
    unknown: int
    median_days: float | None
    mean_days: float | None
    bins: list[int]


class StageDaysOut(_Out):
    stage: str
    label: TextOut
    entries: int
    median_days: float | None
    mean_days: float | None


class CycleReportOut(_Out):
    period: str
    subject_kind: Literal["rep", "team", "company"]
    subject_id: str | None
    bins: list[str]
    won: CycleStatsOut
    lost: CycleStatsOut
    stages: list[StageDaysOut]


def _funnel_out(f: Funnel, report: FunnelReport) -> FunnelOut:
    return FunnelOut(deals=f.deals, reps=f.reps, win_rate=f.win_rate, steps=[FunnelStepOut(
        stage=s.stage, label=TextOut.of(report.labels[s.stage]), reached=s.reached,
        went_on=s.went_on, conversion=s.conversion, drop_off=s.drop_off, dropped=s.dropped,
        lost=s.lost, still_open=s.still_open) for s in f.steps])


def funnel_out(report: FunnelReport, locale: str) -> FunnelReportOut:
    b = report.bottleneck
    return FunnelReportOut(
        period=report.period, subject_kind=report.subject_kind, subject_id=report.subject_id,
        funnel=_funnel_out(report.funnel, report),
        peers=_funnel_out(report.peers, report) if report.peers else None,
        peers_kind=report.peers_kind,
        bottleneck=None if b is None else BottleneckOut(
            stage=b.stage, next_stage=b.next_stage, reached=b.reached, conversion=b.conversion,
            peer_conversion=b.peer_conversion, shortfall=b.shortfall),
        bottleneck_text=report.words.get(locale), breakdown=report.breakdown,
        by_value=[BreakdownOut(value=v, funnel=_funnel_out(f, report))
                  for v, f in report.by_value])


def _stats(s: CycleStats) -> CycleStatsOut:
    return CycleStatsOut(status=s.status, deals=s.deals, known=s.known, unknown=s.unknown,
                         median_days=s.median_days, mean_days=s.mean_days, bins=s.bins)


def cycle_out(report: CycleReport) -> CycleReportOut:
    return CycleReportOut(
        period=report.period, subject_kind=report.subject_kind, subject_id=report.subject_id,
        bins=report.bins, won=_stats(report.won), lost=_stats(report.lost),
        stages=[StageDaysOut(stage=s.stage, label=TextOut.of(report.labels[s.stage]),
                             entries=s.entries, median_days=s.median_days,
                             mean_days=s.mean_days) for s in report.stages])


@router.get("/funnel", response_model=FunnelReportOut,
            summary="The funnel of a rep, a team or the company, with its bottleneck")
@cached
def funnel(session: SessionDep, locale: LocaleDep, period: PeriodQuery, rep: RepQuery = None,
           team: TeamQuery = None,
           by: Annotated[Literal["channel", "product", "segment"] | None, Query(
               description="Split the funnel by the deal's channel, product or segment")] = None
           ) -> FunnelReportOut:
    return funnel_out(session.funnel(period=period, rep=rep, team=team, by=by), locale)


@router.get("/funnel/deals", response_model=FunnelDealsOut,
            summary="The deals behind one step of the funnel (they add up to its count)")
@cached
def funnel_deals(session: SessionDep, period: PeriodQuery,
                 stage: Annotated[str, Query(min_length=1, max_length=80)],
                 rep: RepQuery = None, team: TeamQuery = None,
                 by: Annotated[Literal["channel", "product", "segment"] | None, Query(
                     description="Only the deals of one row of the split by this")] = None,
                 value: Annotated[str | None, Query(
                     max_length=200, description="The row's value (none: unknown)")] = None,
                 limit: LimitQuery = 100, cursor: CursorQuery = None) -> FunnelDealsOut:
    start = decode_cursor(cursor, "funnel-deals") if cursor else 0
    if not isinstance(start, int):
        decode_cursor("", "funnel-deals")  # a 422 like any bad cursor
        raise AssertionError
    rows, total = session.funnel_deals(period=period, stage=stage, rep=rep, team=team,
                                       by=by, value=value, offset=start, limit=limit)
    end = start + limit
    return FunnelDealsOut(total=total, items=[DealOut(**{
        k: plain(r.get(k)) for k in DealOut.model_fields}) for r in rows],
        next_cursor=encode_cursor("funnel-deals", end) if end < total else None)


@router.get("/cycle", response_model=CycleReportOut,
            summary="Cycle lengths of the deals closed in a period, and days in each stage")
@cached
def cycle(session: SessionDep, period: PeriodQuery, rep: RepQuery = None,
          team: TeamQuery = None) -> CycleReportOut:
    return cycle_out(session.cycle(period=period, rep=rep, team=team))


# -- retention and customer behaviour (issue 11, parts 3 and 4) --------------------------------
class CohortOut(_Out):
    period: str = Field(description="The period of the cohort's first purchase")
    customers: int
    retained: list[int | None] = Field(
        description="Customers of the cohort buying in each later period (null: not observed)")
    shares: list[float | None]
    repeat_rate: float | None = Field(description="Share with two purchases or more")
    churn_rate: float | None = Field(description="Share with no purchase in the last days")


class RetentionOut(_Out):
    period: str
    grain: Literal["month", "quarter"]
    subject_kind: Literal["rep", "team", "company"]
    subject_id: str | None
    churn_days: int
    customers: int
    repeat_rate: float | None
    churn_rate: float | None
    cohorts: list[CohortOut]


class CustomerRfmOut(_Out):
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


class ShareOut(_Out):
    key: str | None
    label: TextOut
    customers: int
    revenue: float
    share: float | None


class AffinityOut(_Out):
    a: str
    b: str
    both: int = Field(description="Customers who bought both")
    then: int = Field(description="Of those, who bought a first and b later")
    support: float
    confidence: float = Field(description="Of the buyers of a, the share who bought b")
    lift: float


class RfmOut(_Out):
    period: str
    as_of: str
    subject_kind: Literal["rep", "team", "company"]
    subject_id: str | None
    customers: list[CustomerRfmOut]
    segments: list[ShareOut]
    channels: list[ShareOut]
    gaps: int
    median_gap_days: float | None
    mean_gap_days: float | None
    buyers: int
    pairs: list[AffinityOut]


def retention_out(report: RetentionReport) -> RetentionOut:
    return RetentionOut(
        period=report.period, grain=report.grain, subject_kind=report.subject_kind,
        subject_id=report.subject_id, churn_days=report.churn_days, customers=report.customers,
        repeat_rate=report.repeat_rate, churn_rate=report.churn_rate,
        cohorts=[CohortOut(period=c.period, customers=c.customers, retained=c.retained,
                           shares=c.shares, repeat_rate=c.repeat_rate, churn_rate=c.churn_rate)
                 for c in report.cohorts])


def rfm_out(report: RfmReport) -> RfmOut:
    def shares(items: list[Any]) -> list[ShareOut]:
        return [ShareOut(key=s.key, label=TextOut.of(s.label), customers=s.customers,
                         revenue=s.revenue, share=s.share) for s in items]

    return RfmOut(
        period=report.period, as_of=report.as_of.isoformat(), subject_kind=report.subject_kind,
        subject_id=report.subject_id,
        customers=[CustomerRfmOut(**vars(c)) for c in report.customers],
        segments=shares(report.segments), channels=shares(report.channels), gaps=report.gaps,
        median_gap_days=report.median_gap_days, mean_gap_days=report.mean_gap_days,
        buyers=report.buyers, pairs=[AffinityOut(**vars(p)) for p in report.pairs])


@router.get("/retention", response_model=RetentionOut,
            summary="Customer cohorts by first purchase and their retention")
@cached
def retention(session: SessionDep, period: PeriodQuery, rep: RepQuery = None,
              team: TeamQuery = None,
              grain: Annotated[Literal["month", "quarter"], Query(
                  description="Cohorts by month or by quarter")] = "month") -> RetentionOut:
    return retention_out(session.retention(period=period, grain=grain, rep=rep, team=team))


@router.get("/rfm", response_model=RfmOut,
            summary="RFM segments, purchase intervals, product affinity and revenue shares")
@cached
def rfm(session: SessionDep, period: PeriodQuery, rep: RepQuery = None,
        team: TeamQuery = None,
        top: Annotated[int, Query(ge=1, le=100, description="Product pairs kept")] = 10
        ) -> RfmOut:
    return rfm_out(session.rfm(period=period, rep=rep, team=team, top=top))
# -- training impact and market trends (issue 11, parts 8 and 9) ------------------------------
class EffectOut(_Out):
    kpi: str
    trainees: int = Field(description="Trainees counted: data in both windows")
    peers: int = Field(description="Untrained peers: reps in the regression who never "
                                   "completed the course")
    before: float | None
    after: float | None
    peers_before: float | None
    peers_after: float | None
    estimate: float | None = Field(description="Difference in differences (every course in one "
                                               "regression, rep and month fixed effects); "
                                               "null: not enough data")
    low: float | None
    high: float | None


class CourseImpactOut(_Out):
    course: str | None = Field(description="Null: every course of the kind, pooled")
    kind: str
    trainees: int = Field(description="Reps (within the scope) who completed it")
    effects: list[EffectOut]


class TrainingReportOut(_Out):
    first_month: str | None
    last_month: str | None
    window: int
    confidence: float
    min_trainees: int
    min_peers: int
    courses: list[CourseImpactOut]
    kinds: list[CourseImpactOut]
    note: str


class SeriesOut(_Out):
    value: str | None
    measure: str
    raw: list[float | None]
    adjusted: list[float | None] | None
    growth: float | None


class TrendReportOut(_Out):
    by: str
    months: list[str]
    adjusted: bool
    note: str
    words: dict[str, str]
    series: list[SeriesOut]


def _impact_out(c: CourseImpact) -> CourseImpactOut:
    return CourseImpactOut(course=c.course, kind=c.kind, trainees=c.trainees, effects=[
        EffectOut(kpi=e.kpi, trainees=e.trainees, peers=e.peers, before=e.before,
                  after=e.after, peers_before=e.peers_before, peers_after=e.peers_after,
                  estimate=e.estimate, low=e.low, high=e.high) for e in c.effects])


def training_out(report: TrainingReport, locale: str) -> TrainingReportOut:
    return TrainingReportOut(
        first_month=report.first_month, last_month=report.last_month, window=report.window,
        confidence=TRAINING_CONFIDENCE, min_trainees=MIN_TRAINEES, min_peers=TRAINING_MIN_PEERS,
        courses=[_impact_out(c) for c in report.courses],
        kinds=[_impact_out(c) for c in report.kinds], note=report.note.get(locale))


def trends_out(report: TrendReport, locale: str) -> TrendReportOut:
    return TrendReportOut(
        by=report.by, months=report.months, adjusted=report.adjusted,
        note=report.note.get(locale), words={m: t.get(locale) for m, t in report.words.items()},
        series=[SeriesOut(value=s.value, measure=s.measure, raw=s.raw, adjusted=s.adjusted,
                          growth=s.growth) for s in report.series])


@router.get("/training", response_model=TrainingReportOut,
            summary="Each course's effect on its trainees' KPIs (difference in differences)")
@cached
def training(session: SessionDep, locale: LocaleDep, rep: RepQuery = None,
             team: TeamQuery = None,
             window: Annotated[int, Query(ge=1, le=24, description="Months before and after"
                                          )] = 6) -> TrainingReportOut:
    return training_out(session.training(window=window, rep=rep, team=team), locale)


@router.get("/trends", response_model=TrendReportOut,
            summary="Revenue, deals and win rate by month, seasonally adjusted")
@cached
def trends(session: SessionDep, locale: LocaleDep,
           by: Annotated[Literal["company", "segment", "product", "region", "channel"], Query(
               description="Whose series: the company's or each value of a dimension")
           ] = "segment",
           months: Annotated[int, Query(ge=2, le=120, description="Complete months")] = 24
           ) -> TrendReportOut:
    return trends_out(session.trends(by=by, months=months), locale)


# -- strengths and weaknesses (issue 11, part 5) -----------------------------------------------
class StandingOut(_Out):
    kpi: str
    label: TextOut
    direction: str
    value: float | None
    peers: int = Field(description="Other reps under the same plan with a known value")
    peer_median: float | None
    percentile: float | None = Field(description="0–100 (100: better than every peer); null: "
                                                 "unknown, or too few peers")


class LeverOut(_Out):
    kpi: str
    label: TextOut
    value: float | None
    peer_median: float
    score: float | None
    new_score: float | None
    gain: float = Field(description="Score points the plan gives for reaching the median")
    rating: str | None
    new_rating: str | None


class RepStrengthsOut(_Out):
    rep_id: str
    team_id: str | None
    plan: str
    peers: int
    score: float | None
    rating: str | None
    strongest: list[str]
    weakest: list[str]
    levers: list[LeverOut]
    kpis: list[StandingOut]


class StrengthsOut(_Out):
    period: str
    plans: list[str]
    note: str
    reps: list[RepStrengthsOut]


def strengths_out(report: Any, locale: str) -> StrengthsOut:
    def label(kpi: str) -> TextOut:
        return TextOut.of(report.labels[kpi])

    return StrengthsOut(period=report.period, plans=report.plans,
                        note=report.note.get(locale), reps=[RepStrengthsOut(
        rep_id=r.rep_id, team_id=r.team_id, plan=r.plan, peers=r.peers, score=r.score,
        rating=r.rating, strongest=[s.kpi for s in r.strongest],
        weakest=[s.kpi for s in r.weakest],
        levers=[LeverOut(label=label(lv.kpi), **vars(lv)) for lv in r.levers],
        kpis=[StandingOut(kpi=s.kpi, label=label(s.kpi), direction=s.direction, value=s.value,
                          peers=s.peers, peer_median=s.peer_median, percentile=s.percentile)
              for s in r.kpis]) for r in report.reps])


@router.get("/strengths", response_model=StrengthsOut,
            summary="Each rep's percentile per KPI against the peers under the same plan, "
                    "strongest and weakest, and improvement levers")
@cached
def strengths(session: SessionDep, locale: LocaleDep, period: PeriodQuery,
              rep: RepQuery = None, team: TeamQuery = None,
              plan: Annotated[str | None, Query(max_length=80,
                                                description="Only this plan's reps")] = None,
              kpi: Annotated[list[str] | None, Query(
                  description="Only these KPIs (default: the catalogue)")] = None
              ) -> StrengthsOut:
    return strengths_out(session.strengths(period=period, rep=rep, team=team, plan=plan,
                                           kpis=kpi or None), locale)


# -- communication effectiveness (issue 11, part 6) --------------------------------------------
class RepCommunicationOut(_Out):
    rep_id: str
    deals: int = Field(description="Deals won or lost in the period")
    won: int
    win_rate: float | None
    touches_per_deal: float | None
    median_gap_days: float | None
    avg_response_hours: float | None
    reply_rate: float | None
    follow_up_rate: float | None


class CadenceBinOut(_Out):
    label: str
    deals: int
    won: int
    win_rate: float | None


class RelationOut(_Out):
    measure: str
    label: TextOut
    reps: int
    rho: float | None = Field(description="Spearman's rank correlation with the reps' win "
                                          "rates; null: not enough reps")
    p_value: float | None


class CommunicationOut(_Out):
    period: str
    subject_kind: Literal["rep", "team", "company"]
    subject_id: str | None
    note: str
    reps: list[RepCommunicationOut]
    touch_bins: list[CadenceBinOut]
    gap_bins: list[CadenceBinOut]
    no_gap: CadenceBinOut = Field(description="Deals with fewer than two touches")
    relations: list[RelationOut]


def communication_out(report: Any, locale: str) -> CommunicationOut:
    def bin_out(b: Any) -> CadenceBinOut:
        return CadenceBinOut(label=b.label, deals=b.deals, won=b.won, win_rate=b.win_rate)

    return CommunicationOut(
        period=report.period, subject_kind=report.subject_kind, subject_id=report.subject_id,
        note=report.note.get(locale),
        reps=[RepCommunicationOut(win_rate=r.win_rate, **vars(r)) for r in report.reps],
        touch_bins=[bin_out(b) for b in report.touch_bins],
        gap_bins=[bin_out(b) for b in report.gap_bins], no_gap=bin_out(report.no_gap),
        relations=[RelationOut(label=TextOut.of(report.labels[r.measure]), **vars(r))
                   for r in report.relations])


@router.get("/communication", response_model=CommunicationOut,
            summary="Follow-up cadence, response time and reply rate, and their relation to "
                    "the win rate")
@cached
def communication(session: SessionDep, locale: LocaleDep, period: PeriodQuery,
                  rep: RepQuery = None, team: TeamQuery = None) -> CommunicationOut:
    return communication_out(session.communication(period=period, rep=rep, team=team), locale)


# -- team and individual balance (issue 11, part 7) --------------------------------------------
class TeamBalanceOut(_Out):
    team_id: str
    name: str | None
    revenue_won: float | None
    assisted_revenue_won: float | None
    assisted_share: float | None = Field(description="Share of revenue won from assisted deals")
    assists_given: int
    assists_received: int
    cross_team_given: int


class RepBalanceOut(_Out):
    rep_id: str
    team_id: str | None
    assists_given: int
    assist_points: float
    assists_received: int
    cross_team_given: int
    peer_collaboration_score: float | None = Field(description="Mean collaboration score (1–5) "
                                                               "the rep received in peer reviews")


class FlowOut(_Out):
    helper_team_id: str | None = Field(description="Null: a team outside your scope")
    helped_team_id: str | None
    assists: int


class BlendOut(_Out):
    individual: float
    team: float
    current: bool
    scored: int
    range: float | None
    stdev: float | None


class BlendRepOut(_Out):
    rep_id: str
    scores: list[float | None] = Field(description="The rep's score under each blend, in order")


class PlanBlendsOut(_Out):
    plan: str
    blends: list[BlendOut]
    reps: list[BlendRepOut]


class BalanceOut(_Out):
    period: str
    note: str
    teams: list[TeamBalanceOut]
    reps: list[RepBalanceOut]
    flows: list[FlowOut]
    plans: list[PlanBlendsOut]


def balance_out(report: Any, locale: str) -> BalanceOut:
    return BalanceOut(
        period=report.period, note=report.note.get(locale),
        teams=[TeamBalanceOut(**vars(t)) for t in report.teams],
        reps=[RepBalanceOut(**vars(r)) for r in report.reps],
        flows=[FlowOut(helper_team_id=h, helped_team_id=g, assists=n)
               for h, g, n in report.flows],
        plans=[PlanBlendsOut(plan=p.plan, blends=[BlendOut(**vars(b)) for b in p.blends],
                             reps=[BlendRepOut(rep_id=r, scores=s) for r, s in p.reps])
               for p in report.plans])


@router.get("/balance", response_model=BalanceOut,
            summary="Assisted revenue, assists across teams, and how each plan's "
                    "individual/team blend spreads scores")
@cached
def balance(session: SessionDep, locale: LocaleDep, period: PeriodQuery,
            team: TeamQuery = None) -> BalanceOut:
    return balance_out(session.balance(period=period, team=team), locale)


# -- pipeline changes (issue 11, part 10) ----------------------------------------------------
class PipelineRowOut(_Out):
    kind: Literal["total", "team", "rep"]
    id: str | None
    name: str | None
    start: float = Field(description="Open pipeline expected to close in the window, at the "
                                     "first instant of `from` (reporting currency)")
    new: float = Field(description="Created after the start and in the pipeline at the end")
    pulled_in: float = Field(description="Older deals whose close date moved into the window "
                                         "(or that were reopened)")
    up: float = Field(description="Rise of the amounts of deals in the pipeline at the start")
    down: float = Field(description="Fall of the amounts of deals in the pipeline at the start")
    pushed: float = Field(description="Still open at the end, expected to close outside the "
                                      "window")
    won: float
    lost: float
    end: float = Field(description="start + new + pulled_in + up − down − pushed − won − lost")
    counts: dict[str, int] = Field(description="Deals per movement")
    deals: int
    unknown: int = Field(description="Deals that moved with an unknown amount (counted as 0)")


class PipelineChangesOut(_Out):
    start: str
    end: str
    close_from: str
    close_to: str
    close_period: str
    currency: str
    total: PipelineRowOut
    teams: list[PipelineRowOut]
    reps: list[PipelineRowOut]


def pipeline_changes_out(report: Any) -> PipelineChangesOut:
    def row(r: Any) -> PipelineRowOut:
        return PipelineRowOut(kind=r.kind, id=r.id, name=r.name,
                              **{k: float(v) for k, v in r.amounts().items()},
                              counts=r.counts, deals=r.deals, unknown=r.unknown)

    return PipelineChangesOut(
        start=report.start.isoformat(), end=report.end.isoformat(),
        close_from=report.close_from.isoformat(), close_to=report.close_to.isoformat(),
        close_period=report.close_period, currency=report.currency, total=row(report.total),
        teams=[row(t) for t in report.teams], reps=[row(r) for r in report.reps])


@router.get("/pipeline-changes", response_model=PipelineChangesOut,
            summary="How the pipeline moved between two days: new, pulled in, amount up and "
                    "down, pushed out, won, lost, per team and rep")
@cached
def pipeline_changes(session: SessionDep, start: Annotated[date, Query(alias="from")],
                     end: Annotated[date, Query(alias="to")],
                     close: Annotated[str | None, Query(
                         max_length=40, description="Expected close period (default: the "
                                                    "quarter of `to`)")] = None,
                     rep: RepQuery = None, team: TeamQuery = None) -> PipelineChangesOut:
    return pipeline_changes_out(session.pipeline_changes(start=start, end=end, close=close,
                                                         rep=rep, team=team))
