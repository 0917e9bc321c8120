"""The KPI explorer and the drill-down in a real browser (Debian's Chromium through
Playwright, against uvicorn on loopback, the tiny organisation), at 1280 and 375 px, in
English and Chinese: the chart is drawn (its canvas has pixels), a value of the table opens its
drill-down, whose rows add up to the value clicked; nothing loads from elsewhere, no console
error or CSP violation, no sideways scroll. Screenshots go to ``tests/app/screenshots/``.

The server is that of ``test_pages_browser.py``; the browser and the checks are in
``tests/app/browser.py``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.app import test_pages_browser as pages
from tests.app.browser import (
    VIEWPORTS,
    check_page,
    expect,
    need_cjk_font,
    new_page,
    painted,
    sign_in,
)

pytestmark = pytest.mark.slow

# The server of the sign-in pages' browser test.
site = pages.site

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

def _chart_drawn(page: Any, width: int) -> None:
    canvas = page.locator("#explore-chart canvas")
    expect(canvas).to_have_count(1)
    box = canvas.bounding_box()
    assert box["width"] > 200 and box["height"] > 150
    assert box["x"] + box["width"] <= width
    drawn = painted(page, "#explore-chart canvas")
    assert len(drawn) == 1 and drawn[0] > 1000, drawn


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", WORDS)
def test_explore_then_drill(site: str, browser: Any, shots: Path, language: str,
                            viewport: str) -> None:
    if language == "zh":
        need_cjk_font()
    words = WORDS[language]
    width = VIEWPORTS[viewport][0]
    with new_page(browser, VIEWPORTS[viewport], words["browser"]) as (page, seen):

        def shot(name: str) -> None:
            page.screenshot(path=str(shots / f"{name}-{language}-{viewport}.png"),
                            full_page=True)

        def check(title: str, labels: tuple[str, ...] = ()) -> None:
            check_page(page, seen, site, width, html_lang=words["html_lang"], title=title,
                       heading=title, labels=labels, card=True)

        sign_in(page, site, words["user"], lands_on="/team")
        page.goto(f"{site}/explore?kpi=revenue_won&by=rep&period=2025-Q1")
        _chart_drawn(page, width)
        check(words["title"], (words["kpi"], words["by"], words["period"],
                               words["breakdown"]))
        first = page.locator("#explore-table tbody tr").first
        expect(first.locator("th")).to_have_text(words["first"])
        expect(first.locator("td a")).to_have_text(words["value"])
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
        expect(page.locator("#figure")).to_have_text(words["value"])
        expect(page.locator(".part-value")).to_have_text(words["value"])
        expect(page.locator(".rows-total")).to_have_text(words["value"])
        expect(page.locator(".adds-up.good")).to_have_count(1)
        shot("drill")
        page.locator("#back").click()
        page.wait_for_url(re.compile(r"/explore\?kpi=revenue_won&by=rep&period=2025-Q1$"))
        assert seen.errors == [] and page.evaluate("window.__csp") == []
