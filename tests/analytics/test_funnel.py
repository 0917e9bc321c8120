"""The funnel on the organisation of ``funnel_org.py``, on DuckDB and PostgreSQL, every figure
worked out by hand from its table, through sessions of each scope.

2025-Q1's entry cohort (first stage entry in Q1): d1–d5 (ra1), e1–e4 (ra2), f1, f2 (ra3), g1
(rb1), g3 (rb2); not g2 (first entry 2024-12-20), g4 (2025-04-02), g5, g6 (no history).
Reached (furthest step, skipped stages passed through):

    ra1: lead 5, qualified 3 (d1 d2 d4), proposal 2 (d1 d4), won 1 (d1)
    ra2+ra3 (ra1's peers): lead 6, qualified 5, proposal 4 (e4 skipped it), won 4
    TA: lead 11, qualified 8, proposal 6, won 5        TB: lead 2, qualified 2, proposal 1, won 0
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.analytics.funnel_org import FUNNEL, PERIOD
from tests.backends import fresh_warehouse_url

from salescore.analytics.funnel import Bottleneck, Funnel, bottleneck, funnel_of
from salescore.core.scope import OutOfScope, Scope
from salescore.workspace import Workspace


@pytest.fixture(scope="module")
def ws(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    folder = tmp_path_factory.mktemp(f"funnel-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(folder / "home", FUNNEL.settings) as workspace:
            FUNNEL.load(workspace._warehouse)
            yield workspace


def _reached(f: Funnel) -> list[int]:
    return [s.reached for s in f.steps]


def test_a_reps_funnel_counts_conversion_and_drop_off(ws: Workspace) -> None:
    report = ws.owner().funnel(period=PERIOD, rep="ra1")
    assert report.stages == ("lead", "qualified", "proposal", "won")
    f = report.funnel
    assert f.deals == 5 and _reached(f) == [5, 3, 2, 1]
    assert [s.conversion for s in f.steps] == [3 / 5, 2 / 3, 1 / 2, None]
    assert [s.drop_off for s in f.steps][:3] == pytest.approx([2 / 5, 1 / 3, 1 / 2])
    assert f.steps[3].drop_off is None
    assert [s.dropped for s in f.steps] == [2, 1, 1, None]
    # lead: d3 lost there, d5 still open; qualified: d2 lost; proposal: d4 still open
    assert [(s.lost, s.still_open) for s in f.steps] == [(1, 1), (1, 0), (0, 1), (0, 0)]
    assert f.won == 1 and f.win_rate == 1 / 5


def test_the_bottleneck_of_a_rep_against_the_rest_of_the_team(ws: Workspace) -> None:
    report = ws.owner().funnel(period=PERIOD, rep="ra1")
    assert report.peers is not None and report.peers_kind == "team"
    assert report.peers.deals == 6 and report.peers.reps == 2
    assert _reached(report.peers) == [6, 5, 4, 4]
    # shortfalls: lead 5 × (5/6 − 3/5) = 7/6; qualified 3 × (4/5 − 2/3) = 0.4;
    # proposal 2 × (1 − 1/2) = 1: the widest gap (proposal) is not where most deals are lost
    b = report.bottleneck
    assert (b.stage, b.next_stage, b.reached) == ("lead", "qualified", 5)
    assert b.conversion == 3 / 5 and b.peer_conversion == 5 / 6
    assert b.shortfall == pytest.approx(7 / 6)
    assert report.words.en == ("Most deals are lost between lead and qualified: 60% went on, "
                               "against 83% for the rest of the team (about 1.2 deals fewer "
                               "of the 5 that reached lead).")
    assert report.words.zh.startswith("流失最多的环节在“lead”到“qualified”之间：推进率 60%，"
                                      "团队其他成员为 83%")


def test_a_team_against_the_rest_of_the_company(ws: Workspace) -> None:
    ta = ws.owner().funnel(period=PERIOD, team="TA")
    assert ta.funnel.deals == 11 and _reached(ta.funnel) == [11, 8, 6, 5]
    assert ta.peers_kind == "company" and _reached(ta.peers) == [2, 2, 1, 0]
    # lead: 11 × (2/2 − 8/11) = 3; the later steps convert better than TB's
    assert (ta.bottleneck.stage, ta.bottleneck.shortfall) == ("lead", pytest.approx(3.0))
    tb = ws.owner().funnel(period=PERIOD, team="TB")
    assert _reached(tb.funnel) == [2, 2, 1, 0] and _reached(tb.peers) == [11, 8, 6, 5]
    # qualified: 2 × (6/8 − 1/2) = 0.5; proposal: 1 × (5/6 − 0) = 5/6
    assert (tb.bottleneck.stage, tb.bottleneck.next_stage) == ("proposal", "won")
    assert tb.bottleneck.shortfall == pytest.approx(5 / 6)
    assert "rest of the company" in tb.words.en and "公司其他团队" in tb.words.zh


def test_too_few_peers_name_no_bottleneck(ws: Workspace) -> None:
    report = ws.owner().funnel(period=PERIOD, rep="rb1")  # rb2 alone is too few to pool
    assert _reached(report.funnel) == [1, 1, 1, 0]
    assert report.peers is None and report.bottleneck is None
    assert report.words.en.startswith("Not enough peers")


def test_the_company_funnel_and_who_counts(ws: Workspace) -> None:
    company = ws.owner().funnel(period=PERIOD)
    # g2 entered in 2024-Q4, g4 in 2025-Q2, g5 and g6 have no stage history
    assert company.funnel.deals == 13 and _reached(company.funnel) == [13, 10, 7, 5]
    assert company.peers is None and company.bottleneck is None
    q4 = ws.owner().funnel(period="2024-Q4")
    assert q4.funnel.deals == 1 and _reached(q4.funnel) == [1, 1, 1, 1]  # g2 skipped proposal


def test_split_by_channel_and_segment_keeps_unknown_unknown(ws: Workspace) -> None:
    by_channel = dict(ws.owner().funnel(period=PERIOD, rep="ra1", by="channel").by_value)
    assert _reached(by_channel["web"]) == [2, 2, 1, 1]  # d1, d2
    assert _reached(by_channel["partner"]) == [3, 1, 1, 0]  # d3, d4, d5
    by_segment = dict(ws.owner().funnel(period=PERIOD, rep="ra1", by="segment").by_value)
    assert set(by_segment) == {"SMB", "ENT", None}  # d5 has no customer: segment unknown
    assert _reached(by_segment[None]) == [1, 0, 0, 0]
    owner = ws.owner()
    unknown, n = owner.funnel_deals(period=PERIOD, stage="lead", rep="ra1", by="segment")
    assert n == 1 and [r["opportunity_id"] for r in unknown] == ["d5"]
    partner, n = owner.funnel_deals(period=PERIOD, stage="qualified", rep="ra1", by="channel",
                                    value="partner")
    assert n == 1 and [r["opportunity_id"] for r in partner] == ["d4"]


def test_the_deals_behind_a_step_add_up_and_are_paged(ws: Workspace) -> None:
    owner = ws.owner()
    rows, total = owner.funnel_deals(period=PERIOD, stage="proposal", rep="ra1")
    assert total == 2 and [r["opportunity_id"] for r in rows] == ["d1", "d4"]
    report = owner.funnel(period=PERIOD)
    for step in report.funnel.steps:
        ids: list[str] = []
        offset = 0
        while True:
            page, total = owner.funnel_deals(period=PERIOD, stage=step.stage, offset=offset,
                                             limit=4)
            ids += [r["opportunity_id"] for r in page]
            offset += 4
            if offset >= total:
                break
        assert len(ids) == len(set(ids)) == total == step.reached


def test_a_reps_session_sees_own_deals_and_peers_only_pooled(ws: Workspace) -> None:
    rep = ws.session(Scope.rep("ra1"))
    company = rep.funnel(period=PERIOD)
    assert company.funnel.deals == 5 and _reached(company.funnel) == [5, 3, 2, 1]
    mine = rep.funnel(period=PERIOD, rep="ra1")
    assert mine.peers is not None and _reached(mine.peers) == [6, 5, 4, 4]
    assert mine.bottleneck is not None and mine.bottleneck.stage == "lead"
    rows, total = rep.funnel_deals(period=PERIOD, stage="lead")
    assert total == 5 and {r["opportunity_id"] for r in rows} == {"d1", "d2", "d3", "d4", "d5"}
    for other in ("ra2", "rb1"):
        with pytest.raises(OutOfScope):
            rep.funnel(period=PERIOD, rep=other)
        with pytest.raises(OutOfScope):
            rep.funnel_deals(period=PERIOD, stage="lead", rep=other)
    with pytest.raises(OutOfScope):
        rep.funnel(period=PERIOD, team="TB")


def test_a_managers_session_sees_the_subtree(ws: Workspace) -> None:
    manager = ws.session(Scope.team("TB"))
    assert _reached(manager.funnel(period=PERIOD).funnel) == [2, 2, 1, 0]
    rows, total = manager.funnel_deals(period=PERIOD, stage="lead")
    assert total == 2 and [r["opportunity_id"] for r in rows] == ["g1", "g3"]
    with pytest.raises(OutOfScope):
        manager.funnel(period=PERIOD, team="TA")


def test_bottleneck_arithmetic_ties_and_no_gap() -> None:
    stages = ("a", "b", "c")
    own = funnel_of({"deals": 4, "reached_0": 4, "reached_1": 2, "reached_2": 1}, stages)
    same = funnel_of({"deals": 8, "reached_0": 8, "reached_1": 4, "reached_2": 2}, stages)
    assert bottleneck(own, same) is None
    # a: 4 × (3/4 − 1/2) = 1; b: 2 × (1 − 1/2) = 1: equal shortfalls, the wider gap wins
    better = funnel_of({"deals": 4, "reached_0": 4, "reached_1": 3, "reached_2": 3}, stages)
    assert bottleneck(own, better) == Bottleneck("b", "c", 2, 0.5, 1.0, 1.0, "team")
    empty = funnel_of({}, stages)
    assert empty.deals == 0 and empty.win_rate is None
    assert [s.conversion for s in empty.steps] == [None, None, None]
