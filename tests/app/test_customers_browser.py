"""The customers page in a real browser (Debian's Chromium through Playwright, against uvicorn
on loopback, the organisation of ``tests/analytics/customers_org.py``): a rep, a manager (in
Chinese) and an executive at 1280 and 375 px, the retention heatmap, the segment and revenue
bars and the channel bars each drawn (its canvas has pixels), no sideways scroll, nothing loaded
from elsewhere, no console error or CSP violation, no serious or critical axe-core finding.
Screenshots go to ``tests/app/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.analytics.customers_org import CUSTOMERS_ORG
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
# journey -> user, browser locale, page, the new customers of each cohort in the table
JOURNEYS: dict[str, tuple[str, str, str, list[str]]] = {
    "rep-en": ("rosa", "en-GB", "/customers?grain=quarter", ["2"]),
    "manager-zh": ("mae", "zh-CN", "/customers?grain=month", ["1", "1", "1"]),
    "executive-en": ("eve", "en-GB", "/customers?subject=company&grain=quarter",
                     ["3", "1", "1"]),
}
CHARTS = 4


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("customers-browser") / "home"
    with on_duckdb():
        org_home(home, CUSTOMERS_ORG, USERS)
        with serving(create_app(home, settings=AppSettings(today=date(2025, 12, 20)))) as origin:
            yield origin


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("journey", JOURNEYS)
def test_the_customers_page_for_each_role(site: str, browser: Any, shots: Path, journey: str,
                                          viewport: str) -> None:
    user, locale, path, sizes = JOURNEYS[journey]
    if locale == "zh-CN":
        need_cjk_font()
    width = VIEWPORTS[viewport][0]
    with new_page(browser, VIEWPORTS[viewport], locale, axe=True) as (page, seen):
        sign_in(page, site, user)
        page.goto(f"{site}{path}")
        page.wait_for_load_state("networkidle")
        check_page(page, seen, site, width, charts=CHARTS, axe=True)
        shown = page.locator("table.cohorts tbody tr td:nth-child(2)").all_inner_texts()
        assert shown == sizes
        page.screenshot(path=str(shots / f"customers-{journey}-{viewport}.png"), full_page=True)
