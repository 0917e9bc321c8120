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

from salescore.app.formatting import kpi_value, moment, number, percent, signed
from salescore.core.access import Principal
from salescore.core.text import Text
from salescore.workspace import Session

__all__ = ["TREND_PERIODS", "LineView", "Scorecard", "my_scorecard"]

TREND_PERIODS = 12
RADAR_NAMES = Text("Attainment", "达成率"), Text("Team median", "团队中位数")


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
    last_year: str | None = None  # the same period a year before, when it was scored
    year_change: str | None = None
    year_change_good: bool | None = None
    radar: dict[str, Any] = field(default_factory=dict)  # the rep's attainment and the team's
    radar_rows: list[tuple[str, str, str]] = field(default_factory=list)  # label, rep, team
    # the feedback and praise tied to each line in the period that the viewer reads, by KPI:
    # (author, kind, text, when)
    feedback: dict[str, list[tuple[str, str, str, str]]] = field(default_factory=dict)


def my_scorecard(session: Session, rep_id: str, locale: str,
                 period: str | None = None, me: Principal | None = None) -> Scorecard | None:
    words_you, words_team = (name.get(locale) for name in RADAR_NAMES)
    """Rep ``rep_id``'s scorecard for ``period`` (else the latest scored one) as ``session``
    sees it; ``None`` when the rep has no stored score yet. :class:`OutOfScope` for a rep the
    session does not reach. With ``me`` (the viewer), each line carries the feedback tied
    to it in the period that ``me`` may read."""
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
    shown = calendar.parse(chosen.period)
    try:
        year_label = str(calendar.period_of(shown.start.replace(year=shown.start.year - 1),
                                            shown.grain))
    except ValueError:  # no 29 February a year before
        year_label = ""
    year_ago = next((s for s in plan_rows if s.period == year_label), None)
    year_change = None if year_ago is None or year_ago.score is None or e.score is None \
        else e.score - year_ago.score
    medians = session.team_line_medians(rep_id, chosen.period, chosen.plan)
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
            # A line whose inputs are all unknown says so rather than showing a dash.
            value=kpi_value(line.value, unit, currency, locale) if line.value is not None
            else line.status_text(locale),
            target=kpi_value(line.target, unit, currency, locale),
            gap="—" if gap is None else signed(kpi_value(gap, unit, currency, locale), gap),
            gap_good=None if gap is None or gap == 0 else (gap < 0) == lower,
            attainment="—" if line.attainment is None else percent(line.attainment, locale),
            bar=0.0 if line.attainment is None else max(0.0, min(1.0, line.attainment)),
            points=number(line.points, locale),
            weight=percent(line.weight, locale)))
    radar_lines = [(line, ln) for line, ln in zip(e.lines, lines, strict=True)
                   if line.attainment is not None or line.kpi in medians]

    def pct(value: float | None) -> float | None:
        return None if value is None else round(value * 100, 1)

    radar = {"indicators": [{"name": ln.label, "max": 150} for _, ln in radar_lines],
             "series": [{"name": words_you, "data": [pct(line.attainment)
                                                     for line, _ in radar_lines]},
                        {"name": words_team, "data": [pct(medians.get(line.kpi))
                                                      for line, _ in radar_lines]}]}
    radar_rows = [(ln.label, ln.attainment, percent(medians.get(line.kpi), locale))
                  for line, ln in radar_lines]
    title: Text | None = getattr(found.plan, "title", None)
    feedback: dict[str, list[tuple[str, str, str, str]]] = {}
    if me is not None:
        kinds = {"feedback": Text("Feedback", "反馈"), "praise": Text("Praise", "表扬")}
        for f in reversed(session.coaching.feedback(me, rep_id=rep_id, period=chosen.period,
                                                    kinds=("feedback", "praise"))):
            if f.kpi is not None:
                feedback.setdefault(f.kpi, []).append((
                    f.author, kinds[f.kind].get(locale), f.body,
                    moment(f.created_at, session, locale)))
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
        trend_texts=[number(s.score, locale) for s in trend_rows],
        last_year=year_ago.period if year_ago else None,
        year_change=None if year_change is None else signed(number(year_change, locale),
                                                            year_change),
        year_change_good=None if not year_change else year_change > 0,
        radar=radar if len(radar_lines) >= 3 else {}, radar_rows=radar_rows,
        feedback=feedback)
