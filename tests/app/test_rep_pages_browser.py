"""The strengths, communication and balance pages in a real browser (Debian's Chromium through
Playwright, against uvicorn on loopback), on the organisation of ``tests/analytics/rep_org.py``
with plan ``pq``: a rep, a manager (in Chinese) and an executive at 1280 and 375 px. Every
chart is drawn (each canvas has pixels), no sideways scroll, nothing loaded from elsewhere, no
console error or CSP violation, no serious or critical axe-core finding. Screenshots go to
``tests/app/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.analytics.rep_org import PERIOD, PLAN, REPS_ORG
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
from salescore.workspace import Workspace

pytestmark = pytest.mark.slow

USERS = [("ana", "rep", "a2", None, "en"), ("max", "manager", None, "TB", "zh_CN"),
         ("eve", "executive", None, None, "en")]
# journey -> user, browser locale, page, charts drawn
JOURNEYS: dict[str, tuple[str, str, str, int]] = {
    "strengths-rep-en": ("ana", "en-GB", f"/strengths?period={PERIOD}", 2),
    "communication-manager-zh": ("max", "zh-CN", f"/communication?period={PERIOD}", 2),
    "balance-executive-en": ("eve", "en-GB", f"/balance?subject=company&period={PERIOD}", 3),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("rep-pages-browser") / "home"
    with on_duckdb():
        org_home(home, REPS_ORG, USERS)
        with Workspace.open(home) as ws:
            ws.owner().adopt_plan(text=PLAN, effective_from=date(2025, 1, 1), actor="test")
        with serving(create_app(home, settings=AppSettings(today=date(2025, 4, 2)))) as origin:
            yield origin


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("journey", JOURNEYS)
def test_each_page_for_its_role(site: str, browser: Any, shots: Path, journey: str,
                                viewport: str) -> None:
    user, locale, path, charts = JOURNEYS[journey]
    if locale == "zh-CN":
        need_cjk_font()
    width = VIEWPORTS[viewport][0]
    with new_page(browser, VIEWPORTS[viewport], locale, axe=True) as (page, seen):
        sign_in(page, site, user)
        page.goto(f"{site}{path}")
        page.wait_for_load_state("networkidle")
        check_page(page, seen, site, width, charts=charts, axe=True)
        page.screenshot(path=str(shots / f"{journey}-{viewport}.png"), full_page=True)
