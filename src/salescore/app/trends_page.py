"""Market trends and training impact: ``/trends`` for every signed-in role, within their scope.

Trend lines of one measure (revenue won, deals created or win rate) per month for the company
or each value of a dimension (segment, product, region, channel), raw (dashed) and seasonally
adjusted (solid) where there are two years of history, with the fastest-growing and
fastest-shrinking named; then each course's effect on its trainees' KPI with its 95 %
interval (bars with whiskers), or "not enough data". Each chart reads its figures from a JSON
block and has a table that says the same. The filters live in the URL and come back on the
next visit (``?reset=1`` forgets them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from salescore.app.formatting import MISSING, as_of_text, number, percent
from salescore.app.pages import filtered_page
from salescore.core.access import Principal
from salescore.workspace import Session
from salescore.workspace.analyses import (
    DIMENSIONS,
    MEASURES,
    TRAINING_KPIS,
    CourseImpact,
    TrainingReport,
    TrendReport,
)

__all__ = ["TRENDS_KEYS", "WINDOWS", "TrendsView", "router", "trends_view"]

router = APIRouter(include_in_schema=False)

TRENDS_KEYS = ("by", "measure", "kpi", "window")
WINDOWS = (1, 3, 6, 9, 12)
Param = Annotated[str | None, Query(max_length=40)]


@dataclass(frozen=True)
class MonthRow:
    month: str
    cells: list[str]  # per value: raw, adjusted


@dataclass(frozen=True)
class EffectRow:
    course: str
    kind: str
    completed: int
    counted: int
    before: str
    after: str
    peers_before: str
    peers_after: str
    effect: str
    interval: str
    enough: bool


@dataclass(frozen=True)
class TrendsView:
    by: str
    bys: list[tuple[str, str]]
    measure: str
    measures: list[tuple[str, str]]
    kpi: str
    kpis: list[tuple[str, str]]
    window: int
    months: list[str]
    adjusted: bool
    note: str
    words: str
    values: list[str]
    month_rows: list[MonthRow]
    training_note: str
    effect_rows: list[EffectRow]
    kind_rows: list[EffectRow]
    charted: int
    charts: dict[str, Any] = field(default_factory=dict)


def _names(words: Callable[..., str]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    bys = {"company": words("Company"), "segment": words("Segment"),
           "product": words("Product"), "region": words("Region"),
           "channel": words("Channel")}
    measures = {"revenue_won": words("Revenue won"),
                "opportunities_created": words("Deals created"), "win_rate": words("Win rate")}
    kpis = {"win_rate": words("Win rate"), "lead_to_win_rate": words("Lead-to-win rate"),
            "revenue_won": words("Revenue won per month")}
    return bys, measures, kpis


def _rate(kpi: str) -> bool:
    return kpi.endswith("rate")


def _value(v: float | None, kpi: str, locale: str) -> str:
    if v is None:
        return MISSING
    return percent(v, locale, 1) if _rate(kpi) else number(v, locale, 0)


def _effect(v: float | None, kpi: str, locale: str, words: Callable[..., str]) -> str:
    if v is None:
        return MISSING
    if _rate(kpi):
        text = number(v * 100, locale, 1)
        return words("%(n)s points", n=("+" + text) if v > 0 else text)
    text = number(v, locale, 0)
    return ("+" + text) if v > 0 else text


def _rows(impacts: list[CourseImpact], kpi: str, locale: str, words: Callable[..., str],
          kinds: dict[str, str]) -> list[EffectRow]:
    out = []
    for c in impacts:
        e = c.effect(kpi)
        out.append(EffectRow(
            course=c.course if c.course is not None else words("All %(kind)s courses",
                                                                  kind=kinds.get(c.kind, c.kind)),
            kind=kinds.get(c.kind, c.kind), completed=c.trainees, counted=e.trainees,
            before=_value(e.before, kpi, locale), after=_value(e.after, kpi, locale),
            peers_before=_value(e.peers_before, kpi, locale),
            peers_after=_value(e.peers_after, kpi, locale),
            effect=_effect(e.estimate, kpi, locale, words) if e.enough
            else words("not enough data"),
            interval=(f"{_effect(e.low, kpi, locale, words)} … "
                      f"{_effect(e.high, kpi, locale, words)}") if e.enough else MISSING,
            enough=e.enough))
    return out


def trends_view(session: Session, principal: Principal, words: Callable[..., str], *,
                by: str | None = None, measure: str | None = None, kpi: str | None = None,
                window: str | None = None) -> TrendsView:
    """The page as ``session`` sees it: the trend of ``measure`` (default revenue won) by
    ``by`` (default segment), and the training effect on ``kpi`` (default win rate) over
    ``window`` months before and after (default 6)."""
    locale = principal.locale
    lang = "zh_CN" if locale == "zh_CN" else "en"
    bys, measures, kpis = _names(words)
    by = by if by in ("company", *DIMENSIONS) else "segment"
    measure = measure if measure in MEASURES else "revenue_won"
    kpi = kpi if kpi in TRAINING_KPIS else "win_rate"
    trend: TrendReport = session.trends(by=by)
    months = int(window) if window in {str(w) for w in WINDOWS} else 6
    training: TrainingReport = session.training(window=months)
    shown = [s for s in trend.series if s.measure == measure]
    values = [bys["company"] if s.value is None and by == "company"
              else words("unknown") if s.value is None else str(s.value) for s in shown]
    scale = 100 if measure == "win_rate" else 1

    def plot(xs: list[float | None] | None) -> list[float | None]:
        return [None if x is None else round(x * scale, 2) for x in (xs or [])]

    series: list[dict[str, Any]] = []
    for name, s in zip(values, shown, strict=True):
        if s.adjusted is not None:
            series.append({"name": words("%(name)s, adjusted", name=name),
                           "data": plot(s.adjusted)})
        series.append({"name": words("%(name)s, raw", name=name), "data": plot(s.raw),
                       "dashed": s.adjusted is not None})
    month_rows = [MonthRow(m, [c for s in shown for c in (
        _value(s.raw[i], measure if measure == "win_rate" else "x", locale),
        _value(s.adjusted[i], measure if measure == "win_rate" else "x", locale)
        if s.adjusted else MISSING)]) for i, m in enumerate(trend.months)]
    kind_names = {"elearning": words("e-learning"), "workshop": words("workshop"),
                  "coaching": words("coaching"), "vr_simulation": words("VR simulation"),
                  "ar_demo": words("AR demo")}
    effect_rows = _rows(training.courses, kpi, locale, words, kind_names)
    kind_rows = _rows(training.kinds, kpi, locale, words, kind_names)
    charted = [(r, c.effect(kpi)) for r, c in zip(effect_rows + kind_rows,
                                                  training.courses + training.kinds,
                                                  strict=True) if r.enough]
    escale = 100 if _rate(kpi) else 1

    def rnd(x: float | None) -> float | None:
        return None if x is None else round(x * escale, 2)

    charts = {
        "trend": {"periods": trend.months, "series": series, "percent": measure == "win_rate"},
        "effects": {"name": kpis[kpi], "percent": _rate(kpi),
                    "categories": [r.course for r, _ in charted],
                    "values": [rnd(e.estimate) for _, e in charted],
                    "low": [rnd(e.low) for _, e in charted],
                    "high": [rnd(e.high) for _, e in charted],
                    "interval": words("Confidence interval")},
    }
    return TrendsView(
        by=by, bys=list(bys.items()), measure=measure, measures=list(measures.items()),
        kpi=kpi, kpis=list(kpis.items()), window=months, months=trend.months,
        adjusted=trend.adjusted,
        note=trend.note.get(lang),
        words=trend.words[measure].get(lang) if measure in trend.words else "",
        values=values, month_rows=month_rows, training_note=training.note.get(lang),
        effect_rows=effect_rows, kind_rows=kind_rows, charted=len(charted), charts=charts)


@router.get("/trends", response_class=HTMLResponse)
async def trends_page(request: Request, by: Param = None, measure: Param = None,
                      kpi: Param = None, window: Param = None) -> Response:
    """The market trends and training impact page, for every signed-in role."""

    def read(session: Session, p: Principal, words: Callable[..., str]) -> tuple[Any, str | None]:
        return (trends_view(session, p, words, by=by, measure=measure, kpi=kpi, window=window),
                as_of_text(session, p.locale))

    return await filtered_page(request, "trends", TRENDS_KEYS, read)
