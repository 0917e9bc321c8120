"""What-if: a draft replayed on February 2025 against the adopted version 1."""

from __future__ import annotations

from datetime import date

import pytest

from salescore.core.errors import ConfigError, PeriodError
from salescore.scorecards import Scorecards

from .conftest import V1, plan_yaml


def test_a_draft_of_the_same_plan_against_the_adopted_version(local_cards: Scorecards) -> None:
    local_cards.adopt(text=V1, effective_from=date(2025, 1, 1), actor="ann")
    # The draft weighs revenue 0.2 and deals 0.8. February under it:
    #   a1 0.2·150 + 0.8·100 = 110 (A, was 125 A); a2 0.2·50 + 0.8·50 = 50 (B, was 50 B);
    #   a3 0 (C, was 0 C); a4 0.2·150 + 0.8·50 = 70 (B, was 100 A).
    result = local_cards.whatif(text=plan_yaml(0.2, 0.8), period="2025-02")
    assert (result.subjects, result.baseline_version, result.period) == ("own", 1, "2025-02")
    rows = result.comparison.set_index("rep_id")
    assert rows["score_before"].to_dict() == {"a1": 125.0, "a2": 50.0, "a3": 0.0, "a4": 100.0}
    assert rows["score_after"].to_dict() == pytest.approx(
        {"a1": 110.0, "a2": 50.0, "a3": 0.0, "a4": 70.0})
    assert rows["rating_after"].to_dict() == {"a1": "A", "a2": "B", "a3": "C", "a4": "B"}
    assert rows["rank_after"].tolist() == [1, 3, 4, 2]
    assert result.changed_ratings == 1
    matrix = result.transitions
    assert {(b, a): int(matrix.loc[b, a]) for b in matrix.index for a in matrix.columns
            if matrix.loc[b, a]} == {("A", "A"): 1, ("A", "B"): 1, ("B", "B"): 1,
                                     ("C", "C"): 1}
    # Nothing was stored by a what-if.
    assert local_cards.stored("2025-02") == []


def test_against_another_plan_the_draft_is_replayed_on_that_plan_s_reps(
    local_cards: Scorecards,
) -> None:
    north_only = plan_yaml(0.5, 0.5, name="north-sales").replace(
        "  titles: [Account Executive]", "  titles: [Account Executive]\n  teams: [north]")
    local_cards.adopt(text=north_only, effective_from=date(2025, 1, 1), actor="ann")
    # The draft (0.8 / 0.2) would score a3 and a4 too, but is replayed on north's a1 and a2:
    #   a1 0.8·150 + 0.2·100 = 140; a2 0.8·50 + 0.2·50 = 50.
    result = local_cards.whatif(text=plan_yaml(0.8, 0.2), period="2025-02",
                                against="north-sales")
    assert result.subjects == "baseline"
    rows = result.comparison.set_index("rep_id")
    assert rows["score_before"].to_dict() == {"a1": 125.0, "a2": 50.0}
    assert rows["score_after"].to_dict() == pytest.approx({"a1": 140.0, "a2": 50.0})
    assert result.changed_ratings == 0


def test_a_what_if_needs_an_adopted_plan_and_a_period_of_the_draft_s_grain(
    local_cards: Scorecards,
) -> None:
    with pytest.raises(ConfigError) as none_adopted:
        local_cards.whatif(text=V1, period="2025-02")
    assert "no adopted version of plan 'tiny-sales'" in none_adopted.value.message
    local_cards.adopt(text=V1, effective_from=date(2025, 1, 1), actor="ann")
    with pytest.raises(PeriodError):
        local_cards.whatif(text=V1, period="2025-Q1")
    with pytest.raises(ConfigError) as before_first:
        local_cards.whatif(text=V1, period="2024-12")
    assert "2024-12" in before_first.value.message
