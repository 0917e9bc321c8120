"""The audit log page (``GET /audit``) for each role, on the tiny organisation
(``tests/app/conftest.py``), on each backend: admins read every entry, newest first, a page of
:data:`AUDIT_PAGE` at a time, filtered by who and by kind in the URL (kept for the next visit);
everyone else gets the page ``/team`` gives a rep.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from tests.app.conftest import USERS, Server, served, sign_in

from salescore.app import AppSettings
from salescore.app.plans_page import AUDIT_PAGE

ROLE_REFUSED = "This page is not part of what your role sees."
EXTRA = AUDIT_PAGE + 5  # target changes made through the API, to page over


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"audit-{backend}")
    with served(backend, folder, AppSettings(cache_seconds=0, today=date(2025, 5, 6))) as app:
        for i in range(EXTRA):
            answer = app.client.put("/api/v1/targets", headers=app.headers("admin"), json={
                "scope": "rep", "scope_id": "r4", "period": "2025-Q4", "kpi": "deals_won",
                "value": i + 1, "reason": f"step {i + 1}"})
            assert answer.status_code == 200, answer.text
        yield app


def _as(site: Server, role: str) -> None:
    site.client.cookies.clear()
    sign_in(site.client, USERS[role][0])


def _entries(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-entry="(\d+)">', html)]


def _api(site: Server, **params: str) -> list[int]:
    """Every entry id the API lists for ``params``, newest first."""
    ids: list[int] = []
    cursor = None
    while True:
        query = dict(params, limit="500", **({"cursor": cursor} if cursor else {}))
        body = site.client.get("/api/v1/audit", params=query,
                               headers=site.headers("admin")).json()
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return ids


@pytest.mark.parametrize("role", [r for r in USERS if r != "admin"])
def test_only_admins_read_the_log(site: Server, role: str) -> None:
    _as(site, role)
    answer = site.client.get("/audit", follow_redirects=False)
    assert answer.status_code == 404
    assert ROLE_REFUSED in answer.text or "此页面不在您的角色可见范围内。" in answer.text
    assert not _entries(answer.text) and "target.set" not in answer.text
    assert 'href="/audit"' not in answer.text  # no link to it either
    team = site.client.get("/team", follow_redirects=False)
    if role in ("rep", "other_rep"):  # the very page /team gives a rep
        assert team.status_code == 404


def test_an_admin_pages_through_every_entry_newest_first(site: Server) -> None:
    _as(site, "admin")
    everything = _api(site)
    assert len(everything) > AUDIT_PAGE + 5
    first = site.client.get("/audit", params={"reset": "1"})
    assert first.status_code == 200 and 'href="/audit" aria-current="page"' in first.text
    assert _entries(first.text) == everything[:AUDIT_PAGE]
    older = re.search(r'href="/audit\?actor=&amp;kind=&amp;before=(\d+)"', first.text)
    assert older and int(older.group(1)) == everything[AUDIT_PAGE - 1]
    second = site.client.get("/audit", params={"before": older.group(1)})
    assert _entries(second.text) == everything[AUDIT_PAGE:2 * AUDIT_PAGE]
    assert "Newest" in second.text


def test_the_filters_live_in_the_url_and_return(site: Server) -> None:
    _as(site, "admin")
    client = site.client
    page = client.get("/audit", params={"kind": "target", "actor": "ada"})
    ids = _entries(page.text)
    assert ids == _api(site, entity="target", actor="ada")[:AUDIT_PAGE] and len(ids) == AUDIT_PAGE
    texts = re.findall(r"<td[^>]*><code>([^<]+)</code> ([^<]+)</td>", page.text)
    assert set(texts) == {("target.set", "rep:r4:2025-Q4:deals_won")}
    newest = re.search(r'<tr data-entry="\d+">(.*?)</tr>', page.text, re.S)
    assert newest
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                   newest.group(1), re.S)]
    assert cells[1:] == ["ada", "target.set rep:r4:2025-Q4:deals_won",
                         f"value: {EXTRA - 1}; set_by: ada; reason: step {EXTRA - 1}",
                         f"value: {EXTRA}; set_by: ada; reason: step {EXTRA}",
                         f"step {EXTRA}"]
    # a bare visit returns to them; "every kind" is a choice, not a return; reset forgets
    back = client.get("/audit", follow_redirects=False)
    assert back.status_code == 303
    assert back.headers["location"] == "/audit?kind=target&actor=ada"
    every = client.get("/audit", params={"actor": "", "kind": ""}, follow_redirects=False)
    assert every.status_code == 200 and _entries(every.text) == _api(site)[:AUDIT_PAGE]
    # the users made by the owner at set-up, and nobody's entries
    users = client.get("/audit", params={"kind": "user"})
    assert _entries(users.text) == _api(site, entity="user")
    assert len(_entries(users.text)) == len(USERS)
    assert not _entries(client.get("/audit", params={"actor": "nobody"}).text)
    assert not _api(site, actor="nobody")
    assert _api(site, actor="ada", entity="target") == _api(site, entity="target")
    assert client.get("/audit", params={"reset": "1"}, follow_redirects=False).status_code \
        == 200
    assert client.get("/audit", follow_redirects=False).status_code == 200


def test_the_log_speaks_the_admins_language(site: Server) -> None:
    _as(site, "admin")
    client = site.client
    page = client.get("/audit", params={"kind": "target"})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    client.post("/preferences", data={"csrf_token": csrf.group(1), "lang": "zh_CN",
                                      "next": "/audit"})
    html = client.get("/audit", params={"kind": "target"}).text
    assert "审计日志" in html and "修改前" in html and "操作人" in html
    assert f"value: {EXTRA}" in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert csrf
    client.post("/preferences", data={"csrf_token": csrf.group(1), "lang": "en",
                                      "next": "/audit"})
