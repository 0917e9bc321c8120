"""Company: the figures an executive reads first (revenue, win rate, pipeline coverage, sales
cycle and satisfaction) for the whole of what they see, then by team, region, product, channel
or segment, with a walk-down from the company to a team to its reps.

Everything is read through the caller's session, so a manager who opens the page sees their
own part of the company. The headline cards are plain HTML (no script needed); the chart
reads its figures from a JSON block, and the table under it says the same with each figure
linked to the records behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from salescore.app.filters import PeriodChoice, relative_choices, resolve_period
from salescore.app.formatting import kpi_value
from salescore.core.periods import RELATIVE_PERIODS, Grain
from salescore.workspace import Session
from salescore.workspace.page_views import DASHBOARD_KPIS

__all__ = ["BREAKDOWNS", "COMPANY_KPIS", "CompanyView", "company_view"]

COMPANY_KPIS = DASHBOARD_KPIS  # worked out at each change of data (refresh_page_views)
BREAKDOWNS: tuple[str, ...] = ("team", "region", "product", "channel", "segment")
DEFAULT_PERIOD = "this-quarter"


@dataclass(frozen=True)
class Figure:
    kpi: str
    label: str
    text: str
    drill: str | None  # the URL of the records behind it


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    link: str | None  # one step further down (a team's teams or reps, a rep's scorecard)
    figures: list[Figure]
    values: Mapping[str, Any] = field(default_factory=dict)  # the numbers, for the chart


@dataclass(frozen=True)
class CompanyView:
    period: str
    asked_period: str
    periods: list[PeriodChoice]
    by: str
    breakdowns: list[tuple[str, str]]
    team: str | None
    trail: list[tuple[str, str]]  # the walk-down so far: (team id, name), top first
    level: str  # what the rows are: "team", "rep" or the dimension
    headline: list[Figure]
    kpis: list[tuple[str, str]]
    rows: list[Row]
    charts: dict[str, Any] = field(default_factory=dict)


def _drill(kpi: str, by: str, subject: str, period: str) -> str:
    return "/drill?" + urlencode({"kpi": kpi, "by": by, "subject": subject, "period": period})


def _choices(session: Session, today: date, words: Callable[..., str]) -> list[PeriodChoice]:
    """This and last month, quarter and year, then the last eight quarters and twelve months."""
    calendar = session.workspace.settings.calendar
    out = relative_choices(calendar, RELATIVE_PERIODS, today, words)
    fiscal = calendar.fiscal_year_start_month != 1
    quarter = calendar.period_of(today, Grain.FISCAL_QUARTER if fiscal else Grain.QUARTER)
    month = calendar.period_of(today, Grain.MONTH)
    for _ in range(8):
        out.append(PeriodChoice(str(quarter), str(quarter)))
        quarter = quarter.previous()
    for _ in range(12):
        out.append(PeriodChoice(str(month), str(month)))
        month = month.previous()
    return out


def _children(teams: Sequence[Mapping[str, Any]]) -> dict[str | None, list[str]]:
    ids = {t["team_id"] for t in teams}
    out: dict[str | None, list[str]] = {}
    for t in teams:
        parent = t["parent_team_id"] if t["parent_team_id"] in ids else None
        out.setdefault(parent, []).append(t["team_id"])
    return out


def company_view(session: Session, locale: str, words: Callable[..., str], today: date, *,
                 by: str | None = None, team: str | None = None,
                 period: str | None = None) -> CompanyView:
    """The company page as ``session`` sees it; :class:`OutOfScope` for a team out of reach."""
    settings = session.workspace.settings
    calendar = settings.calendar
    currency = settings.organisation.currency
    wanted = resolve_period(calendar, period, today)
    asked = period if wanted is not None and period else DEFAULT_PERIOD
    chosen = wanted or calendar.relative(DEFAULT_PERIOD, today)
    label = str(chosen)
    by = by if by in BREAKDOWNS else "team"
    catalog = session.catalog.kpis
    kpis = [(k, catalog[k].label.get(locale)) for k in COMPANY_KPIS if k in catalog]
    names = [k for k, _ in kpis]
    units = {k: str(catalog[k].unit) for k in names}

    def figures(values: Mapping[str, Any], subject_by: str, subject: str) -> list[Figure]:
        return [Figure(k, text, kpi_value(values.get(k), units[k], currency, locale),
                       _drill(k, subject_by, subject, label) if values.get(k) is not None
                       else None) for k, text in kpis]

    if team is not None and by == "team":  # the headline is the team walked down to
        session.require_team(team)
        total = session.kpis(names, by="team", period=label, subjects=[team]).to_pylist()
        headline = figures(total[0] if total else {}, "team", team)
    else:
        total = session.kpis(names, by="company", period=label).to_pylist()
        headline = figures(total[0] if total else {}, "company", "company")

    teams = session.teams()
    team_names = {t["team_id"]: t["name"] or t["team_id"] for t in teams}
    parents = {t["team_id"]: t["parent_team_id"] for t in teams}
    children = _children(teams)
    trail: list[tuple[str, str]] = []
    rows: list[Row] = []
    level = by
    if by == "team":
        if team is not None:
            session.require_team(team)
            step: str | None = team
            while step is not None and step in team_names:
                trail.insert(0, (step, team_names[step]))
                step = parents.get(step)
        tops = children.get(None, [])
        under = children.get(team, []) if team is not None else (
            children.get(tops[0], []) if len(tops) == 1 else tops)
        if team is None and len(tops) == 1:
            trail = [(tops[0], team_names[tops[0]])]
        if under:
            level = "team"
            values = {r["team_id"]: r for r in session.kpis(
                names, by="team", period=label, subjects=under).to_pylist()}
            for t in under:
                link = "/company?" + urlencode({"by": "team", "team": t, "period": asked})
                rows.append(Row(t, team_names[t], link, figures(values.get(t, {}), "team", t),
                                values.get(t, {})))
        else:
            level = "rep"
            leaf = team or (tops[0] if tops else None)
            reps = [r for r in session.reps() if r["team_id"] == leaf]
            ids = [r["rep_id"] for r in reps]
            values = {r["rep_id"]: r for r in session.kpis(
                names, by="rep", period=label, subjects=ids).to_pylist()} if ids else {}
            for r in reps:
                found = values.get(r["rep_id"], {})
                rows.append(Row(r["rep_id"], r["name"] or r["rep_id"], f"/reps/{r['rep_id']}",
                                figures(found, "rep", r["rep_id"]), found))
    else:
        for r in session.kpis(names, by=by, period=label).to_pylist():
            key = r.get(by)
            rows.append(Row("" if key is None else str(key),
                            words("unknown") if key is None else str(key), None,
                            figures(r, by, "" if key is None else str(key)), r))
    breakdown_names = {"team": words("Team"), "region": words("Region"),
                       "product": words("Product"), "channel": words("Channel"),
                       "segment": words("Segment")}
    charts = {"revenue": {
        "categories": [row.name for row in rows],
        "series": [{"name": dict(kpis).get("revenue_won", "revenue_won"),
                    "data": [row.values.get("revenue_won") for row in rows]}]}}
    return CompanyView(
        period=label, asked_period=asked, periods=_choices(session, today, words), by=by,
        breakdowns=[(b, breakdown_names[b]) for b in BREAKDOWNS], team=team, trail=trail,
        level=level, headline=headline, kpis=kpis, rows=rows, charts=charts)

