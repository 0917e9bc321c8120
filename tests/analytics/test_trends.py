"""Market trends on the organisation of ``training_org.py``'s ``TRENDS`` (DuckDB and
PostgreSQL): r1's deals from ``web`` are a line plus a known seasonal pattern, which the
seasonal adjustment recovers; r2's from ``partner`` one a month.

Growth of web's deals: the last 12 months hold Σ(6 + i) for i = 12…23 = 72 + 210 = 282 (the
pattern sums to 0), the 12 before 72 + 66 = 138: 282 / 138 − 1 = +104.3 %. Partner's: 12 and
12, +0 %. Win rates: web 1.0 throughout; partner alternates 0 and 1 (mean 0.5 in each year).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.analytics.training_org import PATTERN, TRENDS
from tests.backends import fresh_warehouse_url

from salescore.analytics.trends import growth, seasonal_adjust
from salescore.core.errors import SalescoreError
from salescore.core.scope import Scope
from salescore.workspace import Workspace


@pytest.fixture(scope="module")
def ws(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    folder = tmp_path_factory.mktemp(f"trends-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(folder / "home", TRENDS.settings) as workspace:
            TRENDS.load(workspace._warehouse)
            yield workspace


def test_the_known_seasonal_pattern_is_recovered(ws: Workspace) -> None:
    report = ws.owner().trends(by="channel")
    assert report.months[0] == "2023-01" and report.months[-1] == "2024-12"
    assert report.adjusted and len(report.months) == 24
    web = {s.measure: s for s in report.series if s.value == "web"}
    deals = web["opportunities_created"]
    assert deals.raw == [6 + i + PATTERN[i % 12] for i in range(24)]
    assert deals.seasonal is not None and deals.adjusted is not None
    assert deals.seasonal == pytest.approx([PATTERN[i % 12] for i in range(24)], abs=1e-6)
    assert deals.adjusted == pytest.approx([6 + i for i in range(24)], abs=1e-6)
    assert web["revenue_won"].adjusted == pytest.approx([100 * (6 + i) for i in range(24)],
                                                        abs=1e-4)
    assert deals.growth == pytest.approx(282 / 138 - 1)
    assert web["win_rate"].raw == [1.0] * 24 and web["win_rate"].growth == 0
    partner = {s.measure: s for s in report.series if s.value == "partner"}
    assert partner["opportunities_created"].growth == 0
    assert partner["win_rate"].raw == [float(i % 2) for i in range(24)]


def test_the_fastest_growing_and_shrinking_in_words(ws: Workspace) -> None:
    words = ws.owner().trends(by="segment").words
    assert words["opportunities_created"].en == (
        "Fastest-growing deals created: channel web, +104 % (the last 12 months against the "
        "12 before).")
    assert words["opportunities_created"].zh == (
        "新建商机数增长最快的是渠道「web」，+104 %（最近 12 个月对比此前 12 个月）。")


def test_shorter_history_is_raw_with_a_note(ws: Workspace) -> None:
    report = ws.owner().trends(by="company", months=6)
    assert report.months == [f"2024-{m:02d}" for m in range(7, 13)]
    assert not report.adjusted and all(s.adjusted is None for s in report.series)
    assert "Only 6 months of history" in report.note.en and "6 个月" in report.note.zh
    total = next(s for s in report.series if s.measure == "opportunities_created")
    assert total.value is None and total.raw == [
        6 + i + PATTERN[i % 12] + 1 for i in range(18, 24)]
    # growth: the last 3 months against the 3 before
    assert total.growth == pytest.approx(sum(total.raw[3:]) / sum(total.raw[:3]) - 1)


def test_a_rep_sees_their_own_and_a_manager_their_subtree(ws: Workspace) -> None:
    mine = ws.session(Scope.rep("r2")).trends(by="channel")
    assert {s.value for s in mine.series} == {"partner"}
    team = ws.session(Scope.team("TA")).trends(by="channel")
    assert {s.value for s in team.series} == {"web"}
    company = ws.session(Scope.team("TA")).trends(by="company")
    assert next(s for s in company.series if s.measure == "revenue_won").raw[0] == 600


def test_a_bad_dimension_is_a_clear_error(ws: Workspace) -> None:
    with pytest.raises(SalescoreError, match="not 'team'"):
        ws.owner().trends(by="team")


def test_adjustment_needs_every_month() -> None:
    assert seasonal_adjust([1.0] * 23) is None
    assert seasonal_adjust([1.0] * 23 + [None]) is None
    assert growth([None, None, 1.0, 2.0], "revenue_won") is None
    assert growth([0.2, 0.4, 0.5, 0.5], "win_rate") == pytest.approx(0.2)
