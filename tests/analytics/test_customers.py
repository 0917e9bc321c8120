"""Retention and customer behaviour on the organisation of ``customers_org.py``, on DuckDB and
PostgreSQL, every figure worked out by hand.

Cohorts of 2025 by quarter (first purchase ever; c4 bought first in 2024, so is in none):
Q1 c1 c2 c3 (3): bought again Q2 c1; Q3 c1 c2; Q4 c1 -> shares 1, 1/3, 2/3, 1/3.
Q2 c5 (1): Q3 nothing (the 06-10 refund is no purchase, and is in Q2 anyway); Q4 12-20 -> 1, 0, 1.
Q4 c6 (1): 1, then not observed. No cohort began in Q3.
Repeat (2+ purchases in 2025): c1 (4), c2 (2), c5 (3) -> Q1 2/3, Q2 1/1, Q4 0/1, all 3/5.
Churn (no purchase in the last 180 days, before 2025-07-05 00:00): exposed c1 c2 c3 c5 (c6
began 11-11); churned c3 (last 03-05) -> 1/4.
By month over 2025-Q1: 2025-01 c1 [1, 0, 0], 2025-02 c2 [1, 0, —], 2025-03 c3 [1, —, —].

RFM over 2025, as of 2025-12-31 (score 1 + floor(5 b / 6), b strictly worse of 6):
        last   recency  R   frequency  F   monetary          M   segment
c5      12-20   11      5   3          4   400+100-50+100=550 4  champions (R5 F4)
c6      11-11   50      4   1          1   80                1   new (R4 F1)
c1      10-05   87      3   4          5   500               3   loyal (R3 F5)
c2      08-01  152      2   2          3   600               5   at risk (R2 F3)
c4      05-01  244      1   1          1   100               2   hibernating
c3      03-05  301      1   1          1   50                1   hibernating
Revenue 1880: champions 550, loyal 500, new 80, at risk 600, hibernating 150; by channel web
100+200+100+100+50+80 = 630, social 600+100 = 700, partner 550.
Purchase gaps in 2025: c1 95 96 77, c2 181, c5 30 224 -> 6, median (95+96)/2, mean 703/6.
Affinity (products of orders with an opportunity; 5 customers c1 c2 c3 c5 c6): A c1 c2 c5 (3),
B c1 c2 c3 (3), C c5 c6 (2). A&B: c1 c2, both A first -> support 2/5, confidence A->B 2/3,
lift 2*5/(3*3) = 10/9, then(A->B) 2, then(B->A) 0. A&C: c5 -> lift 5/6, confidence C->A 1/2.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.analytics.customers_org import CUSTOMERS_ORG, YEAR
from tests.backends import fresh_warehouse_url

from salescore.core.scope import OutOfScope, Scope
from salescore.workspace import Workspace
from salescore.workspace.analyses import AnalysisError


@pytest.fixture(scope="module")
def ws(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    folder = tmp_path_factory.mktemp(f"customers-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(folder / "home", CUSTOMERS_ORG.settings) as workspace:
            CUSTOMERS_ORG.load(workspace._warehouse)
            yield workspace


def _shares(report: object) -> dict[str, list[float | None]]:
    return {c.period: c.shares for c in report.cohorts}  # type: ignore[attr-defined]


def test_quarterly_cohorts(ws: Workspace) -> None:
    report = ws.owner().retention(period=YEAR, grain="quarter")
    assert report.offsets == 4
    assert _shares(report) == {
        "2025-Q1": [1.0, pytest.approx(1 / 3), pytest.approx(2 / 3), pytest.approx(1 / 3)],
        "2025-Q2": [1.0, 0.0, 1.0, None],
        "2025-Q4": [1.0, None, None, None]}
    q1 = report.cohorts[0]
    assert (q1.customers, q1.retained) == (3, [3, 1, 2, 1])
    assert q1.repeat_rate == pytest.approx(2 / 3)
    assert (q1.exposed, q1.churned) == (3, 1)
    assert report.customers == 5
    assert report.repeat_rate == pytest.approx(3 / 5)
    assert report.churn_rate == pytest.approx(1 / 4)
    assert report.pooled(1) == pytest.approx(1 / 4)  # Q1 1 of 3, Q2 0 of 1 (Q4 not observed)


def test_monthly_cohorts_tell_unobserved_from_zero(ws: Workspace) -> None:
    report = ws.owner().retention(period="2025-Q1", grain="month")
    assert _shares(report) == {"2025-01": [1.0, 0.0, 0.0], "2025-02": [1.0, 0.0, None],
                               "2025-03": [1.0, None, None]}
    with pytest.raises(AnalysisError):
        ws.owner().retention(period=YEAR, grain="week")


def test_rfm_scores_and_segments(ws: Workspace) -> None:
    report = ws.owner().rfm(period=YEAR)
    got = {c.customer_id: (c.recency_days, c.r, c.frequency, c.f, c.monetary, c.m, c.segment)
           for c in report.customers}
    assert got == {
        "c5": (11, 5, 3, 4, 550.0, 4, "champions"),
        "c6": (50, 4, 1, 1, 80.0, 1, "new"),
        "c1": (87, 3, 4, 5, 500.0, 3, "loyal"),
        "c2": (152, 2, 2, 3, 600.0, 5, "at_risk"),
        "c4": (244, 1, 1, 1, 100.0, 2, "hibernating"),
        "c3": (301, 1, 1, 1, 50.0, 1, "hibernating")}
    revenue = {s.key: (s.customers, s.revenue) for s in report.segments}
    assert revenue == {"champions": (1, 550.0), "loyal": (1, 500.0), "new": (1, 80.0),
                       "promising": (0, 0.0), "needs_attention": (0, 0.0),
                       "at_risk": (1, 600.0), "hibernating": (2, 150.0)}
    assert sum(s.share or 0 for s in report.segments) == pytest.approx(1.0)
    channels = [(s.key, s.revenue, s.share) for s in report.channels]
    assert channels == [("social", 700.0, pytest.approx(700 / 1880)),
                        ("web", 630.0, pytest.approx(630 / 1880)),
                        ("partner", 550.0, pytest.approx(550 / 1880))]


def test_intervals_and_affinity(ws: Workspace) -> None:
    report = ws.owner().rfm(period=YEAR)
    assert report.gaps == 6
    assert report.median_gap_days == pytest.approx(95.5)
    assert report.mean_gap_days == pytest.approx(703 / 6)
    assert report.buyers == 5
    pairs = [(p.a, p.b, p.both, p.then) for p in report.pairs]
    assert pairs == [("A", "B", 2, 2), ("B", "A", 2, 0), ("A", "C", 1, 1), ("C", "A", 1, 0)]
    ab = report.pairs[0]
    assert (ab.support, ab.confidence, ab.lift) == (
        pytest.approx(2 / 5), pytest.approx(2 / 3), pytest.approx(10 / 9))
    ca = report.pairs[3]
    assert (ca.confidence, ca.lift) == (pytest.approx(1 / 2), pytest.approx(5 / 6))


def test_scope(ws: Workspace) -> None:
    """A rep's cohorts are the orders credited to them; a manager's their team's."""
    rep = ws.session(Scope.rep("ra1")).retention(period=YEAR, grain="quarter")
    # c1 Q1 Q2 Q3 Q4, c2 Q1 Q3
    assert _shares(rep) == {"2025-Q1": [1.0, 0.5, 1.0, 0.5]}
    with pytest.raises(OutOfScope):
        ws.session(Scope.rep("ra1")).retention(period=YEAR, rep="rb1")
    manager = ws.session(Scope.team("TB"))
    assert _shares(manager.retention(period=YEAR, grain="quarter")) == {
        "2025-Q2": [1.0, 0.0, 1.0], "2025-Q4": [1.0, None, None]}
    assert _shares(ws.owner().retention(period=YEAR, grain="quarter", team="TB")) == \
        _shares(manager.retention(period=YEAR, grain="quarter"))
    # ra2: c3 in Q1; c4 first bought in 2024, in no cohort of 2025
    assert _shares(ws.owner().retention(period=YEAR, grain="quarter", rep="ra2")) == {
        "2025-Q1": [1.0, 0.0, 0.0, 0.0]}
    mine = ws.session(Scope.rep("ra1")).rfm(period=YEAR)
    assert sorted(c.customer_id for c in mine.customers) == ["c1", "c2"]
    assert {(p.a, p.b) for p in mine.pairs} == {("A", "B"), ("B", "A")}
    assert [(s.key, s.revenue) for s in mine.channels] == [("social", 600.0), ("web", 500.0)]
