"""The models as one session reaches them: ``session.ml``.

:class:`MlService` holds the session's scoped runner (what the caller may see), a runner over
the whole organisation (the win model is the organisation's: it learns from every closed deal,
and only the caller's deals are predicted and shown), the session's KPI engine (the revenue
series are the ``revenue_won`` KPI, as every page shows it) and the organisation's settings.
Trained win models are kept per warehouse and cut-off for the life of the process.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from salescore.core.errors import SalescoreError
from salescore.core.periods import Grain
from salescore.core.scope import AccessError, OutOfScope
from salescore.core.text import Text
from salescore.engine.kpis import KpiEngine, KpiRequest
from salescore.engine.runner import Reach, Runner
from salescore.ml.actions import Action, course_impacts, next_actions
from salescore.ml.attainment import (
    AT_RISK,
    BACKTEST_PERIODS,
    CHECKPOINTS,
    FLAG_LINE,
    MIN_PERIODS,
    MIN_REP_PERIODS,
    AttainmentBacktest,
    PeriodWindow,
    backtest,
    checkpoint_of,
    rep_inputs,
)
from salescore.ml.features import FEATURES, snapshot
from salescore.ml.forecast import (
    MIN_MONTHS,
    ORIGINS,
    SeriesForecast,
    baseline_forecast,
    forecast_series,
    reconcile,
)
from salescore.ml.history import History, read_history, truncate
from salescore.ml.potential import FEATURE_NAMES as POTENTIAL_NAMES
from salescore.ml.potential import (
    HORIZON_DAYS,
    MIN_CUSTOMERS,
    MIN_DAYS,
    PotentialModel,
    customer_features,
    fit,
    score_check,
)
from salescore.ml.potential import NUMERIC as POTENTIAL_FEATURES
from salescore.ml.records import KINDS, ModelRecord, ModelRegistry, TrainedModel, TrainingRun
from salescore.ml.targets import FairnessRow, Potential, fairness_row, potentials
from salescore.ml.win import (
    MAX_FIT_ROWS,
    PAST_FIT_ROWS,
    Reason,
    WinMetrics,
    WinModel,
    evaluate,
    train,
)
from salescore.model.org import OrgSettings

__all__ = ["DIMENSIONS", "ActionsReport", "AttainmentReport", "CustomerPotential",
           "CustomersReport", "ForecastNode", "ForecastReport",
           "MlError", "MlService", "RepActions", "RepAttainment", "TargetReport", "TargetRow",
           "WinPrediction", "WinReport"]

Level = Literal["company", "team", "rep", "product", "channel", "segment", "region"]
DIMENSIONS = ("product", "channel", "segment", "region")
PIPELINE_WEIGHTS = (0.3, 0.2)  # the pipeline's share of the combination, months 1 and 2 (fixed)
KPI = "revenue_won"


class MlError(SalescoreError):
    """A request the models cannot answer (an unknown level, a horizon out of range)."""


@dataclass(frozen=True)
class ForecastNode:
    """One series: who (level, key, name, parent in the hierarchy), its monthly history, the
    statistical forecast as chosen per series (``base``), the reconciled point and interval
    (equal to the base where there is no hierarchy), the weighted pipeline per month (``None``
    where the level has none) and the combination."""

    level: str
    key: str | None
    name: str
    parent: str | None
    history: list[float]
    base: SeriesForecast
    point: list[float]
    low: list[float]
    high: list[float]
    pipeline: list[float] | None
    combined: list[float]
    baseline: list[float] = field(default_factory=list)  # seasonal naive (naive) per month


@dataclass(frozen=True)
class ForecastReport:
    as_of: date
    model: str
    months: list[str]  # of history
    ahead: list[str]  # forecast months, the first holding the as-of day
    by: str
    nodes: list[ForecastNode]
    reconciled: bool
    enough: bool
    note: Text
    win_model: str
    record: ModelRecord | None = None  # the stored model this forecast's selection is


@dataclass(frozen=True)
class WinPrediction:
    opportunity_id: str
    owner_rep_id: str | None
    customer_id: str | None
    product: str | None
    stage: str | None
    amount: float | None
    expected_close_date: date | None
    probability: float | None
    baseline: float | None
    reasons: list[Reason]


@dataclass(frozen=True)
class WinReport:
    as_of: date
    model: str
    enough: bool
    note: Text
    train_rows: int
    training_from: datetime | None
    metrics: WinMetrics | None
    predictions: list[WinPrediction]
    total: int
    record: ModelRecord | None = None  # the stored win model that predicts


@dataclass(frozen=True)
class RepAttainment:
    """One rep's expected revenue won at the period's end (``won`` so far, the weighted
    ``pipeline`` and the ``run`` rate's share, weighted), against ``target``: the expected
    attainment with its 80 % interval (``None`` without a target or, for the interval, without
    enough data), the run-rate baseline's attainment, and the at-risk flag."""

    rep_id: str
    name: str
    team_id: str | None
    target: float | None
    won: float
    pipeline: float
    run: float
    expected: float
    attainment: float | None
    low: float | None
    high: float | None
    baseline: float | None
    at_risk: bool | None


@dataclass(frozen=True)
class AttainmentReport:
    as_of: date
    period: str
    grain: str
    checkpoint: int  # of CHECKPOINTS, the last one passed
    elapsed: float
    model: str
    win_model: str
    enough: bool
    note: Text
    backtest: AttainmentBacktest
    reps: list[RepAttainment]
    record: ModelRecord | None = None  # the stored attainment weights


@dataclass(frozen=True)
class RepActions:
    rep_id: str
    name: str
    team_id: str | None
    actions: list[Action]


@dataclass(frozen=True)
class ActionsReport:
    """Next best actions of every rep in the scope (a manager's coaching list), or of one."""

    as_of: date
    model: str
    enough: bool
    note: Text
    courses: int  # kinds of course with enough trainees to estimate their effect
    reps: list[RepActions]
    record: ModelRecord | None = None  # the stored win model that ranks the deals at risk


@dataclass(frozen=True)
class TargetRow:
    """One rep's recommended ``revenue_won`` target for the period, the target set now (if
    any), and why."""

    rep_id: str
    name: str
    team_id: str | None
    current: float | None
    recommended: float
    explanation: Text
    potential: Potential | None


@dataclass(frozen=True)
class TargetReport:
    as_of: date
    period: str
    grain: str
    total: float
    total_from: str  # "plan": the plan's targets for the period, summed; "history"
    enough: bool
    note: Text
    rows: list[TargetRow]
    fairness_period: str | None
    fairness: list[FairnessRow]


@dataclass(frozen=True)
class CustomerPotential:
    customer_id: str
    name: str | None
    owner_rep_id: str | None
    segment: str | None
    score: float  # expected revenue of the next 180 days (the baseline: last year's)
    revenue_year: float
    days_since_order: float | None
    reasons: list[tuple[str, Text, float]]  # feature, its name, contribution


@dataclass(frozen=True)
class CustomersReport:
    as_of: date
    model: str
    enough: bool
    note: Text
    check: dict[str, float | None]
    total: int
    customers: list[CustomerPotential]
    record: ModelRecord | None = None  # the stored potential model


_MODELS: dict[tuple[int, datetime, int], WinModel] = {}
KEPT_MODELS = 32  # win models kept per process (each a few MB)
_ACTIONS: dict[tuple[Any, ...], tuple[WinModel, int, list[Action], pd.DataFrame]] = {}
_HISTORY: dict[tuple[int, datetime, str], History] = {}
_STAMPS: dict[int, str] = {}  # per warehouse: the data stamp the kept models were trained on
_LOCK = threading.Lock()


def _month_label(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


class MlService:
    """Forecasts and predictions within one session's scope (see the module)."""

    def __init__(self, runner: Runner, everyone: Runner, engine: KpiEngine,
                 settings: OrgSettings, set_target: Callable[..., Any] | None = None,
                 registry: ModelRegistry | None = None) -> None:
        self.runner = runner
        self.everyone = everyone
        self.engine = engine
        self.settings = settings
        self._set_target = set_target  # the workspace's audited path into the targets table
        self._registry = registry  # where trained models are recorded (the app store)

    @property
    def reach(self) -> Reach:
        return self.runner.reach

    # -- the cut-off ---------------------------------------------------------------------------
    def cutoff(self, as_of: date) -> datetime:
        """The first instant (naive UTC) after local day ``as_of``: what the models see ends
        there."""
        cal = self.settings.calendar
        return cal.utc_bounds(cal.parse(f"{as_of}..{as_of}"))[1]

    def stage_order(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.settings.pipeline.stages)

    def history(self, as_of: date, *, everyone: bool = True,
                stamp: str | None = None) -> History:
        """What the models see at ``as_of``'s cut-off: the organisation's (``everyone``) or
        the scope's rows. The organisation's is kept for the process's life, one cut-off at a
        time, while the data stamp (``stamp``, computed when not given) stays the same: reading
        it is most of a prediction's time on a large organisation."""
        cutoff = self.cutoff(as_of)
        if not everyone:
            return read_history(self.runner, cutoff)
        key = (id(self.everyone.backend), cutoff, stamp or self.data_stamp())
        with _LOCK:
            kept = _HISTORY.get(key)
        if kept is not None:
            return kept
        history = read_history(self.everyone, cutoff)
        with _LOCK:
            _HISTORY.clear()  # one kept: a history is the size of the activities
            _HISTORY[key] = history
        return history

    # -- models as records ---------------------------------------------------------------------
    def data_stamp(self) -> str:
        """What changes when data is imported (see :meth:`_stamp`), as a short hash."""
        return hashlib.sha256(repr(self._stamp()).encode()).hexdigest()[:16]

    def record(self, kind: str, as_of: date, stamp: str | None = None) -> ModelRecord | None:
        """The stored model of ``kind`` trained at ``as_of``'s cut-off on the data as it is
        now (``stamp``, computed when not given): the one a prediction names (``None``: not
        trained yet on this data)."""
        if self._registry is None:
            return None
        return self._registry.find(kind, self.cutoff(as_of), stamp or self.data_stamp())

    def models(self, *, kind: str | None = None, limit: int = 100) -> list[ModelRecord]:
        """The stored models, newest first: the organisation's, for a scope that reaches
        everything (admin, executive)."""
        if not self.reach.everything:
            raise AccessError("the models are the organisation's: admins and executives see them",
                              message_zh="模型属于整个组织：仅管理员和高管可查看")
        if kind is not None and kind not in KINDS:
            raise MlError(f"a model kind is one of {', '.join(KINDS)}, not {kind!r}",
                          message_zh=f"模型类型应为 {', '.join(KINDS)} 之一，而不是 {kind!r}")
        return [] if self._registry is None else self._registry.records(kind, limit)

    def train(self, as_of: date, *, kinds: Sequence[str] = KINDS, actor: str = "system",
              budget: float | None = None) -> TrainingRun:
        """Train the models of ``kinds`` at ``as_of``'s cut-off on the whole organisation and
        store each as the next version of its kind (the models kept in memory are dropped
        first when the data changed since they were trained). With ``budget`` (seconds), the
        kinds not started by then are left out (``skipped``); a kind that has started
        finishes, and the first always runs."""
        if not self.reach.everything:
            raise AccessError("training uses the whole organisation's data",
                              message_zh="训练需要整个组织的数据")
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise MlError(f"a model kind is one of {', '.join(KINDS)}, not {unknown[0]!r}",
                          message_zh=f"模型类型应为 {', '.join(KINDS)} 之一，而不是 {unknown[0]!r}")
        started = time.perf_counter()
        stamp = self.data_stamp()
        backend = id(self.everyone.backend)
        with _LOCK:
            if _STAMPS.get(backend) != stamp:
                for key in [k for k in _MODELS if k[0] == backend]:
                    _MODELS.pop(key)
                for key in [k for k in _ACTIONS if k[0] == backend]:
                    _ACTIONS.pop(key)
                _STAMPS[backend] = stamp
        history = self.history(as_of, stamp=stamp)
        stored: list[ModelRecord] = []
        skipped: list[str] = []
        # One BLAS and OpenMP thread for the whole training: the fits are small, and on a
        # shared machine idle threads spinning for work made an ETS fit ten times dearer in CPU
        # (bench/results/ml.md).
        with threadpool_limits(limits=1):
            for kind in [k for k in KINDS if k in kinds]:
                if budget is not None and stored and time.perf_counter() - started > budget:
                    skipped.append(kind)
                    continue
                trained = self._train_one(kind, as_of, history)
                if self._registry is not None:
                    stored.append(self._registry.add(trained, stamp, actor))
        return TrainingRun(stored, skipped, time.perf_counter() - started)

    def _train_one(self, kind: str, as_of: date, history: History) -> TrainedModel:
        started = time.perf_counter()
        cutoff = self.cutoff(as_of)
        first = history.first_day()
        if kind == "win":
            model = self.win_model(as_of, history=history, metrics=True)
            m = model.metrics
            metrics: dict[str, Any] = {} if m is None else {
                "auc": m.auc, "brier": m.brier, "ece": m.ece, "baseline_auc": m.baseline_auc,
                "baseline_brier": m.baseline_brier, "split": m.split.isoformat(),
                "train_rows": m.train_rows, "test_rows": m.test_rows}
            return TrainedModel(
                "win", model.name.split("@")[0], model.enough, model.first, cutoff,
                list(FEATURES), {"estimator": "HistGradientBoostingClassifier",
                                 "calibration": "isotonic on a quarter of the deals held out",
                                 "random_state": 0, "threads": 1, "snapshots": "monthly"},
                _clean(metrics), model.note if model.note.en else _enough_note(model.enough),
                model.train_rows, time.perf_counter() - started)
        if kind == "forecast":
            report = self.forecast(as_of, by="all", horizon=3)
            methods: dict[str, int] = {}
            levels: dict[str, dict[str, Any]] = {}
            for n in report.nodes:
                methods[n.base.method] = methods.get(n.base.method, 0) + 1
                acc, base = n.base.accuracy, n.base.baseline
                if acc is None or base is None or acc.wape is None or base.wape is None:
                    continue
                lv = levels.setdefault(n.level, {"series": 0, "wape": 0.0, "naive_wape": 0.0,
                                                 "beats_or_ties": 0})
                lv["series"] += 1
                lv["wape"] += acc.wape
                lv["naive_wape"] += base.wape
                lv["beats_or_ties"] += int(acc.wape <= base.wape + 1e-12)
            for lv in levels.values():  # mean over the series of the level
                lv["wape"] /= lv["series"]
                lv["naive_wape"] /= lv["series"]
            months = [date.fromisoformat(f"{m}-01") for m in report.months]
            return TrainedModel(
                "forecast", "forecast-selection" if report.enough else "forecast-baseline",
                report.enough, None if not months else datetime(months[0].year,
                                                                months[0].month, 1),
                cutoff, ["revenue_won per month", "open opportunities x win probability"],
                {"candidates": ["seasonal_naive", "ets", "arima", "theta"],
                 "origins": ORIGINS, "min_months": MIN_MONTHS, "reconciliation": "OLS",
                 "pipeline_weights": list(PIPELINE_WEIGHTS), "win_model": report.win_model},
                _clean({"series": len(report.nodes), "methods": methods, "levels": levels,
                        "months": len(report.months)}),
                report.note, len(report.nodes) * len(report.months),
                time.perf_counter() - started)
        if kind == "attainment":
            att = self.attainment(as_of, grain="quarter")
            test = att.backtest
            return TrainedModel(
                "attainment", "attainment-weights" if test.enough else "attainment-baseline",
                test.enough, first, cutoff, ["won so far", "weighted pipeline", "run rate"],
                {"grain": "quarter", "coefficients": [list(c) for c in test.coefficients],
                 "flag_line": FLAG_LINE, "at_risk": AT_RISK},
                _clean({"periods": test.periods, "tested": test.tested,
                        "reliable_from": test.reliable_from,
                        "checkpoints": [asdict(c) for c in test.checkpoints]}),
                att.note, len(att.reps), time.perf_counter() - started)
        if kind == "potential":
            frame, fitted, check, _, enough = self._potential(history)
            coef: list[float] = []
            if fitted is not None and fitted.estimator is not None:
                coef = [float(v) for v in np.asarray(
                    fitted.estimator.coef_)[0]]  # type: ignore[attr-defined]
            return TrainedModel(
                "potential", "potential-logit" if enough else "potential-baseline", enough,
                first, cutoff, [*POTENTIAL_FEATURES, "segment"],
                {"estimator": "LogisticRegression", "horizon_days": HORIZON_DAYS,
                 "coefficients": coef}, _clean(dict(check)),
                _enough_note(enough), len(frame), time.perf_counter() - started)
        raise MlError(f"unknown model kind {kind!r}", message_zh=f"未知的模型类型 {kind!r}")

    # -- win probability -----------------------------------------------------------------------
    def _model_at(self, cutoff: datetime, history: History,
                  rows: int = MAX_FIT_ROWS) -> WinModel:
        """The organisation's win model trained on everything before ``cutoff`` (``history``
        reaches at least that far) on at most about ``rows`` snapshots, kept for the process's
        life: one training per cut-off, however many requests ask for it. The models of past
        cut-offs that only weigh pipelines (attainment and its backtest, the targets' fairness
        check) take :data:`PAST_FIT_ROWS`: on the medium demo each would otherwise fit 200,000
        snapshots, and a pipeline's sum moves little with a slightly weaker model."""
        key = (id(self.everyone.backend), cutoff, rows)
        with _LOCK:
            if key in _MODELS:
                return _MODELS[key]
            h = history if history.cutoff == cutoff else truncate(history, cutoff)
            model = train(h, self.stage_order(), rows)
            while len(_MODELS) >= KEPT_MODELS:
                _MODELS.pop(next(iter(_MODELS)))
            _MODELS[key] = model
            return model

    def win_model(self, as_of: date, *, history: History | None = None,
                  metrics: bool = False) -> WinModel:
        """The organisation's win model trained on everything before ``as_of`` ends (kept for
        the process's life), with its time-split metrics when ``metrics`` (the model of the
        split's cut-off is kept too)."""
        cutoff = self.cutoff(as_of)
        h = history if history is not None else read_history(self.everyone, cutoff)
        model = self._model_at(cutoff, h)
        if metrics and model.enough and model.metrics is None:
            model.metrics = evaluate(h, self.stage_order(),
                                     trainer=lambda at: self._model_at(at, h))
        return model

    def _open(self, as_of: date, history: History, model: WinModel) -> pd.DataFrame:
        frame = snapshot(history, history.cutoff, self.stage_order())
        reach = self.reach
        if not reach.everything:
            reached = frame["owner_rep_id"].map(
                lambda r: r is not None and reach.has_rep(r)).astype(bool)
            frame = frame.loc[reached].reset_index(drop=True)
        frame["probability"] = model.predict(frame) if len(frame) else []
        frame["baseline"] = model.baseline(frame) if len(frame) else []
        return frame

    def win(self, as_of: date, *, rep: str | None = None, reps: list[str] | None = None,
            limit: int | None = 50, reasons: bool = True) -> WinReport:
        """The win probability of every open opportunity the scope reaches (of ``reps`` alone
        where given), the highest expected value (probability x amount) first, the first
        ``limit`` with their reasons."""
        stamp = self.data_stamp()
        history = self.history(as_of, stamp=stamp)
        model = self.win_model(as_of, history=history, metrics=True)
        frame = self._open(as_of, history, model)
        if reps is not None:
            frame = frame[frame["owner_rep_id"].isin(reps)].reset_index(drop=True)
        value = frame["probability"].fillna(0) * frame["amount"].fillna(0)
        frame = frame.assign(value=value).sort_values(["value", "opportunity_id"],
                                                      ascending=[False, True])
        total = len(frame)
        shown = frame if limit is None else frame.head(limit)
        shown = shown.reset_index(drop=True)
        why = model.reasons(shown) if reasons else [[] for _ in range(len(shown))]
        predictions = [WinPrediction(
            opportunity_id=str(r["opportunity_id"]), owner_rep_id=_opt(r["owner_rep_id"]),
            customer_id=_opt(r["customer_id"]), product=_opt(r["product"]),
            stage=_opt(r["stage"]), amount=_num(r["amount"]),
            expected_close_date=None if pd.isna(r["expected_close_date"])
            else pd.Timestamp(r["expected_close_date"]).date(),
            probability=_num(r["probability"]), baseline=_num(r["baseline"]),
            reasons=why[i]) for i, r in shown.iterrows()]
        return WinReport(as_of=as_of, model=model.name, enough=model.enough, note=model.note,
                         train_rows=model.train_rows, training_from=model.first,
                         metrics=model.metrics, predictions=predictions, total=total,
                         record=self.record("win", as_of, stamp))

    # -- attainment ----------------------------------------------------------------------------
    def _targets(self, grain: Grain) -> dict[str, dict[str, float]]:
        """The reps' ``revenue_won`` targets per period label of ``grain`` (a quarter without
        its own target: the sum of its three months' where all three are set)."""
        t = _table("targets")
        rows = self.everyone.rows(t.filter((t.scope == "rep") & (t.kpi == KPI))
                                  .select("scope_id", "period", "value"))
        out: dict[str, dict[str, float]] = {}
        months: dict[str, dict[str, list[float]]] = {}
        cal = self.settings.calendar
        for r in rows:
            if r["value"] is None:
                continue
            try:
                period = cal.parse(str(r["period"]))
            except SalescoreError:
                continue
            if period.grain == grain:
                out.setdefault(period.label, {})[r["scope_id"]] = float(r["value"])
            elif grain == Grain.QUARTER and period.grain == Grain.MONTH:
                q = cal.period_of(period.start, Grain.QUARTER).label
                months.setdefault(q, {}).setdefault(r["scope_id"], []).append(float(r["value"]))
        for q, reps in months.items():
            for rep, values in reps.items():
                if len(values) == 3:
                    out.setdefault(q, {}).setdefault(rep, sum(values))
        return out

    def _window(self, period: Any, targets: dict[str, dict[str, float]]) -> PeriodWindow:
        start, end = self.settings.calendar.utc_bounds(period)
        return PeriodWindow(period.label, start, end, period.end, targets.get(period.label, {}))

    def attainment(self, as_of: date, *, grain: str = "quarter") -> AttainmentReport:
        """Each rep's expected attainment of their ``revenue_won`` target at the end of the
        month or quarter holding ``as_of``, within the scope, with the backtest on the
        organisation's past periods; see :mod:`salescore.ml.attainment`."""
        if grain not in ("month", "quarter"):
            raise MlError(f"attainment is by month or quarter, not {grain!r}",
                          message_zh=f"达成预测只能按月或季度，而不是 {grain!r}")
        g = Grain(grain)
        cal = self.settings.calendar
        cutoff = self.cutoff(as_of)
        history = self.history(as_of)
        order = self.stage_order()
        targets = self._targets(g)
        current = cal.period_of(as_of, g)
        first = history.first_day()
        windows: list[PeriodWindow] = []
        p = current.previous()
        while first is not None and len(windows) < BACKTEST_PERIODS:
            w = self._window(p, targets)
            if w.start < first:
                break
            if w.targets:
                windows.insert(0, w)
            p = p.previous()

        def probabilities(at: datetime, frame: pd.DataFrame) -> np.ndarray:
            start = self.settings.calendar.utc_bounds(cal.period_of(
                cal.local_date(at), g))[0]
            return self._model_at(min(start, cutoff), history, PAST_FIT_ROWS).predict(frame)

        test = backtest(history, windows, order, probabilities)
        window = self._window(current, targets)
        k = checkpoint_of(window, cutoff)
        a, b = test.coefficients[k]
        acc = test.checkpoints[k]
        inputs = rep_inputs(history, window, cutoff, order, probabilities)
        names = history.reps.set_index("rep_id")
        reach = self.reach
        out = []
        for rep, row in inputs.iterrows():
            rep = str(rep)
            if not reach.has_rep(rep):
                continue
            target = window.targets.get(rep)
            info = names.loc[rep]
            if target is None and not bool(info["active"]):
                continue
            expected = float(row["won"] + a * row["pipeline"] + b * row["run"])
            base = float(row["won"] + row["run"])
            att = expected / target if target else None
            interval = test.enough and acc.reps >= 10
            out.append(RepAttainment(
                rep_id=rep, name=str(info["name"] or rep), team_id=_opt(info["team_id"]),
                target=target, won=float(row["won"]), pipeline=float(row["pipeline"]),
                run=float(row["run"]), expected=expected, attainment=att,
                low=max(0.0, att + acc.low) if att is not None and interval else None,
                high=att + acc.high if att is not None and interval else None,
                baseline=base / target if target else None,
                at_risk=None if att is None else att < FLAG_LINE))
        out.sort(key=lambda r: (r.attainment is None, r.attainment or 0.0, r.rep_id))
        return AttainmentReport(
            as_of=as_of, period=current.label, grain=grain, checkpoint=k,
            elapsed=(cutoff - window.start) / (window.end - window.start),
            model=f"attainment@{as_of}", win_model=self._model_at(
                min(window.start, cutoff), history, PAST_FIT_ROWS).name,
            enough=test.enough, note=_attainment_note(test), backtest=test, reps=out,
            record=self.record("attainment", as_of))

    # -- next best actions ---------------------------------------------------------------------
    def _stamp(self) -> tuple[Any, ...]:
        """What changes when data is imported: the rows and latest times of the tables the
        actions read (a few aggregates, milliseconds)."""
        o, a = _table("opportunities"), _table("activities")
        t, r = _table("trainings"), _table("orders")
        out: list[Any] = []
        for table, column in ((o, "closed_at"), (a, "occurred_at"), (t, "completed_at"),
                              (r, "ordered_at")):
            row = self.everyone.rows(table.aggregate(n=table.count(),
                                                     last=table[column].max()))[0]
            out += [row["n"], row["last"]]
        return tuple(out)

    def _org_actions(self, as_of: date, stamp: str
                     ) -> tuple[WinModel, int, list[Action], pd.DataFrame]:
        """Every active rep's actions as of ``as_of`` (the organisation's thresholds and peers),
        kept for the process's life per cut-off and data stamp: a rep's list is then a look-up."""
        cutoff = self.cutoff(as_of)
        key = (id(self.everyone.backend), cutoff, stamp)
        with _LOCK:
            kept = _ACTIONS.get(key)
        if kept is not None:
            return kept
        history = self.history(as_of, stamp=stamp)
        model = self.win_model(as_of, history=history)
        frame = snapshot(history, history.cutoff, self.stage_order())
        frame["probability"] = model.predict(frame) if len(frame) else []
        frame["baseline"] = model.baseline(frame) if len(frame) else []
        reps = history.reps
        ids = [str(r) for r, active in zip(reps["rep_id"], reps["active"], strict=True)
               if bool(active)]
        months = self._months(history, as_of)
        impacts = course_impacts(history, self.settings.calendar.zone,
                                 _month_label(months[0]), _month_label(months[-1])) \
            if len(months) >= 2 else ([], [])
        enough_courses = sum(1 for c in impacts[1] if any(e.enough for e in c.effects))
        team_of = {str(r): _opt(t) for r, t in zip(reps["rep_id"], reps["team_id"], strict=True)}
        names = {str(r): str(n or r) for r, n in zip(reps["rep_id"], reps["name"], strict=True)}
        potential = self._potential(history)[0]
        found = next_actions(history, frame, model, ids, as_of,
                             impacts if enough_courses else ([], []), team_of=team_of,
                             names=names, potential=potential)
        kept = (model, enough_courses, found, reps)
        with _LOCK:
            while len(_ACTIONS) >= KEPT_MODELS:
                _ACTIONS.pop(next(iter(_ACTIONS)))
            _ACTIONS[key] = kept
        return kept

    def actions(self, as_of: date, *, rep: str | None = None) -> ActionsReport:
        """The next best actions of every rep in the scope (of ``rep`` alone when given), each
        rep's ranked by the money at stake; see :mod:`salescore.ml.actions`."""
        stamp = self.data_stamp()
        model, enough_courses, found, reps = self._org_actions(as_of, stamp)
        reach = self.reach
        ids = [str(r) for r, active in zip(reps["rep_id"], reps["active"], strict=True)
               if bool(active) and reach.has_rep(str(r)) and (rep is None or r == rep)]
        team_of = {str(r): _opt(t) for r, t in zip(reps["rep_id"], reps["team_id"], strict=True)}
        names = {str(r): str(n or r) for r, n in zip(reps["rep_id"], reps["name"], strict=True)}
        by_rep: dict[str, list[Action]] = {}
        for a in found:
            by_rep.setdefault(a.rep_id, []).append(a)
        out = [RepActions(r, names.get(r, r), team_of.get(r), by_rep.get(r, [])) for r in ids]
        enough = model.enough and enough_courses > 0
        parts_en, parts_zh = [], []
        if not model.enough:
            parts_en.append("the win model (deals at risk are left out; probabilities are "
                            "the stage win rates)")
            parts_zh.append("赢单模型（不列出风险商机；概率为同阶段历史赢单率）")
        if not enough_courses:
            parts_en.append("the training impact (no training recommendation)")
            parts_zh.append("培训效果（不给出培训建议）")
        note = Text("Ranked by the money at stake: stale high-value deals, deals at risk, "
                    "high-potential customers not contacted lately, and a course for the "
                    "weakest KPI.",
                    "按涉及金额排序：停滞的高价值商机、风险商机、久未联系的高潜力客户，"
                    "以及针对最弱指标的培训课程。") if enough else Text(
            "Not enough data for " + " and ".join(parts_en) + ". Shown: the baseline "
            "(stale high-value deals and the largest customers not contacted lately).",
            "数据不足：" + "、".join(parts_zh) + "。显示的是基线（停滞的高价值商机与久未联系的"
            "重要客户）。")
        return ActionsReport(as_of=as_of, model=model.name, enough=enough, note=note,
                             courses=enough_courses, reps=out,
                             record=self.record("win", as_of, stamp))

    # -- personalised targets ------------------------------------------------------------------
    def _sellers(self, history: History, at: datetime) -> list[str]:
        """The active reps who owned a deal created or closed in the year before ``at``."""
        o = history.opportunities
        recent = o[(o["created_at"] >= at - timedelta(days=365)) & (o["created_at"] < at)
                   | (o["closed_at"].notna() & (o["closed_at"] >= at - timedelta(days=365))
                      & (o["closed_at"] < at))]
        owners = set(recent["owner_rep_id"].dropna().astype(str))
        reps = history.reps
        return sorted(str(r) for r, a in zip(reps["rep_id"], reps["active"], strict=True)
                      if bool(a) and str(r) in owners)

    def _won_by_rep(self, history: History, start: datetime, end: datetime) -> dict[str, float]:
        o = history.opportunities
        won = o[(o["status"] == "won") & o["closed_at"].notna() & (o["closed_at"] >= start)
                & (o["closed_at"] < end)]
        return {str(k): float(v) for k, v in won.groupby("owner_rep_id")["amount"].sum().items()}

    def _recommend(self, history: History, period: Any, targets: dict[str, float],
                   at: datetime) -> tuple[float, str, bool, list[Potential], list[str]]:
        start, end = self.settings.calendar.utc_bounds(period)
        reps = self._sellers(history, at)
        first = history.first_day()
        enough = first is not None and first <= at - timedelta(days=365) and len(reps) >= 2
        planned = sum(v for r, v in targets.items() if r in reps)
        if planned > 0:
            total, source = planned, "plan"
        else:
            year = sum(self._won_by_rep(history, at - timedelta(days=365), at).values())
            days = (end - start) / timedelta(days=1)
            last = sum(self._won_by_rep(history, start - timedelta(days=365),
                                        end - timedelta(days=365)).values())
            season = last / (year * days / 365) if year > 0 and last > 0 and enough else 1.0
            total, source = year * days / 365 * season, "history"
        model = self._model_at(min(at, history.cutoff), history,
                               MAX_FIT_ROWS if at >= history.cutoff else PAST_FIT_ROWS)
        found = potentials(history, at, start + (end - start) / 2, reps, self.stage_order(),
                           model.predict) if enough else []
        return total, source, enough, found, reps

    def targets(self, as_of: date, *, period: str | None = None,
                grain: str = "quarter") -> TargetReport:
        """The recommended ``revenue_won`` target of every seller the scope reaches for
        ``period`` (default: the month or quarter after the one holding ``as_of``), with its
        explanation, and the fairness report on the last complete period; see
        :mod:`salescore.ml.targets`."""
        if grain not in ("month", "quarter"):
            raise MlError(f"targets are by month or quarter, not {grain!r}",
                          message_zh=f"目标只能按月或季度，而不是 {grain!r}")
        g = Grain(grain)
        cal = self.settings.calendar
        current = cal.period_of(as_of, g)
        wanted = current.next() if period is None else cal.parse(period)
        if wanted.grain not in (Grain.MONTH, Grain.QUARTER):
            raise MlError(f"a target period is a month or a quarter, not {period!r}",
                          message_zh=f"目标周期应为月或季度，而不是 {period!r}")
        history = self.history(as_of)
        cutoff = history.cutoff
        plan = self._targets(wanted.grain)
        start = cal.utc_bounds(wanted)[0]
        at = min(start, cutoff)
        total, source, enough, found, reps = self._recommend(
            history, wanted, plan.get(wanted.label, {}), at)
        by_rep = {p.rep_id: p for p in found}
        names = history.reps.set_index("rep_id")
        current_targets = plan.get(wanted.label, {})
        reach = self.reach
        rows = []
        for rep in reps:
            if not reach.has_rep(rep):
                continue
            pot = by_rep.get(rep)
            value = total * pot.share if pot else total / len(reps)
            explanation = pot.explain(total, value) if pot else Text(
                f"Not enough data: the total {total:,.0f} split evenly over {len(reps)} reps.",
                f"数据不足：总额 {total:,.0f} 平均分给 {len(reps)} 名销售。")
            rows.append(TargetRow(rep_id=rep, name=str(names.loc[rep, "name"] or rep),
                                  team_id=_opt(names.loc[rep, "team_id"]),
                                  current=current_targets.get(rep), recommended=value,
                                  explanation=explanation, potential=pot))
        # Fairness: the last complete period, recommended from what was known at its start.
        back = current.previous() if wanted.grain == g else cal.period_of(as_of, wanted.grain
                                                                          ).previous()
        b_start, b_end = cal.utc_bounds(back)
        fairness: list[FairnessRow] = []
        fair_period = None
        if enough and b_end <= cutoff:
            b_plan = self._targets(back.grain).get(back.label, {})
            b_total, _, b_enough, b_found, b_reps = self._recommend(history, back, b_plan,
                                                                   b_start)
            if b_enough and b_reps:
                actual = self._won_by_rep(history, b_start, b_end)
                fairness = [
                    fairness_row("recommended", actual,
                                  {p.rep_id: b_total * p.share for p in b_found}),
                    fairness_row("flat", actual, {r: b_total / len(b_reps) for r in b_reps}),
                    fairness_row("plan", actual, {r: v for r, v in b_plan.items()
                                                  if r in b_reps})]
                fair_period = back.label
        note = Text(
            f"The total ({'the plan' if source == 'plan' else 'last year, seasonal'}: "
            f"{total:,.0f}) shared by potential: revenue won over the last year (20 %), "
            "customers' orders (20 %), weighted pipeline (30 %) and an even share (30 %), "
            "times the tenure ramp.",
            f"总额（{'计划目标' if source == 'plan' else '去年，含季节性'}：{total:,.0f}）按潜力"
            "分配：近一年赢单收入（20%）、客户订单（20%）、加权管道（30%）与平均份额（30%），"
            "乘以入职爬坡系数。"
        ) if enough else Text(
            "Not enough data: less than a year of history. Shown: the baseline, the total "
            "split evenly (flat targets).",
            "数据不足：历史不足一年。显示的是基线：总额平均分配（统一目标）。")
        return TargetReport(as_of=as_of, period=wanted.label, grain=str(wanted.grain),
                            total=total, total_from=source, enough=enough, note=note,
                            rows=rows, fairness_period=fair_period, fairness=fairness)

    def accept_targets(self, as_of: date, *, period: str, actor: str, rep: str | None = None,
                       team: str | None = None) -> list[Any]:
        """Write the recommended target of ``rep``, or of every rep of ``team`` (its
        subtree), into the targets table through the workspace's audited ``set_target`` (a
        manager: within their team); the changes."""
        if self._set_target is None:
            raise MlError("targets cannot be written from here", message_zh="此处不能写入目标")
        if (rep is None) == (team is None):
            raise MlError("accept the target of one rep or of one team",
                          message_zh="请指定一名销售或一个团队")
        reach = self.reach
        if not (reach.has_rep(rep) if rep is not None else reach.has_team(str(team))):
            raise OutOfScope(f"{rep or team} is not within your reach",
                             message_zh=f"{rep or team} 不在你的权限范围内")
        report = self.targets(as_of, period=period)
        teams = {str(t): _opt(p) for t, p in zip(*(
            self.history(as_of).teams[c] for c in ("team_id", "parent_team_id")), strict=True)}

        def under(t: str | None) -> bool:
            seen: set[str] = set()
            while t is not None and t not in seen:
                if t == team:
                    return True
                seen.add(t)
                t = teams.get(t)
            return False

        chosen = [r for r in report.rows if r.rep_id == rep or (team and under(r.team_id))]
        if not chosen:
            raise MlError(f"no recommendation for {rep or team} in {report.period}",
                          message_zh=f"{report.period} 没有 {rep or team} 的建议目标")
        return [self._set_target("rep", r.rep_id, report.period, KPI,
                                 round(r.recommended, 2), actor=actor,
                                 reason=f"recommended ({report.note.en[:60]}...): "
                                        f"{r.explanation.en}"[:500])
                for r in chosen]

    # -- high-potential customers --------------------------------------------------------------
    def _potential(self, history: History) -> tuple[pd.DataFrame, PotentialModel | None,
                                                    dict[str, float | None], pd.DataFrame,
                                                    bool]:
        """Every customer's features and score at the history's cut-off (the organisation's,
        the baseline where there is not enough data), the model, its check, the customers
        table and whether there was enough data."""
        cutoff = history.cutoff
        c = _table("customers")
        customers = pd.DataFrame(self.everyone.rows(
            c.filter(c.created_at < cutoff).select("customer_id", "name", "owner_rep_id",
                                                   "segment", "created_at")),
            columns=["customer_id", "name", "owner_rep_id", "segment", "created_at"])
        first = history.first_day()
        enough = (first is not None and (cutoff - first).days >= MIN_DAYS
                  and len(customers) >= MIN_CUSTOMERS)
        frame = customer_features(history, customers, cutoff)
        model = fit(history, customers, cutoff) if enough else None
        check = score_check(history, customers) if enough else {}
        if model is not None and model.estimator is None:
            enough, model = False, None
        if model is not None:
            frame["score"] = model.score(frame) if len(frame) else []
        else:
            frame["score"] = frame["revenue_year"]
        return frame, model, check, customers, enough

    def customers(self, as_of: date, *, limit: int | None = 50) -> CustomersReport:
        """The customers the scope reaches (by owner), the highest potential first, with the
        reasons and the score's check one horizon back; see :mod:`salescore.ml.potential`."""
        history = self.history(as_of)
        frame, model, check, customers, enough = self._potential(history)
        reach = self.reach
        reached = frame["owner_rep_id"].map(
            lambda r: r is not None and not pd.isna(r) and reach.has_rep(str(r))).astype(bool)
        frame = frame.loc[reached].reset_index(drop=True)  # .loc: an empty mask is still a mask
        frame = frame.sort_values(["score", "customer_id"], ascending=[False, True])
        shown = (frame if limit is None else frame.head(limit)).reset_index(drop=True)
        why = model.reasons(shown) if model is not None and len(shown) else \
            [[("log_revenue_year", 0.0)] for _ in range(len(shown))]
        names = customers.set_index("customer_id")["name"]
        rows = [CustomerPotential(
            customer_id=str(r["customer_id"]), name=_opt(names.get(r["customer_id"])),
            owner_rep_id=_opt(r["owner_rep_id"]), segment=_opt(r["segment"]),
            score=float(r["score"]), revenue_year=float(r["revenue_year"]),
            days_since_order=None if r["recency_days"] >= 3650 else float(r["recency_days"]),
            reasons=[(f, POTENTIAL_NAMES[f], v) for f, v in why[i]])
            for i, r in shown.iterrows()]
        note = Text("Expected revenue of the next 180 days: the probability of ordering "
                    "(logistic regression on recency, frequency, revenue, engagement, segment "
                    "and resemblance to the best customers) times the typical order; checked "
                    "one horizon back against revenue alone.",
                    "未来 180 天的预期收入：下单概率（基于最近下单、频次、金额、互动、客户分层"
                    "及与最佳客户相似度的逻辑回归）乘以典型订单金额；并在前一周期与仅按金额"
                    "排序的基线对比检验。") \
            if enough else Text(
                f"Not enough data: the score needs {MIN_DAYS} days of history and "
                f"{MIN_CUSTOMERS} customers. Shown: the baseline, revenue over the last year.",
                f"数据不足：评分需要 {MIN_DAYS} 天历史和 {MIN_CUSTOMERS} 个客户。"
                "显示的是基线：近一年订单金额。")
        return CustomersReport(as_of=as_of, model=("potential-logit" if enough else
                                                   "potential-baseline") + f"@{as_of}",
                               enough=enough, note=note, check=check, total=len(frame),
                               customers=rows, record=self.record("potential", as_of))

    # -- sales forecast ------------------------------------------------------------------------
    def _months(self, history: History, as_of: date) -> list[date]:
        """The complete months before the as-of day's month, from the first with a closed
        deal or an order."""
        o = history.opportunities
        firsts = [x for x in (o["closed_at"].min(), history.orders["ordered_at"].min())
                  if pd.notna(x)]
        if not firsts:
            return []
        first = self.settings.calendar.local_date(min(firsts).to_pydatetime())
        start = date(first.year, first.month, 1)
        end = date(as_of.year, as_of.month, 1)
        out = []
        while start < end:
            out.append(start)
            start = _add_months(start, 1)
        return out

    def _series(self, by: str, months: list[date]) -> dict[str | None, list[float]]:
        """Monthly ``revenue_won`` per subject of ``by`` (the scope's), oldest first; an unknown
        month is 0 revenue won (no deal won)."""
        if not months:
            return {}
        last = _add_months(months[-1], 1) - timedelta(days=1)
        request = KpiRequest.of([KPI], by=by, period=f"{months[0]}..{last}", grain=Grain.MONTH)
        rows = self.engine.compute(request).table.to_pylist()
        labels = {_month_label(m): i for i, m in enumerate(months)}
        key = None if by == "company" else (f"{by}_id" if by in ("rep", "team") else by)
        out: dict[str | None, list[float]] = {}
        for row in rows:
            subject = None if key is None else row.get(key)
            series = out.setdefault(subject, [0.0] * len(months))
            i = labels.get(str(row["period"]))
            if i is not None and row[KPI] is not None:
                series[i] = float(row[KPI])
        return out

    def forecast(self, as_of: date, *, by: str = "team", horizon: int = 3,
                 pipeline: bool = True) -> ForecastReport:
        """Revenue won per month for the ``horizon`` months from the as-of day's on, per
        ``by`` (rep, team, company, all three, or a dimension), within the scope; see
        :mod:`salescore.ml.forecast`. Reps, teams and the company are one hierarchy,
        reconciled so that reps add up to their teams and teams to the company. Without
        ``pipeline``, no win model is trained and the weighted pipeline is zero (the
        statistical forecast alone, as :meth:`holdout` checks it)."""
        if by not in ("rep", "team", "company", "all", *DIMENSIONS):
            raise MlError(f"a forecast is by rep, team, company or {', '.join(DIMENSIONS)}, "
                          f"not {by!r}",
                          message_zh=f"预测只能按 rep、team、company 或 {', '.join(DIMENSIONS)}，"
                                     f"而不是 {by!r}")
        if not 1 <= horizon <= 12:
            raise MlError("the horizon is 1 to 12 months", message_zh="预测期为 1 到 12 个月")
        history = self.history(as_of)
        months = self._months(history, as_of)
        ahead_dates = [_add_months(date(as_of.year, as_of.month, 1), h) for h in range(horizon)]
        ahead = [_month_label(d) for d in ahead_dates]
        if pipeline:
            model = self.win_model(as_of, history=history)
            win_name = model.name
            placed = self._place(self._open(as_of, history, model), ahead_dates)
        else:
            win_name = "—"
            placed = pd.DataFrame({"owner_rep_id": pd.Series(dtype=object),
                                   "month": pd.Series(dtype="int64"),
                                   "value": pd.Series(dtype=float)})
        if by in DIMENSIONS:
            nodes = self._dimension_nodes(by, months, horizon, placed)
            reconciled = False
        else:
            nodes = self._hierarchy(months, horizon, placed)
            reconciled = len(nodes) > 1
            levels = {"rep": ("rep",), "team": ("company", "team"), "company": ("company",),
                      "all": ("company", "team", "rep")}[by]
            nodes = [n for n in nodes if n.level in levels]
        enough = len(months) >= MIN_MONTHS
        note = _forecast_note(len(months), enough)
        return ForecastReport(as_of=as_of, model=f"forecast@{as_of}",
                              months=[_month_label(m) for m in months], ahead=ahead, by=by,
                              nodes=nodes, reconciled=reconciled, enough=enough, note=note,
                              win_model=win_name, record=self.record("forecast", as_of))

    def _place(self, frame: pd.DataFrame, ahead: list[date]) -> pd.DataFrame:
        """Each open deal's expected value (probability x amount) in the forecast month of its
        expected close date (an overdue one in the first; one after the horizon or with no
        amount, probability or date is left out)."""
        if frame.empty:
            return frame.assign(month=pd.Series(dtype="int64"), value=pd.Series(dtype=float))
        first = ahead[0]
        expected = pd.to_datetime(frame["expected_close_date"])
        index = (expected.dt.year - first.year) * 12 + (expected.dt.month - first.month)
        index = index.clip(lower=0)
        value = frame["probability"] * frame["amount"]
        out = frame.assign(month=index, value=value)
        keep = out["month"].notna() & (out["month"] < len(ahead)) & out["value"].notna()
        out = out[keep].copy()
        out["month"] = out["month"].astype(int)
        return out

    def _pipeline(self, placed: pd.DataFrame, horizon: int) -> list[float]:
        sums = placed.groupby("month")["value"].sum() if len(placed) else pd.Series(dtype=float)
        return [float(sums.get(h, 0.0)) for h in range(horizon)]

    def _combine(self, point: list[float], pipeline: list[float] | None) -> list[float]:
        if pipeline is None:
            return list(point)
        out = []
        for h, (p, q) in enumerate(zip(point, pipeline, strict=True)):
            w = PIPELINE_WEIGHTS[h] if h < len(PIPELINE_WEIGHTS) and q > 0 else 0.0
            out.append((1 - w) * p + w * q)
        return out

    def _hierarchy(self, months: list[date], horizon: int, placed: pd.DataFrame
                   ) -> list[ForecastNode]:
        reps = {r["rep_id"]: r for r in self.runner.rows(_table("reps"))}
        teams = {t["team_id"]: t for t in self.runner.rows(_table("teams"))}
        series = self._series("rep", months) if months else {}
        rep_ids = sorted(reps)
        if not rep_ids:
            return []
        parent_of = {t: row["parent_team_id"] for t, row in teams.items()}

        def chain(team: str | None) -> list[str]:
            out: list[str] = []
            while team is not None and team in teams and team not in out:
                out.append(team)
                team = parent_of.get(team)
            return out

        team_ids = sorted(teams)
        company = self.reach.everything
        rows: list[tuple[str, str | None]] = []
        if company:
            rows.append(("company", None))
        rows += [("team", t) for t in team_ids]
        rows += [("rep", r) for r in rep_ids]
        summing = np.zeros((len(rows), len(rep_ids)))
        for j, rep in enumerate(rep_ids):
            ups = set(chain(reps[rep]["team_id"]))
            for i, (level, key) in enumerate(rows):
                if (level == "company") or (level == "rep" and key == rep) or \
                        (level == "team" and key in ups):
                    summing[i, j] = 1.0
        used = summing.sum(axis=1) > 0
        rows = [r for r, u in zip(rows, used, strict=True) if u]
        summing = summing[used]
        zero = [0.0] * len(months)
        bottom_hist = np.array([series.get(r, zero) for r in rep_ids]).reshape(
            len(rep_ids), len(months))
        hist = summing @ bottom_hist
        bases = [forecast_series(list(h), horizon) for h in hist]
        points = np.array([b.point for b in bases])
        fitted = reconcile(points, summing) if len(rows) > 1 else points
        # One grouped sum, not a filter per rep (500 reps x 50,000 open deals on the medium demo).
        sums = placed.groupby(["owner_rep_id", "month"])["value"].sum() if len(placed) \
            else pd.Series(dtype=float)
        pipe_bottom = np.zeros((len(rep_ids), horizon))
        where = {r: j for j, r in enumerate(rep_ids)}
        for (rep, month), value in sums.items():
            at = where.get(rep)
            if at is not None and 0 <= int(month) < horizon:
                pipe_bottom[at, int(month)] = float(value)
        pipes = summing @ pipe_bottom
        out = []
        for i, (level, key) in enumerate(rows):
            base = bases[i]
            point = [float(v) for v in fitted[i]]
            shift = [p - b for p, b in zip(point, base.point, strict=True)]
            low = [max(0.0, lo + s) for lo, s in zip(base.low, shift, strict=True)]
            high = [hi + s for hi, s in zip(base.high, shift, strict=True)]
            pipeline = [float(v) for v in pipes[i]]
            name = ("company" if level == "company" else
                    str(teams[key]["name"] if level == "team" else reps[key]["name"] or key))
            parent = None if level == "company" else (
                reps[key]["team_id"] if level == "rep" else parent_of.get(key))
            out.append(ForecastNode(level=level, key=key, name=name, parent=parent,
                                    history=[float(v) for v in hist[i]], base=base, point=point,
                                    low=low, high=high, pipeline=pipeline,
                                    combined=self._combine(point, pipeline),
                                    baseline=baseline_forecast(
                                        [float(v) for v in hist[i]], horizon)[1]))
        return out

    def _dimension_nodes(self, by: str, months: list[date], horizon: int,
                         placed: pd.DataFrame) -> list[ForecastNode]:
        series = self._series(by, months)
        out = []
        for key in sorted(series, key=lambda k: (k is None, k or "")):
            base = forecast_series(series[key], horizon)
            pipeline = None
            if by in ("product", "channel"):
                pipeline = self._pipeline(placed[placed[by] == key] if key is not None
                                          else placed[placed[by].isna()], horizon) \
                    if by in placed.columns else None
            out.append(ForecastNode(level=by, key=key, name=key if key is not None else "—",
                                    parent=None, history=series[key], base=base,
                                    point=base.point, low=base.low, high=base.high,
                                    pipeline=pipeline, combined=self._combine(base.point,
                                                                              pipeline),
                                    baseline=baseline_forecast(series[key], horizon)[1]))
        return out

    # -- the honest check: forecasts made months ago against what happened ------------------
    def holdout(self, as_of: date, *, months: int = 3, origins: int = 3) -> dict[str, Any]:
        """The honest check: forecasts made on the first day of each of ``origins`` months,
        each from the history then, for that month and the ``months`` - 1 after it, scored
        against what happened: pooled WAPE of the chosen methods (reconciled) and of seasonal
        naive, per level (company, teams, reps) and over all. The origins are the latest whose
        months are all complete before ``as_of``'s month (as of 2026-12-06 with three months:
        forecasts made on 2026-09-01, 08-01 and 07-01), so that every forecast is scored on as
        many months as the others, and the check compares the same months for both methods.
        The weighted pipeline is left out: it is the win model's, checked on its own."""
        this_month = date(as_of.year, as_of.month, 1)
        now = self._months(self.history(as_of), as_of)
        actual = self._series("rep", now)
        labels = [_month_label(m) for m in now]
        rep_actual = {k: v for k, v in actual.items() if k is not None}
        per_level: dict[str, list[float]] = {}
        made: list[str] = []
        scored: list[str] = []
        for k in range(origins):
            start = _add_months(this_month, -(months + k))
            report = self.forecast(start, by="all", horizon=months, pipeline=False)
            want = [labels.index(m) for m in report.ahead if m in labels]
            if len(want) < months:
                continue
            made.append(str(start))
            scored += report.ahead
            nodes = report.nodes
            zero = [0.0] * len(now)
            for node in nodes:
                if node.level == "rep":
                    series = rep_actual.get(node.key or "", zero)
                    a = [series[i] for i in want]
                else:
                    members = _members(node, nodes)
                    a = [sum(rep_actual.get(m, zero)[i] for m in members) for i in want]
                p = node.point[:len(want)]
                n = node.baseline[:len(want)]
                lv = per_level.setdefault(node.level, [0.0, 0.0, 0.0])
                lv[0] += sum(abs(x - y) for x, y in zip(a, p, strict=True))
                lv[1] += sum(abs(x - y) for x, y in zip(a, n, strict=True))
                lv[2] += sum(abs(x) for x in a)
        chosen_err = sum(v[0] for v in per_level.values())
        naive_err = sum(v[1] for v in per_level.values())
        total = sum(v[2] for v in per_level.values())
        return {"from": made[-1] if made else None, "made": made,
                "months": sorted(set(scored)), "wape": chosen_err / total if total else None,
                "naive_wape": naive_err / total if total else None,
                "levels": {k: {"wape": v[0] / v[2] if v[2] else None,
                               "naive_wape": v[1] / v[2] if v[2] else None}
                           for k, v in per_level.items()}}


def _members(node: ForecastNode, nodes: list[ForecastNode]) -> list[str]:
    """The reps under ``node`` in ``nodes`` (the company: every rep)."""
    reps = [n for n in nodes if n.level == "rep"]
    if node.level == "company":
        return [n.key for n in reps if n.key]
    teams = {n.key: n.parent for n in nodes if n.level == "team"}

    def under(team: str | None) -> bool:
        seen = set()
        while team is not None and team not in seen:
            if team == node.key:
                return True
            seen.add(team)
            team = teams.get(team)
        return False

    return [n.key for n in reps if n.key and under(n.parent)]


def _table(name: str) -> Any:
    from salescore.compile.schema import unbound

    return unbound(name)


def _opt(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) \
        else str(value)


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _clean(value: Any) -> Any:
    """``value`` as plain JSON: numpy numbers as Python's, NaN and infinities as null."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _enough_note(enough: bool) -> Text:
    return Text("Trained.", "已训练。") if enough else Text(
        "Not enough data: the feature shows its baseline.", "数据不足：该功能显示基线。")


def _forecast_note(n: int, enough: bool) -> Text:
    if enough:
        return Text(f"Chosen per series by rolling-origin backtest over {n} months of history "
                    "against seasonal naive; 80 % intervals from the backtest errors.",
                    f"基于 {n} 个月历史，按滚动起点回测逐序列选择模型并与季节朴素法对比；"
                    "80% 区间来自回测误差。")
    return Text(f"Not enough data: {n} complete months of history, the models need {MIN_MONTHS}. "
                "Shown: the baseline (the last month repeated).",
                f"数据不足：仅有 {n} 个完整月份的历史，模型需要 {MIN_MONTHS} 个。"
                "显示的是基线（重复上月数值）。")


def _attainment_note(test: AttainmentBacktest) -> Text:
    if not test.enough:
        return Text(f"Not enough data: {len(test.periods)} past periods with targets, the "
                    f"model needs {MIN_PERIODS} (and {MIN_REP_PERIODS} reps' targets over them). "
                    "Shown: the baseline (revenue won so far plus "
                    "the run rate of the last six months for the days left), no interval.",
                    f"数据不足：仅有 {len(test.periods)} 个有目标的历史周期，模型需要 "
                    f"{MIN_PERIODS} 个（且其中至少 {MIN_REP_PERIODS} 个销售目标）。"
                    "显示的是基线（已赢单收入加近六个月日均赢单收入乘以剩余"
                    "天数），无区间。")
    reliable = test.reliable_from
    when_en = ("never within the backtest's error bound" if reliable is None else
               f"from {reliable}/{CHECKPOINTS} of the period on")
    when_zh = ("回测中始终未达到误差要求" if reliable is None else
               f"从周期的 {reliable}/{CHECKPOINTS} 起")
    return Text(f"Won so far plus the weighted pipeline and the run rate, weighted by "
                f"backtest on {', '.join(test.periods)}; 80 % interval from the backtest "
                f"errors; at risk: expected below {FLAG_LINE:.0%} (to catch those ending "
                f"below {AT_RISK:.0%}). Reliable {when_en}.",
                f"已赢单收入加加权管道与日均赢单收入（权重由 {', '.join(test.periods)} 的回测"
                f"得出）；80% 区间来自回测误差；预计达成低于 {FLAG_LINE:.0%} 即标记为风险（为捕获"
                f"最终低于 {AT_RISK:.0%} 的销售）。可靠性：{when_zh}。")
