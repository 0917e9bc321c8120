"""Setting a target through the API: the warehouse row and its audit entry."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select

from salescore.appstore.models import AuditEntry
from salescore.core.errors import ConfigError, PeriodError
from salescore.scorecards import Scorecards


def _targets(cards: Scorecards, rep: str, kpi: str) -> list[tuple[object, ...]]:
    sql = "SELECT period, value, set_by, reason FROM targets WHERE scope = 'rep' AND " \
          f"scope_id = '{rep}' AND kpi = '{kpi}' ORDER BY period"
    return [tuple(row) for row in cards.warehouse.execute_sql(sql)]


def _audit(cards: Scorecards) -> list[AuditEntry]:
    with cards.app.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "target.set")
                                    .order_by(AuditEntry.id)))


def test_a_new_target_then_a_change_are_both_audited(cards: Scorecards) -> None:
    first = cards.set_target("rep", "a3", "2025-05", "deals_won", 3, actor="ann",
                             reason="new quota")
    assert (first.period, first.before, first.after) == ("2025-05", None, 3.0)
    changed = cards.set_target("rep", "a3", "2025-05", "deals_won", 4.5, actor="bob",
                               reason="bigger territory")
    assert (changed.before, changed.after) == (3.0, 4.5)
    assert _targets(cards, "a3", "deals_won") == [("2025-05", 4.5, "bob", "bigger territory")]
    entries = _audit(cards)
    assert [(e.actor, e.entity, e.entity_id, e.before, e.after, e.reason) for e in entries] == [
        ("ann", "target", "rep:a3:2025-05:deals_won", None,
         {"value": 3.0, "set_by": "ann", "reason": "new quota"}, "new quota"),
        ("bob", "target", "rep:a3:2025-05:deals_won",
         {"value": 3.0, "set_by": "ann", "reason": "new quota"},
         {"value": 4.5, "set_by": "bob", "reason": "bigger territory"}, "bigger territory"),
    ]
    assert entries[1].id == changed.audit_id and entries[1].at == changed.at


def test_an_imported_row_is_replaced_and_its_values_are_the_before(cards: Scorecards) -> None:
    change = cards.set_target("rep", "a1", "2025-02", "revenue_won", 120, actor="ann",
                              reason="raise")
    assert change.before == 100.0
    assert _audit(cards)[0].before == {"value": 100.0, "set_by": "import", "reason": "plan"}
    assert _targets(cards, "a1", "revenue_won") == [("2025-02", 120.0, "ann", "raise"),
                                                    ("2025-05", 200.0, "import", "plan")]


def test_a_period_written_another_way_is_the_same_target(cards: Scorecards) -> None:
    cards.warehouse.execute_sql(
        "INSERT INTO targets (scope, scope_id, period, kpi, value) "
        "VALUES ('team', 'north', '2025-q3', 'revenue_won', 900)")
    change = cards.set_target("team", "north", "2025-Q3", "revenue_won", 1000, actor="ann",
                              reason="H2 plan")
    assert change.before == 900.0
    rows = cards.warehouse.execute_sql(
        "SELECT period, value FROM targets WHERE scope = 'team' AND scope_id = 'north'")
    assert [tuple(row) for row in rows] == [("2025-Q3", 1000.0)]


@pytest.mark.parametrize(("args", "says"), [
    (("rep", "a1", "2025-02", "revenu_won", 1.0), "did you mean revenue_won"),
    (("rep", "zz", "2025-02", "revenue_won", 1.0), "no rep 'zz'"),
    (("team", "a1", "2025-02", "revenue_won", 1.0), "no team 'a1'"),
    (("region", "a1", "2025-02", "revenue_won", 1.0), "rep or team"),
    (("rep", "a1", "2025-02", "revenue_won", math.nan), "finite number"),
])
def test_bad_targets_are_refused_and_change_nothing(local_cards: Scorecards,
                                                    args: tuple[str, str, str, str, float],
                                                    says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        local_cards.set_target(*args, actor="ann", reason="why")
    assert says in caught.value.message
    assert _targets(local_cards, "a1", "revenue_won")[0] == ("2025-02", 100.0, "import", "plan")
    assert _audit(local_cards) == []


def test_a_reason_and_a_readable_period_are_required(local_cards: Scorecards) -> None:
    with pytest.raises(ConfigError) as caught:
        local_cards.set_target("rep", "a1", "2025-02", "revenue_won", 1, actor="ann",
                               reason="  ")
    assert "reason" in caught.value.message and "原因" in caught.value.message_zh
    with pytest.raises(PeriodError):
        local_cards.set_target("rep", "a1", "Feb 2025", "revenue_won", 1, actor="ann",
                               reason="x")
    assert _audit(local_cards) == []
