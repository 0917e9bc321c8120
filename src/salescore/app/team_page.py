"""Team: what a manager sees of their team (and an executive or admin of any team), read from
the stored scores alone, never recomputed.

For one team (with the teams under it), one plan and one period: the leaderboard of its reps
with their ratings and the change of rank against the plan's previous stored period, a rep ×
line heatmap of attainment, the distribution of scores, each team's score over the plan's last
:data:`TREND_PERIODS` stored periods, and each rep's score as its individual part, its team part
and its collaboration credit. The page's charts read the figures from JSON blocks; every chart
has a table beside it that says the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import median
from typing import Any

from salescore.app.filters import PeriodChoice, period_choices, resolve_period
from salescore.app.formatting import MISSING, number, percent, signed
from salescore.workspace import Session, StoredScore

__all__ = ["TREND_PERIODS", "LeaderRow", "TeamView", "team_view"]

TREND_PERIODS = 12
BIN_WIDTH = 10  # points per bar of the score distribution


@dataclass(frozen=True)
class LeaderRow:
    """One rep on the leaderboard (texts formatted; ``move`` > 0 is up the board)."""

    rank: int
    rep_id: str
    name: str
    team: str
    score: str
    rating: str
    move: int | None
    move_text: str
    individual: str
    team_part: str
    credit: str


@dataclass(frozen=True)
class HeatCell:
    text: str
    band: str  # "low" under 80 %, "mid" to 100 %, "high" at or above; "none" when unknown


@dataclass(frozen=True)
class TeamView:
    """The page's data for one team, plan and period."""

    team_id: str
    team_name: str
    teams: list[tuple[str, str]]  # the picker's choices: id and name
    plan: str
    plans: list[tuple[str, str]]
    period: str
    asked_period: str  # what the picker shows as chosen (a relative choice or a label)
    periods: list[PeriodChoice]
    previous_period: str | None
    unscored: str | None  # the period asked for, when it has no stored score (yet)
    leaders: list[LeaderRow]
    kpis: list[tuple[str, str]]  # the plan's lines: KPI name and label
    heat: list[tuple[LeaderRow, list[HeatCell]]]
    median_score: str
    scored: int
    charts: dict[str, Any] = field(default_factory=dict)  # JSON for the page's script
    trend_rows: list[tuple[str, list[str]]] = field(default_factory=list)
    trend_teams: list[str] = field(default_factory=list)
    distribution: list[tuple[str, int]] = field(default_factory=list)
    ratings: list[tuple[str, int]] = field(default_factory=list)  # reps per rating, best first


def _subtree(teams: Sequence[Mapping[str, Any]], root: str) -> list[str]:
    """``root`` and every team under it, in the order of ``teams``."""
    children: dict[str | None, list[str]] = {}
    for t in teams:
        children.setdefault(t["parent_team_id"], []).append(t["team_id"])
    out, todo = [], [root]
    while todo:
        team = todo.pop(0)
        out.append(team)
        todo.extend(children.get(team, []))
    return out


def _default_team(teams: Sequence[Mapping[str, Any]], own: str | None) -> str | None:
    ids = {t["team_id"] for t in teams}
    if own in ids:
        return own
    tops = [t["team_id"] for t in teams if t["parent_team_id"] not in ids]
    return tops[0] if tops else None


def _ranked(rows: Sequence[StoredScore]) -> list[StoredScore]:
    """Scored reps best first (ties by id), those without a score after."""
    return sorted(rows, key=lambda r: (r.score is None, -(r.score or 0.0), r.subject_id))


def _band(attainment: float | None) -> str:
    if attainment is None:
        return "none"
    return "low" if attainment < 0.8 else "mid" if attainment < 1.0 else "high"


