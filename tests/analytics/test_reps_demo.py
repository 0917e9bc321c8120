"""On the small demo (seed 42, English, data up to 2026-10-31, built once for the module), the
communication and balance analyses recover what ``docs/demo.md`` planted, measured against the
hidden traits (:func:`salescore.demo.rep_traits`) of the sellers, over 2025-07 … 2026-06.

E13 (replies follow diligence): the response time falls with diligence. What this data gives:
Spearman −0.80 over 39 sellers; the test holds < −0.5.
E12 (activity follows diligence): touches per closed deal rise with it (+0.97; holds > 0.7).
E11 (diligence drives volume, not odds): the touches per deal do not relate to the sellers' win
rates (rank correlation −0.004; holds |rho| < 0.35).
E18 (assists follow collaboration; 25 % go to another team): assists given rise with the
collaboration trait (+0.54; holds > 0.35) and the cross-team share is 0.25 (holds 0.18–0.32).
E17 (peer reviews follow collaboration): the mean peer collaboration score rises with the trait
(holds > 0.5).
E1 (skill drives the win probability), through each seller's funnel: the win rate of the
deals that entered the pipeline rises by skill quartile (pooled 0.27, 0.31, 0.39, 0.42; holds
strictly increasing) and with skill (Spearman +0.71 over 39 sellers; holds > 0.6).
E21 (low-skill sellers stall at proposal): the funnel names proposal → negotiation as the
bottleneck against the rest of the team for 14 of the 15 sellers with skill < 0.3 (holds ≥ 80 %),
and for none of the 24 with skill ≥ 0.4 (holds ≤ 10 %).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from scipy.stats import spearmanr

from salescore.demo import DemoConfig, demo_settings, rep_traits
from salescore.workspace import Workspace

CONFIG = DemoConfig(scale="small", seed=42, locale="en", end=date(2026, 10, 31))
WINDOW = "2025-07-01..2026-06-30"


@pytest.fixture(scope="module")
def ws(small_demo: Workspace) -> Workspace:
    """The small demo of CONFIG (tests/conftest.py), loaded once per test process."""
    assert small_demo.settings == demo_settings(CONFIG)
    return small_demo


@pytest.fixture(scope="module")
def sellers() -> dict[str, dict[str, Any]]:
    return {r["rep_id"]: r for r in rep_traits(CONFIG).to_pylist() if r["role"] == "seller"}


@pytest.fixture(scope="module")
def funnels(ws: Workspace, sellers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    session = ws.owner()
    return {rep: session.funnel(period=WINDOW, rep=rep) for rep in sellers}


def _rho(pairs: list[tuple[float, float]]) -> float:
    return float(spearmanr([x for x, _ in pairs], [y for _, y in pairs]).statistic)


def test_communication_follows_diligence(ws: Workspace,
                                         sellers: dict[str, dict[str, Any]]) -> None:
    report = ws.owner().communication(period=WINDOW)
    reps = [r for r in report.reps if r.rep_id in sellers]
    assert len(reps) >= 30
    response = [(sellers[r.rep_id]["diligence"], r.avg_response_hours) for r in reps
                if r.avg_response_hours is not None]
    assert _rho(response) < -0.5
    touches = [(sellers[r.rep_id]["diligence"], r.touches_per_deal) for r in reps
               if r.touches_per_deal is not None]
    assert _rho(touches) > 0.7
    relation = next(r for r in report.relations if r.measure == "touches_per_deal")
    assert relation.rho is not None and abs(relation.rho) < 0.35  # volume, not odds (E11)


def test_assists_and_peer_scores_follow_collaboration(
        ws: Workspace, sellers: dict[str, dict[str, Any]]) -> None:
    report = ws.owner().balance(period=WINDOW)
    reps = [r for r in report.reps if r.rep_id in sellers]
    assert _rho([(sellers[r.rep_id]["collaboration"], r.assists_given) for r in reps]) > 0.35
    scored = [(sellers[r.rep_id]["collaboration"], r.peer_collaboration_score) for r in reps
              if r.peer_collaboration_score is not None]
    assert len(scored) >= 30 and _rho(scored) > 0.5
    given = sum(r.assists_given for r in report.reps)
    cross = sum(r.cross_team_given for r in report.reps)
    assert 0.18 < cross / given < 0.32


def test_win_rates_follow_skill(funnels: dict[str, Any],
                                sellers: dict[str, dict[str, Any]]) -> None:
    ranked = sorted(sellers, key=lambda rep: sellers[rep]["skill"])
    quarter = len(ranked) // 4
    pooled = []
    for q in range(4):
        group = ranked[q * quarter:(q + 1) * quarter] if q < 3 else ranked[3 * quarter:]
        won = sum(funnels[rep].funnel.won for rep in group)
        pooled.append(won / sum(funnels[rep].funnel.deals for rep in group))
    assert pooled == sorted(pooled) and pooled[-1] - pooled[0] > 0.1, pooled
    pairs = [(sellers[rep]["skill"], funnels[rep].funnel.win_rate) for rep in sellers
             if funnels[rep].funnel.deals >= 30]
    assert len(pairs) >= 30 and _rho(pairs) > 0.6


def test_low_skill_sellers_stall_at_proposal(funnels: dict[str, Any],
                                             sellers: dict[str, dict[str, Any]]) -> None:
    def named(rep: str) -> str | None:
        found = funnels[rep].bottleneck
        return None if found is None else found.stage

    low = [rep for rep in sellers if sellers[rep]["skill"] < 0.3]
    high = [rep for rep in sellers if sellers[rep]["skill"] >= 0.4]
    assert len(low) >= 8 and len(high) >= 15
    assert sum(named(rep) == "proposal" for rep in low) >= 0.8 * len(low)
    assert sum(named(rep) == "proposal" for rep in high) <= 0.1 * len(high)
    sample = funnels[next(rep for rep in low if named(rep) == "proposal")]
    assert sample.peers_kind == "team"
    assert sample.words.en.startswith("Most deals are lost between Proposal and Negotiation")
    assert sample.words.zh.startswith("流失最多的环节在“方案报价”到“商务谈判”之间")


def test_pipeline_changes_balance_on_the_demo(ws: Workspace) -> None:
    report = ws.owner().pipeline_changes(start=date(2026, 7, 1), end=date(2026, 9, 30))
    assert report.close_period == "2026-Q3"
    total = report.total
    assert total.balance == 0 and all(r.balance == 0 for r in [*report.reps, *report.teams])
    assert sum(r.end for r in report.reps) == total.end
    # every movement happens: estimates quoted (E22), close dates that slip (E23), wins, losses
    assert all(total.counts[f] > 0 for f in total.counts), total.counts
    assert total.pushed > 0 and total.up > 0 and total.down > 0
    assert total.unknown == 0
