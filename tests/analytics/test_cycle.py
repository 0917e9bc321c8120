"""The sales cycle on the organisation of ``funnel_org.py``, on DuckDB and PostgreSQL, every
figure worked out by hand.

Closed in 2025-Q1 (by close date, first stage entry whenever):
won  d1 36, e1 27, e2 60, e4 35, f1 34, g2 36, g5 19 days: sorted 19 27 34 35 36 36 60,
     median 35, mean 247/7; bins 15–30: 2, 30–45: 4, 60–90: 1
lost d2 26, d3 10, e3 23, f2 10, g1 66, g6 unknown (closed before it was created): median 23,
     mean 135/5 = 27; bins 0–15: 2, 15–30: 2, 60–90: 1

Days in stage (entries of those deals that a next stage followed):
lead      d1 5, d2 10, d3 10, e1 5, e2 5, e3 3, e4 3, f1 8, f2 10, g1 7, g2 16: median 7, mean 82/11
qualified d1 10, d2 16, e1 7, e2 10, e3 20, e4 32, f1 12, g1 31, g2 20: median 16, mean 158/9
proposal  d1 21, e1 15, e2 45, f1 14, g1 28: median 21, mean 123/5
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.analytics.funnel_org import FUNNEL, PERIOD
from tests.backends import fresh_warehouse_url

from salescore.core.scope import OutOfScope, Scope
from salescore.workspace import Workspace


@pytest.fixture(scope="module")
def ws(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    folder = tmp_path_factory.mktemp(f"cycle-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(folder / "home", FUNNEL.settings) as workspace:
            FUNNEL.load(workspace._warehouse)
            yield workspace


def test_the_companys_cycle_lengths(ws: Workspace) -> None:
    report = ws.owner().cycle(period=PERIOD)
    assert report.bins == ["0–15", "15–30", "30–45", "45–60", "60–90", "90–120", "120–180",
                           "180+"]
    won, lost = report.won, report.lost
    assert (won.deals, won.known, won.unknown) == (7, 7, 0)
    assert won.median_days == pytest.approx(35.0)
    assert won.mean_days == pytest.approx(247 / 7)
    assert won.bins == [0, 2, 4, 0, 1, 0, 0, 0]
    assert (lost.deals, lost.known, lost.unknown) == (6, 5, 1)  # g6: unknown, not 0 days
    assert lost.median_days == pytest.approx(23.0)
    assert lost.mean_days == pytest.approx(27.0)
    assert lost.bins == [2, 2, 0, 0, 1, 0, 0, 0]
    assert sum(won.bins) == won.known and sum(lost.bins) == lost.known


def test_days_in_each_stage(ws: Workspace) -> None:
    stages = {s.stage: s for s in ws.owner().cycle(period=PERIOD).stages}
    assert list(stages) == ["lead", "qualified", "proposal"]
    assert (stages["lead"].entries, stages["lead"].median_days) == (11, pytest.approx(7.0))
    assert stages["lead"].mean_days == pytest.approx(82 / 11)
    assert (stages["qualified"].entries, stages["qualified"].median_days) == (
        9, pytest.approx(16.0))
    assert stages["qualified"].mean_days == pytest.approx(158 / 9)
    assert (stages["proposal"].entries, stages["proposal"].median_days) == (
        5, pytest.approx(21.0))
    assert stages["proposal"].mean_days == pytest.approx(123 / 5)


def test_a_reps_cycle_and_an_empty_period(ws: Workspace) -> None:
    report = ws.owner().cycle(period=PERIOD, rep="ra1")
    assert (report.won.deals, report.won.median_days) == (1, pytest.approx(36.0))
    assert (report.lost.deals, report.lost.median_days) == (2, pytest.approx(18.0))
    assert report.lost.bins[:2] == [1, 1]
    stages = {s.stage: s for s in report.stages}
    assert stages["lead"].median_days == pytest.approx(10.0)  # d1 5, d2 10, d3 10
    assert stages["lead"].mean_days == pytest.approx(25 / 3)
    assert (stages["proposal"].entries, stages["proposal"].median_days) == (
        1, pytest.approx(21.0))
    empty = ws.owner().cycle(period="2024-Q3")
    assert empty.won.deals == 0 and empty.won.median_days is None  # unknown, never 0
    assert all(s.entries == 0 and s.median_days is None for s in empty.stages)


def test_scope(ws: Workspace) -> None:
    rep = ws.session(Scope.rep("ra1"))
    mine = rep.cycle(period=PERIOD)
    assert (mine.won.deals, mine.lost.deals) == (1, 2)
    with pytest.raises(OutOfScope):
        rep.cycle(period=PERIOD, rep="rb1")
    manager = ws.session(Scope.team("TB")).cycle(period=PERIOD)
    # g1 lost 66; g2 won 36, g5 won 19; g6 lost, unknown
    assert (manager.won.deals, manager.won.median_days) == (2, pytest.approx(27.5))
    assert (manager.lost.deals, manager.lost.known) == (2, 1)
    team = ws.owner().cycle(period=PERIOD, team="TB")
    assert team.won == manager.won and team.lost == manager.lost
