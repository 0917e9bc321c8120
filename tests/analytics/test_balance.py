"""Team and individual balance on the organisation of ``rep_org.py``, every figure by hand.

Revenue won 2025-Q1: TA a1 500 + a2 100 + a3 400 = 1000, of which assisted o1 300 (x1) + o2 200
(x2) = 500, a share of 1/2; TB b1 700 + b2 0 = 700, assisted o8 600 (x3): 6/7. The company 1700,
1100 assisted. Assists given by the helper's team: TA x1 x3 x4 = 3, TB x2 x5 = 2; received by
the helped rep's team: TA x1 x2 x4 = 3, TB x3 x5 = 2; across teams: TA x3, TB x2. Flows (helper
team → helped team): TA→TA x1 x4, TA→TB x3, TB→TA x2, TB→TB x5.

Blends (individual scores a1 75, a2 30, a3 45, b1 85, b2 0; team averages TA 50, TB 42.5):

=====  ====================  =====  ==========================
share  a1 a2 a3 b1 b2        range  population s.d.
=====  ====================  =====  ==========================
1.0    75 30 45 85 0         85     √(4730/5)   (mean 47)
0.8    70 34 46 76.5 8.5     68     √(3051.5/5)
0.6    65 38 47 68 17        51
0.5    62.5 40 47.5 63.75 21.25  42.5
=====  ====================  =====  ==========================

So the team part narrows the spread: b1 loses 8.5 from 1.0 to 0.8 and b2 gains 8.5.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date

import pytest
from tests.analytics.rep_org import PERIOD, PLAN, REPS_ORG
from tests.backends import fresh_warehouse_url

from salescore.core.scope import OutOfScope, Scope
from salescore.workspace import Workspace


@pytest.fixture(scope="module")
def ws(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    folder = tmp_path_factory.mktemp(f"balance-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(folder / "home", REPS_ORG.settings) as workspace:
            REPS_ORG.load(workspace._warehouse)
            workspace.owner().adopt_plan(text=PLAN, effective_from=date(2025, 1, 1),
                                         actor="test")
            yield workspace


def test_teams_revenue_and_assists(ws: Workspace) -> None:
    teams = {t.team_id: t for t in ws.owner().balance(period=PERIOD).teams}
    got = {k: (t.revenue_won, t.assisted_revenue_won, t.assists_given, t.assists_received,
               t.cross_team_given) for k, t in teams.items()}
    assert got == {"CO": (1700.0, pytest.approx(1100.0), 5, 5, 2),
                   "TA": (1000.0, pytest.approx(500.0), 3, 3, 1),
                   "TB": (700.0, pytest.approx(600.0), 2, 2, 1)}
    assert teams["TB"].assisted_share == pytest.approx(6 / 7)


def test_reps_and_flows(ws: Workspace) -> None:
    report = ws.owner().balance(period=PERIOD)
    reps = {r.rep_id: (r.assists_given, r.assist_points, r.assists_received, r.cross_team_given)
            for r in report.reps}
    assert reps == {"a1": (1, 3.0, 2, 1), "a2": (1, 5.0, 1, 0), "a3": (1, 2.0, 0, 0),
                    "b1": (1, 3.0, 2, 1), "b2": (1, 2.0, 0, 0)}
    assert report.flows == [("TA", "TA", 2), ("TA", "TB", 1), ("TB", "TA", 1), ("TB", "TB", 1)]


def test_blends_are_replayed_by_the_plan(ws: Workspace) -> None:
    (plan,) = ws.owner().balance(period=PERIOD).plans
    assert plan.plan == "pq"
    assert [(b.individual, b.team, b.current, b.scored) for b in plan.blends] == [
        (1.0, 0.0, False, 5), (0.8, 0.2, True, 5), (0.6, 0.4, False, 5), (0.5, 0.5, False, 5)]
    assert [b.range for b in plan.blends] == [pytest.approx(x) for x in (85, 68, 51, 42.5)]
    assert plan.blends[0].stdev == pytest.approx(math.sqrt(4730 / 5))
    assert plan.blends[1].stdev == pytest.approx(math.sqrt(3051.5 / 5))
    scores = dict(plan.reps)
    assert scores["b1"] == [pytest.approx(x) for x in (85, 76.5, 68, 63.75)]
    assert scores["b2"] == [pytest.approx(x) for x in (0, 8.5, 17, 21.25)]


def test_scope(ws: Workspace) -> None:
    manager = ws.session(Scope.team("TB")).balance(period=PERIOD)
    assert [t.team_id for t in manager.teams] == ["TB"]
    assert [r.rep_id for r in manager.reps] == ["b1", "b2"]
    # a team outside the scope is not named: a1's team is unknown to TB's manager
    assert manager.flows == [(None, "TB", 1), ("TB", None, 1), ("TB", "TB", 1)]
    (plan,) = manager.plans
    assert [r for r, _ in plan.reps] == ["b1", "b2"] and plan.blends[1].range == \
        pytest.approx(68)  # the spread of everyone the plan scores: counts, not scores
    rep = ws.session(Scope.rep("a2")).balance(period=PERIOD)
    assert [r.rep_id for r in rep.reps] == ["a2"]
    with pytest.raises(OutOfScope):
        ws.session(Scope.team("TB")).balance(period=PERIOD, team="TA")
