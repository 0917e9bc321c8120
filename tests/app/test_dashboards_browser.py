"""The dashboards in a real browser (Debian's Chromium through Playwright, against uvicorn on
loopback, the tiny organisation): each role's pages at 1280 and 375 px, in English and
Chinese, with every chart drawn (its canvas has pixels), no sideways scroll, nothing loaded
from elsewhere, no console error or CSP violation, and no serious or critical finding of
axe-core (vendored in ``tests/app/vendor/axe-core``); a score line drilled to its records,
whose total is the line's value; the dark theme chosen and the charts drawn again in it.
Screenshots go to ``tests/app/screenshots/``.

The server, the browser and the watch are those of ``test_pages_browser.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.app import test_pages_browser as pages
from tests.app.conftest import PASSWORD
from tests.app.test_pages_browser import VIEWPORTS, _has_cjk_font, _watch, sync_api

pytestmark = pytest.mark.slow

site = pages.site
browser = pages.browser
shots = pages.shots

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

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

_PAINTED = """() => [...document.querySelectorAll('[data-chart] canvas')].map(c => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; })"""

_AXE = """async () => {
    const r = await axe.run(document, {resultTypes: ['violations']});
    return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


def _sign_in(page: Any, site: str, user: str) -> None:
    page.goto(f"{site}/login")
    page.locator("#login").fill(user)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")


def _check(page: Any, seen: Any, site: str, width: int, charts: int) -> None:
    sync_api.expect(page.locator("[data-chart] canvas")).to_have_count(charts)
    painted = page.evaluate(_PAINTED)
    assert len(painted) == charts and all(n > 500 for n in painted), painted
    assert page.evaluate("window.salescoreCharts.size") == charts
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("window.__csp") == []
    assert seen.errors == []
    assert all(url.startswith(site) for url in seen.requests), seen.requests
    assert page.evaluate(_AXE) == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("journey", JOURNEYS)
def test_each_roles_dashboards(site: str, browser: Any, shots: Path, journey: str,
                               viewport: str) -> None:
    user, locale, visits = JOURNEYS[journey]
    if locale == "zh-CN" and not _has_cjk_font():
        pytest.skip("no font with Chinese glyphs (fonts-noto-cjk): run `make browser`")
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    seen = _watch(page)
    page.add_init_script(path=str(AXE))  # through the browser's tools, not the page's CSP
    try:
        _sign_in(page, site, user)
        for number, (path, charts) in enumerate(visits):
            page.goto(f"{site}{path}")
            page.wait_for_load_state("networkidle")
            _check(page, seen, site, width, charts)
            page.screenshot(path=str(shots / f"dash-{journey}-{number}-{viewport}.png"),
                            full_page=True)
    finally:
        context.close()


def test_a_score_line_drills_to_records_that_add_up_and_the_dark_theme(
        site: str, browser: Any, shots: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    seen = _watch(page)
    page.add_init_script(path=str(AXE))  # through the browser's tools, not the page's CSP
    try:
        _sign_in(page, site, "rita")
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
        _check(page, seen, site, 1280, 1)
        page.screenshot(path=str(shots / "dash-rep-dark-desktop.png"), full_page=True)
    finally:
        context.close()
