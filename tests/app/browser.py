"""What the browser tests share: Debian's Chromium through Playwright, the app served by uvicorn
on a loopback port, signing in through the form, watching a page (every request, console
errors, CSP violations), the chart and axe-core scripts, and :func:`check_page`, the checks
every page passes. The fixtures ``browser`` and ``shots`` are in ``tests/app/conftest.py``.

Importing this module skips the importing test module, saying why, where ``/usr/bin/chromium``
or the playwright package is missing (``make browser`` installs Chromium with apt-get).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from tests.app.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium "
                "fonts-noto-cjk) to run the browser tests", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing (the dev extras)")
expect = sync_api.expect

NO_CJK_FONT = "no font with Chinese glyphs (fonts-noto-cjk): run `make browser`"
VIEWPORTS = {"desktop": (1280, 800), "phone": (375, 812)}
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

PAINTED = """(selector) => [...document.querySelectorAll(selector)].map(c => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; })"""
"""How many pixels of each canvas ``selector`` finds are not transparent."""

AXE_CHECK = """async () => {
    const r = await axe.run(document, {resultTypes: ['violations']});
    return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""
"""axe-core's serious and critical findings on the page (:data:`AXE` injected first)."""

CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@cache
def has_cjk_font() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (else Chinese shows as boxes)."""
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                           check=False)
    return bool(found.stdout.strip())


def need_cjk_font() -> None:
    """Skip the test, saying why, without a font with Chinese glyphs."""
    if not has_cjk_font():
        pytest.skip(NO_CJK_FONT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def on_duckdb() -> Iterator[None]:
    """No warehouse or app-database URL in the environment: a new data folder uses DuckDB."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        yield


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free loopback port; its origin."""
    port = free_port()
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


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, launched through Playwright."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Watch:
    """What a page did besides showing itself: every request, console errors, CSP reports."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def watch(page: Any, *, axe: bool = False) -> Watch:
    """Record ``page``'s requests and console errors, and its CSP violations in
    ``window.__csp``; with ``axe``, axe-core injected through the browser's tools (not the
    page's CSP)."""
    seen = Watch()
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("console", lambda message: seen.errors.append(f"{message.text} {message.location}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.add_init_script(CSP_WATCH)
    if axe:
        page.add_init_script(path=str(AXE))
    return seen


@contextmanager
def new_page(browser: Any, size: tuple[int, int], locale: str, *,
             axe: bool = False) -> Iterator[tuple[Any, Watch]]:
    """A page in a new browser context ``size`` (width, height) wide in ``locale``, watched
    (:func:`watch`); the context closed after."""
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    try:
        page = context.new_page()
        yield page, watch(page, axe=axe)
    finally:
        context.close()


def sign_in(page: Any, site: str, username: str, password: str = PASSWORD, *,
            lands_on: str | None = None) -> None:
    """Sign in through the log-in form; then wait for ``lands_on`` (a path), else for the
    network to settle."""
    page.goto(f"{site}/login")
    page.locator("#login").fill(username)
    page.locator("#password").fill(password)
    page.locator("form button[type=submit]").last.click()
    if lands_on is None:
        page.wait_for_load_state("networkidle")
    else:
        page.wait_for_url(f"{site}{lands_on}")


def painted(page: Any, selector: str) -> list[int]:
    """The pixels drawn (not transparent) on each canvas ``selector`` finds."""
    return list(page.evaluate(PAINTED, selector))


def check_page(page: Any, seen: Watch, site: str, width: int, *, charts: int | None = None,
               axe: bool = False, title: str | None = None, heading: str | None = None,
               html_lang: str | None = None, labels: tuple[str, ...] = (),
               card: bool = False) -> None:
    """What every page passes: no wider than the window, nothing loaded from elsewhere, no
    console error or CSP violation. Besides, as asked:

    - ``charts``: that many charts, each drawn (its canvas has pixels) and live;
    - ``axe``: no serious or critical axe-core finding (:func:`watch` with ``axe``);
    - ``title`` / ``heading`` / ``html_lang`` / ``labels``: the page's title, its ``h1``, its
      language, its fields labelled;
    - ``card``: the stylesheet applied and the ``main`` card clear of the window's edges.
    """
    if title is not None:
        expect(page).to_have_title(f"{title} · salescore")
    if heading is not None:
        expect(page.locator("h1")).to_have_text(heading)
    if html_lang is not None:
        assert page.locator("html").get_attribute("lang") == html_lang
    for label in labels:
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    if charts is not None:
        expect(page.locator("[data-chart] canvas")).to_have_count(charts)
        drawn = painted(page, "[data-chart] canvas")
        assert len(drawn) == charts and all(n > 500 for n in drawn), drawn
        assert page.evaluate(
            "window.salescoreCharts ? window.salescoreCharts.size : 0") == charts
    if card:
        # The stylesheet applied (an unstyled page would have a transparent body background).
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == \
            "rgb(245, 247, 250)"
    assert page.evaluate("window.__csp") == []
    assert seen.errors == [], seen.errors
    foreign = [url for url in seen.requests if not url.startswith(site + "/")]
    assert foreign == []
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways: {scroll} px > {width} px"
    if card:
        box = page.locator("main").bounding_box()
        assert box["x"] >= 8 and box["x"] + box["width"] <= width - 8, \
            f"{page.url}: the card touches the window's edge ({box})"
    if axe:
        assert page.evaluate(AXE_CHECK) == []
