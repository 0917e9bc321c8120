"""The coaching loop in a real browser (Chromium through Playwright, ``tests/app/browser.py``),
at a desktop width and at 375 px, in English and in Chinese, on the tiny organisation with
2025-Q1 scored and today 6 May 2025:

a manager prepares a 1:1 with r4 from the pre-filled points (r4's weakest line, revenue won at
15 %, kept; the rest dropped; a topic added), the rep gives their pulse and adds an action due
1 May (so overdue: flagged on the rep's home), the manager marks it done and the 1:1 held; the
manager's feedback tied to the revenue line then shows on the rep's scorecard under that line.
Screenshots go to ``tests/app/screenshots/coaching-*``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.app.browser import (
    VIEWPORTS,
    check_page,
    expect,
    need_cjk_font,
    new_page,
    on_duckdb,
    serving,
    sign_in,
)
from tests.app.conftest import PASSWORD, build_home

from salescore.app import AppSettings, create_app
from salescore.workspace import Workspace

pytestmark = pytest.mark.slow

WORDS = {
    "en": {"manager": "mia", "rep": "otto", "browser": "en-GB", "lang": "en",
           "coaching": "Coaching", "weak": "Weak line: Revenue won at 15% of target",
           "drop": "Deals won", "pulse": "4 of 5", "done": "done by", "held": "held",
           "flag": "Action overdue since"},
    "zh": {"manager": "mei", "rep": "ou", "browser": "zh-CN", "lang": "zh-CN",
           "coaching": "辅导", "weak": "薄弱评分项：赢单金额", "drop": "赢单数",
           "pulse": "4 / 5", "done": "完成", "held": "已进行", "flag": "行动项自"},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("coaching-browser") / "home"
    with on_duckdb():
        build_home(home)
        with Workspace.open(home) as ws:
            owner = ws.accounts.owner()
            ws.accounts.add_user(owner, username="mei", password=PASSWORD, role="manager",
                                 team_id="T2", locale="zh_CN", display_name="Mei")
            ws.accounts.add_user(owner, username="ou", password=PASSWORD, role="rep",
                                 rep_id="r4", locale="zh_CN", display_name="Ou")
        with serving(create_app(home, settings=AppSettings(today=date(2025, 5, 6)))) as origin:
            yield origin


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", WORDS)
def test_a_one_to_one_and_feedback_on_the_scorecard(site: str, browser: Any, shots: Path,
                                                     language: str, viewport: str) -> None:
    if language == "zh":
        need_cjk_font()
    words = WORDS[language]
    width = VIEWPORTS[viewport][0]
    tag = f"{language}-{viewport}"
    action = f"Revise the quote ({tag})"
    advice = f"Call the buyer before the proposal ({tag})"

    def shot(page: Any, name: str) -> None:
        page.screenshot(path=str(shots / f"coaching-{name}-{tag}.png"), full_page=True)

    # The manager prepares the 1:1 from the pre-filled points.
    with new_page(browser, VIEWPORTS[viewport], words["browser"]) as (page, seen):
        sign_in(page, site, words["manager"])
        page.goto(f"{site}/coaching")
        check_page(page, seen, site, width, html_lang=words["lang"], heading=words["coaching"],
                   card=True)
        shot(page, "hub-manager")
        page.locator("#ci-rep").select_option("r4")
        page.locator("#ci-day").fill("2025-05-08")
        page.locator("#prepare button[type=submit]").click()
        page.wait_for_url(f"{site}/coaching/checkins/*")
        checkin = page.url
        points = page.locator("#points label:has(input[name=keep])")
        expect(points.first).to_contain_text(words["weak"])
        count = points.count()
        assert count >= 2
        for i in range(1, count):  # keep the weakest line alone
            points.nth(i).locator("input").uncheck()
        page.locator("#pt-add").fill("Pricing")
        page.locator("#points button[type=submit]").click()
        page.wait_for_load_state()
        expect(page.locator("#points .point")).to_have_count(2)
        expect(page.locator("#points")).not_to_contain_text(words["drop"])
        check_page(page, seen, site, width, html_lang=words["lang"], card=True)
        shot(page, "prepared")

    # The rep gives their pulse and adds an action; it is overdue on their home.
    with new_page(browser, VIEWPORTS[viewport], words["browser"]) as (page, seen):
        sign_in(page, site, words["rep"])
        page.goto(checkin)
        expect(page.locator("#points")).to_contain_text("Pricing")
        page.locator("#pulse input[name=pulse][value='4']").check()
        page.locator("#pulse-comment").fill("Busy but fine")
        page.locator("#pulse button[type=submit]").click()
        page.wait_for_load_state()
        expect(page.locator("#pulse-shown")).to_contain_text(words["pulse"])
        page.locator("#ac-text").fill(action)
        page.locator("#ac-due").fill("2025-05-01")
        page.locator("#add-action button[type=submit]").click()
        page.wait_for_load_state()
        expect(page.locator("ul.actions")).to_contain_text(action)
        check_page(page, seen, site, width, html_lang=words["lang"], card=True)
        shot(page, "rep-checkin")
        page.goto(f"{site}/")
        expect(page.locator("#coaching-flags")).to_contain_text(words["flag"])
        expect(page.locator("#coaching-flags")).to_contain_text(action)
        check_page(page, seen, site, width, html_lang=words["lang"])
        shot(page, "rep-home-flagged")

    # The manager closes the action and marks the 1:1 held, then gives feedback on a line.
    with new_page(browser, VIEWPORTS[viewport], words["browser"]) as (page, seen):
        sign_in(page, site, words["manager"])
        page.goto(checkin)
        expect(page.locator("#pulse-shown")).to_contain_text("Busy but fine")
        item = page.locator("ul.actions li", has_text=action)
        item.locator("button[type=submit]").click()
        page.wait_for_load_state()
        expect(page.locator("ul.actions li", has_text=action)).to_contain_text(words["done"])
        page.locator("#held button[type=submit]").click()
        page.wait_for_load_state()
        expect(page.locator("#status")).to_have_text(words["held"])
        check_page(page, seen, site, width, html_lang=words["lang"], card=True)
        shot(page, "closed")
        page.goto(f"{site}/coaching")
        page.locator("#fb-rep").select_option("r4")
        page.locator("#fb-kpi").select_option("revenue_won")
        page.locator("#fb-period").select_option("2025-Q1")
        page.locator("#fb-body").fill(advice)
        page.locator("#give button[type=submit]").click()
        page.wait_for_url(f"{site}/coaching")
        expect(page.locator("ul.feedback-list")).to_contain_text(advice)

    with new_page(browser, VIEWPORTS[viewport], words["browser"]) as (page, seen):
        sign_in(page, site, words["rep"])
        page.goto(f"{site}/?period=2025-Q1")
        line = page.locator('li.line[data-kpi="revenue_won"]')
        expect(line.locator("ul.feedback")).to_contain_text(advice)
        expect(page.locator('li.line[data-kpi="deals_won"]')).not_to_contain_text(advice)
        page.wait_for_load_state("networkidle")  # the flags panel loaded, and empty:
        expect(page.locator("#coaching-flags")).to_have_count(0)  # nothing is late now
        check_page(page, seen, site, width, html_lang=words["lang"])
        line.scroll_into_view_if_needed()
        shot(page, "rep-scorecard-feedback")
