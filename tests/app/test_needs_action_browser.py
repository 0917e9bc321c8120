"""The records that need action and the Team page's swapped panel in a real browser (Debian's
Chromium through Playwright, against uvicorn on loopback, DuckDB), on the organisation of
``tests/analytics/action_org.py`` with plan ``tiny`` scored for 2025-Q2 and today 2025-06-30.

- The distribution panel swapped 200 times with htmx (score, rating, score, ...): the number of
  live charts (``window.salescoreCharts``, and the elements ECharts holds an instance on) is
  the same after every swap as after the first, the panel's chart is painted, and nothing
  went to the console (no CSP violation: htmx runs with its inline styles and eval off).
- Home (a rep) and Team (a manager) at 1280 and 375 px, in English and Chinese, with the list:
  its records, no sideways scroll, the records as cards on a phone, no serious or critical
  finding of axe-core; screenshots kept in
  ``tests/app/screenshots/``.
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
    painted,
    serving,
    sign_in,
)
from tests.app.test_needs_action_pages import USERS, build

from salescore.app import AppSettings, create_app

pytestmark = pytest.mark.slow

SWAPS = 200


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("actions-browser") / "home"
    with on_duckdb():
        build(home)
        with serving(create_app(home, settings=AppSettings(today=date(2025, 6, 30)))) as origin:
            yield origin


# Click the panel's other view n times, each time after the last swap has settled (and its
# chart been drawn: charts.js listens on the document first); the live charts after each.
_SWAP = """async (n) => {
    const live = [];
    for (let i = 0; i < n; i++) {
        // the panel's own swap (the live scores' poll settles too, on its own section)
        const settled = new Promise(done => {
            const mine = (e) => {
                if (e.target.closest('#live-scores')) return;
                document.removeEventListener('htmx:afterSettle', mine);
                done();
            };
            document.addEventListener('htmx:afterSettle', mine);
        });
        document.getElementById(i % 2 === 0 ? 'show-rating' : 'show-score').click();
        await settled;
        live.push([window.salescoreCharts.size,
                   document.querySelectorAll('[_echarts_instance_]').length,
                   document.querySelectorAll('[data-chart] canvas').length]);
    }
    return live;
}"""


def test_swapping_a_panel_200_times_leaves_the_live_charts_unchanged(
        site: str, browser: Any, shots: Path) -> None:
    with new_page(browser, (1280, 900), "en-GB") as (page, seen):
        sign_in(page, site, USERS["manager"][0])
        page.goto(f"{site}/team?period=2025-Q2")
        page.wait_for_load_state("networkidle")
        expect(page.locator("[data-chart] canvas")).to_have_count(4)
        assert page.evaluate("window.salescoreCharts.size") == 4
        live = page.evaluate(_SWAP, SWAPS)
        assert len(live) == SWAPS
        assert live[0] == [4, 4, 4]
        assert all(each == live[0] for each in live), [
            (i, each) for i, each in enumerate(live) if each != live[0]][:5]
        # after an even number of swaps the panel is back to the scores' histogram
        assert page.locator("#distribution-panel [data-chart]").get_attribute(
            "data-chart") == "histogram"
        assert page.locator("#show-score").get_attribute("aria-current") == "true"
        drawn = painted(page, "#distribution-panel canvas")
        assert len(drawn) == 1 and drawn[0] > 500, drawn
        page.locator("#show-rating").click()
        expect(page.locator("#distribution-panel [data-chart=bars] canvas")).to_have_count(1)
        page.wait_for_load_state("networkidle")
        drawn = painted(page, "#distribution-panel canvas")
        assert len(drawn) == 1 and drawn[0] > 500, drawn
        check_page(page, seen, site, 1280, charts=4)
        page.locator("#distribution").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "actions-swapped-panel.png"))


# (journey) -> (role, browser locale, path, the lists, words that must show)
JOURNEYS: dict[str, tuple[str, str, str, dict[str, list[str]], tuple[str, ...]]] = {
    "home-en": ("rep", "en-GB", "/", {"no_activity": ["o2"], "stuck": ["o1"],
                                      "low_survey": ["v5", "v1"]},
                ("Needs action", "No activity for 14 days", "Stuck in a stage")),
    "home-zh": ("rep_zh", "zh-CN", "/", {"no_activity": ["o6"], "stuck": [],
                                         "low_survey": ["v6"]},
                ("待处理", "14 天无活动", "低于 3 分的问卷")),
    "team-en": ("manager", "en-GB", "/team?period=2025-Q2",
                {"no_activity": ["o4", "o2", "o6"], "stuck": ["o4", "o1"],
                 "low_survey": ["v3", "v5", "v6", "v1"]}, ("Needs action", "Surveys below 3")),
    "team-zh": ("other_manager", "zh-CN", "/team?period=2025-Q2",
                {"no_activity": ["o8"], "stuck": [], "low_survey": ["v4"]},
                ("待处理", "阶段停滞")),
}

_LISTED = """() => Object.fromEntries([...document.querySelectorAll('section.action-kind')].map(
    s => [s.dataset.kind, [...s.querySelectorAll('tr[data-record]')].map(
        r => r.dataset.record)]))"""


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("journey", JOURNEYS)
def test_the_list_on_home_and_team(site: str, browser: Any, shots: Path, journey: str,
                                   viewport: str) -> None:
    role, locale, path, lists, words = JOURNEYS[journey]
    if locale == "zh-CN":
        need_cjk_font()
    width = VIEWPORTS[viewport][0]
    with new_page(browser, VIEWPORTS[viewport], locale, axe=True) as (page, seen):
        sign_in(page, site, USERS[role][0])
        page.goto(f"{site}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate(_LISTED) == lists
        for word in words:
            expect(page.locator("#needs-action")).to_contain_text(word)
        check_page(page, seen, site, width, axe=True)
        cell = page.locator("#needs-action tr[data-record] td").first
        shown = cell.evaluate("td => getComputedStyle(td).display")
        # a table on a desktop, cards (each cell a line under its column's name) on a phone
        assert shown == ("flex" if width < 480 else "table-cell"), shown
        link = page.locator("#needs-action tr[data-record] a").first
        assert link.get_attribute("href").startswith("/drill?kpi=")
        page.locator("#needs-action").screenshot(
            path=str(shots / f"actions-{journey}-{viewport}.png"))
        page.screenshot(path=str(shots / f"actions-{journey}-{viewport}-page.png"),
                        full_page=True)
