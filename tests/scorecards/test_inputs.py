"""Who is scored in a period, and what a rep without records counts as."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from salescore.core.periods import parse_period
from salescore.engine.kpis import KpiRequest
from salescore.scorecards import Scorecards, WorkingPeriod, additive_kpis
from salescore.scorecards.inputs import complete_values
from salescore.semantic.catalog import shipped_catalog
from salescore.semantic.plan_loader import parse_plan

MARCH = parse_period("2025-03")


@pytest.mark.parametrize(("hired", "active", "seen", "works"), [
    (None, True, None, True),
    (date(2025, 3, 31), True, None, True),        # hired on the last day
    (date(2025, 4, 1), True, None, False),        # hired after
    (date(2024, 1, 1), False, date(2025, 3, 1), True),   # left, seen on the first day
    (date(2024, 1, 1), False, date(2025, 2, 28), False),  # left before
    (date(2024, 1, 1), False, None, False),       # left, never seen at work
])
def test_working_period(hired: date | None, active: bool, seen: date | None,
                        works: bool) -> None:
    assert WorkingPeriod(hired, active, seen).covers(MARCH) is works


def test_members_are_the_plan_s_reps_who_worked_then(local_cards: Scorecards) -> None:
    roster = local_cards.roster()
    plan = parse_plan(
        "name: p\ntitle: {en: P, zh: 甲}\ngrain: month\n"
        "applies_to: {titles: [Account Executive]}\n"
        "lines: [{kpi: deals_won, weight: 1, scoring: {method: percentile}}]\n"
        "ratings: [{label: A}]\n")
    # a3's title is "account executive " (case and spaces ignored); m1 is a manager.
    assert roster.members(plan.applies_to, parse_period("2025-02"))["rep_id"].tolist() == [
        "a1", "a2", "a3", "a4"]
    # a4 was last seen on 2025-02-10; a5 was hired on 2025-05-10.
    assert roster.members(plan.applies_to, parse_period("2025-05"))["rep_id"].tolist() == [
        "a1", "a2", "a3", "a5"]
    assert roster.worked(["a5", "a4", "a1"], parse_period("2025-04")) == ["a1"]


def test_the_engine_returns_zero_not_null_for_a_rep_without_records(
    local_cards: Scorecards,
) -> None:
    """What the fairness rule relies on: a3 closed nothing in February."""
    result = local_cards.engine.compute(KpiRequest(("revenue_won", "deals_won", "win_rate"),
                                                   by="rep", period="2025-02"))
    rows = {row["rep_id"]: row for row in result.table.to_pylist()}
    assert (rows["a3"]["revenue_won"], rows["a3"]["deals_won"]) == (0, 0)
    assert rows["a3"]["win_rate"] is None  # a ratio of nothing is missing, not 0


def test_complete_values_adds_members_the_engine_left_out() -> None:
    engine_said = pa.table({"rep_id": ["r1", "r9"], "period": ["2025-03", "2025-03"],
                            "revenue_won": pa.array([120.0, 5.0]),
                            "deals_won": pa.array([None, 1], pa.int64()),
                            "win_rate": [0.5, 0.1]})
    done = complete_values(engine_said, key="rep_id",
                           kpis=["revenue_won", "deals_won", "win_rate"],
                           rows={"2025-03": ["r1", "r2"], "2025-02": ["r1"]},
                           additive={"revenue_won", "deals_won"})
    assert done["rep_id"].tolist() == ["r1", "r2", "r1"]
    assert done["period"].tolist() == ["2025-03", "2025-03", "2025-02"]
    # r2 has no row: counts and sums 0, the ratio missing; r9 (not a member) is dropped.
    # r1's deals_won came back unknown (the engine fills its own zeros, so a null it returns
    # is unknown, e.g. amounts that cannot be converted): it stays unknown, never 0.
    assert done["revenue_won"].tolist() == [120.0, 0.0, 0.0]
    assert np.isnan(done["deals_won"].iloc[0])
    assert done["deals_won"].tolist()[1:] == [0.0, 0.0]
    assert np.isnan(done["win_rate"].to_numpy()[1:]).all()
    assert done["win_rate"].iloc[0] == 0.5


def test_additive_kpis_are_the_counts_and_sums() -> None:
    names = ["revenue_won", "deals_won", "visits", "win_rate", "csat_avg", "nps",
             "stale_opportunities", "assist_points"]
    assert additive_kpis(shipped_catalog(), names) == {
        "revenue_won", "deals_won", "visits", "stale_opportunities", "assist_points"}


MEDIAN_PLAN = """\
name: median-plan
title: {en: Median, zh: 中位数}
grain: month
applies_to: {titles: [Account Executive]}
lines:
  - kpi: deals_won
    weight: 1
    target: {source: team_median_previous}
    scoring: {method: linear, cap: 1.2}
ratings: [{label: A, min: 100}, {label: B}]
"""


def test_a_new_hire_does_not_drag_the_team_median_down(local_cards: Scorecards) -> None:
    plan = parse_plan(MEDIAN_PLAN)
    card = local_cards.compute(plan, [parse_period("2025-05")])[0]
    # April deals: a1 2, a2 0 (worked, closed nothing), a3 1; a5 was not hired in April and
    # has no April value at all. North's median over a1, a2 = 1 (with a5 as 0 it would be 0
    # and nobody in north would have a target); south's is a3's 1.
    lines = card.lines.set_index("rep_id")
    assert lines["target"].to_dict() == {"a1": 1.0, "a2": 1.0, "a3": 1.0, "a5": 1.0}
    # May: a1 1 → 100, a2 3 → capped 120, a3 1 → 100, a5 1 → 100.
    scores = card.subjects.set_index("rep_id")["score"]
    assert scores.to_dict() == {"a1": 100.0, "a2": 120.0, "a3": 100.0, "a5": 100.0}
    assert isinstance(card.subjects, pd.DataFrame)
