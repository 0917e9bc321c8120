"""Forecasts, predictions and next actions: ``/forecast`` for every signed-in role, within their
scope (a rep: their own series, attainment and actions; a manager: their teams' and reps', the
actions as a coaching list; an executive or admin: the company's).

Four sections, each chart reading its figures from a JSON block, with a table that says the
same: the revenue forecast of one series (``?who=company``, ``team:ID`` or ``rep:ID``) with its
80 % interval as a band and the baseline (seasonal naive) dashed, and the backtest errors of
both; the win model's reliability diagram (observed against predicted on the held-out later
period); each rep's expected attainment at the quarter's end with its interval and at-risk
flag; and the next best actions, ranked, each with its reason and a link to its records. Where
a model has too little history the section says "not enough data" and shows the baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from salescore.app.formatting import MISSING, as_of_text, number, percent
from salescore.app.pages import filtered_page
from salescore.core.access import Principal
from salescore.workspace import Session

__all__ = ["FORECAST_KEYS", "ForecastView", "forecast_view", "router"]

router = APIRouter(include_in_schema=False)

FORECAST_KEYS = ("who",)
HISTORY_MONTHS = 12
Param = Annotated[str | None, Query(max_length=80)]


@dataclass(frozen=True)
class MonthRow:
    month: str
    actual: str
    forecast: str
    low: str
    high: str
    baseline: str


@dataclass(frozen=True)
class BinRow:
    bin: str
    count: int
    predicted: str
    observed: str


@dataclass(frozen=True)
class AttainmentRow:
    rep_id: str
    name: str
    target: str
    won: str
    expected: str
    attainment: str
    interval: str
    baseline: str
    at_risk: bool


@dataclass(frozen=True)
class ActionRow:
    title: str
    reason: str
    stake: str
    link: str


@dataclass(frozen=True)
class RepActionsRow:
    rep_id: str
    name: str
    actions: list[ActionRow]


@dataclass(frozen=True)
class CustomerRow:
    customer_id: str
    name: str
    owner: str
    score: str
    revenue: str
    reasons: str


@dataclass(frozen=True)
class TargetRow:
    rep_id: str
    name: str
    current: str
    recommended: str
    explanation: str


@dataclass(frozen=True)
class FairRow:
    scheme: str
    reps: int
    mean: str
    spread: str
    gini: str
    below: str


@dataclass(frozen=True)
class ForecastView:
    as_of: date
    who: str
    choices: list[tuple[str, str]]
    name: str
    enough: bool
    note: str
    method: str
    wape: str
    baseline_wape: str
    month_rows: list[MonthRow]
    win_note: str
    win_figures: str
    bin_rows: list[BinRow]
    attainment_period: str
    attainment_note: str
    attainment_rows: list[AttainmentRow]
    reliable: str
    actions_note: str
    action_rows: list[RepActionsRow]
    customers_note: str
    customer_rows: list[CustomerRow]
    targets_shown: bool
    targets_period: str
    targets_note: str
    target_rows: list[TargetRow]
    fairness_period: str
    fair_rows: list[FairRow]
    charts: dict[str, Any] = field(default_factory=dict)
    forecast_model: str = ""  # the stored model that predicts, or that none is stored yet
    win_model: str = ""


def _key(level: str, key: str | None) -> str:
    return "company" if level == "company" else f"{level}:{key}"


def model_text(record: Any, words: Callable[..., str]) -> str:
    """Which stored model predicts (kind, version, name, window, when trained), or that none
    was trained on this data yet; "not enough data" when it fell back to its baseline."""
    if record is None:
        return words("Model: none trained on this data yet (salescore train); "
                     "the figures are computed now.")
    text = words("Model: %(kind)s v%(version)s (%(name)s), trained %(trained)s on the data "
                 "up to %(cutoff)s.", kind=record.kind, version=record.version,
                 name=record.name, trained=f"{record.trained_at:%Y-%m-%d %H:%M}",
                 cutoff=f"{record.cutoff:%Y-%m-%d %H:%M}")
    if not record.enough:
        text += " " + words("Not enough data: the baseline is shown.")
    return text


def forecast_view(session: Session, principal: Principal, words: Callable[..., str], *,
                  who: str | None = None) -> ForecastView:
    """The page as ``session`` sees it, as of the data's last day."""
    locale = principal.locale
    lang = "zh_CN" if locale == "zh_CN" else "en"
    as_of = session.data_last_day() or date.today()
    ml = session.ml
    report = ml.forecast(as_of, by="all", horizon=3)
    # A rep's "team" series would hold only themselves: they see their own.
    nodes = [n for n in report.nodes if principal.role != "rep" or n.level == "rep"]
    choices = [(_key(n.level, n.key), words("Company") if n.level == "company"
                else f"{n.name} ({n.key})") for n in nodes]
    node = next((n for n in nodes if _key(n.level, n.key) == who), nodes[0] if nodes else None)

    def money(v: float | None) -> str:
        return MISSING if v is None else number(v, locale, 0)

    def pct(v: float | None) -> str:
        return MISSING if v is None else percent(v, locale, 1)

    month_rows: list[MonthRow] = []
    chart: dict[str, Any] = {}
    method = wape = baseline_wape = MISSING
    name = MISSING
    if node is not None:
        shown = report.months[-HISTORY_MONTHS:]
        hist = node.history[-HISTORY_MONTHS:]
        k = len(shown)
        periods = [*shown, *report.ahead]
        last = [None] * (k - 1) + [round(hist[-1], 2)] if hist else []

        def ahead(xs: list[float]) -> list[float | None]:
            return [*last, *[round(x, 2) for x in xs]] if last else [round(x, 2) for x in xs]

        chart = {"periods": periods,
                 "actual": [round(x, 2) for x in hist] + [None] * len(report.ahead),
                 "forecast": ahead(node.point), "low": ahead(node.low),
                 "high": ahead(node.high), "baseline": ahead(node.baseline),
                 "names": {"actual": words("Actual"), "forecast": words("Forecast"),
                           "interval": words("80 % interval"),
                           "baseline": words("Baseline (seasonal naive)")}}
        month_rows = [MonthRow(m, money(v), MISSING, MISSING, MISSING, MISSING)
                      for m, v in zip(shown, hist, strict=True)]
        month_rows += [MonthRow(m, MISSING, money(node.point[h]), money(node.low[h]),
                                money(node.high[h]), money(node.baseline[h]))
                       for h, m in enumerate(report.ahead)]
        acc, base = node.base.accuracy, node.base.baseline
        method = node.base.method if node.base.enough else words("not enough data")
        wape = pct(acc.wape if acc else None)
        baseline_wape = pct(base.wape if base else None)
        name = words("Company") if node.level == "company" else f"{node.name} ({node.key})"
    win = ml.win(as_of, limit=0, reasons=False)
    m = win.metrics
    bin_rows = [BinRow(f"{b.low:.1f}–{b.high:.1f}", b.count, pct(b.predicted),
                       pct(b.observed)) for b in m.reliability] if m else []
    reliability = {"bins": [r.bin for r in bin_rows],
                   "predicted": [None if b.predicted is None else round(b.predicted * 100, 1)
                                 for b in m.reliability] if m else [],
                   "observed": [None if b.observed is None else round(b.observed * 100, 1)
                                for b in m.reliability] if m else [],
                   "names": {"predicted": words("Predicted"), "observed": words("Observed"),
                             "ideal": words("Perfect calibration")}}
    figures = ""
    if m is not None:
        figs = {k: MISSING if v is None else format(v, ".3f") for k, v in (
            ("auc", m.auc), ("base", m.baseline_auc), ("brier", m.brier), ("ece", m.ece))}
        figures = words("AUC %(auc)s (baseline %(base)s), Brier %(brier)s, calibration error "
                        "%(ece)s, on %(n)s deals of the later held-out period",
                        n=m.test_rows, **figs)
    att = ml.attainment(as_of, grain="quarter")
    attainment_rows = [AttainmentRow(
        rep_id=r.rep_id, name=r.name, target=money(r.target), won=money(r.won),
        expected=money(r.expected), attainment=pct(r.attainment),
        interval=MISSING if r.low is None else f"{pct(r.low)} – {pct(r.high)}",
        baseline=pct(r.baseline), at_risk=bool(r.at_risk)) for r in att.reps]
    rf = att.backtest.reliable_from
    reliable = "" if not att.enough else (
        words("Reliable from %(share)s of the quarter on (error within 15 points).",
              share=percent(rf / 6, locale, 0)) if rf is not None
        else words("Not yet reliable within the quarter (error above 15 points)."))
    acts = ml.actions(as_of)
    action_rows = [RepActionsRow(r.rep_id, r.name, [
        ActionRow(a.title.get(lang), a.reason.get(lang), money(a.stake), a.link)
        for a in r.actions]) for r in acts.reps if r.actions]
    pot = ml.customers(as_of, limit=10)
    customer_rows = [CustomerRow(c.customer_id, c.name or MISSING, c.owner_rep_id or MISSING,
                                 money(c.score), money(c.revenue_year),
                                 ", ".join(n.get(lang) for _, n, _ in c.reasons))
                     for c in pot.customers]
    targets_shown = principal.role != "rep"
    target_rows: list[TargetRow] = []
    fair_rows: list[FairRow] = []
    targets_period = targets_note = fairness_period = ""
    if targets_shown:
        rec = ml.targets(as_of)
        targets_period, targets_note = rec.period, rec.note.get(lang)
        fairness_period = rec.fairness_period or ""
        target_rows = [TargetRow(r.rep_id, r.name, money(r.current), money(r.recommended),
                                 r.explanation.get(lang)) for r in rec.rows]
        schemes = {"recommended": words("Recommended"), "flat": words("Flat"),
                   "plan": words("Plan")}
        fair_rows = [FairRow(schemes[f.scheme], f.reps, pct(f.mean), pct(f.spread),
                             MISSING if f.gini is None else f"{f.gini:.3f}", pct(f.below))
                     for f in rec.fairness]
    return ForecastView(
        customers_note=pot.note.get(lang), customer_rows=customer_rows,
        targets_shown=targets_shown, targets_period=targets_period, targets_note=targets_note,
        target_rows=target_rows, fairness_period=fairness_period, fair_rows=fair_rows,
        as_of=as_of, who=_key(node.level, node.key) if node else "", choices=choices,
        name=name, enough=report.enough, note=report.note.get(lang), method=method, wape=wape,
        baseline_wape=baseline_wape, month_rows=month_rows, win_note=win.note.get(lang),
        win_figures=figures, bin_rows=bin_rows, attainment_period=att.period,
        attainment_note=att.note.get(lang), attainment_rows=attainment_rows,
        reliable=reliable, actions_note=acts.note.get(lang), action_rows=action_rows,
        charts={"forecast": chart, "reliability": reliability},
        forecast_model=model_text(report.record, words),
        win_model=model_text(win.record, words))


@router.get("/forecast", response_class=HTMLResponse)
async def forecast_page(request: Request, who: Param = None) -> Response:
    """The forecasts, predictions and next actions page, for every signed-in role."""

    def read(session: Session, p: Principal, words: Callable[..., str]) -> tuple[Any, str | None]:
        return forecast_view(session, p, words, who=who), as_of_text(session, p.locale)

    return await filtered_page(request, "forecast", FORECAST_KEYS, read)
