"""Strengths and weaknesses on the organisation of ``rep_org.py``, every figure by hand.

Plan ``pq`` scores all five reps in 2025-Q1, so each rep's peers are the other four. a2:

==================== ===== ============================ ================ ==========
KPI                  a2    the others (a1 a3 b1 b2)     a2 beats / level percentile
==================== ===== ============================ ================ ==========
revenue_won          100   500 400 700 0  (median 450)  b2 / —           1/4 = 25
deals_won            1     2 1 2 0  (median 1.5)        b2 / a3          1.5/4 = 37.5
deals_lost (lower)   2     1 0 1 2                      — / b2           0.5/4 = 12.5
win_rate             1/3   2/3 1 2/3 0                  b2 / —           25
opportunities_created 3    3 1 3 2                      a3 b2 / a1 b1    3/4 = 75
==================== ===== ============================ ================ ==========

Strongest: opportunities_created 75, deals_won 37.5, revenue_won 25 (level with win_rate: by
name); weakest (of the rest): deals_lost 12.5, win_rate 25.

Levers (blend 0.8 individual + 0.2 the team's average of individual scores, 3 in TA):
revenue_won 100 → 450: the line's points 10 → 45, and the line weighs 0.5, so the
individual score gains 0.5 × 35 = 17.5; the score 0.8 × 17.5 + 0.2 × 17.5 / 3 = 15.1667;
deals_won 1 → 1.5: individual +0.5 × 25 = 12.5; score 10 + 0.8333 = 10.8333.
b2 (TB, 2 members): deals_won 0 → 1.5: +37.5 → 30 + 0.2 × 37.5 / 2 = 33.75 (8.5 → 42.25);
revenue_won 0 → 450: +22.5 → 18 + 2.25 = 20.25. a1 and b1 are behind on no line: no lever.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from tests.analytics.rep_org import PERIOD, PLAN, REPS_ORG
from tests.backends import fresh_warehouse_url

from salescore.core.scope import OutOfScope, Scope
from salescore.workspace import Workspace

KPIS = ["revenue_won", "deals_won", "deals_lost", "win_rate", "opportunities_created"]


@pytest.fixture(scope="module")
def ws(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    folder = tmp_path_factory.mktemp(f"strengths-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(folder / "home", REPS_ORG.settings) as workspace:
            REPS_ORG.load(workspace._warehouse)
            workspace.owner().adopt_plan(text=PLAN, effective_from=date(2025, 1, 1),
                                         actor="test")
            yield workspace


def test_percentiles_strongest_and_weakest(ws: Workspace) -> None:
    report = ws.owner().strengths(period=PERIOD, kpis=KPIS)
    assert report.plans == ["pq"] and [r.rep_id for r in report.reps] == [
        "a1", "a2", "a3", "b1", "b2"]
    a2 = report.rep("a2")
    assert (a2.plan, a2.peers, a2.score, a2.rating) == ("pq", 4, pytest.approx(34.0), "B")
    got = {s.kpi: (s.percentile, s.peer_median) for s in a2.kpis}
    assert got == {"revenue_won": (25.0, 450.0), "deals_won": (37.5, 1.5),
                   "deals_lost": (12.5, 1.0), "win_rate": (25.0, pytest.approx(2 / 3)),
                   "opportunities_created": (75.0, 2.5)}
    assert [s.kpi for s in a2.strongest] == ["opportunities_created", "deals_won",
                                             "revenue_won"]
    assert [s.kpi for s in a2.weakest] == ["deals_lost", "win_rate"]
    a3 = report.rep("a3")  # lost nothing, won all: best on both; opened the fewest
    assert {s.kpi: s.percentile for s in a3.kpis}["deals_lost"] == 100.0
    assert {s.kpi: s.percentile for s in a3.kpis}["opportunities_created"] == 0.0


def test_levers_are_scored_by_the_plan(ws: Workspace) -> None:
    report = ws.owner().strengths(period=PERIOD, kpis=KPIS)
    a2 = report.rep("a2")
    assert [(lv.kpi, lv.peer_median) for lv in a2.levers] == [("revenue_won", 450.0),
                                                              ("deals_won", 1.5)]
    assert a2.levers[0].gain == pytest.approx(14 + 3.5 / 3)
    assert a2.levers[0].new_score == pytest.approx(34 + 14 + 3.5 / 3)
    assert a2.levers[1].gain == pytest.approx(10 + 2.5 / 3)
    b2 = report.rep("b2")
    assert [(lv.kpi, round(lv.gain, 4)) for lv in b2.levers] == [("deals_won", 33.75),
                                                                 ("revenue_won", 20.25)]
    assert (b2.levers[0].score, b2.levers[0].new_score) == (pytest.approx(8.5),
                                                            pytest.approx(42.25))
    assert report.rep("a1").levers == [] and report.rep("b1").levers == []


def test_every_catalogue_kpi_by_default(ws: Workspace) -> None:
    a2 = ws.owner().strengths(period=PERIOD, rep="a2").rep("a2")
    kpis = {s.kpi for s in a2.kpis}
    assert {"revenue_won", "win_rate", "avg_response_hours", "stage_conversion[lead]"} <= kpis
    assert len(a2.strongest) == 3 and len(a2.weakest) == 3
    # an unknown value has no percentile, never 0: a2 has no message, so no response time
    assert {s.kpi: s.percentile for s in a2.kpis}["avg_response_hours"] is None


def test_scope(ws: Workspace) -> None:
    mine = ws.session(Scope.rep("a2")).strengths(period=PERIOD, kpis=KPIS)
    assert [r.rep_id for r in mine.reps] == ["a2"]
    assert mine.rep("a2").levers[0].gain == pytest.approx(14 + 3.5 / 3)  # the same peers
    with pytest.raises(OutOfScope):
        ws.session(Scope.rep("a2")).strengths(period=PERIOD, rep="a1", kpis=KPIS)
    team = ws.session(Scope.team("TB")).strengths(period=PERIOD, kpis=KPIS)
    assert [r.rep_id for r in team.reps] == ["b1", "b2"]
    with pytest.raises(OutOfScope):
        ws.session(Scope.team("TB")).strengths(period=PERIOD, team="TA", kpis=KPIS)


def test_a_period_no_plan_scores(ws: Workspace) -> None:
    assert ws.owner().strengths(period="2025-03", kpis=KPIS).reps == []  # pq is quarterly


def test_standings_of_many_reps_equal_each_reps_own() -> None:
    """The sorted-once standings give each rep exactly what :func:`standings` gives: ties,
    unknown values, a lower-is-better KPI, too few peers, odd and even counts."""
    import random

    from salescore.analytics.strengths import standings, standings_of

    pick = random.Random(11)
    for size in (1, 2, 3, 4, 7, 12):
        rows = [{"rep_id": f"r{i}",
                 "a": pick.choice([None, float("nan"), 1.0, 2.0, 2.0, pick.random()]),
                 "b": pick.choice([None, 0.0, 3.0, pick.random() * 10])} for i in range(size)]
        reps = [r["rep_id"] for r in rows] + ["nobody"]
        directions = {"a": "higher", "b": "lower"}
        many = standings_of(reps, rows, ["a", "b"], directions)
        for rep in reps:
            assert many[rep] == standings(rep, rows, ["a", "b"], directions), (size, rep)
