"""Golden scores on the tiny organisation (conftest.py), every number worked out by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from salescore.core.periods import Period, parse_period
from salescore.scorecards.arithmetic import (
    ScoringInputError,
    compare,
    in_force,
    rating_transitions,
    score_period,
)
from salescore.semantic.plan import Plan

from .conftest import DIRECTIONS, plan_of

MakePlan = Callable[..., Plan]
NAN = np.nan

REVENUE_FROM_TABLE = {"kpi": "revenue_won", "weight": 1.0, "target": {"source": "targets_table"},
                      "scoring": {"method": "linear", "floor": 0, "cap": 1.2}}


def by_rep(frame: pd.DataFrame, column: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for rep, value in zip(frame["rep_id"], frame[column], strict=True):
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            out[rep] = None
        elif isinstance(value, float | np.floating):
            out[rep] = round(float(value), 9)
        else:
            out[rep] = value.item() if isinstance(value, np.generic) else value
    return out


def line_of(card: object, column: str, line: int = 0) -> dict[str, object]:
    lines = card.lines  # type: ignore[attr-defined]
    return by_rep(lines.loc[lines["line"] == line], column)


# --- target sources -----------------------------------------------------------------------------


def test_targets_table_linear_with_cap(march: Period, members: pd.DataFrame,
                                       values: pd.DataFrame, targets: pd.DataFrame) -> None:
    # r1 120/100 = 1.2 → 120; r2 80/100 → 80; r3 has no target row → no_target;
    # r4 100/80 = 1.25, capped at 1.2 → 120; r5 0/50 → 0; r6 no value → no_data.
    # The February row for r1 (999) and the team rows must not be used.
    card = score_period(plan_of([REVENUE_FROM_TABLE]), march, members=members, values=values,
                        targets=targets, directions=DIRECTIONS)
    assert line_of(card, "target") == {"r1": 100.0, "r2": 100.0, "r3": None, "r4": 80.0,
                                       "r5": 50.0, "r6": 100.0}
    assert line_of(card, "status") == {"r1": "ok", "r2": "ok", "r3": "no_target", "r4": "ok",
                                       "r5": "ok", "r6": "no_data"}
    assert line_of(card, "attainment") == {"r1": 1.2, "r2": 0.8, "r3": None, "r4": 1.2,
                                           "r5": 0.0, "r6": None}
    subjects = card.subjects
    assert by_rep(subjects, "score") == {"r1": 120.0, "r2": 80.0, "r3": None, "r4": 120.0,
                                         "r5": 0.0, "r6": None}
    assert by_rep(subjects, "status") == {"r1": "ok", "r2": "ok", "r3": "no_data", "r4": "ok",
                                          "r5": "ok", "r6": "no_data"}
    assert by_rep(subjects, "rating") == {"r1": "A", "r2": "B", "r3": None, "r4": "A",
                                          "r5": "D", "r6": None}
    # Competition ranks: r1 and r4 share first place, r2 is third.
    assert by_rep(subjects, "rank_in_company") == {"r1": 1, "r2": 3, "r3": None, "r4": 1,
                                                   "r5": 4, "r6": None}
    assert by_rep(subjects, "rank_in_team") == {"r1": 1, "r2": 2, "r3": None, "r4": 1,
                                                "r5": 2, "r6": None}


def test_fixed_target_on_a_lower_is_better_kpi_is_continuous(
    march: Period, members: pd.DataFrame, values: pd.DataFrame
) -> None:
    # Target 30 days: attainment = 30 / days, capped at 1.5; 0 days attains the cap.
    # r1 30 → 1.0; r2 40 → 0.75; r3 60 → 0.5; r4 20 → 1.5; r5 0 → 1.5; r6 45 → 2/3.
    plan = plan_of([{"kpi": "avg_sales_cycle_days", "weight": 1,
                     "target": {"source": "fixed", "value": 30},
                     "scoring": {"method": "linear", "cap": 1.5}}])
    card = score_period(plan, march, members=members, values=values, directions=DIRECTIONS)
    assert line_of(card, "direction")["r1"] == "lower"
    assert line_of(card, "points") == {"r1": 100.0, "r2": 75.0, "r3": 50.0, "r4": 150.0,
                                       "r5": 150.0, "r6": round(200 / 3, 9)}


def test_team_median_of_the_previous_period(
    march: Period, members: pd.DataFrame, values: pd.DataFrame, previous: pd.DataFrame
) -> None:
    # February deals: north r1 4, r2 6, r3 10 → median 6 (r7, gone, is not counted);
    # south r4 2, r6 8 (r5 none) → median 5.
    # March: r1 6/6 → 100; r2 3/6 → 50; r3 9/6 = 1.5 → cap 1.2 → 120; r4 5/5 → 100;
    # r5 4/5 → 80; r6 no value → no_data.
    plan = plan_of([{"kpi": "deals_won", "weight": 1,
                     "target": {"source": "team_median_previous"},
                     "scoring": {"method": "linear", "cap": 1.2}}])
    card = score_period(plan, march, members=members, values=values, previous=previous,
                        directions=DIRECTIONS)
    assert line_of(card, "target") == {"r1": 6.0, "r2": 6.0, "r3": 6.0, "r4": 5.0, "r5": 5.0,
                                       "r6": 5.0}
    assert by_rep(card.subjects, "score") == {"r1": 100.0, "r2": 50.0, "r3": 120.0,
                                              "r4": 100.0, "r5": 80.0, "r6": None}


def test_own_previous_period_plus_pct(
    march: Period, members: pd.DataFrame, values: pd.DataFrame, previous: pd.DataFrame
) -> None:
    # Target = February × 1.25: r1 125 (120 → 0.96); r2 125 (80 → 0.64); r3 50 (50 → 1.0);
    # r4 100 (100 → 1.0); r5 had no February → no_target; r6 87.5 but no March value → no_data.
    plan = plan_of([{"kpi": "revenue_won", "weight": 1,
                     "target": {"source": "own_previous_plus", "pct": 25},
                     "scoring": {"method": "linear", "cap": 1.2}}])
    card = score_period(plan, march, members=members, values=values, previous=previous,
                        directions=DIRECTIONS)
    assert line_of(card, "target") == {"r1": 125.0, "r2": 125.0, "r3": 50.0, "r4": 100.0,
                                       "r5": None, "r6": 87.5}
    assert line_of(card, "status") == {"r1": "ok", "r2": "ok", "r3": "ok", "r4": "ok",
                                       "r5": "no_target", "r6": "no_data"}
    assert by_rep(card.subjects, "score") == {"r1": 96.0, "r2": 64.0, "r3": 100.0,
                                              "r4": 100.0, "r5": None, "r6": None}


# --- scoring methods ----------------------------------------------------------------------------


def test_bands(march: Period, members: pd.DataFrame, values: pd.DataFrame) -> None:
    # CSAT against 4.5: r1 1.0 → 100; r2 3.5/4.5 = 0.78, below the lowest band → 0;
    # r3 3.6/4.5 = 0.8 exactly (0.7999… in floating point) → 50; r4 1.11 → 100;
    # r5 no value; r6 4.2/4.5 = 0.93 → 80.
    plan = plan_of([{"kpi": "csat_avg", "weight": 1, "target": {"source": "fixed", "value": 4.5},
                     "scoring": {"method": "bands", "bands": [
                         {"at": 1.0, "points": 100}, {"at": 0.9, "points": 80},
                         {"at": 0.8, "points": 50}]}}])
    card = score_period(plan, march, members=members, values=values, directions=DIRECTIONS)
    assert line_of(card, "points") == {"r1": 100.0, "r2": 0.0, "r3": 50.0, "r4": 100.0,
                                       "r5": None, "r6": 80.0}
    assert line_of(card, "attainment")["r4"] == round(5 / 4.5, 9)


def test_percentile_among_the_plans_reps(march: Period, members: pd.DataFrame,
                                         values: pd.DataFrame) -> None:
    # Activities 10, 20, 20, 40, 5 (r6 none): ranks 2, 3.5, 3.5, 5, 1 of 5 →
    # p = (rank − 1) / 4 = 0.25, 0.625, 0.625, 1, 0. Floor 0.2: points = 100 × (0.2 + 0.8 p).
    plan = plan_of([{"kpi": "activities", "weight": 1,
                     "scoring": {"method": "percentile", "floor": 0.2}}])
    card = score_period(plan, march, members=members, values=values, directions=DIRECTIONS)
    assert line_of(card, "attainment") == {"r1": 0.25, "r2": 0.625, "r3": 0.625, "r4": 1.0,
                                           "r5": 0.0, "r6": None}
    assert line_of(card, "points") == {"r1": 40.0, "r2": 70.0, "r3": 70.0, "r4": 100.0,
                                       "r5": 20.0, "r6": None}


def test_percentile_of_a_lower_is_better_kpi_is_inverted(
    march: Period, members: pd.DataFrame, values: pd.DataFrame
) -> None:
    # Response hours 2, 4, 4, 1, 8: fastest (r4, 1 h) is best → 1; r1 0.75; r2, r3 0.375; r5 0.
    plan = plan_of([{"kpi": "avg_response_hours", "weight": 1,
                     "scoring": {"method": "percentile"}}])
    card = score_period(plan, march, members=members, values=values, directions=DIRECTIONS)
    assert line_of(card, "points") == {"r1": 75.0, "r2": 37.5, "r3": 37.5, "r4": 100.0,
                                       "r5": 0.0, "r6": None}


# --- the whole plan: reweighting, blend, credit, ratings, ranks ---------------------------------

FULL_LINES = [
    REVENUE_FROM_TABLE | {"weight": 0.5},
    {"kpi": "csat_avg", "weight": 0.3, "target": {"source": "fixed", "value": 4.5},
     "scoring": {"method": "bands", "bands": [{"at": 1.0, "points": 100},
                                              {"at": 0.9, "points": 80},
                                              {"at": 0.8, "points": 50}]}},
    {"kpi": "activities", "weight": 0.2, "scoring": {"method": "percentile"}},
]
FULL_EXTRA = {
    "blend": {"individual": 0.7, "team": 0.3},
    "collaboration": {"points_per_assist_point": 0.5, "points_per_cross_team_assist": 1,
                      "cap": 5},
}


@pytest.fixture
def full(march: Period, members: pd.DataFrame, values: pd.DataFrame,
         targets: pd.DataFrame) -> object:
    plan = plan_of(FULL_LINES, **FULL_EXTRA)
    return score_period(plan, march, members=members, values=values, targets=targets,
                        directions=DIRECTIONS)


def test_full_plan_lines_and_reweighting(full: object) -> None:
    # Points (revenue, csat, activities): r1 120, 100, 25; r2 80, 0, 62.5; r3 —, 50, 62.5;
    # r4 120, 100, 100; r5 0, —, 0; r6 —, 80, —.
    # r3's revenue has no target: its 0.5 goes to csat and activities in proportion 0.3 : 0.2,
    # so 0.6 and 0.4. r5's csat weight 0.3 goes to revenue and activities: 5/7 and 2/7.
    # r6 has data for 0.3 of the weight only, below min_coverage 0.5: no score.
    card = full
    weights = card.lines.pivot(index="rep_id", columns="line", values="effective_weight")  # type: ignore[attr-defined]
    assert weights.loc["r1"].tolist() == pytest.approx([0.5, 0.3, 0.2])
    assert weights.loc["r3"].tolist() == pytest.approx([0.0, 0.6, 0.4])
    assert weights.loc["r5"].tolist() == pytest.approx([5 / 7, 0.0, 2 / 7])
    assert weights.loc["r6"].isna().all()
    subjects = card.subjects  # type: ignore[attr-defined]
    assert by_rep(subjects, "coverage") == {"r1": 1.0, "r2": 1.0, "r3": 0.5, "r4": 1.0,
                                            "r5": 0.7, "r6": 0.3}
    # r1 0.5·120 + 0.3·100 + 0.2·25 = 95; r2 40 + 0 + 12.5 = 52.5; r3 0.6·50 + 0.4·62.5 = 55;
    # r4 60 + 30 + 20 = 110; r5 0.
    assert by_rep(subjects, "individual_score") == {"r1": 95.0, "r2": 52.5, "r3": 55.0,
                                                    "r4": 110.0, "r5": 0.0, "r6": None}


def test_full_plan_team_scores_are_the_members_average(full: object) -> None:
    # north: revenue avg(120, 80) = 100 (r3 has no target), csat avg(100, 0, 50) = 50,
    # activities avg(25, 62.5, 62.5) = 50 → 0.5·100 + 0.3·50 + 0.2·50 = 75.
    # south: revenue avg(120, 0) = 60, csat avg(100, 80) = 90, activities avg(100, 0) = 50
    # → 30 + 27 + 10 = 67.
    teams = full.teams.set_index("team_id")  # type: ignore[attr-defined]
    assert teams["score"].to_dict() == pytest.approx({"north": 75.0, "south": 67.0})
    assert teams["rating"].to_dict() == {"north": "B", "south": "C"}
    assert teams["rank"].tolist() == [1, 2]
    assert teams["members"].tolist() == [3, 3]
    assert teams["members_scored"].tolist() == [3, 2]
    team_lines = full.team_lines  # type: ignore[attr-defined]
    south = team_lines.loc[team_lines["team_id"] == "south"]
    assert south["points"].tolist() == pytest.approx([60.0, 90.0, 50.0])
    assert south["members"].tolist() == [2.0, 2.0, 2.0]
    assert south["contribution"].sum() == pytest.approx(67.0)


def test_full_plan_blend_credit_rating_and_ranks(full: object) -> None:
    # credit = min(5, 0.5 × assist points + 1 × cross-team assists):
    # r1 2 + 1 = 3; r2 0; r3 5 + 3 = 8 → 5; r4 none recorded → 0; r5 1; r6 0.
    # score = 0.7 × individual + 0.3 × team + credit:
    # r1 66.5 + 22.5 + 3 = 92; r2 36.75 + 22.5 = 59.25; r3 38.5 + 22.5 + 5 = 66;
    # r4 77 + 20.1 = 97.1; r5 0 + 20.1 + 1 = 21.1; r6 no score.
    subjects = full.subjects  # type: ignore[attr-defined]
    assert by_rep(subjects, "credit") == {"r1": 3.0, "r2": 0.0, "r3": 5.0, "r4": 0.0,
                                          "r5": 1.0, "r6": 0.0}
    assert by_rep(subjects, "team_score") == {"r1": 75.0, "r2": 75.0, "r3": 75.0, "r4": 67.0,
                                              "r5": 67.0, "r6": 67.0}
    assert by_rep(subjects, "score") == {"r1": 92.0, "r2": 59.25, "r3": 66.0, "r4": 97.1,
                                         "r5": 21.1, "r6": None}
    assert by_rep(subjects, "rating") == {"r1": "A", "r2": "D", "r3": "C", "r4": "A",
                                          "r5": "D", "r6": None}
    assert by_rep(subjects, "rank_in_company") == {"r1": 2, "r2": 4, "r3": 3, "r4": 1,
                                                   "r5": 5, "r6": None}
    assert by_rep(subjects, "rank_in_team") == {"r1": 1, "r2": 3, "r3": 2, "r4": 1, "r5": 2,
                                                "r6": None}


def test_full_plan_contributions_add_up_to_the_score(full: object) -> None:
    # r3: revenue 0, csat 0.7 × 0.6 × 50 = 21, activities 0.7 × 0.4 × 62.5 = 17.5;
    # 21 + 17.5 + team part 22.5 + credit 5 = 66.
    card = full
    r3 = card.lines.loc[card.lines["rep_id"] == "r3"]  # type: ignore[attr-defined]
    assert r3["contribution"].tolist() == pytest.approx([0.0, 21.0, 17.5])
    subjects = card.subjects.set_index("rep_id")  # type: ignore[attr-defined]
    sums = card.lines.groupby("rep_id")["contribution"].sum(min_count=1)  # type: ignore[attr-defined]
    scored = subjects["status"] == "ok"
    total = sums[scored] + subjects.loc[scored, "team_part"] + subjects.loc[scored, "credit"]
    assert total.to_dict() == pytest.approx(subjects.loc[scored, "score"].to_dict())


def test_the_zero_policy_keeps_the_weight_and_scores_nothing(
    march: Period, members: pd.DataFrame, values: pd.DataFrame, targets: pd.DataFrame
) -> None:
    # Revenue under "zero": r3's line keeps 0.5 and scores 0; csat 0.3 × 50 = 15,
    # activities 0.2 × 62.5 = 12.5 → 27.5. Coverage (weight with data) is still 0.5.
    lines = [FULL_LINES[0] | {"missing": "zero"}, *FULL_LINES[1:]]
    card = score_period(plan_of(lines), march, members=members, values=values,
                        targets=targets, directions=DIRECTIONS)
    r3 = card.lines.loc[card.lines["rep_id"] == "r3"]
    assert r3["status"].tolist() == ["no_target", "ok", "ok"]
    assert r3["points"].tolist() == pytest.approx([0.0, 50.0, 62.5])
    assert r3["effective_weight"].tolist() == pytest.approx([0.5, 0.3, 0.2])
    assert by_rep(card.subjects, "individual_score")["r3"] == 27.5
    assert by_rep(card.subjects, "coverage")["r3"] == 0.5


def test_min_coverage_withholds_the_score(march: Period, members: pd.DataFrame,
                                          values: pd.DataFrame, targets: pd.DataFrame) -> None:
    # With min_coverage 0.6 r3 (0.5 of the weight has data) gets no score; r5 (0.7) does.
    card = score_period(plan_of(FULL_LINES, missing={"min_coverage": 0.6}), march,
                        members=members, values=values, targets=targets,
                        directions=DIRECTIONS)
    statuses = by_rep(card.subjects, "status")
    assert (statuses["r3"], statuses["r5"]) == ("no_data", "ok")
    assert by_rep(card.subjects, "rank_in_team")["r3"] is None


def test_team_scored_on_its_own_kpis(march: Period, members: pd.DataFrame,
                                     values: pd.DataFrame, targets: pd.DataFrame) -> None:
    # north's own revenue 250 against its team target 200 → 1.25 → capped 1.2 → 120.
    # south has no team target: no team score, so its reps stand on their individual score.
    # r1 0.5·120 + 0.5·120 = 120; r2 0.5·80 + 60 = 100; r4 120 alone; r5 0 alone.
    plan = plan_of([REVENUE_FROM_TABLE],
                   blend={"individual": 0.5, "team": 0.5, "team_score": "team_kpis"})
    team_values = pd.DataFrame({"team_id": ["north", "south"], "revenue_won": [250.0, 100.0]})
    card = score_period(plan, march, members=members, values=values, targets=targets,
                        team_values=team_values, directions=DIRECTIONS)
    teams = card.teams.set_index("team_id")
    assert teams.loc["north", "score"] == pytest.approx(120.0)
    assert teams.loc["south", "status"] == "no_data"
    assert card.team_lines["status"].tolist() == ["ok", "no_target"]
    assert card.team_lines["target"].tolist()[0] == 200.0
    assert by_rep(card.subjects, "score") == {"r1": 120.0, "r2": 100.0, "r3": None,
                                              "r4": 120.0, "r5": 0.0, "r6": None}
    assert by_rep(card.subjects, "team_share") == {"r1": 0.5, "r2": 0.5, "r3": 0.5,
                                                   "r4": 0.0, "r5": 0.0, "r6": 0.0}


# --- versions, what-if, explanation -------------------------------------------------------------


def test_a_past_period_is_rescored_under_the_version_then_in_force(members: pd.DataFrame) -> None:
    # v1 (cap 1.0) from 2025-01-01, v2 (cap 1.2) from 2025-03-01. r1 sold 110 in February and
    # 120 in March against a fixed 100: February is scored by v1 (100) even after v2 exists,
    # March by v2 (120). Scoring the same period twice gives the same frames.
    def version(cap: float) -> Plan:
        return plan_of([{"kpi": "revenue_won", "weight": 1,
                         "target": {"source": "fixed", "value": 100},
                         "scoring": {"method": "linear", "cap": cap}}])

    adopted = [(date(2025, 1, 1), version(1.0)), (date(2025, 3, 1), version(1.2))]
    history = pd.DataFrame({"rep_id": ["r1", "r1"], "period": ["2025-02", "2025-03"],
                            "revenue_won": [110.0, 120.0]})
    one = members.iloc[:1]
    scores = {}
    for label in ("2025-02", "2025-03"):
        period = parse_period(label)
        plan = in_force(adopted, period)
        assert plan is not None
        scores[label] = score_period(plan, period, members=one, values=history,
                                     directions=DIRECTIONS)
    assert scores["2025-02"].subjects["score"].tolist() == [100.0]
    assert scores["2025-03"].subjects["score"].tolist() == [120.0]
    again = score_period(in_force(adopted, parse_period("2025-02")),  # type: ignore[arg-type]
                         parse_period("2025-02"), members=one, values=history,
                         directions=DIRECTIONS)
    pd.testing.assert_frame_equal(again.subjects, scores["2025-02"].subjects)
    pd.testing.assert_frame_equal(again.lines, scores["2025-02"].lines)
    assert in_force(adopted, parse_period("2024-12")) is None


def test_in_force_refuses_two_versions_on_one_day() -> None:
    with pytest.raises(ValueError, match="2025-01-01"):
        in_force([(date(2025, 1, 1), 1), (date(2025, 1, 1), 2)], parse_period("2025-02"))


def test_what_if_lists_score_rating_and_rank_changes(
    march: Period, members: pd.DataFrame, values: pd.DataFrame, targets: pd.DataFrame,
    full: object
) -> None:
    # Draft: revenue only (the first golden test): r1 120 A, r2 80 B, r3 —, r4 120 A, r5 0 D.
    # Adopted (full plan): r1 92 A, r2 59.25 D, r3 66 C, r4 97.1 A, r5 21.1 D, r6 —.
    draft = score_period(plan_of([REVENUE_FROM_TABLE]), march, members=members, values=values,
                         targets=targets, directions=DIRECTIONS)
    changes = compare(full, draft)  # type: ignore[arg-type]
    assert by_rep(changes, "score_change") == {"r1": 28.0, "r2": 20.75, "r3": None,
                                               "r4": 22.9, "r5": -21.1, "r6": None}
    assert by_rep(changes, "rating_changed") == {"r1": False, "r2": True, "r3": True,
                                                 "r4": False, "r5": False, "r6": False}
    # Ranks before: r4 1, r1 2, r3 3, r2 4, r5 5; after: r1 1, r4 1, r2 3, r5 4.
    assert by_rep(changes, "rank_change") == {"r1": 1, "r2": 1, "r3": None, "r4": 0, "r5": 1,
                                              "r6": None}
    table = rating_transitions(changes)
    assert table.loc["A", "A"] == 2
    assert table.loc["D", "B"] == 1
    assert table.loc["C", "—"] == 1
    assert table.loc["D", "D"] == 1
    assert table.loc["—", "—"] == 1


def test_explanation_of_a_score(full: object) -> None:
    explanation = full.explain("r3")  # type: ignore[attr-defined]
    assert (explanation.score, explanation.rating, explanation.credit) == (66.0, "C", 5.0)
    assert [line.status for line in explanation.lines] == ["no_target", "ok", "ok"]
    parts = sum(line.contribution or 0.0 for line in explanation.lines)
    assert parts + (explanation.team_part or 0) + (explanation.credit or 0) == pytest.approx(66.0)
    assert explanation.render("en").splitlines() == [
        "r3 · tiny · 2025-03: score 66.0 (rating C)",
        "  rank 2 in team, 3 in company",
        "  individual 55.0 × 0.70",
        "    revenue_won: no target; weight 0.000 → 0.00",
        "    csat_avg: value 3.60, target 4.50, attainment 80.0 %, points 50.0; weight 0.600 "
        "→ 21.00",
        "    activities: value 20.00, target —, attainment 62.5 %, points 62.5; weight 0.400 "
        "→ 17.50",
        "  team 75.0 × 0.30 → 22.50",
        "  collaboration credit → 5.00",
    ]
    assert explanation.render("zh_CN").splitlines()[:3] == [
        "r3 · tiny · 2025-03: 得分 66.0（评级 C）",
        "  团队内第 2 名，全公司第 3 名",
        "  个人得分 55.0 × 0.70",
    ]
    assert full.explain("r6").render("en") == (  # type: ignore[attr-defined]
        "r6 · tiny · 2025-03: no score (too little data)")
    with pytest.raises(KeyError):
        full.explain("nobody")  # type: ignore[attr-defined]


def test_explanation_of_a_team_score(full: object) -> None:
    # south: revenue 60, csat 90, activities 50 → 30 + 27 + 10 = 67, second of two teams.
    explanation = full.explain_team("south")  # type: ignore[attr-defined]
    assert [line.contribution for line in explanation.lines] == pytest.approx([30.0, 27.0, 10.0])
    assert explanation.render("en").splitlines()[:3] == [
        "south · tiny · 2025-03: score 67.0 (rating C)",
        "  rank 2",
        "  individual 67.0 × 1.00",
    ]


def test_scorecard_to_arrow(full: object) -> None:
    tables = full.to_arrow()  # type: ignore[attr-defined]
    assert set(tables) == {"subjects", "lines", "teams", "team_lines"}
    subjects = tables["subjects"]
    assert subjects.num_rows == 6
    assert subjects.column("plan").to_pylist()[0] == "tiny"
    assert subjects.column("period").to_pylist()[0] == "2025-03"
    assert tables["lines"].num_rows == 18


# --- inputs -------------------------------------------------------------------------------------


def test_arrow_input_with_decimal_money_and_many_periods(
    march: Period, members: pd.DataFrame, targets: pd.DataFrame
) -> None:
    # The engine's result for two months in one table, money as DECIMAL(18, 2); scoring picks
    # March and reads the same table as the previous period.
    table = pa.table({
        "rep_id": ["r1", "r2", "r1", "r2"],
        "period": ["2025-02", "2025-02", "2025-03", "2025-03"],
        "revenue_won": pa.array([Decimal("100.00"), Decimal("100.00"), Decimal("120.00"),
                                 None], pa.decimal128(18, 2)),
    })
    plan = plan_of([{"kpi": "revenue_won", "weight": 1,
                     "target": {"source": "own_previous_plus", "pct": 10},
                     "scoring": {"method": "linear", "cap": 1.2}}])
    card = score_period(plan, march, members=members.iloc[:2], values=table, previous=table,
                        directions=DIRECTIONS)
    # r1 120 / 110; r2 has no March value.
    assert by_rep(card.subjects, "score") == {"r1": round(12000 / 110, 9), "r2": None}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no_kpi_column", "values has no column revenue_won"),
        ("duplicate_member", "members has more than one row for rep_id r1"),
        ("wrong_grain", "plan tiny scores months; 2025-Q1 is a quarter"),
        ("no_targets", "takes its target from the targets table; pass targets="),
        ("no_direction", "no direction for KPI revenue_won"),
    ],
)
def test_bad_inputs_are_errors_not_zeros(change: str, message: str, march: Period,
                                         members: pd.DataFrame, values: pd.DataFrame,
                                         targets: pd.DataFrame) -> None:
    kwargs: dict[str, object] = {"members": members, "values": values, "targets": targets,
                                 "directions": DIRECTIONS}
    period = march
    match change:
        case "no_kpi_column":
            kwargs["values"] = values.drop(columns="revenue_won")
        case "duplicate_member":
            kwargs["members"] = pd.concat([members, members.iloc[:1]])
        case "wrong_grain":
            period = parse_period("2025-Q1")
        case "no_targets":
            kwargs["targets"] = None
        case "no_direction":
            kwargs["directions"] = {}
    with pytest.raises(ScoringInputError, match=message.replace("(", r"\(")):
        score_period(plan_of([REVENUE_FROM_TABLE]), period, **kwargs)  # type: ignore[arg-type]


def test_a_target_given_twice_is_an_error(march: Period, members: pd.DataFrame,
                                          values: pd.DataFrame, targets: pd.DataFrame) -> None:
    twice = pd.concat([targets, targets.iloc[:1]])
    with pytest.raises(ScoringInputError, match="more than one row for scope_id r1"):
        score_period(plan_of([REVENUE_FROM_TABLE]), march, members=members, values=values,
                     targets=twice, directions=DIRECTIONS)


def test_previous_period_values_are_required_when_a_target_needs_them(
    march: Period, members: pd.DataFrame, values: pd.DataFrame
) -> None:
    plan = plan_of([{"kpi": "deals_won", "weight": 1,
                     "target": {"source": "team_median_previous"},
                     "scoring": {"method": "linear"}}])
    with pytest.raises(ScoringInputError, match="pass previous="):
        score_period(plan, march, members=members, values=values, directions=DIRECTIONS)


def test_team_kpis_need_team_values(march: Period, members: pd.DataFrame,
                                    values: pd.DataFrame, targets: pd.DataFrame) -> None:
    plan = plan_of([REVENUE_FROM_TABLE],
                   blend={"individual": 0.5, "team": 0.5, "team_score": "team_kpis"})
    with pytest.raises(ScoringInputError, match="pass team_values="):
        score_period(plan, march, members=members, values=values, targets=targets,
                     directions=DIRECTIONS)


def test_catching_up_with_a_teammate_never_lowers_the_score() -> None:
    # Percentile floor 0.2 and a team share of 0.8. A (1), B (2) in one team, C (3) in another:
    # p = 0, 0.5, 1. A rises to 2 and ties B: both p = 0.25. Scaled points 100 × (0.2 + 0.8 p):
    # A 20 → 40, B 60 → 40, team average 40 → 40, so A's score rises 0.2 × 20 = 4 points.
    # (Clamping p to [0.2, 1] instead would give A +5 and B −25 points: the team average would
    # fall by 10 and A's score by 0.2 × 5 − 0.8 × 10 = −7.)
    plan = plan_of([{"kpi": "activities", "weight": 1,
                     "scoring": {"method": "percentile", "floor": 0.2}}],
                   blend={"individual": 0.2, "team": 0.8})
    members = pd.DataFrame({"rep_id": ["a", "b", "c"], "team_id": ["t", "t", "u"]})
    period = parse_period("2025-03")

    def score_of_a(value: float) -> float:
        values = pd.DataFrame({"rep_id": ["a", "b", "c"], "activities": [value, 2.0, 3.0]})
        card = score_period(plan, period, members=members, values=values,
                            directions=DIRECTIONS)
        return float(card.subjects["score"].iloc[0])

    assert score_of_a(1.0) == pytest.approx(0.2 * 20 + 0.8 * 40)
    assert score_of_a(2.0) == pytest.approx(0.2 * 40 + 0.8 * 40)


def test_period_labels_of_another_kind_are_refused(march: Period, members: pd.DataFrame,
                                                   values: pd.DataFrame,
                                                   targets: pd.DataFrame) -> None:
    # Dates in the period column would match no month and leave every line "no data" silently.
    dated = values.assign(period="2025-03-01")
    with pytest.raises(ScoringInputError, match="period column holds 2025-03-01, not month"):
        score_period(plan_of([REVENUE_FROM_TABLE]), march, members=members, values=dated,
                     targets=targets, directions=DIRECTIONS)
    # A month without rows is not an error: nothing was recorded, so every line has no data.
    april = values.assign(period="2025-04")
    card = score_period(plan_of([REVENUE_FROM_TABLE]), march, members=members, values=april,
                        targets=targets, directions=DIRECTIONS)
    assert set(card.lines["status"]) == {"no_data"}


def test_no_members_give_empty_frames(march: Period, values: pd.DataFrame,
                                      targets: pd.DataFrame) -> None:
    nobody = pd.DataFrame({"rep_id": pd.Series([], dtype=str),
                           "team_id": pd.Series([], dtype=str)})
    card = score_period(plan_of(FULL_LINES, **FULL_EXTRA), march, members=nobody,
                        values=values, targets=targets, directions=DIRECTIONS)
    assert (len(card.subjects), len(card.lines), len(card.teams)) == (0, 0, 0)
