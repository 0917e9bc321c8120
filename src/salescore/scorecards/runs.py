"""Scoring a plan over one or more periods: gather the inputs once, score each period.

One KPI query covers every period asked for (and the period before each, when a target needs
it); the reps, the team tree and the targets are read once. Each period is then scored by
:func:`salescore.scorecards.arithmetic.score_period` on its own members: the reps the plan applies
to who
worked in that period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from salescore.appstore.scores import StoreCounts
from salescore.core.periods import Calendar, Period
from salescore.core.text import Bilingual, Text
from salescore.engine.kpis import KpiEngine
from salescore.scorecards.arithmetic import Scorecard, score_period
from salescore.scorecards.inputs import (
    PeriodValues,
    Roster,
    additive_kpis,
    kpi_values,
    read_targets,
)
from salescore.semantic.plan import AppliesTo, Plan
from salescore.semantic.specs import Direction

__all__ = ["PlanPeriodScore", "ScoreRun", "Skipped", "compute_scorecards"]


@dataclass(frozen=True)
class PlanPeriodScore:
    """One plan version's scorecard for one period, and what storing it did (``None``: not
    stored)."""

    plan: str
    version: int
    version_id: int
    period: str
    card: Scorecard
    stored: StoreCounts | None = None


@dataclass(frozen=True)
class Skipped(Bilingual):
    """A plan that was not scored for a period, and why (en, zh-CN)."""

    plan: str
    period: str
    text: Text


@dataclass(frozen=True)
class ScoreRun:
    """What ``score`` did: the scorecards made (in plan, then period order) and the plans
    skipped."""

    period: str
    results: tuple[PlanPeriodScore, ...]
    skipped: tuple[Skipped, ...] = ()


def compute_scorecards(
    engine: KpiEngine,
    roster: Roster,
    plan: Plan,
    periods: Sequence[Period],
    *,
    directions: Mapping[str, Direction | str],
    calendar: Calendar,
    subjects: AppliesTo | None = None,
) -> list[Scorecard]:
    """Score ``plan`` for each of ``periods`` (all of the plan's grain), in order.

    ``subjects`` picks the reps in place of the plan's own ``applies_to`` (a what-if replaying
    a plan on another plan's reps).
    """
    if not periods:
        return []
    applies_to = subjects if subjects is not None else plan.applies_to
    kpis = list(plan.kpis())
    line_kpis = [line.kpi for line in plan.lines]
    needs_previous = plan.needs_previous()
    asked = list(periods) + ([p.previous() for p in periods] if needs_previous else [])
    additive = additive_kpis(engine.catalog, kpis)
    values = PeriodValues(kpi_values(engine, kpis, by="rep", periods=asked, grain=plan.grain),
                          key="rep_id", kpis=kpis, additive=additive)
    targets = read_targets(engine.runner, line_kpis, calendar) if plan.needs_targets() else None
    team_values = (
        PeriodValues(kpi_values(engine, line_kpis, by="team", periods=asked, grain=plan.grain),
                     key="team_id", kpis=line_kpis, additive=additive)
        if plan.needs_team_values() else None)
    cards = []
    for period in periods:
        label, before = str(period), str(period.previous())
        members = roster.members(applies_to, period)
        reps = members["rep_id"].tolist()
        current = values.rows(label, reps)
        previous = (values.rows(before, roster.worked(reps, period.previous()))
                    if needs_previous else None)
        teams_now = teams_before = None
        if team_values is not None:
            team_ids = list(dict.fromkeys(members["team_id"].tolist()))
            teams_now = team_values.rows(label, team_ids)
            teams_before = team_values.rows(before, team_ids) if needs_previous else None
        period_targets = None
        if targets is not None:
            # Only this period's rows, already in canonical form: scoring need not look at
            # the whole table once per period.
            period_targets = targets.get(label, _NO_TARGETS)
        cards.append(score_period(
            plan, period, members=members, values=current, previous=previous,
            targets=period_targets, directions=directions, team_values=teams_now,
            team_previous=teams_before,
        ))
    return cards


_NO_TARGETS = pd.DataFrame({"scope": pd.Series([], dtype=object),
                            "scope_id": pd.Series([], dtype=object),
                            "period": pd.Series([], dtype=object),
                            "kpi": pd.Series([], dtype=object),
                            "value": pd.Series([], dtype="float64")})
