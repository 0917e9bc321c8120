"""The KPI explorer and the drill-down in a real browser (Debian's Chromium through
Playwright, against uvicorn on loopback, the tiny organisation), at 1280 and 375 px, in
English and Chinese: the chart is drawn (its canvas has pixels), a value of the table opens its
drill-down, whose rows add up to the value clicked; nothing loads from elsewhere, no console
error or CSP violation, no sideways scroll. Screenshots go to ``tests/app/screenshots/``.

The server, the browser and the checks are those of ``test_pages_browser.py``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.app import test_pages_browser as pages
from tests.app.conftest import PASSWORD
from tests.app.test_pages_browser import VIEWPORTS, _check_page, _has_cjk_font, _watch, sync_api

pytestmark = pytest.mark.slow

# The fixtures of the sign-in pages' browser test: the server, Chromium, the screenshots' folder.
site = pages.site
browser = pages.browser
shots = pages.shots

# language -> the manager signed in (mia: T2, English; sam: T1, Chinese) and the words
WORDS: dict[str, dict[str, str]] = {
    "en": {"user": "mia", "browser": "en-GB", "html_lang": "en", "title": "KPI explorer",
           "drill": "Drill-down", "kpi": "KPI", "by": "By", "period": "Period",
           "breakdown": "Breakdown", "first": "R6 (r6)", "value": "CN¥500.00",
           "line": "Line chart of Revenue won by Rep per Month"},
    "zh": {"user": "sam", "browser": "zh-CN", "html_lang": "zh-CN", "title": "指标分析",
           "drill": "明细追溯", "kpi": "指标", "by": "统计对象", "period": "期间",
           "breakdown": "细分维度", "first": "R2 (r2)", "value": "¥7,000.00",
           "line": "赢单金额（按销售，每月，2025-Q1）的折线图"},
}

_PAINTED = """(selector) => {
    const c = document.querySelector(selector);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }"""


def _chart_drawn(page: Any, width: int) -> None:
    canvas = page.locator("#explore-chart canvas")
    sync_api.expect(canvas).to_have_count(1)
    box = canvas.bounding_box()
    assert box["width"] > 200 and box["height"] > 150
    assert box["x"] + box["width"] <= width
    assert page.evaluate(_PAINTED, "#explore-chart canvas") > 1000


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", WORDS)
def test_explore_then_drill(site: str, browser: Any, shots: Path, language: str,
                            viewport: str) -> None:
    if language == "zh" and not _has_cjk_font():
        pytest.skip("no font with Chinese glyphs (fonts-noto-cjk): run `make browser`")
    words = WORDS[language]
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale=words["browser"])
    page = context.new_page()
    seen = _watch(page)

    def shot(name: str) -> None:
        page.screenshot(path=str(shots / f"{name}-{language}-{viewport}.png"), full_page=True)

    def check(title: str, labels: tuple[str, ...] = ()) -> None:
        _check_page(page, seen, site, width, html_lang=words["html_lang"], title=title,
                    heading=title, labels=labels)

    try:
        page.goto(f"{site}/login")
        page.locator("#login").fill(words["user"])
        page.locator("#password").fill(PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url(f"{site}/team")
        page.goto(f"{site}/explore?kpi=revenue_won&by=rep&period=2025-Q1")
        _chart_drawn(page, width)
        check(words["title"], (words["kpi"], words["by"], words["period"],
                               words["breakdown"]))
        first = page.locator("#explore-table tbody tr").first
        sync_api.expect(first.locator("th")).to_have_text(words["first"])
        sync_api.expect(first.locator("td a")).to_have_text(words["value"])
        shot("explore-bar")

        # Over time: the form's choice, kept in the URL, draws a line.
        page.locator("#grain").select_option("month")
        page.locator(".explore-form button[type=submit]").click()
        page.wait_for_url(re.compile(r"grain=month"))
        _chart_drawn(page, width)
        label = page.locator("#explore-chart").get_attribute("aria-label")
        assert label is not None and label.startswith(words["line"])
        check(words["title"])
        shot("explore-line")

        # A value opens the records behind it, and they add up to it.
        page.goto(f"{site}/explore?kpi=revenue_won&by=rep&period=2025-Q1")
        page.locator("#explore-table tbody tr").first.locator("td a").click()
        page.wait_for_url(re.compile(r"/drill\?"))
        check(words["drill"])
        sync_api.expect(page.locator("#figure")).to_have_text(words["value"])
        sync_api.expect(page.locator(".part-value")).to_have_text(words["value"])
        sync_api.expect(page.locator(".rows-total")).to_have_text(words["value"])
        sync_api.expect(page.locator(".adds-up.good")).to_have_count(1)
        shot("drill")
        page.locator("#back").click()
        page.wait_for_url(re.compile(r"/explore\?kpi=revenue_won&by=rep&period=2025-Q1$"))
        assert seen.errors == [] and page.evaluate("window.__csp") == []
    finally:
        context.close()
