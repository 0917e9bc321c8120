"""The funnel and cycle page in a real browser (Debian's Chromium through Playwright, against
uvicorn on loopback, the organisation of ``tests/analytics/funnel_org.py``): a rep, a manager
(in Chinese) and an executive at 1280 and 375 px, the funnel, the cycle histogram and the
days-in-stage chart each drawn (its canvas has pixels), no sideways scroll, nothing loaded from
elsewhere, no console error or CSP violation, no serious or critical axe-core finding; a step's
count drilled to its deals, which add up to it. Screenshots go to ``tests/app/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.analytics.funnel_org import FUNNEL
from tests.app.browser import (
    VIEWPORTS,
    check_page,
    need_cjk_font,
    new_page,
    on_duckdb,
    serving,
    sign_in,
)
from tests.app.conftest import org_home

from salescore.app import AppSettings, create_app

pytestmark = pytest.mark.slow

USERS = [("rosa", "rep", "ra1", None, "en"), ("mae", "manager", None, "TA", "zh_CN"),
         ("eve", "executive", None, None, "en")]
# journey -> user, browser locale, page, the funnel's counts shown in the table
JOURNEYS: dict[str, tuple[str, str, str, list[str]]] = {
    "rep-en": ("rosa", "en-GB", "/funnel?period=2025-Q1", ["5", "3", "2", "1"]),
    "manager-zh": ("mae", "zh-CN", "/funnel?period=2025-Q1&by=segment",
                   ["11", "8", "6", "5"]),
    "executive-en": ("eve", "en-GB", "/funnel?subject=company&period=2025-Q1",
                     ["13", "10", "7", "5"]),
}
CHARTS = 3


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("funnel-browser") / "home"
    with on_duckdb():
        org_home(home, FUNNEL, USERS)
        with serving(create_app(home, settings=AppSettings(today=date(2025, 3, 20)))) as origin:
            yield origin


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("journey", JOURNEYS)
def test_the_funnel_page_for_each_role(site: str, browser: Any, shots: Path, journey: str,
                                       viewport: str) -> None:
    user, locale, path, counts = JOURNEYS[journey]
    if locale == "zh-CN":
        need_cjk_font()
    width = VIEWPORTS[viewport][0]
    with new_page(browser, VIEWPORTS[viewport], locale, axe=True) as (page, seen):
        sign_in(page, site, user)
        page.goto(f"{site}{path}")
        page.wait_for_load_state("networkidle")
        check_page(page, seen, site, width, charts=CHARTS, axe=True)
        shown = page.locator("table.steps tbody tr td:nth-child(2)").all_inner_texts()
        assert shown == counts
        page.screenshot(path=str(shots / f"funnel-{journey}-{viewport}.png"), full_page=True)


def test_a_step_drills_to_deals_that_add_up(site: str, browser: Any, shots: Path) -> None:
    with new_page(browser, (375, 812), "en-GB", axe=True) as (page, seen):
        sign_in(page, site, "eve")
        page.goto(f"{site}/funnel?subject=company&period=2025-Q1")
        page.locator('tr[data-stage="qualified"] td a').click()
        page.wait_for_url("**/funnel/deals?**")
        ids = page.locator("tr[data-deal]").evaluate_all(
            "rows => rows.map(r => r.getAttribute('data-deal'))")
        # qualified or further, first entry in Q1: d1 d2 d4, e1-e4, f1, g1, g3
        assert sorted(ids) == ["d1", "d2", "d4", "e1", "e2", "e3", "e4", "f1", "g1", "g3"]
        assert page.locator("#adds-up").inner_text() == \
            "10 deals in all, the 10 that the funnel counts at qualified."
        check_page(page, seen, site, 375, axe=True)
        page.screenshot(path=str(shots / "funnel-deals-phone.png"), full_page=True)
