"""Signing in through the pages, and what the session cookie may do: CSRF on every
state-changing route, the log-in form's own CSRF token, session rotation, log-out, password
change, throttling, and the language of pages and problems."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.app.conftest import PASSWORD, Server, csrf_in, sign_in

from salescore.app.deps import SESSION_COOKIE

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# A value for each path parameter; any other ``…_id`` is "1" (a record that may or may not be
# there: the CSRF check answers before the route looks).
PATH_VALUES = {"name": "tiny", "username": "ada", "token_id": "999999"}


def browser(server: Server, address: str = "testclient") -> TestClient:
    """A second client on the same running app, with a cookie jar of its own."""
    return TestClient(server.client.app, raise_server_exceptions=False,
                      client=(address, 50000))


PAGES = [("POST", "/account/password"), ("POST", "/logout")]  # log-out last: it ends the session


def _path_value(name: str) -> str:
    if name in PATH_VALUES:
        return PATH_VALUES[name]
    assert name.endswith("_id"), f"no value for the path parameter {name!r}"
    return "1"


def state_changing_routes(server: Server) -> list[tuple[str, str]]:
    """Every state-changing API route (from the OpenAPI document) and form post."""
    found = []
    for path, operations in server.client.get("/api/v1/openapi.json").json()["paths"].items():
        for method in sorted(m.upper() for m in operations if m.upper() in UNSAFE):
            found.append((method, re.sub(r"{(\w+)}", lambda m: _path_value(m.group(1)), path)))
    return found + PAGES


def test_every_state_changing_route_needs_the_csrf_token(server: Server) -> None:
    client = browser(server)
    token = sign_in(client, "ada")
    routes = state_changing_routes(server)
    api = [r for r in routes if r[1].startswith("/api/v1/")]
    assert len(api) >= 9, routes
    # The token in a form field does as well as in the header.
    form = client.post("/api/v1/imports", data={"table": "teams", "csrf_token": token},
                       files={"file": ("t.csv", "team_id,name\nT1,Team one\n", "text/csv")})
    assert form.status_code == 201, form.text
    for method, path in routes:
        for headers in ({}, {"X-CSRF-Token": "not-the-token"}):
            answer = client.request(method, path, headers=headers)
            assert answer.status_code == 403, (method, path, answer.text)
            if path.startswith("/api/"):
                assert answer.json()["code"] == "csrf_failed", (method, path)
        with_token = client.request(method, path, headers={"X-CSRF-Token": token})
        assert with_token.status_code != 403, (method, path, with_token.text)


def test_reads_on_the_cookie_need_no_csrf_token_and_tokens_never_do(server: Server) -> None:
    client = browser(server)
    sign_in(client, "rita")
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["authenticated_by"] == "cookie"
    scripted = server.client.post(f"/api/v1/users/{server.username('rep')}/tokens",
                                  json={"name": "script"}, headers=server.headers("rep"))
    assert scripted.status_code == 201


def test_the_log_in_form_carries_its_own_csrf_token(server: Server) -> None:
    client = browser(server)
    page = client.get("/login")
    cookie = page.cookies.get("salescore_login_csrf")
    assert cookie and csrf_in(page.text) == cookie
    forged = browser(server).post("/login", data={"login": "ada", "password": PASSWORD,
                                                  "csrf_token": cookie},
                                  follow_redirects=False)
    assert forged.status_code == 403 and SESSION_COOKIE not in forged.cookies
    wrong = client.post("/login", data={"login": "ada", "password": PASSWORD,
                                        "csrf_token": "guess"}, follow_redirects=False)
    assert wrong.status_code == 403
    right = client.post("/login", data={"login": "ada", "password": PASSWORD,
                                        "csrf_token": csrf_in(wrong.text),
                                        "next": "/api/v1/me"},
                        follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/api/v1/me"


def test_the_session_cookie(server: Server) -> None:
    client = browser(server)
    page = client.get("/login")
    answer = client.post("/login", data={"login": "eve", "password": PASSWORD,
                                         "csrf_token": csrf_in(page.text),
                                         "next": "//evil.example/"}, follow_redirects=False)
    assert answer.headers["location"] == "/"
    cookie = next(h for h in answer.headers.get_list("set-cookie")
                  if h.startswith(f"{SESSION_COOKIE}="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert "secure" not in flags  # plain HTTP here; HTTPS requests get Secure
    secure = TestClient(server.client.app, base_url="https://testserver",
                        raise_server_exceptions=False)
    page = secure.get("/login")
    over_tls = secure.post("/login", data={"login": "eve", "password": PASSWORD,
                                           "csrf_token": csrf_in(page.text)},
                           follow_redirects=False)
    assert "secure" in over_tls.headers["set-cookie"].lower()


def test_log_in_rotates_and_log_out_ends_the_session(server: Server) -> None:
    client = browser(server)
    sign_in(client, "mia")
    first = client.cookies[SESSION_COOKIE]
    sign_in(client, "mia")
    second = client.cookies[SESSION_COOKIE]
    assert first != second
    stale = browser(server)
    stale.cookies.set(SESSION_COOKIE, first)
    assert stale.get("/api/v1/me").status_code == 401
    token = csrf_in(client.get("/account/password").text)
    assert client.post("/logout", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    after = browser(server)
    after.cookies.set(SESSION_COOKIE, second)
    assert after.get("/api/v1/me").status_code == 401
    assert client.get("/account/password", follow_redirects=False).status_code == 303


def test_password_change_rotates_the_session_and_ends_the_others(server: Server) -> None:
    admin = server.headers("admin")
    made = server.client.post("/api/v1/users", headers=admin, json={
        "username": "pat", "password": PASSWORD, "role": "executive"})
    assert made.status_code == 201, made.text
    other = browser(server)
    sign_in(other, "pat")
    client = browser(server)
    token = sign_in(client, "pat")
    before = client.cookies[SESSION_COOKIE]
    wrong = client.post("/account/password", data={
        "csrf_token": token, "current": "not it", "new": "a new secret", "confirm":
        "a new secret"})
    assert wrong.status_code == 403
    differ = client.post("/account/password", data={
        "csrf_token": token, "current": PASSWORD, "new": "a new secret", "confirm": "another"})
    assert differ.status_code == 422
    changed = client.post("/account/password", data={
        "csrf_token": token, "current": PASSWORD, "new": "a new secret",
        "confirm": "a new secret"})
    assert changed.status_code == 200, changed.text
    assert client.cookies[SESSION_COOKIE] != before
    assert client.get("/api/v1/me").json()["username"] == "pat"
    assert other.get("/api/v1/me").status_code == 401
    again = browser(server)
    page = again.get("/login")
    old = again.post("/login", data={"login": "pat", "password": PASSWORD,
                                     "csrf_token": csrf_in(page.text)}, follow_redirects=False)
    assert old.status_code == 401
    sign_in(again, "pat", "a new secret")


def test_failed_log_ins_are_throttled(server: Server) -> None:
    client = browser(server, address="10.9.9.9")
    for _ in range(5):
        page = client.get("/login")
        failed = client.post("/login", data={"login": "otto", "password": "wrong",
                                             "csrf_token": csrf_in(page.text)})
        assert failed.status_code == 401
    page = client.get("/login")
    throttled = client.post("/login", data={"login": "otto", "password": PASSWORD,
                                            "csrf_token": csrf_in(page.text)})
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert SESSION_COOKIE not in throttled.cookies


@pytest.mark.parametrize(("accept", "lang", "word"), [
    ("zh-CN,zh;q=0.9", None, "登录"), ("en-US,en;q=0.8", None, "Sign in"),
    ("zh-TW", None, "登录"), ("zh-CN", "en", "Sign in"), ("de", "zh_CN", "登录"),
])
def test_the_log_in_page_speaks_the_browsers_language(server: Server, accept: str,
                                                     lang: str | None, word: str) -> None:
    page = browser(server).get("/login", params={"lang": lang} if lang else {},
                               headers={"Accept-Language": accept})
    assert f"<h1>{word}</h1>" in page.text


def test_problems_speak_the_callers_language(server: Server) -> None:
    chinese = server.client.get("/api/v1/reps/r6", headers=server.headers("sibling_manager"))
    assert chinese.status_code == 404
    assert chinese.headers["content-language"] == "zh-CN"
    assert "没有销售 r6" in chinese.json()["detail"] and chinese.json()["title"] == "未找到"
    english = server.client.get("/api/v1/reps/r6", headers=server.headers("rep"))
    assert english.json()["detail"].startswith("there is no rep r6")
    anonymous = server.client.get("/api/v1/me", headers={"Accept-Language": "zh-CN"})
    assert anonymous.status_code == 401 and "请先登录" in anonymous.json()["detail"]
    assert anonymous.headers["www-authenticate"] == "Bearer"


def test_bad_credentials_are_told_apart_from_none(server: Server) -> None:
    for header in ("Bearer sc_nope", "Basic YWRhOnB3", "Bearer"):
        answer = server.client.get("/api/v1/me", headers={"Authorization": header})
        assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated"
