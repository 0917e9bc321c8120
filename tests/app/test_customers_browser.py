"""The customers page in a real browser (Debian's Chromium through Playwright, against uvicorn
on loopback, the organisation of ``tests/analytics/customers_org.py``): a rep, a manager (in
Chinese) and an executive at 1280 and 375 px, the retention heatmap, the segment and revenue
bars and the channel bars each drawn (its canvas has pixels), no sideways scroll, nothing loaded
from elsewhere, no console error or CSP violation, no serious or critical axe-core finding.
Screenshots go to ``tests/app/screenshots/``.
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
from tests.analytics.customers_org import CUSTOMERS_ORG
from tests.app import test_pages_browser as pages
from tests.app.conftest import PASSWORD
from tests.app.test_dashboards_browser import _AXE, _PAINTED, AXE
from tests.app.test_pages_browser import VIEWPORTS, _free_port, _has_cjk_font, _watch, sync_api

from salescore.app import AppSettings, create_app
from salescore.workspace import Workspace

pytestmark = pytest.mark.slow

browser = pages.browser
shots = pages.shots

USERS = [("rosa", "rep", "ra1", None, "en"), ("mae", "manager", None, "TA", "zh_CN"),
         ("eve", "executive", None, None, "en")]
# journey -> user, browser locale, page, the new customers of each cohort in the table
JOURNEYS: dict[str, tuple[str, str, str, list[str]]] = {
    "rep-en": ("rosa", "en-GB", "/customers?grain=quarter", ["2"]),
    "manager-zh": ("mae", "zh-CN", "/customers?grain=month", ["1", "1", "1"]),
    "executive-en": ("eve", "en-GB", "/customers?subject=company&grain=quarter",
                     ["3", "1", "1"]),
}
CHARTS = 4


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("customers-browser") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(home, CUSTOMERS_ORG.settings) as ws:
            CUSTOMERS_ORG.load(ws._warehouse)
            cli = ws.accounts.owner()
            for username, role, rep_id, team_id, locale in USERS:
                ws.accounts.add_user(cli, username=username, password=PASSWORD,
                                     role=role,  # type: ignore[arg-type]
                                     rep_id=rep_id, team_id=team_id,
                                     locale=locale,  # type: ignore[arg-type]
                                     display_name=username.title())
        app = create_app(home, settings=AppSettings(today=date(2025, 12, 20)))
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


def _check(page: Any, seen: Any, site: str, width: int) -> None:
    sync_api.expect(page.locator("[data-chart] canvas")).to_have_count(CHARTS)
    painted = page.evaluate(_PAINTED)
    assert len(painted) == CHARTS and all(n > 500 for n in painted), painted
    assert page.evaluate("window.salescoreCharts.size") == CHARTS
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("window.__csp") == []
    assert seen.errors == []
    assert all(url.startswith(site) for url in seen.requests), seen.requests
    assert page.evaluate(_AXE) == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("journey", JOURNEYS)
def test_the_customers_page_for_each_role(site: str, browser: Any, shots: Path, journey: str,
                                          viewport: str) -> None:
    user, locale, path, sizes = JOURNEYS[journey]
    if locale == "zh-CN" and not _has_cjk_font():
        pytest.skip("no font with Chinese glyphs (fonts-noto-cjk): run `make browser`")
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    seen = _watch(page)
    page.add_init_script(path=str(AXE))  # through the browser's tools, not the page's CSP
    try:
        _sign_in(page, site, user)
        page.goto(f"{site}{path}")
        page.wait_for_load_state("networkidle")
        _check(page, seen, site, width)
        shown = page.locator("table.cohorts tbody tr td:nth-child(2)").all_inner_texts()
        assert shown == sizes
        page.screenshot(path=str(shots / f"customers-{journey}-{viewport}.png"), full_page=True)
    finally:
        context.close()
