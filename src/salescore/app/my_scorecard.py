"""Home / My scorecard: what a signed-in rep sees at ``/``, read from their session alone.

The period shown is the one asked for (``?period=``) when the rep has a stored score in it,
else the latest stored period; the plan is the one that scored that period (the first by name
when several did). Each line is its KPI's value against its target, the gap and the
attainment; beside the score, the change against the previous stored period of the same plan,
and the trend over its last :data:`TREND_PERIODS` stored periods, which the page's chart
script reads from a JSON block. Numbers are formatted for the locale here, so that the
template only places them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from salescore.app.formatting import kpi_value, number, percent, signed
from salescore.core.text import Text
from salescore.workspace import Session

__all__ = ["TREND_PERIODS", "LineView", "Scorecard", "my_scorecard"]

TREND_PERIODS = 12


@dataclass(frozen=True)
class LineView:
    """One line of the scorecard as the page shows it (texts already formatted)."""

    kpi: str
    label: str
    value: str
    target: str
    gap: str
    gap_good: bool | None
    attainment: str
    bar: float  # the attainment clipped to 0..1, for the progress bar
    points: str
    weight: str


@dataclass(frozen=True)
class Scorecard:
    """The page's data: the chosen period, its score and lines, and the trend."""

    rep_id: str
    plan: str
    plan_title: str
    period: str
    periods: list[str]  # the picker's choices, latest first
    score: str
    rating: str
    change: str | None  # against the previous stored period of the plan
    change_good: bool | None
    previous_period: str | None
    lines: list[LineView]
    trend: dict[str, Any] = field(default_factory=dict)  # periods and scores, for the chart
    trend_texts: list[str] = field(default_factory=list)  # the scores formatted, for the table


def my_scorecard(session: Session, rep_id: str, locale: str,
                 period: str | None = None) -> Scorecard | None:
    """Rep ``rep_id``'s scorecard for ``period`` (else the latest scored one) as ``session``
    sees it; ``None`` when the rep has no stored score yet. :class:`OutOfScope` for a rep the
    session does not reach."""
    history = [s for s in session.rep_score_history(rep_id) if s.status == "ok"]
    if not history:
        return None
    calendar = session.workspace.settings.calendar
    by_start = sorted(history, key=lambda s: (calendar.parse(s.period).start, s.plan))
    chosen = next((s for s in by_start if s.period == period), None) or by_start[-1]
    found = session.score_explanation(rep_id, chosen.period, chosen.plan, records=False)
    e = found.explanation
    plan_rows = [s for s in history if s.plan == chosen.plan]  # by period start
    index = next(i for i, s in enumerate(plan_rows) if s.period == chosen.period)
    previous = plan_rows[index - 1] if index > 0 else None
    change = None if previous is None or previous.score is None or e.score is None \
        else e.score - previous.score
    trend_rows = plan_rows[max(0, index + 1 - TREND_PERIODS):index + 1]
    currency = session.workspace.settings.organisation.currency
    kpis = session.catalog.kpis
    lines = []
    for line in e.lines:
        spec = kpis.get(line.kpi)
        unit = str(spec.unit) if spec is not None else ""
        label = spec.label.get(locale) if spec is not None else line.kpi
        gap = None if line.value is None or line.target is None else line.value - line.target
        lower = line.direction == "lower"
        lines.append(LineView(
            kpi=line.kpi, label=label,
            value=kpi_value(line.value, unit, currency, locale),
            target=kpi_value(line.target, unit, currency, locale),
            gap="—" if gap is None else signed(kpi_value(gap, unit, currency, locale), gap),
            gap_good=None if gap is None or gap == 0 else (gap < 0) == lower,
            attainment="—" if line.attainment is None else percent(line.attainment, locale),
            bar=0.0 if line.attainment is None else max(0.0, min(1.0, line.attainment)),
            points=number(line.points, locale),
            weight=percent(line.weight, locale)))
    title: Text | None = getattr(found.plan, "title", None)
    return Scorecard(
        rep_id=rep_id, plan=chosen.plan,
        plan_title=title.get(locale) if title is not None else chosen.plan,
        period=chosen.period,
        periods=list(dict.fromkeys(s.period for s in reversed(by_start))),
        score=number(e.score, locale), rating=found.rating_title(locale) or (e.rating or "—"),
        change=None if change is None else signed(number(change, locale), change),
        change_good=None if not change else change > 0,
        previous_period=previous.period if previous else None, lines=lines,
        trend={"periods": [s.period for s in trend_rows],
               "scores": [s.score for s in trend_rows]},
        trend_texts=[number(s.score, locale) for s in trend_rows])
