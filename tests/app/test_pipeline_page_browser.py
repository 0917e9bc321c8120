"""The pipeline changes page in a real browser (Debian's Chromium through Playwright, against
uvicorn on loopback), on the organisation of ``tests/analytics/pipeline_org.py``: a rep, a
manager (in Chinese) and an executive at 1280 and 375 px. The waterfall is drawn (its canvas has
pixels), no sideways scroll, nothing loaded from elsewhere, no console error or CSP violation,
no serious or critical axe-core finding. Screenshots go to ``tests/app/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.analytics.pipeline_org import PIPELINE_ORG
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

pytestmark = pytest.mark.slow

USERS = [("ana", "rep", "ra1", None, "en"), ("max", "manager", None, "TB", "zh_CN"),
         ("eve", "executive", None, None, "en")]
DAYS = "from=2025-02-01&to=2025-02-28"
JOURNEYS: dict[str, tuple[str, str, str]] = {
    "pipeline-rep-en": ("ana", "en-GB", f"/pipeline?{DAYS}"),
    "pipeline-manager-zh": ("max", "zh-CN", f"/pipeline?{DAYS}"),
    "pipeline-executive-en": ("eve", "en-GB", f"/pipeline?subject=company&{DAYS}"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("pipeline-browser") / "home"
    with on_duckdb():
        org_home(home, PIPELINE_ORG, USERS)
        with serving(create_app(home, settings=AppSettings(today=date(2025, 3, 2)))) as origin:
            yield origin


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("journey", JOURNEYS)
def test_the_page_for_each_role(site: str, browser: Any, shots: Path, journey: str,
                                viewport: str) -> None:
    user, locale, path = JOURNEYS[journey]
    if locale == "zh-CN":
        need_cjk_font()
    width = VIEWPORTS[viewport][0]
    with new_page(browser, VIEWPORTS[viewport], locale, axe=True) as (page, seen):
        sign_in(page, site, user)
        page.goto(f"{site}{path}")
        page.wait_for_load_state("networkidle")
        check_page(page, seen, site, width, charts=1, axe=True)
        page.screenshot(path=str(shots / f"{journey}-{viewport}.png"), full_page=True)
