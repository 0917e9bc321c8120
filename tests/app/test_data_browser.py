"""The Data page in a real browser (Debian's Chromium through Playwright, against uvicorn on
loopback, the tiny organisation): an admin chooses the page's language in the header, uploads
a CSV through the form (two good rows, one without a valid date) and sees its counts, the
reason the row was rejected and the link to the rejected rows, the past imports and the quality
report; at 1280 and 375 px, in English and Chinese, with no sideways scroll, nothing loaded from
elsewhere, no console error or CSP violation, and no serious or critical finding of axe-core.
Screenshots go to ``tests/app/screenshots/data-*.png``.

The server is that of ``test_pages_browser.py``; the browser and the checks are in
``tests/app/browser.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.app import test_pages_browser as pages
from tests.app.browser import VIEWPORTS, check_page, expect, need_cjk_font, new_page, sign_in

pytestmark = pytest.mark.slow

site = pages.site

# language -> (the header's choice, the page's words)
LANGUAGES: dict[str, tuple[str, dict[str, str]]] = {
    "en": ("en", {"title": "Data", "read": "Rows read", "status": "Loaded",
                  "reason": "not a date or time", "rejects": "Download the rejected rows (CSV)",
                  "quality": "Data quality"}),
    "zh": ("zh_CN", {"title": "数据", "read": "读取行数", "status": "已载入",
                     "reason": "不是日期或时间", "rejects": "下载被拒行（CSV）",
                     "quality": "数据质量"}),
}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_an_admin_uploads_a_file_and_sees_its_counts(site: str, browser: Any, shots: Path,
                                                     language: str, viewport: str) -> None:
    if language == "zh":
        need_cjk_font()
    choice, words = LANGUAGES[language]
    width = VIEWPORTS[viewport][0]
    key = f"b{language}{viewport}"
    csv = (f"customer_id,name,region,channel,owner_rep_id,created_at\n"
           f"{key}1,Browser one,North,web,r1,2025-04-01\n"
           f"{key}2,Browser two,North,web,r2,2025-04-02\n"
           f"{key}3,Browser three,North,web,r1,someday\n").encode()
    locale = "zh-CN" if language == "zh" else "en-GB"
    with new_page(browser, VIEWPORTS[viewport], locale, axe=True) as (page, seen):
        sign_in(page, site, "ada")
        page.goto(f"{site}/data")
        page.select_option("#pref-lang", choice)  # the admin's language, from the header
        page.locator("form.prefs button").click()
        page.wait_for_load_state("networkidle")
        expect(page.locator("h1")).to_have_text(words["title"])
        page.select_option("#import-table", "customers")
        page.set_input_files("#import-file", files=[{
            "name": f"customers-{key}.csv", "mimeType": "text/csv", "buffer": csv}])
        page.locator("form.upload button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        result = page.locator("section.result")
        expect(result).to_have_count(1)
        counts = {name: result.locator(f"[data-count={name}] dd").inner_text()
                  for name in ("read", "loaded", "inserted", "rejected")}
        assert counts == {"read": "3", "loaded": "2", "inserted": "2", "rejected": "1"}
        expect(result.locator("[data-count=read] dt")).to_have_text(words["read"])
        expect(result.locator("p[role=status]")).to_contain_text(words["status"])
        expect(result.locator("table.problems")).to_contain_text(words["reason"])
        expect(result.locator("a.rejects")).to_have_text(words["rejects"])
        expect(page.locator("#quality-title")).to_have_text(words["quality"])
        expect(page.locator("table.runs tbody tr").first).to_contain_text(f"customers-{key}.csv")
        check_page(page, seen, site, width, axe=True)
        page.screenshot(path=str(shots / f"data-{language}-{viewport}.png"), full_page=True)
