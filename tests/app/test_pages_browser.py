"""The sign-in pages in a real browser: Chromium (Debian's, through Playwright) against a real
uvicorn server on a loopback port, on the tiny organisation, at a desktop width and at 375 px,
in English and in Chinese.

The rep's home page, Home / My scorecard, is checked the same way, and its trend chart must
be drawn (a canvas with something on it).

Each run signs in with a wrong password (the error in the page's language), then with the right
one, lands on the start page, opens the password page and signs out; on every page it checks the
title, heading and labels, that nothing asked for an origin other than the server, that the
console holds no error (a CSP violation is one), that a phone has no horizontal scroll, and that
the session cookie is HttpOnly. A screenshot of every page goes to ``tests/app/screenshots/``
(ignored by git; the path is printed) to be looked at.

Skipped, saying why, where ``/usr/bin/chromium`` or the playwright package is missing
(``make browser`` installs Chromium with apt-get).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from tests.app.conftest import PASSWORD, USERS, build_home

from salescore.app import AppSettings, create_app
from salescore.app.deps import SESSION_COOKIE
from salescore.workspace import Workspace

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parent / "screenshots"

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium "
                "fonts-noto-cjk) to run the browser tests", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing (the dev extras)")

pytestmark = pytest.mark.slow


def _has_cjk_font() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (else Chinese shows as boxes)."""
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                           check=False)
    return bool(found.stdout.strip())

# language -> (role in tests/app/conftest.py whose locale it is, browser locale, the words)
WORDS: dict[str, dict[str, str]] = {
    "en": {"user": "rep", "start": "/", "browser": "en-GB", "html_lang": "en",
           "sign_in": "Sign in", "login": "Username or e-mail", "password": "Password",
           "wrong": "Wrong username or password.", "home": "My scorecard",
           "signed_in": "My scorecard", "role": "Score trend", "change": "Change password",
           "current": "Current password", "new": "New password (at least 8 characters)",
           "again": "New password again", "sign_out": "Sign out"},
    "zh": {"user": "sibling_manager", "start": "/team", "browser": "zh-CN", "html_lang": "zh-CN",
           "sign_in": "登录", "login": "用户名或电子邮箱", "password": "密码",
           "wrong": "用户名或密码错误。", "home": "团队",
           "signed_in": "团队 · Team one", "role": "排行榜", "change": "修改密码",
           "current": "当前密码", "new": "新密码（至少 8 个字符）",
           "again": "再次输入新密码", "sign_out": "退出登录"},
}
VIEWPORTS = {"desktop": (1280, 800), "phone": (375, 812)}
# language -> the rep signed in (r1, whose scorecard has 2025-Q1 and 2025-Q2) and the words
SCORECARD: dict[str, dict[str, str]] = {
    "en": {"user": "rita", "browser": "en-GB", "html_lang": "en", "title": "My scorecard",
           "score": "Score", "trend": "Score trend", "change": "against 2025-Q1"},
    "zh": {"user": "lin", "browser": "zh-CN", "html_lang": "zh-CN", "title": "我的评分卡",
           "score": "评分", "trend": "评分趋势", "change": "对比 2025-Q1"},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on the tiny organisation (DuckDB), served by uvicorn in a thread; its origin."""
    home = tmp_path_factory.mktemp("browser") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        build_home(home)
        with Workspace.open(home) as ws:  # a second quarter, for the scorecard's trend
            ws.owner().score("2025-Q2")
            ws.accounts.add_user(ws.accounts.owner(), username=SCORECARD["zh"]["user"],
                                 password=PASSWORD, role="rep", rep_id="r1", locale="zh_CN",
                                 display_name="Lin")
        app = create_app(home, settings=AppSettings())
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def shots(request: pytest.FixtureRequest) -> Path:
    """The screenshots' folder, named on the terminal (past pytest's capture) to be looked at."""
    SHOTS.mkdir(exist_ok=True)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    terminal = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and terminal is not None:
        with capture.global_and_fixture_disabled():
            terminal.write_line(f"\nscreenshots of the pages: {SHOTS}/")
    return SHOTS


@dataclass
class Watch:
    """What a page did besides showing itself: every request, console errors, CSP reports."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


_CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def _watch(page: Any) -> Watch:
    seen = Watch()
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("console", lambda message: seen.errors.append(f"{message.text} {message.location}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.add_init_script(_CSP_WATCH)
    return seen


def _check_page(page: Any, seen: Watch, origin: str, width: int, *, title: str,
                heading: str, html_lang: str, labels: tuple[str, ...]) -> None:
    """The page in the right language, its fields labelled, loading nothing from elsewhere,
    no console error or CSP violation, and no wider than the window."""
    expect = sync_api.expect
    expect(page).to_have_title(f"{title} · salescore")
    expect(page.locator("h1")).to_have_text(heading)
    assert page.locator("html").get_attribute("lang") == html_lang
    for label in labels:
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    # The stylesheet applied (an unstyled page would have a transparent body background).
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == \
        "rgb(245, 247, 250)"
    assert page.evaluate("window.__csp") == []
    assert seen.errors == []
    foreign = [url for url in seen.requests if not url.startswith(origin + "/")]
    assert foreign == []
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways: {scroll} px > {width} px"
    card = page.locator("main").bounding_box()
    assert card["x"] >= 8 and card["x"] + card["width"] <= width - 8, \
        f"{page.url}: the card touches the window's edge ({card})"


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", WORDS)
def test_sign_in_change_password_page_and_sign_out(
        site: str, browser: Any, shots: Path, language: str, viewport: str) -> None:
    if language == "zh" and not _has_cjk_font():
        pytest.skip("no font with Chinese glyphs (fonts-noto-cjk): run `make browser`")
    words = WORDS[language]
    width, height = VIEWPORTS[viewport]
    username = USERS[words["user"]][0]
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale=words["browser"])
    page = context.new_page()
    seen = _watch(page)

    def shot(name: str) -> None:
        page.screenshot(path=str(shots / f"{name}-{language}-{viewport}.png"), full_page=True)

    def check(**more: Any) -> None:
        _check_page(page, seen, site, width, html_lang=words["html_lang"], **more)

    try:
        page.goto(f"{site}/login")
        check(title=words["sign_in"], heading=words["sign_in"],
              labels=(words["login"], words["password"]))
        shot("login")

        # A wrong password: the same page again (401), the error in its language. The browser
        # reports the 401 of the document itself as a console error; that one is expected.
        page.get_by_label(words["login"], exact=True).fill(username)
        page.get_by_label(words["password"], exact=True).fill("not the password")
        with page.expect_response(re.compile(r"/login$")) as answer:
            page.get_by_role("button", name=words["sign_in"]).click()
        assert answer.value.status == 401
        page.wait_for_load_state()
        seen.errors[:] = [e for e in seen.errors
                          if not ("status of 401" in e and f"'{site}/login'" in e)]
        sync_api.expect(page.get_by_role("alert")).to_have_text(words["wrong"])
        check(title=words["sign_in"], heading=words["sign_in"],
              labels=(words["login"], words["password"]))
        assert page.get_by_label(words["login"], exact=True).input_value() == username
        shot("login-wrong-password")

        page.get_by_label(words["password"], exact=True).fill(PASSWORD)
        page.get_by_role("button", name=words["sign_in"]).click()
        page.wait_for_url(f"{site}{words['start']}")
        check(title=words["home"], heading=words["signed_in"], labels=())
        sync_api.expect(page.locator("main")).to_contain_text(words["role"])
        shot("home")
        session = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
        assert len(session) == 1
        assert session[0]["httpOnly"] is True
        assert session[0]["sameSite"] == "Lax"
        assert page.evaluate("document.cookie") == ""  # the page's scripts cannot read it

        page.get_by_role("link", name=words["change"]).click()
        page.wait_for_url(f"{site}/account/password")
        check(title=words["change"], heading=words["change"],
              labels=(words["current"], words["new"], words["again"]))
        shot("password")

        page.get_by_role("button", name=words["sign_out"]).click()
        page.wait_for_url(re.compile(r"/login$"))
        check(title=words["sign_in"], heading=words["sign_in"],
              labels=(words["login"], words["password"]))
        assert not [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
        page.goto(f"{site}/account/password")
        assert page.url.startswith(f"{site}/login?next=")  # signed out for real
    finally:
        context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", SCORECARD)
def test_my_scorecard(site: str, browser: Any, shots: Path, language: str,
                      viewport: str) -> None:
    if language == "zh" and not _has_cjk_font():
        pytest.skip("no font with Chinese glyphs (fonts-noto-cjk): run `make browser`")
    words = SCORECARD[language]
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale=words["browser"])
    page = context.new_page()
    seen = _watch(page)
    try:
        page.goto(f"{site}/login")
        page.locator("#login").fill(words["user"])
        page.locator("#password").fill(PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url(f"{site}/")
        canvas = page.locator("#trend-chart canvas")
        sync_api.expect(canvas).to_have_count(1)
        _check_page(page, seen, site, width, html_lang=words["html_lang"],
                    title=words["title"], heading=words["title"], labels=())
        main = page.locator("main")
        sync_api.expect(main).to_contain_text(words["trend"])
        sync_api.expect(main).to_contain_text(words["change"])
        box = canvas.bounding_box()
        assert box["width"] > 200 and box["height"] > 200
        assert box["x"] + box["width"] <= width
        # Drawn: the canvas has pixels that are not transparent.
        painted = page.evaluate("""() => {
            const c = document.querySelector('#trend-chart canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }""")
        assert painted > 1000
        page.screenshot(path=str(shots / f"my-scorecard-{language}-{viewport}.png"),
                        full_page=True)
        # The period picker keeps its choice in the URL.
        page.locator("#period").select_option("2025-Q1")
        page.locator("form.picker button").click()
        page.wait_for_url(f"{site}/?period=2025-Q1")
        sync_api.expect(page.locator("#score")).to_have_text("70")
        assert seen.errors == [] and page.evaluate("window.__csp") == []
    finally:
        context.close()
