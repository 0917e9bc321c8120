"""Communication effectiveness on the organisation of ``rep_org.py``, every figure by hand.

Touches per closed deal (2025-Q1): a1 (4 + 3 + 1) / 3 = 8/3, a2 (2 + 1 + 0) / 3 = 1, a3 6,
b1 (3 + 2 + 2) / 3 = 7/3, b2 (0 + 1) / 2 = 1/2. Gaps (days): a1 2 2 3 | 2 3 → median 2;
a2 10; a3 2 2 2 2 2 → 2; b1 3 3 | 12 | 20 → 7.5; b2 none (unknown, not 0).

Response time (catalogue: inbound e-mail to the next outbound): a1 3 h, b2 24 h, the others
none. Reply rate (outbound e-mails answered within 72 h): a1 1/1, b2 0/1. Follow-up rate
(deals with an outbound touch within 48 h of creation, 2025-01-06 09:00): a1 o1 o2 of 3 = 2/3;
a2 o4 and o5 (48 h exactly) = 2/3; a3 1; b1 o8 (o9 at 49 h) = 1/3; b2 0.

Win rates a1 2/3, a2 1/3, a3 1, b1 2/3, b2 0. Spearman with touches per deal: ranks x 4 2 5 3 1,
y 3.5 2 5 3.5 1 → Σdxdy 9.5 / √(10 × 9.5) = √0.95. With the follow-up rate: x 3.5 3.5 5 2 1 →
Σdxdy 7.25 / 9.5. Median gap: 4 reps with one, response time and reply rate: 2 → not enough.

By touches: 0: o6 o11 (0 won); 1–2: o3 o4 o5 o9 o10 o12 (2); 3–5: o1 o2 o8 (3); 6–10: o7 (1).
By mean gap: ≤3 o1 (7/3) o2 (2.5) o7 (2) o8 (3): 4 of 4; 7–14 o4 (10) o9 (12): 2 of 2; 14+ o10
(20): 0 of 1; fewer than two touches: o3 o5 o6 o11 o12, 0 of 5.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from tests.analytics.rep_org import PERIOD, REPS_ORG
from tests.backends import fresh_warehouse_url

from salescore.core.scope import OutOfScope, Scope
from salescore.workspace import Workspace


@pytest.fixture(scope="module")
def ws(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    folder = tmp_path_factory.mktemp(f"communication-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(folder / "home", REPS_ORG.settings) as workspace:
            REPS_ORG.load(workspace._warehouse)
            yield workspace


def test_each_reps_cadence_and_kpis(ws: Workspace) -> None:
    reps = {r.rep_id: r for r in ws.owner().communication(period=PERIOD).reps}
    assert list(reps) == ["a1", "a2", "a3", "b1", "b2"]
    got = {k: (r.deals, r.won, r.touches_per_deal, r.median_gap_days) for k, r in reps.items()}
    assert got == {"a1": (3, 2, pytest.approx(8 / 3), 2.0), "a2": (3, 1, 1.0, 10.0),
                   "a3": (1, 1, 6.0, 2.0), "b1": (3, 2, pytest.approx(7 / 3), 7.5),
                   "b2": (2, 0, 0.5, None)}
    assert (reps["a1"].avg_response_hours, reps["a1"].reply_rate) == (3.0, 1.0)
    assert (reps["b2"].avg_response_hours, reps["b2"].reply_rate) == (24.0, 0.0)
    assert reps["a2"].avg_response_hours is None and reps["a2"].reply_rate is None
    assert {k: r.follow_up_rate for k, r in reps.items()} == {
        "a1": pytest.approx(2 / 3), "a2": pytest.approx(2 / 3), "a3": 1.0,
        "b1": pytest.approx(1 / 3), "b2": 0.0}
    assert reps["a2"].win_rate == pytest.approx(1 / 3)


def test_win_rate_by_cadence(ws: Workspace) -> None:
    report = ws.owner().communication(period=PERIOD)
    assert [(b.label, b.deals, b.won) for b in report.touch_bins] == [
        ("0", 2, 0), ("1–2", 6, 2), ("3–5", 3, 3), ("6–10", 1, 1), ("11+", 0, 0)]
    assert [(b.label, b.deals, b.won) for b in report.gap_bins] == [
        ("≤3", 4, 4), ("3–7", 0, 0), ("7–14", 2, 2), ("14+", 1, 0)]
    assert (report.no_gap.deals, report.no_gap.won) == (5, 0)
    assert report.touch_bins[1].win_rate == pytest.approx(1 / 3)
    assert report.touch_bins[4].win_rate is None  # no deal: unknown, not 0


def test_relation_to_win_rate(ws: Workspace) -> None:
    relations = {r.measure: r for r in ws.owner().communication(period=PERIOD).relations}
    assert relations["touches_per_deal"].reps == 5
    assert relations["touches_per_deal"].rho == pytest.approx(math.sqrt(0.95))
    assert relations["follow_up_rate"].rho == pytest.approx(7.25 / 9.5)
    assert (relations["median_gap_days"].reps, relations["median_gap_days"].rho) == (4, None)
    assert (relations["avg_response_hours"].reps, relations["reply_rate"].rho) == (2, None)


def test_scope(ws: Workspace) -> None:
    mine = ws.session(Scope.rep("b2")).communication(period=PERIOD)
    assert [r.rep_id for r in mine.reps] == ["b2"]
    assert [(b.deals, b.won) for b in mine.touch_bins][:2] == [(1, 0), (1, 0)]
    assert all(r.rho is None for r in mine.relations)  # one rep: nothing to relate
    with pytest.raises(OutOfScope):
        ws.session(Scope.rep("b2")).communication(period=PERIOD, rep="a1")
    team = ws.session(Scope.team("TA")).communication(period=PERIOD)
    assert [r.rep_id for r in team.reps] == ["a1", "a2", "a3"]
    assert sum(b.deals for b in team.touch_bins) == 7
