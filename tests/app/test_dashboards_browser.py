"""The dashboards in a real browser (Debian's Chromium through Playwright, against uvicorn on
loopback, the tiny organisation): each role's pages at 1280 and 375 px, in English and
Chinese, with every chart drawn (its canvas has pixels), no sideways scroll, nothing loaded
from elsewhere, no console error or CSP violation, and no serious or critical finding of
axe-core (vendored in ``tests/app/vendor/axe-core``); a score line drilled to its records,
whose total is the line's value; the dark theme chosen and the charts drawn again in it.
Screenshots go to ``tests/app/screenshots/``.

The server is that of ``test_pages_browser.py``; the browser and the checks are in
``tests/app/browser.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.app import test_pages_browser as pages
from tests.app.browser import VIEWPORTS, check_page, need_cjk_font, new_page, sign_in

pytestmark = pytest.mark.slow

site = pages.site

# (user, language) -> the pages they open and how many charts each draws
JOURNEYS: dict[str, tuple[str, str, list[tuple[str, int]]]] = {
    "rep-en": ("rita", "en-GB", [("/?period=2025-Q2", 1)]),
    "manager-en": ("mia", "en-GB", [("/team?period=2025-Q2", 4), ("/company?period=2025-Q1", 1),
                                    ("/reps/r4?period=2025-Q2", 1)]),
    "manager-zh": ("sam", "zh-CN", [("/team?period=2025-Q2", 4),
                                    ("/company?period=2025-Q1&by=product", 1)]),
    "executive-en": ("eve", "en-GB", [("/company?period=2025-Q1", 1),
                                      ("/company?period=2025-Q1&by=team&team=T1", 1),
                                      ("/team?period=2025-Q2", 4)]),
}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("journey", JOURNEYS)
def test_each_roles_dashboards(site: str, browser: Any, shots: Path, journey: str,
                               viewport: str) -> None:
    user, locale, visits = JOURNEYS[journey]
    if locale == "zh-CN":
        need_cjk_font()
    width = VIEWPORTS[viewport][0]
    with new_page(browser, VIEWPORTS[viewport], locale, axe=True) as (page, seen):
        sign_in(page, site, user)
        for number, (path, charts) in enumerate(visits):
            page.goto(f"{site}{path}")
            page.wait_for_load_state("networkidle")
            check_page(page, seen, site, width, charts=charts, axe=True)
            page.screenshot(path=str(shots / f"dash-{journey}-{number}-{viewport}.png"),
                            full_page=True)


def test_a_score_line_drills_to_records_that_add_up_and_the_dark_theme(
        site: str, browser: Any, shots: Path) -> None:
    with new_page(browser, (1280, 900), "en-GB", axe=True) as (page, seen):
        sign_in(page, site, "rita")
        page.goto(f"{site}/?period=2025-Q1")
        line = page.locator('li.line[data-kpi="revenue_won"]')
        value = line.locator("dd.value").inner_text()
        assert value == "CN¥400.00"  # o1 100 + o2 300, won in 2025-Q1
        line.locator("a.kpi").click()
        page.wait_for_url("**/drill?**")
        assert page.locator("#figure").inner_text() == value
        assert page.locator(".rows-total").first.inner_text() == value
        page.goto(f"{site}/?period=2025-Q1")
        page.select_option("#pref-theme", "dark")
        page.locator("form.prefs button").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("data-theme") == "dark"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == \
            "rgb(13, 17, 23)"
        check_page(page, seen, site, 1280, charts=1, axe=True)
        page.screenshot(path=str(shots / "dash-rep-dark-desktop.png"), full_page=True)
