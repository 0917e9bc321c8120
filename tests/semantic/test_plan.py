"""The plan model: what a valid plan promises, and the shipped example plans."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from salescore.core.periods import Grain
from salescore.semantic.catalog import shipped_catalog
from salescore.semantic.plan import (
    Bands,
    Direction,
    Plan,
    PlanRulesFailed,
    format_path,
)
from salescore.semantic.plan_kpi_rules import check_kpis
from salescore.semantic.plan_loader import load_shipped_plans, shipped_plan_paths


def document(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "p", "title": {"en": "P", "zh": "甲"}, "grain": "month",
        "lines": [
            {"kpi": "revenue_won", "weight": 0.5, "target": {"source": "targets_table"},
             "scoring": {"method": "linear", "floor": 0.2, "cap": 1.5}},
            {"kpi": "csat_avg", "weight": 0.3, "target": {"source": "fixed", "value": 4.5},
             "scoring": {"method": "bands", "bands": [{"at": 1.0, "points": 100},
                                                      {"at": 0.8, "points": 60}]},
             "missing": "zero"},
            {"kpi": "activities", "weight": 0.2, "scoring": {"method": "percentile",
                                                             "floor": 0.1, "cap": 0.9}},
        ],
        "collaboration": {"points_per_assist_point": 0.5, "cap": 4},
        "ratings": [{"label": "A", "min": 90}, {"label": "B"}],
    }
    base.update(changes)
    return base


def rule_failures(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Plan.model_validate(data)
    cause = caught.value.errors()[0]["ctx"]["error"]
    assert isinstance(cause, PlanRulesFailed)
    return [f"{issue.rule} @ {format_path(issue.path)}" for issue in cause.issues]


def test_what_a_plan_reads_and_needs() -> None:
    plan = Plan.model_validate(document())
    # The cross-team rate is 0, so that KPI is not read.
    assert plan.kpis() == ("revenue_won", "csat_avg", "activities", "assist_points")
    assert plan.needs_targets() and not plan.needs_previous() and not plan.needs_team_values()
    assert plan.grain is Grain.MONTH


def test_bounds_follow_the_lines() -> None:
    plan = Plan.model_validate(document())
    # Linear 20..150; bands 0 (below 0.8, and the zero policy)..100; percentile 10..90.
    assert plan.points_range() == (0.0, 150.0)
    assert plan.score_bounds() == (0.0, 154.0)
    only_linear = Plan.model_validate(document(lines=[document()["lines"][0] | {"weight": 1}]))
    assert only_linear.points_range() == pytest.approx((20.0, 150.0))


def test_bands_points() -> None:
    bands = Bands(method="bands", bands=({"at": 1.0, "points": 100},  # type: ignore[arg-type]
                                         {"at": 0.8, "points": 60}), cap=0.9)
    assert [bands.points_at(a) for a in (1.2, 1.0, 0.8 - 1e-12, 0.79, 0.0)] == [100, 100, 60, 0, 0]
    assert bands.points_range() == (0.0, 60.0)


def test_rating_for_tolerates_floating_noise() -> None:
    plan = Plan.model_validate(document())
    assert plan.rating_for(90 - 1e-12).label == "A"
    assert plan.rating_for(89.99).label == "B"


def test_grain_is_case_insensitive_and_days_are_refused() -> None:
    assert Plan.model_validate(document(grain="Quarter")).grain is Grain.QUARTER
    assert rule_failures(document(grain="day")) == ["grain @ grain"]


def test_a_plan_is_frozen_and_forbids_unknown_keys() -> None:
    plan = Plan.model_validate(document())
    with pytest.raises(ValidationError):
        plan.name = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Plan.model_validate(document(weigths=[1]))


def test_all_rule_findings_come_together() -> None:
    lines = document()["lines"]
    broken = document(lines=[lines[0] | {"weight": 0.6}, lines[1], lines[2]],
                      blend={"individual": 0.5, "team": 0.4})
    assert rule_failures(broken) == ["weights-sum @ lines", "blend-sum @ blend"]


def test_weights_may_sum_to_one_within_floating_error() -> None:
    thirds = [{"kpi": f"k{i}", "weight": 1 / 3, "scoring": {"method": "percentile"}}
              for i in range(3)]
    assert Plan.model_validate(document(lines=thirds))


def test_check_kpis_covers_the_collaboration_kpis() -> None:
    plan = Plan.model_validate(document(collaboration={
        "points_per_assist_point": 1, "cap": 2, "assist_points_kpi": "helps"}))
    known = {"revenue_won": Direction.HIGHER, "csat_avg": "higher", "activities": "higher"}
    assert [issue.message for issue in check_kpis(plan, known)] == [
        "collaboration.assist_points_kpi: unknown KPI 'helps'"]


# --- the shipped plans --------------------------------------------------------------------------


def test_three_shipped_plans_validate_against_the_shipped_catalogue() -> None:
    known = {name: kpi.direction for name, kpi in shipped_catalog().kpis.items()}
    plans = load_shipped_plans(known=known)
    assert sorted(plans) == ["field-sales", "inside-sales", "key-account-management"]
    assert [p.name for p in shipped_plan_paths()] == [
        "field-sales.yaml", "inside-sales.yaml", "key-account-management.yaml"]
    assert {name: plan.title.get("zh_CN") for name, plan in plans.items()} == {
        "field-sales": "外勤销售",
        "inside-sales": "电话销售",
        "key-account-management": "大客户管理",
    }
    assert plans["key-account-management"].grain is Grain.QUARTER
    for plan in plans.values():
        assert plan.title.en and plan.description is not None
        assert plan.description.en and plan.description.zh
        assert plan.blend.team > 0 and plan.collaboration is not None
        assert all(rating.title is not None for rating in plan.ratings)


def test_shipped_plans_apply_to_disjoint_titles() -> None:
    titles = [set(plan.applies_to.titles) for plan in load_shipped_plans().values()]
    assert all(a.isdisjoint(b) for i, a in enumerate(titles) for b in titles[i + 1:])
