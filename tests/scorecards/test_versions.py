"""Golden: a past period is re-scored under the plan version in force then, idempotently.

Version 1 (revenue 0.5, deals 0.5) is adopted from 2025-01-01, version 2 (revenue 0.8,
deals 0.2) from 2025-04-01. Every expected score is worked out by hand from the rows of
``SCORECARDS`` in tests/tiny_org.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from salescore.appstore.models import AuditEntry, Score
from salescore.appstore.plans import PlanError
from salescore.scorecards import Scorecards

from .conftest import V1, V2


def _adopt_both(cards: Scorecards) -> None:
    first = cards.adopt(text=V1, effective_from=date(2025, 1, 1), actor="ann", reason="FY25")
    second = cards.adopt(text=V2, effective_from=date(2025, 4, 1), actor="bob",
                         reason="more weight on revenue")
    assert (first.version, first.created, second.version, second.created) == (1, True, 2, True)


def _rows(cards: Scorecards) -> list[tuple[Any, ...]]:
    with cards.app.session() as session:
        return [
            (r.id, r.plan_version_id, r.period, r.subject_kind, r.subject_id, r.team_id,
             r.status, r.score, r.rating, r.rank_team, r.rank_company, r.coverage,
             r.breakdown, r.computed_at)
            for r in session.scalars(select(Score).order_by(Score.id))
        ]


def _scores(cards: Scorecards, period: str) -> dict[str, tuple[Any, ...]]:
    with cards.app.session() as session:
        rows = session.scalars(select(Score).where(Score.period == period)).all()
        return {f"{r.subject_kind}:{r.subject_id}": (
            r.plan_version.version, None if r.score is None else round(r.score, 6), r.rating,
            r.rank_team, r.rank_company) for r in rows}


def test_each_period_is_scored_by_the_version_in_force_then(cards: Scorecards) -> None:
    _adopt_both(cards)
    run = cards.score("2025-02")
    assert [(r.plan, r.version, r.period) for r in run.results] == [("tiny-sales", 1, "2025-02")]
    # Version 1, February. a5 not hired yet, m1 not an Account Executive.
    #   a1: revenue 150 / 100 = 1.5 → 150; deals 2 / 2 → 100; 0.5·150 + 0.5·100 = 125 (A)
    #   a2: 40 / 80 → 50; 1 / 2 → 50; 50 (B)
    #   a3: no records, so 0 and 0 (not "no data"): 0 / 50 → 0; 0 / 2 → 0; 0 (C)
    #   a4 (left on 2025-02-10, so scored in February): 200 / 100 capped → 150; 1 / 2 → 50;
    #   100 (A)
    # Teams (members' average per line): north revenue avg(150, 50) = 100, deals avg(100, 50)
    # = 75 → 87.5; south revenue avg(0, 150) = 75, deals avg(0, 50) = 25 → 50.
    assert _scores(cards, "2025-02") == {
        "rep:a1": (1, 125.0, "A", 1, 1),
        "rep:a4": (1, 100.0, "A", 1, 2),
        "rep:a2": (1, 50.0, "B", 2, 3),
        "rep:a3": (1, 0.0, "C", 2, 4),
        "team:north": (1, 87.5, "B", None, 1),
        "team:south": (1, 50.0, "B", None, 2),
    }

    run = cards.score("2025-05")
    assert [(r.plan, r.version, r.period) for r in run.results] == [("tiny-sales", 2, "2025-05")]
    # Version 2, May. a4 has left (last seen 2025-02-10): not scored. a5 hired 2025-05-10.
    #   a1: 300 / 200 → 150; 1 / 2 → 50; 0.8·150 + 0.2·50 = 130 (A)
    #   a2: 180 / 150 = 1.2 → 120; 3 / 2 → 150; 96 + 30 = 126 (A)
    #   a3: 100 / 100 → 100; 1 / 2 → 50; 80 + 10 = 90 (B)
    #   a5: no revenue target → reweighted; coverage 0.2 < 0.5: no score, no rank
    # Teams: north revenue avg(150, 120) = 135, deals avg(50, 150, 50) = 83.33 (a5 counts on
    # the line it has) → 108 + 16.667 = 124.667; south 0.8·100 + 0.2·50 = 90.
    assert _scores(cards, "2025-05") == {
        "rep:a1": (2, 130.0, "A", 1, 1),
        "rep:a2": (2, 126.0, "A", 2, 2),
        "rep:a3": (2, 90.0, "B", 1, 3),
        "rep:a5": (2, None, None, None, None),
        "team:north": (2, round(108 + 0.2 * 250 / 3, 6), "A", None, 1),
        "team:south": (2, 90.0, "B", None, 2),
    }


def test_rescoring_is_idempotent(cards: Scorecards) -> None:
    _adopt_both(cards)
    first = cards.score("2025")
    # Every month of 2025 is scored by the version of its first day: 1 for January to March,
    # 2 from April; all twelve months are stored.
    assert [(r.period, r.version) for r in first.results] == (
        [(f"2025-{m:02d}", 1) for m in range(1, 4)] + [(f"2025-{m:02d}", 2)
                                                       for m in range(4, 13)])
    before = _rows(cards)
    again = cards.score("2025-02")
    again_may = cards.score("2025-05")
    stored = [r.stored for r in (*again.results, *again_may.results)]
    assert [(s.inserted, s.updated, s.deleted) for s in stored if s] == [(0, 0, 0), (0, 0, 0)]
    assert [s.unchanged for s in stored if s] == [6, 6]
    # The very same rows: same ids, same content, same computed_at; no duplicates.
    assert _rows(cards) == before
    with cards.app.session() as session:
        keys = session.execute(select(Score.plan_version_id, Score.period, Score.subject_kind,
                                      Score.subject_id)).all()
        assert len(keys) == len(set(keys))
        assert session.scalar(select(func.count()).select_from(Score)) == len(before)


def test_a_change_in_the_data_updates_only_the_rows_it_touches(cards: Scorecards) -> None:
    _adopt_both(cards)
    cards.score("2025-02")
    before = {row[4]: row for row in _rows(cards) if row[3] == "rep"}
    # a2's February target goes from 80 to 40: 40 / 40 = 1 → 100; 0.5·100 + 0.5·50 = 75.
    change = cards.set_target("rep", "a2", "2025-02", "revenue_won", 40, actor="ann",
                              reason="territory split")
    assert (change.before, change.after) == (80.0, 40.0)
    run = cards.score("2025-02")
    counts = run.results[0].stored
    assert counts is not None
    # a2's score changes, and so does north's team score (revenue avg(150, 100) = 125, deals
    # 75 → 100), which a1's row records too (team share 0: a1's score stays 125). South's rows
    # (a3, a4, the team) are not written at all.
    assert (counts.inserted, counts.updated, counts.unchanged, counts.deleted) == (0, 3, 3, 0)
    after = {row[4]: row for row in _rows(cards) if row[3] == "rep"}
    assert after["a2"][7] == pytest.approx(75.0)
    assert after["a2"][0] == before["a2"][0]  # the same row, updated in place
    assert after["a1"][7] == before["a1"][7] == 125.0
    assert after["a1"][12]["team_score"] == pytest.approx(100.0)
    assert after["a3"] == before["a3"] and after["a4"] == before["a4"]


def test_a_version_adopted_later_for_the_same_period_replaces_its_scores(
    cards: Scorecards,
) -> None:
    _adopt_both(cards)
    cards.score("2025-05")
    # Version 3 (0.5 / 0.5 again) replaces version 2 from the same date: May is scored by it.
    adopted = cards.adopt(text=V1.replace("Tiny sales", "Tiny sales 3"),
                          effective_from=date(2025, 4, 1), actor="ann", replace=True)
    assert (adopted.version, adopted.retired) == (3, (2,))
    run = cards.score("2025-05")
    stored = run.results[0].stored
    assert stored is not None and (stored.inserted, stored.deleted) == (6, 6)
    # Under version 3: a1 0.5·150 + 0.5·50 = 100, a2 0.5·120 + 0.5·150 = 135, a3 0.5·100 +
    # 0.5·50 = 75: a2 now comes first.
    scores = _scores(cards, "2025-05")
    assert [scores[f"rep:{rep}"] for rep in ("a1", "a2", "a3")] == [
        (3, 100.0, "A", 2, 2), (3, 135.0, "A", 1, 1), (3, 75.0, "B", 1, 3)]


def test_adoption_is_audited_and_adopting_the_same_document_again_changes_nothing(
    cards: Scorecards,
) -> None:
    _adopt_both(cards)
    again = cards.adopt(text=V1, effective_from=date(2025, 1, 1), actor="ann")
    assert (again.version, again.created) == (1, False)
    with pytest.raises(PlanError) as clash:
        cards.adopt(text=V2, effective_from=date(2025, 1, 1), actor="ann")
    assert "--replace" in clash.value.message
    with cards.app.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        log = [(e.action, e.actor, e.entity_id, e.reason) for e in entries]
        adopted = [e.after for e in entries if e.action == "plan.adopt"]
    assert log == [
        ("plan.create", "ann", "tiny-sales", None),
        ("plan.draft", "ann", "tiny-sales", None),
        ("plan.adopt", "ann", "tiny-sales", "FY25"),
        ("plan.draft", "bob", "tiny-sales", None),
        ("plan.adopt", "bob", "tiny-sales", "more weight on revenue"),
    ]
    assert [(a["version"], a["effective_from"]) for a in adopted if a] == [
        (1, "2025-01-01"), (2, "2025-04-01")]
    assert [(v.version, v.status, v.effective_from) for v in cards.versions()] == [
        (1, "adopted", date(2025, 1, 1)), (2, "adopted", date(2025, 4, 1))]


def test_a_period_before_the_first_version_or_of_another_grain_is_skipped(
    local_cards: Scorecards,
) -> None:
    _adopt_both(local_cards)
    before = local_cards.score("2024-12")
    assert before.results == ()
    assert [s.message for s in before.skipped] == [
        "no version of tiny-sales is in force in 2024-12"]
    partly = local_cards.score("2024-11-01..2025-02-28", store=False)
    assert [r.period for r in partly.results] == ["2025-01", "2025-02"]
    assert [s.message for s in partly.skipped] == [
        "no version of tiny-sales is in force in 2024-11 … 2024-12 (2)"]
    day = local_cards.score("2025-02-03")
    assert day.results == ()
    assert day.skipped[0].message == (
        "tiny-sales scores whole periods of month; 2025-02-03 holds none")
    # The grain in Chinese too, not "month".
    assert day.skipped[0].message_zh == "tiny-sales 按完整的月评分；2025-02-03 不包含完整的月"
