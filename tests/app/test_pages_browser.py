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
from collections.abc import Iterator
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
from tests.app.conftest import PASSWORD, USERS, build_home

from salescore.app import AppSettings, create_app
from salescore.app.deps import SESSION_COOKIE
from salescore.workspace import Workspace

pytestmark = pytest.mark.slow

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
# language -> the rep signed in (r1, whose scorecard has 2025-Q1 and 2025-Q2) and the words
SCORECARD: dict[str, dict[str, str]] = {
    "en": {"user": "rita", "browser": "en-GB", "html_lang": "en", "title": "My scorecard",
           "score": "Score", "trend": "Score trend", "change": "against 2025-Q1"},
    "zh": {"user": "lin", "browser": "zh-CN", "html_lang": "zh-CN", "title": "我的评分卡",
           "score": "评分", "trend": "评分趋势", "change": "对比 2025-Q1"},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on the tiny organisation (DuckDB), served by uvicorn in a thread; its origin."""
    home = tmp_path_factory.mktemp("browser") / "home"
    with on_duckdb():
        build_home(home)
        with Workspace.open(home) as ws:  # a second quarter, for the scorecard's trend
            ws.owner().score("2025-Q2")
            ws.accounts.add_user(ws.accounts.owner(), username=SCORECARD["zh"]["user"],
                                 password=PASSWORD, role="rep", rep_id="r1", locale="zh_CN",
                                 display_name="Lin")
        with serving(create_app(home, settings=AppSettings())) as origin:
            yield origin


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", WORDS)
def test_sign_in_change_password_page_and_sign_out(
        site: str, browser: Any, shots: Path, language: str, viewport: str) -> None:
    if language == "zh":
        need_cjk_font()
    words = WORDS[language]
    width = VIEWPORTS[viewport][0]
    username = USERS[words["user"]][0]
    with new_page(browser, VIEWPORTS[viewport], words["browser"]) as (page, seen):

        def shot(name: str) -> None:
            page.screenshot(path=str(shots / f"{name}-{language}-{viewport}.png"),
                            full_page=True)

        def check(**more: Any) -> None:
            check_page(page, seen, site, width, html_lang=words["html_lang"], card=True,
                       **more)

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
        expect(page.get_by_role("alert")).to_have_text(words["wrong"])
        check(title=words["sign_in"], heading=words["sign_in"],
              labels=(words["login"], words["password"]))
        assert page.get_by_label(words["login"], exact=True).input_value() == username
        shot("login-wrong-password")

        page.get_by_label(words["password"], exact=True).fill(PASSWORD)
        page.get_by_role("button", name=words["sign_in"]).click()
        page.wait_for_url(f"{site}{words['start']}")
        check(title=words["home"], heading=words["signed_in"])
        expect(page.locator("main")).to_contain_text(words["role"])
        shot("home")
        session = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
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
        assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
        page.goto(f"{site}/account/password")
        assert page.url.startswith(f"{site}/login?next=")  # signed out for real


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", SCORECARD)
def test_my_scorecard(site: str, browser: Any, shots: Path, language: str,
                      viewport: str) -> None:
    if language == "zh":
        need_cjk_font()
    words = SCORECARD[language]
    width = VIEWPORTS[viewport][0]
    with new_page(browser, VIEWPORTS[viewport], words["browser"]) as (page, seen):
        sign_in(page, site, words["user"], lands_on="/")
        canvas = page.locator("#trend-chart canvas")
        expect(canvas).to_have_count(1)
        check_page(page, seen, site, width, html_lang=words["html_lang"], card=True,
                   title=words["title"], heading=words["title"])
        main = page.locator("main")
        expect(main).to_contain_text(words["trend"])
        expect(main).to_contain_text(words["change"])
        box = canvas.bounding_box()
        assert box["width"] > 200 and box["height"] > 200
        assert box["x"] + box["width"] <= width
        # Drawn: the canvas has pixels that are not transparent.
        drawn = painted(page, "#trend-chart canvas")
        assert len(drawn) == 1 and drawn[0] > 1000, drawn
        page.screenshot(path=str(shots / f"my-scorecard-{language}-{viewport}.png"),
                        full_page=True)
        # The period picker keeps its choice in the URL.
        page.locator("#period").select_option("2025-Q1")
        page.locator("form.picker button").click()
        page.wait_for_url(f"{site}/?period=2025-Q1")
        expect(page.locator("#score")).to_have_text("70")
        assert seen.errors == [] and page.evaluate("window.__csp") == []
