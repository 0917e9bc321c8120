"""The trends page in a real browser (Debian's Chromium through Playwright, against uvicorn on
loopback): the organisations of ``tests/analytics/training_org.py`` together (TRAINING's
trainings and deals, TRENDS' 24 months of deals), for a rep, a manager (in Chinese) and an
executive at 1280 and 375 px. The trend lines and (where there is enough data) the training
effects with their whiskers are drawn (each canvas has pixels), no sideways scroll, nothing
loaded from elsewhere, no console error or CSP violation, no serious or critical axe-core
finding. Screenshots go to ``tests/app/screenshots/``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from tests.analytics.training_org import TRAINING, TRENDS
from tests.app import test_pages_browser as pages
from tests.app.conftest import PASSWORD
from tests.app.test_dashboards_browser import _AXE, _PAINTED, AXE
from tests.app.test_pages_browser import VIEWPORTS, _free_port, _has_cjk_font, _watch, sync_api
from tests.tiny_org import TinyOrg

from salescore.app import AppSettings, create_app
from salescore.workspace import Workspace

pytestmark = pytest.mark.slow

browser = pages.browser
shots = pages.shots

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
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(home, BOTH.settings) as ws:
            BOTH.load(ws._warehouse)
            cli = ws.accounts.owner()
            for username, role, rep_id, team_id, locale in USERS:
                ws.accounts.add_user(cli, username=username, password=PASSWORD,
                                     role=role,  # type: ignore[arg-type]
                                     rep_id=rep_id, team_id=team_id,
                                     locale=locale,  # type: ignore[arg-type]
                                     display_name=username.title())
        app = create_app(home, settings=AppSettings(today=date(2025, 5, 3)))
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def _sign_in(page: Any, site: str, user: str) -> None:
    page.goto(f"{site}/login")
    page.locator("#login").fill(user)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("journey", JOURNEYS)
def test_the_trends_page_for_each_role(site: str, browser: Any, shots: Path, journey: str,
                                       viewport: str) -> None:
    user, locale, path, charts, first_effect = JOURNEYS[journey]
    if locale == "zh-CN" and not _has_cjk_font():
        pytest.skip("no font with Chinese glyphs (fonts-noto-cjk): run `make browser`")
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    seen = _watch(page)
    page.add_init_script(path=str(AXE))
    try:
        _sign_in(page, site, user)
        page.goto(f"{site}{path}")
        page.wait_for_load_state("networkidle")
        sync_api.expect(page.locator("[data-chart] canvas")).to_have_count(charts)
        painted = page.evaluate(_PAINTED)
        assert len(painted) == charts and all(n > 500 for n in painted), painted
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate("window.__csp") == []
        assert seen.errors == []
        assert all(url.startswith(site) for url in seen.requests), seen.requests
        assert page.evaluate(_AXE) == []
        effects = page.locator("table.effects tbody tr td:nth-child(9)").all_inner_texts()
        assert effects[0] == first_effect
        if charts == 2:
            assert "+30 points" in effects
        page.screenshot(path=str(shots / f"trends-{journey}-{viewport}.png"), full_page=True)
    finally:
        context.close()
