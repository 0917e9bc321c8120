"""Next best actions on the small demo (seed 42, English, data up to 2026-10-31, built once
for the module) point where ``docs/demo.md`` planted the effects:

- E1 (skill drives the win probability; E6: coaching and VR training raise it): the sellers
  with the weakest planted skill are the ones told to take a course for their weakest KPI;
- E9 (30 % of lost deals linger): stale high-value deals appear in their owners' lists.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from salescore.core.scope import Scope
from salescore.demo import DemoConfig, demo_settings, rep_traits
from salescore.ml.actions import HIGH_VALUE_SHARE, PER_KIND, STALE_DAYS
from salescore.workspace import Workspace

CONFIG = DemoConfig(scale="small", seed=42, locale="en", end=date(2026, 10, 31))


@pytest.fixture(scope="module")
def ws(small_demo: Workspace) -> Workspace:
    """The small demo of CONFIG (tests/conftest.py), loaded once per test process."""
    assert small_demo.settings == demo_settings(CONFIG)
    return small_demo


@pytest.fixture(scope="module")
def report(ws: Workspace) -> object:
    return ws.owner().ml.actions(date(2026, 10, 31))


def test_the_weakest_sellers_get_the_training_recommendation(report: object) -> None:
    traits = rep_traits(CONFIG).to_pandas().set_index("rep_id")
    shown = {r.rep_id: r for r in report.reps}  # type: ignore[attr-defined]
    sellers = traits[(traits["role"] == "seller") & traits.index.isin(list(shown))]
    sellers = sellers[sellers["left_at"].isna()].sort_values("skill")
    trained = {r: any(a.kind == "training" for a in shown[r].actions) for r in sellers.index}
    quarter = len(sellers) // 4
    weakest, strongest = sellers.index[:quarter], sellers.index[-quarter:]
    assert np.mean([trained[r] for r in weakest]) >= 0.6
    assert np.mean([trained[r] for r in strongest]) <= 0.25
    told = sellers.loc[[r for r in sellers.index if trained[r]], "skill"]
    assert told.mean() < sellers["skill"].mean() - 0.1
    for r in weakest:
        for a in shown[r].actions:
            if a.kind == "training":
                assert a.course and a.peer_rep_id and a.peer_rep_id != r
                assert "weakest KPI" in a.reason.en and "最弱" in a.reason.zh


def test_stale_high_value_deals_appear_in_their_owners_lists(ws: Workspace,
                                                             report: object) -> None:
    ml = ws.owner().ml
    h = ml.history(date(2026, 10, 31))
    o = h.opportunities
    open_ = o[o["status"] == "open"]
    high = open_["amount"].quantile(HIGH_VALUE_SHARE)
    last = h.activities.groupby("opportunity_id")["occurred_at"].max()
    quiet_since = open_["opportunity_id"].map(last).fillna(open_["created_at"])
    stale = open_[(open_["amount"] >= high)
                  & (quiet_since <= h.cutoff - timedelta(days=STALE_DAYS))]
    assert len(stale) >= 5  # enough to mean something (7 on this demo since E22-E23)
    lists = {r.rep_id: r.actions for r in report.reps}  # type: ignore[attr-defined]
    for owner, deals in stale.groupby("owner_rep_id"):
        listed = {a.records[0] for a in lists[str(owner)] if a.kind == "stale_deal"}
        assert listed <= set(deals["opportunity_id"])
        assert len(listed) == min(PER_KIND, len(deals))
    for actions in lists.values():
        stakes = [a.stake for a in actions]
        assert stakes == sorted(stakes, reverse=True)
        assert all(a.reason.en and a.reason.zh and a.link for a in actions)


def test_a_manager_gets_the_coaching_list_of_their_team(ws: Workspace, report: object) -> None:
    everyone = {r.rep_id: r for r in report.reps}  # type: ignore[attr-defined]
    team = next(r.team_id for r in everyone.values() if r.actions)
    mine = ws.session(Scope.team(team)).ml.actions(date(2026, 10, 31))
    assert mine.reps and {r.team_id for r in mine.reps} == {team}
    for r in mine.reps:
        assert [a.records for a in r.actions] == [a.records for a in everyone[r.rep_id].actions]
