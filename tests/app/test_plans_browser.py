"""Plans and targets in a real browser (Debian's Chromium through Playwright, against uvicorn on
loopback, the tiny organisation), at 1280 and 375 px, in English and Chinese: an admin pastes a
draft plan, runs the what-if and sees the rating transition matrix painted (the numbers of
``test_plans_page.py``); a manager sets a target of their subtree and sees it listed with its
reason; an admin reads it in the audit log. On every page: no sideways scroll, nothing loaded
from elsewhere, no console error or CSP violation, no serious or critical axe-core finding.
Screenshots go to ``tests/app/screenshots/`` (``plans-*``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from tests.app.browser import (
    VIEWPORTS,
    Watch,
    check_page,
    expect,
    need_cjk_font,
    new_page,
    on_duckdb,
    serving,
    sign_in,
)
from tests.app.conftest import PASSWORD, build_home
from tests.app.test_plans_page import DRAFT

from salescore.app import AppSettings, create_app
from salescore.workspace import Workspace

pytestmark = pytest.mark.slow

# language -> (admin, manager and the rep of their team whose target they set, browser locale,
# the words to find)
PEOPLE: dict[str, dict[str, str]] = {
    "en": {"admin": "ada", "manager": "mia", "rep": "r6", "browser": "en-GB",
           "title": "Plans and targets", "set": "Target set: r6, Revenue won, 2025-Q2",
           "audit": "Audit log"},
    "zh": {"admin": "ana", "manager": "sam", "rep": "r2", "browser": "zh-CN",
           "title": "方案与目标", "set": "目标已设定：r2，赢单金额，2025-Q2",
           "audit": "审计日志"},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on the tiny organisation (DuckDB) with a Chinese-speaking admin, served by
    uvicorn in a thread; its origin."""
    home = tmp_path_factory.mktemp("plans-browser") / "home"
    with on_duckdb():
        build_home(home)
        with Workspace.open(home) as ws:
            ws.accounts.add_user(ws.accounts.owner(), username="ana", password=PASSWORD,
                                 role="admin", locale="zh_CN", display_name="Ana")
        with serving(create_app(home, settings=AppSettings())) as origin:
            yield origin


def _open(browser: Any, language: str,
          viewport: str) -> AbstractContextManager[tuple[Any, Watch]]:
    """A watched page with axe-core, ``viewport`` wide, in ``language``'s browser locale."""
    if language == "zh":
        need_cjk_font()
    return new_page(browser, VIEWPORTS[viewport], PEOPLE[language]["browser"], axe=True)


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", PEOPLE)
def test_an_admin_runs_a_whatif_and_sees_the_matrix(site: str, browser: Any, shots: Path,
                                                     language: str, viewport: str) -> None:
    people = PEOPLE[language]
    width = VIEWPORTS[viewport][0]
    with _open(browser, language, viewport) as (page, seen):
        sign_in(page, site, people["admin"])
        page.goto(f"{site}/plans")
        page.wait_for_load_state("networkidle")
        expect(page.locator("h1")).to_have_text(people["title"])
        check_page(page, seen, site, width, charts=0, axe=True)
        page.screenshot(path=str(shots / f"plans-admin-{language}-{viewport}.png"),
                        full_page=True)
        page.locator("#document").fill(DRAFT)
        page.locator("#replay-period").fill("2025-Q1")
        page.locator("form.whatif button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        check_page(page, seen, site, width, charts=1, axe=True)
        assert page.locator("#whatif-changed").inner_text() == "3"
        rows = page.locator("table.matrix tbody tr")
        assert [rows.nth(i).locator("td").all_text_contents() for i in range(2)] == [
            ["1", "0", "0"], ["1", "2", "2"]]
        assert page.locator("table.movers tbody tr").count() == 3
        page.locator("#transitions").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"plans-whatif-{language}-{viewport}.png"),
                        full_page=True)


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", PEOPLE)
def test_a_manager_sets_a_target_and_the_admin_reads_it_in_the_log(
        site: str, browser: Any, shots: Path, language: str, viewport: str) -> None:
    people = PEOPLE[language]
    reason = f"browser {language} {viewport}"
    width = VIEWPORTS[viewport][0]
    with _open(browser, language, viewport) as (page, seen):
        sign_in(page, site, people["manager"])
        page.goto(f"{site}/plans")
        page.wait_for_load_state("networkidle")
        page.select_option("#t-kind", "rep")
        page.select_option("#t-subject", people["rep"])
        page.locator("#t-period").fill("2025-Q2")
        page.select_option("#t-kpi", "revenue_won")
        page.locator("#t-value").fill("1200")
        page.locator("#t-reason").fill(reason)
        page.locator("form.target-form button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        expect(page.locator("p.ok")).to_contain_text(people["set"])
        row = page.locator(f'tr[data-target="rep:{people["rep"]}:2025-Q2:revenue_won"]')
        expect(row).to_contain_text(reason)
        check_page(page, seen, site, width, charts=0, axe=True)
        page.screenshot(path=str(shots / f"plans-manager-{language}-{viewport}.png"),
                        full_page=True)
        page.context.clear_cookies()
        sign_in(page, site, people["admin"])
        page.goto(f"{site}/audit?kind=target")
        page.wait_for_load_state("networkidle")
        expect(page.locator("h1")).to_have_text(people["audit"])
        expect(page.locator("table.audit tbody tr").first).to_contain_text(reason)
        check_page(page, seen, site, width, charts=0, axe=True)
        page.screenshot(path=str(shots / f"plans-audit-{language}-{viewport}.png"),
                        full_page=True)
