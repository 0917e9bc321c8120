"""A stored score explained from the app store alone (scorecards/kept.py): equal to the service's
explanation of it, and ``None`` wherever the service must decide (not scored, another version
in force now, records asked for but not kept, several plans)."""

from __future__ import annotations

from datetime import date

import pytest
from tests.tiny_org import SCORECARDS

from salescore.scorecards import Scorecards
from salescore.scorecards.explain import ScoreExplanation
from salescore.scorecards.kept import kept_explanation
from salescore.semantic.catalog import shipped_catalog

from .conftest import V1, V2, plan_yaml

DIRECTIONS = {name: kpi.direction for name, kpi in shipped_catalog().kpis.items()}
CALENDAR = SCORECARDS.settings.calendar


def kept(cards: Scorecards, rep: str, period: str, plan: str | None = None, *,
         records: bool = True) -> ScoreExplanation | None:
    return kept_explanation(cards.app, CALENDAR, DIRECTIONS, rep, period, plan,
                            records=records)


@pytest.fixture
def adopted(local_cards: Scorecards) -> Scorecards:
    local_cards.adopt(text=V1, effective_from=date(2025, 1, 1), actor="ann")
    return local_cards


def test_a_kept_explanation_is_the_services_explanation_of_the_stored_score(
        adopted: Scorecards) -> None:
    assert kept(adopted, "a1", "2025-02") is None  # not scored yet
    adopted.score("2025-02")
    found = kept(adopted, "a1", "2025-02")
    assert found is not None and found.stored and found.version == 1
    assert found == adopted.explain("a1", "2025-02")
    assert found.explanation.score == 125.0  # tests/scorecards/test_explain.py works it out
    assert found.records["deals_won"].parts[0].rows.num_rows == 2
    assert kept(adopted, "a1", "2025-02", "tiny-sales") == found
    assert kept(adopted, "a1", "2025-02", "other-plan") is None
    without = kept(adopted, "a1", "2025-02", records=False)
    assert without is not None and without.records == {}
    assert without.explanation == found.explanation


def test_a_version_adopted_since_governs_the_period_so_nothing_is_kept_for_it(
        adopted: Scorecards) -> None:
    adopted.score("2025-02")
    adopted.adopt(text=V2, effective_from=date(2025, 2, 1), actor="ann")
    assert kept(adopted, "a1", "2025-02") is None  # the service scores it under version 2
    assert kept(adopted, "a1", "2025-01") is None  # never scored


def test_a_rep_scored_by_two_plans_is_for_the_caller_to_choose(adopted: Scorecards) -> None:
    adopted.adopt(text=plan_yaml(0.3, 0.7, name="second"), effective_from=date(2025, 1, 1),
                  actor="ann")
    adopted.score("2025-02")
    assert kept(adopted, "a1", "2025-02") is None
    first = kept(adopted, "a1", "2025-02", "tiny-sales")
    second = kept(adopted, "a1", "2025-02", "second")
    assert first is not None and second is not None
    assert (first.explanation.plan, second.explanation.plan) == ("tiny-sales", "second")
    # the same records behind both: 2 deals worth 150
    assert second.records["revenue_won"].value == first.records["revenue_won"].value == 150
