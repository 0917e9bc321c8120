"""Forecasts and predictions (issue 12), within the caller's scope: ``/forecast`` (revenue won
per month ahead per rep, team, company or dimension, with the backtest errors beside seasonal
naive's) and ``/predict/win`` (win probability of open opportunities, with reasons and the
model's held-out metrics). A rep gets their own series and deals, a manager their subtree's.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from salescore.app.cache import cached
from salescore.app.deps import LocaleDep, PrincipalDep, SessionDep
from salescore.app.problems import PROBLEM_RESPONSES
from salescore.workspace import Session

__all__ = ["router"]

router = APIRouter(tags=["forecasts and predictions"], responses=PROBLEM_RESPONSES)

AsOfQuery = Annotated[date | None, Query(description="The cut-off day (default: the data's "
                                                      "last day)")]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


MODEL_RECORD = "The stored model that predicts (null: none trained on this data yet)"


class ModelRefOut(_Out):
    """The stored model a prediction names (see ``GET /models``)."""

    id: int
    kind: str
    version: int
    name: str
    enough: bool = Field(description="False: not enough data, the feature shows its baseline")
    cutoff: datetime = Field(description="The end of the training window (UTC)")
    trained_at: datetime


class ModelOut(ModelRefOut):
    window_start: datetime | None
    features: list[str]
    params: dict[str, Any]
    metrics: dict[str, Any]
    note: str
    data_stamp: str
    rows: int
    seconds: float
    trained_by: str


def _ref(r: Any) -> ModelRefOut | None:
    if r is None:
        return None
    return ModelRefOut(id=r.id, kind=r.kind, version=r.version, name=r.name, enough=r.enough,
                       cutoff=r.cutoff, trained_at=r.trained_at)


class AccuracyOut(_Out):
    wape: float | None
    mape: float | None
    forecasts: int


class SeriesForecastOut(_Out):
    level: str
    key: str | None
    name: str
    parent: str | None
    method: str = Field(description="Chosen by backtest; the baseline when not enough data")
    enough: bool = Field(description="False: not enough history, the baseline is shown")
    history: list[float]
    forecast: list[float] = Field(description="Reconciled point per month ahead")
    low: list[float] = Field(description="80 % interval")
    high: list[float]
    pipeline: list[float] | None = Field(description="Weighted pipeline per month ahead")
    combined: list[float]
    accuracy: AccuracyOut | None
    baseline: AccuracyOut | None = Field(description="Seasonal naive's backtest errors")


class ForecastOut(_Out):
    as_of: date
    by: str
    months: list[str]
    ahead: list[str]
    reconciled: bool
    enough: bool
    note: str
    win_model: str
    series: list[SeriesForecastOut]
    model_record: ModelRefOut | None = Field(default=None, description=MODEL_RECORD)


class ReasonOut(_Out):
    feature: str
    value: float | str | None
    effect: float = Field(description="How far the probability moves against a typical value")


class WinPredictionOut(_Out):
    opportunity_id: str
    owner_rep_id: str | None
    customer_id: str | None
    product: str | None
    stage: str | None
    amount: float | None
    expected_close_date: date | None
    probability: float | None
    baseline: float | None
    reasons: list[ReasonOut]


class ReliabilityOut(_Out):
    low: float
    high: float
    count: int
    predicted: float | None
    observed: float | None


class WinMetricsOut(_Out):
    split: str
    train_rows: int
    test_rows: int
    auc: float | None
    brier: float | None
    ece: float | None
    baseline_auc: float | None
    baseline_brier: float | None
    reliability: list[ReliabilityOut]


class WinOut(_Out):
    as_of: date
    model: str
    enough: bool
    note: str
    train_rows: int
    metrics: WinMetricsOut | None
    total: int
    predictions: list[WinPredictionOut]
    model_record: ModelRefOut | None = Field(default=None, description=MODEL_RECORD)


def _as_of(session: Session, as_of: date | None) -> date:
    if as_of is not None:
        return as_of
    last = session.data_last_day()
    return last if last is not None else date.today()


def _acc(a: object) -> AccuracyOut | None:
    if a is None:
        return None
    return AccuracyOut(wape=a.wape, mape=a.mape, forecasts=a.forecasts)  # type: ignore[attr-defined]


@router.get("/forecast", response_model=ForecastOut,
            summary="Revenue won per month ahead, chosen by backtest against seasonal naive")
@cached
def forecast(session: SessionDep, locale: LocaleDep,
             by: Annotated[Literal["rep", "team", "company", "all", "product", "channel",
                                   "segment", "region"], Query()] = "team",
             horizon: Annotated[int, Query(ge=1, le=12)] = 3,
             as_of: AsOfQuery = None) -> ForecastOut:
    r = session.ml.forecast(_as_of(session, as_of), by=by, horizon=horizon)
    return ForecastOut(
        as_of=r.as_of, by=r.by, months=r.months, ahead=r.ahead, reconciled=r.reconciled,
        enough=r.enough, note=r.note.get(locale), win_model=r.win_model,
        model_record=_ref(r.record), series=[SeriesForecastOut(
            level=n.level, key=n.key, name=n.name, parent=n.parent, method=n.base.method,
            enough=n.base.enough, history=n.history, forecast=n.point, low=n.low, high=n.high,
            pipeline=n.pipeline, combined=n.combined, accuracy=_acc(n.base.accuracy),
            baseline=_acc(n.base.baseline)) for n in r.nodes])


@router.get("/predict/win", response_model=WinOut,
            summary="Win probability of open opportunities, with reasons and held-out metrics")
@cached
def predict_win(session: SessionDep, locale: LocaleDep,
                rep: Annotated[str | None, Query(max_length=80)] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 50,
                as_of: AsOfQuery = None) -> WinOut:
    if rep is not None:
        session.require_rep(rep)
    r = session.ml.win(_as_of(session, as_of), reps=[rep] if rep else None, limit=limit)
    m = r.metrics
    return WinOut(
        as_of=r.as_of, model=r.model, enough=r.enough, note=r.note.get(locale),
        train_rows=r.train_rows, total=r.total, model_record=_ref(r.record),
        metrics=None if m is None else WinMetricsOut(
            split=str(m.split), train_rows=m.train_rows, test_rows=m.test_rows, auc=m.auc,
            brier=m.brier, ece=m.ece, baseline_auc=m.baseline_auc,
            baseline_brier=m.baseline_brier,
            reliability=[ReliabilityOut(low=b.low, high=b.high, count=b.count,
                                        predicted=b.predicted, observed=b.observed)
                         for b in m.reliability]),
        predictions=[WinPredictionOut(
            opportunity_id=p.opportunity_id, owner_rep_id=p.owner_rep_id,
            customer_id=p.customer_id, product=p.product, stage=p.stage, amount=p.amount,
            expected_close_date=p.expected_close_date, probability=p.probability,
            baseline=p.baseline,
            reasons=[ReasonOut(feature=x.feature, value=x.value, effect=x.effect)
                     for x in p.reasons]) for p in r.predictions])


class CheckpointOut(_Out):
    checkpoint: int
    elapsed: float = Field(description="Share of the period elapsed")
    reps: int
    mae: float | None = Field(description="Mean absolute error in attainment (0.1 = 10 points)")
    baseline_mae: float | None = Field(description="The run-rate baseline's")
    below: int = Field(description="Reps who ended below 70 %")
    flagged: int
    caught: int
    recall: float | None
    precision: float | None
    low: float
    high: float


class AttainmentBacktestOut(_Out):
    periods: list[str]
    tested: list[str]
    reliable_from: int | None = Field(description="The first checkpoint from which the error "
                                                  "stays within 15 points")
    checkpoints: list[CheckpointOut]


class RepAttainmentOut(_Out):
    rep_id: str
    name: str
    team_id: str | None
    target: float | None
    won: float
    pipeline: float
    run_rate: float = Field(description="The run rate times the days left")
    expected: float
    attainment: float | None
    low: float | None = Field(description="80 % interval (none without enough data)")
    high: float | None
    baseline: float | None = Field(description="Won plus the run rate, over the target")
    at_risk: bool | None


class AttainmentOut(_Out):
    as_of: date
    period: str
    grain: str
    checkpoint: int
    elapsed: float
    model: str
    win_model: str
    enough: bool
    note: str
    backtest: AttainmentBacktestOut
    reps: list[RepAttainmentOut]
    model_record: ModelRefOut | None = Field(default=None, description=MODEL_RECORD)


@router.get("/predict/attainment", response_model=AttainmentOut,
            summary="Each rep's expected attainment at the period's end, interval, at-risk flag")
@cached
def predict_attainment(session: SessionDep, locale: LocaleDep,
                       grain: Annotated[Literal["month", "quarter"], Query()] = "quarter",
                       as_of: AsOfQuery = None) -> AttainmentOut:
    r = session.ml.attainment(_as_of(session, as_of), grain=grain)
    t = r.backtest
    return AttainmentOut(
        as_of=r.as_of, period=r.period, grain=r.grain, checkpoint=r.checkpoint,
        elapsed=r.elapsed, model=r.model, win_model=r.win_model, enough=r.enough,
        note=r.note.get(locale), model_record=_ref(r.record),
        backtest=AttainmentBacktestOut(
            periods=t.periods, tested=t.tested, reliable_from=t.reliable_from,
            checkpoints=[CheckpointOut(**vars(c)) for c in t.checkpoints]),
        reps=[RepAttainmentOut(
            rep_id=x.rep_id, name=x.name, team_id=x.team_id, target=x.target, won=x.won,
            pipeline=x.pipeline, run_rate=x.run, expected=x.expected, attainment=x.attainment,
            low=x.low, high=x.high, baseline=x.baseline, at_risk=x.at_risk) for x in r.reps])


class ActionOut(_Out):
    kind: Literal["stale_deal", "deal_at_risk", "quiet_customer", "training"]
    stake: float = Field(description="The money at stake (what the list is ranked by)")
    title: str
    reason: str
    records: list[str] = Field(description="Deal, customer or rep ids")
    link: str = Field(description="Where the records open in the app")
    course: str | None
    peer_rep_id: str | None


class RepActionsOut(_Out):
    rep_id: str
    name: str
    team_id: str | None
    actions: list[ActionOut]


class ActionsOut(_Out):
    as_of: date
    model: str
    enough: bool
    note: str
    reps: list[RepActionsOut]
    model_record: ModelRefOut | None = Field(default=None, description=MODEL_RECORD)


@router.get("/recommend", response_model=ActionsOut,
            summary="Next best actions per rep, ranked, with reasons and links (a manager: "
                    "the team's coaching list)")
@cached
def recommend(session: SessionDep, locale: LocaleDep,
              rep: Annotated[str | None, Query(max_length=80)] = None,
              as_of: AsOfQuery = None) -> ActionsOut:
    if rep is not None:
        session.require_rep(rep)
    r = session.ml.actions(_as_of(session, as_of), rep=rep)
    return ActionsOut(
        as_of=r.as_of, model=r.model, enough=r.enough, note=r.note.get(locale),
        model_record=_ref(r.record),
        reps=[RepActionsOut(rep_id=x.rep_id, name=x.name, team_id=x.team_id, actions=[
            ActionOut(kind=a.kind, stake=a.stake, title=a.title.get(locale),
                      reason=a.reason.get(locale), records=a.records, link=a.link,
                      course=a.course, peer_rep_id=a.peer_rep_id) for a in x.actions])
              for x in r.reps])


class FairnessOut(_Out):
    scheme: Literal["recommended", "flat", "plan"]
    reps: int
    mean: float | None = Field(description="Mean attainment (actual over target)")
    spread: float | None = Field(description="Standard deviation of attainment")
    gini: float | None
    below: float | None = Field(description="Share of reps below 70 %")


class TargetRowOut(_Out):
    rep_id: str
    name: str
    team_id: str | None
    current: float | None = Field(description="The target set now for the period, if any")
    recommended: float
    explanation: str


class TargetsOut(_Out):
    as_of: date
    period: str
    total: float
    total_from: Literal["plan", "history"]
    enough: bool
    note: str
    fairness_period: str | None
    fairness: list[FairnessOut]
    rows: list[TargetRowOut]


class AcceptIn(_Out):
    model_config = ConfigDict(frozen=True, extra="forbid")
    period: str = Field(max_length=40)
    rep: str | None = Field(default=None, max_length=80)
    team: str | None = Field(default=None, max_length=80)


class AcceptedOut(_Out):
    period: str
    reps: list[str]
    values: list[float]


def _targets_out(r: object, locale: str) -> TargetsOut:
    return TargetsOut(
        as_of=r.as_of, period=r.period, total=r.total,  # type: ignore[attr-defined]
        total_from=r.total_from, enough=r.enough,  # type: ignore[attr-defined]
        note=r.note.get(locale),  # type: ignore[attr-defined]
        fairness_period=r.fairness_period,  # type: ignore[attr-defined]
        fairness=[FairnessOut(**vars(f)) for f in r.fairness],  # type: ignore[attr-defined]
        rows=[TargetRowOut(rep_id=x.rep_id, name=x.name, team_id=x.team_id, current=x.current,
                           recommended=x.recommended, explanation=x.explanation.get(locale))
              for x in r.rows])  # type: ignore[attr-defined]


@router.get("/targets/recommend", response_model=TargetsOut,
            summary="Recommended revenue target per rep, explained, with a fairness report")
@cached
def recommend_targets(session: SessionDep, locale: LocaleDep,
                      period: Annotated[str | None, Query(max_length=40)] = None,
                      as_of: AsOfQuery = None) -> TargetsOut:
    return _targets_out(session.ml.targets(_as_of(session, as_of), period=period), locale)


@router.post("/targets/recommend/accept", response_model=AcceptedOut,
             summary="Accept one rep's or a team's recommended targets (audited)")
def accept_targets(session: SessionDep, principal: PrincipalDep, body: AcceptIn,
                   as_of: AsOfQuery = None) -> AcceptedOut:
    changes = session.ml.accept_targets(_as_of(session, as_of), period=body.period,
                                        actor=principal.username, rep=body.rep,
                                        team=body.team)
    return AcceptedOut(period=body.period, reps=[c.scope_id for c in changes],
                       values=[c.after for c in changes])


class CustomerReasonOut(_Out):
    feature: str
    name: str
    contribution: float


class CustomerOut(_Out):
    customer_id: str
    name: str | None
    owner_rep_id: str | None
    segment: str | None
    score: float = Field(description="Expected revenue of the next 180 days (baseline: the "
                                     "last year's revenue)")
    revenue_year: float
    days_since_order: float | None
    reasons: list[CustomerReasonOut]


class CustomersOut(_Out):
    as_of: date
    model: str
    enough: bool
    note: str
    check: dict[str, float | None]
    total: int
    customers: list[CustomerOut]
    model_record: ModelRefOut | None = Field(default=None, description=MODEL_RECORD)


@router.get("/predict/customers", response_model=CustomersOut,
            summary="High-potential customers with their reasons (by owner, within the scope)")
@cached
def predict_customers(session: SessionDep, locale: LocaleDep,
                      limit: Annotated[int, Query(ge=1, le=500)] = 50,
                      as_of: AsOfQuery = None) -> CustomersOut:
    r = session.ml.customers(_as_of(session, as_of), limit=limit)
    return CustomersOut(
        as_of=r.as_of, model=r.model, enough=r.enough, note=r.note.get(locale),
        check=r.check, total=r.total, model_record=_ref(r.record),
        customers=[CustomerOut(
            customer_id=c.customer_id, name=c.name, owner_rep_id=c.owner_rep_id,
            segment=c.segment, score=c.score, revenue_year=c.revenue_year,
            days_since_order=c.days_since_order,
            reasons=[CustomerReasonOut(feature=f, name=n.get(locale), contribution=v)
                     for f, n, v in c.reasons]) for c in r.customers])


@router.get("/models", response_model=list[ModelOut],
            summary="The trained models, newest first (admins and executives)")
def models(session: SessionDep, locale: LocaleDep,
           kind: Annotated[Literal["win", "forecast", "attainment", "potential"] | None,
                           Query()] = None,
           limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[ModelOut]:
    return [ModelOut(id=r.id, kind=r.kind, version=r.version, name=r.name, enough=r.enough,
                     cutoff=r.cutoff, trained_at=r.trained_at, window_start=r.window_start,
                     features=r.features, params=r.params, metrics=r.metrics,
                     note=r.note.get(locale), data_stamp=r.data_stamp, rows=r.rows,
                     seconds=r.seconds, trained_by=r.trained_by)
            for r in session.ml.models(kind=kind, limit=limit)]
