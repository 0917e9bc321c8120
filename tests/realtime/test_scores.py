"""Scores on arrival (``workspace/realtime_scores.py``), on each app store: an event for a rep
re-scores that rep for the open period (2025-Q1 on 2025-03-16), coalesced until
``rescore_touched``; the rows of reps and teams it does not move are not written; a duplicate
event re-scores nothing.

Plan ``tiny`` (quarterly; revenue against 1,000 and deals won against 2, half each, linear
capped at 150 %): r1 holds in 2025-Q1 o1 (100, February) and o2 (300, March) won, so
0.5 x 40 + 0.5 x 100 = 70, second behind r2's 100 (7,000 won, capped at 150, and one deal: 50).
r1's open o4 (200) won on 2025-03-25: 600 and three deals, 0.5 x 60 + 0.5 x 150 = 105, first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from tests.tiny_org import TINY_PLAN, L

from salescore.workspace import Workspace
from salescore.workspace.realtime_scores import touched

TODAY = date(2025, 3, 16)
O4_WON = {"table": "opportunities", "at": "2025-03-25T10:00:00+08:00",
          "row": {"opportunity_id": "o4", "stage": "won",
                  "closed_at": "2025-03-25T10:00:00+08:00"}}


@pytest.fixture
def scored(workspace: Workspace) -> Workspace:
    owner = workspace.owner()
    owner.adopt_plan(text=TINY_PLAN, effective_from=L(2025, 1, 1).date(), actor="test")
    owner.score("2025-Q1")
    return workspace


def rows(ws: Workspace) -> dict[tuple[str, str], tuple[float | None, int | None, Any]]:
    return {(s.subject_kind, s.subject_id): (s.score, s.rank_company, s.computed_at)
            for s in ws.owner().stored_scores("2025-Q1")}


def test_an_event_rescores_its_rep_alone_and_a_duplicate_nothing(scored: Workspace) -> None:
    before = rows(scored)
    assert before[("rep", "r1")][:2] == (70.0, 2)
    assert before[("rep", "r2")][:2] == (100.0, 1)
    rt = scored.owner().realtime
    assert rt.accept_events([O4_WON]).accepted == 1
    assert rows(scored) == before  # noted, not yet re-scored: events are coalesced
    done = rt.rescore_touched(TODAY)
    assert done.reps == frozenset({"r1"})
    assert [(plan, period) for plan, period, *_ in done.periods] == [("tiny", "2025-Q1")]
    after = rows(scored)
    assert after[("rep", "r1")][:2] == (105.0, 1)
    # Every other rep keeps their score; r2 is second now (the rank moved, the score not).
    assert {k: v[0] for k, v in after.items() if k != ("rep", "r1") and k[0] == "rep"} == \
        {k: v[0] for k, v in before.items() if k != ("rep", "r1") and k[0] == "rep"}
    assert after[("rep", "r2")][:2] == (100.0, 2)
    # T1's score takes r1's: (105 + 100 + 0) / 3; the other team's rows are not written.
    assert after[("team", "T1")][0] == pytest.approx(205 / 3)
    for untouched in [("rep", "r4"), ("rep", "r5"), ("rep", "r6"), ("team", "T2"),
                      ("team", "T2X")]:
        assert after[untouched] == before[untouched]
    # The explanation kept with the score holds the event's deal (no warehouse query).
    explained = scored.owner().score_explanation("r1", "2025-Q1")
    assert explained.stored
    revenue = explained.records["revenue_won"]
    assert revenue.value == 600
    assert "o4" in {str(r["opportunity_id"]) for part in revenue.parts
                    for r in part.rows.to_pylist()}

    again = rt.accept_events([O4_WON])
    assert (again.accepted, again.duplicate) == (0, 1)
    assert not touched(scored).pending()
    assert rt.rescore_touched(TODAY).periods == ()
    assert rows(scored) == after


def test_what_each_table_touches(scored: Workspace) -> None:
    rt = scored.owner().realtime
    pending = touched(scored)
    rt.touch({"stage_changes": [{"opportunity_id": "o4", "stage": "won"}]})  # o4's owner
    rt.touch({"peer_reviews": [{"reviewer_rep_id": "r2", "reviewee_rep_id": "r5"}]})
    rt.touch({"targets": [{"scope": "rep", "scope_id": "r6"}]})
    assert pending.take() == (False, frozenset({"r1", "r2", "r5", "r6"}), True)
    rt.touch({"targets": [{"scope": "team", "scope_id": "T1"}]})
    assert pending.take()[0] is True  # a team's target may move any of its reps


def test_a_period_no_one_scored_is_started_by_events_not_by_imports(
        workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    owner = workspace.owner()
    owner.adopt_plan(text=TINY_PLAN, effective_from=L(2025, 1, 1).date(), actor="test")
    monkeypatch.setattr("salescore.core.periods._utc_now",
                        lambda: datetime(2025, 3, 16, 4, tzinfo=UTC))
    opp = {"opportunity_id": "x9", "customer_id": "c1", "owner_rep_id": "r4",
           "created_at": "2025-03-10T09:00:00+08:00", "stage": "won",
           "closed_at": "2025-03-12T09:00:00+08:00", "amount": "1000", "currency": "CNY"}
    owner.import_arrow("opportunities", pa.Table.from_pylist([opp]), name="x9.csv")
    assert owner.stored_scores("2025-Q1") == []  # an import keeps scores current only
    owner.realtime.accept_events([{"table": "opportunities", "row": {**opp, "amount": "1500"}}])
    owner.realtime.rescore_touched()
    r4 = {s.subject_id: s.score for s in owner.stored_scores("2025-Q1")}["r4"]
    # r4: 150 before (T2's target row aside, the fixed 1,000) + 1,500 = 1,650, capped at 150 %
    # -> 75; two deals won -> 50.
    assert r4 == pytest.approx(125.0)
    # Now scored, an import keeps it current at once: x9 back to 1,000 -> 1,150 -> 57.5 + 50.
    owner.import_arrow("opportunities", pa.Table.from_pylist([opp]), name="x9.csv")
    r4 = {s.subject_id: s.score for s in owner.stored_scores("2025-Q1")}["r4"]
    assert r4 == pytest.approx(107.5)

