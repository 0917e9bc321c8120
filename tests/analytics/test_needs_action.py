"""The records that need action, on the organisation of ``tests/analytics/action_org.py`` (read
its text for how each figure is worked out), on DuckDB and PostgreSQL, within each scope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import ibis
import pytest
from tests.analytics.action_org import ACTION_ORG, AS_OF, SETTINGS

from salescore.analytics.needs_action import (
    MIN_STAYS,
    USUAL_SCHEMA,
    no_activity,
    stage_usual,
    stuck_deals,
    usual_table,
)
from salescore.core.scope import OutOfScope, Scope
from salescore.workspace import NeedsAction, Workspace

UTC = ZoneInfo("UTC")


@pytest.fixture
def ws(warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
       ) -> Iterator[Workspace]:
    monkeypatch.setenv("SALESCORE_WAREHOUSE_URL", warehouse_url)
    with Workspace.init(tmp_path / "home", SETTINGS) as workspace:
        ACTION_ORG.load(workspace._warehouse)
        yield workspace


def ids(found: NeedsAction) -> tuple[list[str], list[str], list[str]]:
    return ([i.record_id for i in found.no_activity], [i.record_id for i in found.stuck],
            [i.record_id for i in found.low_surveys])


def test_the_analyses_build_expressions_without_a_database() -> None:
    expr = stuck_deals(AS_OF, UTC, usual_table(USUAL_SCHEMA.empty_table()))
    assert isinstance(expr, ibis.Table)
    assert {"opportunity_id", "days", "usual_days"} <= set(expr.columns)
    assert "days" in no_activity(AS_OF, UTC).columns
    assert MIN_STAYS == 5


def test_everything(ws: Workspace) -> None:
    found = ws.owner().needs_action(AS_OF)
    assert (found.as_of, found.period, found.first, found.last) == (
        AS_OF, "2025-06", date(2025, 6, 1), date(2025, 6, 30))
    assert ids(found) == (["o4", "o8", "o2", "o6"], ["o4", "o1"], ["v3", "v6", "v1", "v4"])
    quiet = {i.record_id: (i.days, i.day) for i in found.no_activity}
    assert quiet == {"o4": (71, date(2025, 4, 20)), "o8": (60, date(2025, 5, 1)),
                     "o2": (20, date(2025, 6, 10)), "o6": (14, date(2025, 6, 16))}
    o4 = found.no_activity[0]
    assert (o4.customer_id, o4.customer_name, o4.rep_id, o4.rep_name, o4.amount, o4.currency,
            o4.stage) == ("c4", "Customer c4", "n2", "Ned", Decimal("4000"), "CNY",
                          "qualified")
    stuck = {i.record_id: (i.days, i.usual_days, i.day) for i in found.stuck}
    assert stuck == {"o4": (60, 25.0, date(2025, 5, 1)), "o1": (29, 25.0, date(2025, 6, 1))}
    low = {i.record_id: (i.csat, i.days, i.customer_name, i.rep_id) for i in found.low_surveys}
    assert low == {"v3": (1, 10, None, "n2"), "v6": (2, 1, "Customer c6", "x1"),
                   "v1": (2, 20, "Customer c1", "n1"), "v4": (2, 25, "Customer c8", "s1")}
    assert found.counts() == {"no_activity": 4, "stuck": 2, "low_survey": 4}


def test_the_usual_of_each_team_and_stage(ws: Workspace) -> None:
    rows = ws.owner().runner.rows(stage_usual(AS_OF, UTC).order_by(["team_id", "stage"]))
    assert [(r["team_id"], r["stage"], r["usual_days"], r["stays"]) for r in rows] == [
        ("N", "qualified", 25.0, 6), ("S", "qualified", 100.0, 5)]
    fewer = ws.owner().runner.rows(stage_usual(AS_OF, UTC, min_stays=2)
                                   .order_by(["team_id", "stage"]))
    assert [(r["team_id"], r["stage"], r["usual_days"]) for r in fewer] == [
        ("N", "lead", 11.5), ("N", "proposal", 6.5), ("N", "qualified", 25.0),
        ("S", "qualified", 100.0)]


def test_a_rep_sees_their_own_and_the_teams_usual(ws: Workspace) -> None:
    n1 = ws.session(Scope.rep("n1")).needs_action(AS_OF)
    # o1 is stuck against team N's usual of 25 days, which n1's own history (10, 10, 20, 31)
    # alone would put at 15: the usual is the team's.
    assert ids(n1) == (["o2"], ["o1"], ["v1"])
    assert n1.stuck[0].usual_days == 25.0
    assert ids(ws.session(Scope.rep("n2")).needs_action(AS_OF)) == (["o4"], ["o4"], ["v3"])
    assert ids(ws.session(Scope.rep("x1")).needs_action(AS_OF)) == (["o6"], [], ["v6"])
    assert ids(ws.session(Scope.rep("s1")).needs_action(AS_OF)) == (["o8"], [], ["v4"])
    assert ids(ws.session(Scope.rep("z1")).needs_action(AS_OF)) == ([], [], [])  # no team


def test_a_manager_sees_their_subtree(ws: Workspace) -> None:
    north = ws.session(Scope.team("N"))
    assert ids(north.needs_action(AS_OF)) == (["o4", "o2", "o6"], ["o4", "o1"],
                                              ["v3", "v6", "v1"])
    assert ids(north.needs_action(AS_OF, team_id="NX")) == (["o6"], [], ["v6"])
    assert ids(north.needs_action(AS_OF, rep_id="n1")) == (["o2"], ["o1"], ["v1"])
    assert ids(ws.session(Scope.team("S")).needs_action(AS_OF)) == (["o8"], [], ["v4"])
    with pytest.raises(OutOfScope):
        north.needs_action(AS_OF, team_id="S")
    with pytest.raises(OutOfScope):
        north.needs_action(AS_OF, rep_id="s1")
    with pytest.raises(OutOfScope):
        ws.session(Scope.rep("n1")).needs_action(AS_OF, rep_id="n2")


def test_as_of_is_clamped_to_the_datas_last_day(ws: Workspace) -> None:
    owner = ws.owner()
    assert owner.data_last_day() == date(2025, 7, 5)  # n2's call on o4
    later = owner.needs_action(date(2025, 9, 1))
    assert later.as_of == date(2025, 7, 5)
    assert later.period == "2025-07"
    # o4 was touched on 07-05; o7 (06-17) is now 18 days quiet, o1 (06-25) only 10
    assert [(i.record_id, i.days) for i in later.no_activity] == [
        ("o8", 65), ("o2", 25), ("o6", 19), ("o7", 18)]
    assert later.low_surveys == ()


def test_surveys_of_another_period(ws: Workspace) -> None:
    may = ws.owner().needs_action(AS_OF, period="2025-05")
    assert [i.record_id for i in may.low_surveys] == ["v5"]
    assert may.low_surveys[0].days == 30


def test_the_first_of_each_kind_and_how_many_in_all(ws: Workspace) -> None:
    found = ws.owner().needs_action(AS_OF, limit=1)
    assert ids(found) == (["o4"], ["o4"], ["v3"])
    assert found.counts() == {"no_activity": 4, "stuck": 2, "low_survey": 4}
    assert ws.session(Scope.rep("x1")).needs_action(AS_OF, limit=3).counts() == {
        "no_activity": 1, "stuck": 0, "low_survey": 1}
