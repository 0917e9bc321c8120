"""The tiny organisation of the scoring tests: two teams, six reps, March 2025 and February.

north: r1, r2, r3; south: r4, r5, r6. Every number below is used by a test that works out the
expected scores by hand, in its comments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from salescore.core.periods import Period, parse_period
from salescore.semantic.plan import Plan

NAN = np.nan

DIRECTIONS = {
    "revenue_won": "higher",
    "deals_won": "higher",
    "csat_avg": "higher",
    "activities": "higher",
    "avg_sales_cycle_days": "lower",
    "avg_response_hours": "lower",
    "assist_points": "higher",
    "cross_team_assists": "higher",
}


@pytest.fixture
def march() -> Period:
    return parse_period("2025-03")


@pytest.fixture
def members() -> pd.DataFrame:
    return pd.DataFrame({
        "rep_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
        "team_id": ["north", "north", "north", "south", "south", "south"],
    })


@pytest.fixture
def values() -> pd.DataFrame:
    """March 2025, as the KPI engine returns it (a period column, one column per KPI)."""
    return pd.DataFrame({
        "rep_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
        "period": ["2025-03"] * 6,
        "revenue_won": [120.0, 80.0, 50.0, 100.0, 0.0, NAN],
        "deals_won": [6.0, 3.0, 9.0, 5.0, 4.0, NAN],
        "csat_avg": [4.5, 3.5, 3.6, 5.0, NAN, 4.2],
        "activities": [10.0, 20.0, 20.0, 40.0, 5.0, NAN],
        "avg_sales_cycle_days": [30.0, 40.0, 60.0, 20.0, 0.0, 45.0],
        "avg_response_hours": [2.0, 4.0, 4.0, 1.0, 8.0, NAN],
        "assist_points": [4.0, 0.0, 10.0, NAN, 2.0, 0.0],
        "cross_team_assists": [1.0, 0.0, 3.0, NAN, 0.0, 0.0],
    })


@pytest.fixture
def previous() -> pd.DataFrame:
    """February 2025. r7 has left north since: the team median must not count them."""
    return pd.DataFrame({
        "rep_id": ["r1", "r2", "r3", "r4", "r6", "r7"],
        "period": ["2025-02"] * 6,
        "revenue_won": [100.0, 100.0, 40.0, 80.0, 70.0, 900.0],
        "deals_won": [4.0, 6.0, 10.0, 2.0, 8.0, 90.0],
    })


@pytest.fixture
def targets() -> pd.DataFrame:
    """Rows of the targets table: March rep targets, plus rows that must be ignored."""
    return pd.DataFrame({
        "scope": ["rep", "rep", "rep", "rep", "rep", "rep", "team", "team"],
        "scope_id": ["r1", "r2", "r4", "r5", "r6", "r1", "north", "north"],
        "period": ["2025-03", "2025-03", "2025-03", "2025-03", "2025-03", "2025-02",
                   "2025-03", "2025-02"],
        "kpi": ["revenue_won"] * 8,
        "value": [100.0, 100.0, 80.0, 50.0, 100.0, 999.0, 200.0, 1.0],
        "set_by": ["ann"] * 8,
        "reason": [None] * 8,
    })


RATINGS = [{"label": "A", "min": 90}, {"label": "B", "min": 75}, {"label": "C", "min": 60},
           {"label": "D"}]


def plan_of(lines: list[dict[str, Any]], **extra: Any) -> Plan:
    """A month plan over ``lines`` with the A/B/C/D ratings unless ``extra`` says otherwise."""
    document: dict[str, Any] = {
        "name": "tiny", "title": {"en": "Tiny", "zh": "小"}, "grain": "month",
        "lines": lines, "ratings": RATINGS, "missing": {"min_coverage": 0.5},
    }
    document.update(extra)
    return Plan.model_validate(document)


@pytest.fixture
def make_plan() -> Callable[..., Plan]:
    return plan_of