def team_view(session: Session, locale: str, words: Callable[..., str], today: date, *,
              own_team: str | None, team: str | None = None, plan: str | None = None,
              period: str | None = None) -> TeamView | None:
    """The team page for ``team`` (else the caller's own, else the top team they reach) as
    ``session`` sees it, or ``None`` when there is no team or no stored score in it yet.
    :class:`OutOfScope` for a team the session does not reach."""
    teams = session.teams()
    chosen_team = team or _default_team(teams, own_team)
    if chosen_team is None:
        return None
    if team is not None:
        session.require_team(team)
    names = {t["team_id"]: t["name"] or t["team_id"] for t in teams}
    tree = _subtree(teams, chosen_team)
    history = [s for s in session.team_score_history(tree) if s.status == "ok"]
    if not history:
        return None
    calendar = session.workspace.settings.calendar
    latest: dict[str, StoredScore] = {}
    for s in history:
        if s.plan not in latest or calendar.parse(s.period).start > calendar.parse(
                latest[s.plan].period).start:
            latest[s.plan] = s
    # By default the plan that scores the most of the team's reps in its latest period.
    def reach_of(name: str) -> tuple[int, str]:
        label = latest[name].period
        members = sum(int((s.breakdown or {}).get("members") or 0) for s in history
                      if s.plan == name and s.period == label)
        return members, name

    chosen_plan = plan if plan in latest else max(latest, key=reach_of)
    plan_rows = [s for s in history if s.plan == chosen_plan]
    stored_periods = sorted({s.period for s in plan_rows},
                            key=lambda p: calendar.parse(p).start, reverse=True)
    grain = calendar.parse(stored_periods[0]).grain
    wanted = resolve_period(calendar, period, today)
    chosen_period = str(wanted) if wanted is not None and str(wanted) in stored_periods \
        else stored_periods[0]
    index = stored_periods.index(chosen_period)
    previous = stored_periods[index + 1] if index + 1 < len(stored_periods) else None

    in_tree = set(tree)
    reps = {r["rep_id"]: r for r in session.reps()}

    def members(label: str) -> list[StoredScore]:
        return [s for s in session.stored_scores(label, chosen_plan, subject_kind="rep")
                if s.period == label and s.team_id in in_tree and s.status == "ok"]

    now_rows = _ranked(members(chosen_period))
    before = {s.subject_id: i + 1 for i, s in enumerate(_ranked(members(previous)))} \
        if previous else {}
    leaders = []
    for i, s in enumerate(now_rows, start=1):
        parts = s.breakdown or {}
        move = before[s.subject_id] - i if s.subject_id in before else None
        leaders.append(LeaderRow(
            rank=i, rep_id=s.subject_id, name=(reps.get(s.subject_id) or {}).get("name")
            or s.subject_id, team=names.get(s.team_id or "", s.team_id or ""),
            score=number(s.score, locale), rating=s.rating or MISSING, move=move,
            move_text=words("new") if move is None else
            ("=" if move == 0 else signed(str(move), move)),
            individual=number(parts.get("individual_part"), locale),
            team_part=number(parts.get("team_part"), locale),
            credit=number(parts.get("credit"), locale)))

    catalog = session.catalog.kpis
    kpi_names: list[str] = []
    for s in now_rows:
        for line in s.lines():
            if line["kpi"] not in kpi_names:
                kpi_names.append(line["kpi"])
    kpis = [(k, catalog[k].label.get(locale) if k in catalog else k) for k in kpi_names]
    heat = []
    cells_json = []
    for y, (row, s) in enumerate(zip(leaders, now_rows, strict=True)):
        by_kpi = {line["kpi"]: line for line in s.lines()}
        cells = []
        for x, k in enumerate(kpi_names):
            att = (by_kpi.get(k) or {}).get("attainment")
            cells.append(HeatCell(percent(att, locale), _band(att)))
            cells_json.append([x, y, None if att is None else round(att * 100, 1)])
        heat.append((row, cells))

    scores = [s.score for s in now_rows if s.score is not None]
    top = int(max(scores, default=0) // BIN_WIDTH) + 1
    counts = [0] * max(top, 10)
    for value in scores:
        counts[min(int(value // BIN_WIDTH), len(counts) - 1)] += 1
    bins = [f"{i * BIN_WIDTH}–{(i + 1) * BIN_WIDTH}" for i in range(len(counts))]

    best: dict[str, tuple[float, int]] = {}  # rating -> (best score in it, reps)
    for s in now_rows:
        if s.rating is not None:
            top_score, n = best.get(s.rating, (float("-inf"), 0))
            best[s.rating] = (max(top_score, s.score or 0.0), n + 1)
    ratings = [(r, n) for r, (_, n) in sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))]

    trend_periods = list(reversed(stored_periods[index:index + TREND_PERIODS]))
    by_team: dict[str, dict[str, float | None]] = {}
    for s in plan_rows:
        if s.period in trend_periods:
            by_team.setdefault(s.subject_id, {})[s.period] = s.score
    trend_teams = [t for t in tree if t in by_team]
    trend_series = [{"name": names.get(t, t),
                     "data": [by_team[t].get(p) for p in trend_periods]} for t in trend_teams]
    trend_rows = [(p, [number(by_team[t].get(p), locale) for t in trend_teams])
                  for p in trend_periods]

    charts = {
        "heatmap": {"reps": [r.name for r in leaders], "kpis": [label for _, label in kpis],
                    "cells": cells_json, "name": words("Attainment")},
        "distribution": {"bins": bins, "counts": counts, "name": words("Reps")},
        "ratings": {"categories": [r for r, _ in ratings], "integer": True,
                    "series": [{"name": words("Reps"), "data": [n for _, n in ratings]}]},
        "trend": {"periods": trend_periods, "series": trend_series},
        "contribution": {
            "reps": [r.name for r in leaders],
            "series": [
                {"name": words("Individual"), "data": [
                    (s.breakdown or {}).get("individual_part") for s in now_rows]},
                {"name": words("Team"), "data": [
                    (s.breakdown or {}).get("team_part") for s in now_rows]},
                {"name": words("Credit"), "data": [
                    (s.breakdown or {}).get("credit") for s in now_rows]}]},
    }
    return TeamView(
        team_id=chosen_team, team_name=names.get(chosen_team, chosen_team),
        teams=[(t["team_id"], names[t["team_id"]]) for t in teams],
        plan=chosen_plan, plans=[(name, name) for name in sorted(latest)], period=chosen_period,
        asked_period=period if period and wanted is not None and str(wanted) == chosen_period
        else chosen_period,
        periods=period_choices(calendar, grain, stored_periods, today, words),
        previous_period=previous,
        unscored=str(wanted) if wanted is not None and str(wanted) not in stored_periods
        else None, leaders=leaders, kpis=kpis, heat=heat,
        median_score=number(median(scores) if scores else None, locale), scored=len(scores),
        charts=charts, trend_rows=trend_rows, trend_teams=[names.get(t, t) for t in trend_teams],
        distribution=[(b, c) for b, c in zip(bins, counts, strict=True) if c],
        ratings=ratings)

