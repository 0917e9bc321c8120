"""The trends page in a real browser (Debian's Chromium through Playwright, against uvicorn on
loopback): the organisations of ``tests/analytics/training_org.py`` together (TRAINING's
trainings and deals, TRENDS' 24 months of deals), for a rep, a manager (in Chinese) and an
executive at 1280 and 375 px. The trend lines and (where there is enough data) the training
effects with their whiskers are drawn (each canvas has pixels), no sideways scroll, nothing
loaded from elsewhere, no console error or CSP violation, no serious or critical axe-core
finding. Screenshots go to ``tests/app/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.analytics.training_org import TRAINING, TRENDS
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
from tests.tiny_org import TinyOrg

from salescore.app import AppSettings, create_app

pytestmark = pytest.mark.slow

BOTH = TinyOrg(settings=TRAINING.settings, rows={
    name: list(TRAINING.rows.get(name, [])) + (list(TRENDS.rows.get(name, []))
                                               if name != "teams" else [])
    for name in {*TRAINING.rows, *TRENDS.rows}})

USERS = [("tia", "rep", "t1", None, "en"), ("mae", "manager", None, "TA", "zh_CN"),
         ("eve", "executive", None, None, "en")]
# journey -> user, browser locale, page, charts drawn, the first course row's effect
JOURNEYS: dict[str, tuple[str, str, str, int, str]] = {
    "rep-en": ("tia", "en-GB", "/trends?window=1", 1, "not enough data"),
    "manager-zh": ("mae", "zh-CN", "/trends?window=1&by=channel&measure=opportunities_created",
                   1, "数据不足"),
    "executive-en": ("eve", "en-GB", "/trends?window=1&by=channel&measure=opportunities_created",
                     2, "not enough data"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("trends-browser") / "home"
    with on_duckdb():
        org_home(home, BOTH, USERS)
        with serving(create_app(home, settings=AppSettings(today=date(2025, 5, 3)))) as origin:
            yield origin


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("journey", JOURNEYS)
def test_the_trends_page_for_each_role(site: str, browser: Any, shots: Path, journey: str,
                                       viewport: str) -> None:
    user, locale, path, charts, first_effect = JOURNEYS[journey]
    if locale == "zh-CN":
        need_cjk_font()
    width = VIEWPORTS[viewport][0]
    with new_page(browser, VIEWPORTS[viewport], locale, axe=True) as (page, seen):
        sign_in(page, site, user)
        page.goto(f"{site}{path}")
        page.wait_for_load_state("networkidle")
        check_page(page, seen, site, width, charts=charts, axe=True)
        effects = page.locator("table.effects tbody tr td:nth-child(9)").all_inner_texts()
        assert effects[0] == first_effect
        if charts == 2:
            assert "+37.5 points" in effects
        page.screenshot(path=str(shots / f"trends-{journey}-{viewport}.png"), full_page=True)
