"""The records that need action on the pages (a rep's home, a rep's page as their manager sees
it, the Team page) and in the API (``GET /api/v1/needs-action``), per role, on the organisation
of ``tests/analytics/action_org.py`` (whose text works out every list), with plan ``tiny``
scored for 2025-Q2 and the app's today 2025-06-30; and the Team page's distribution panel,
which htmx swaps (``GET /team/distribution``).

The pages show the surveys of the period on show, 2025-Q2: below 3 are v3 (csat 1, 06-20),
v5 (1, 05-31), v6 (2, 06-29), v1 (2, 06-10) and v4 (2, 06-05), lowest first, then latest.
The API's default period is the month of the day, 2025-06 (v5 is May's).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.analytics.action_org import ACTION_ORG, SETTINGS
from tests.app.conftest import PASSWORD, csrf_in, shown
from tests.backends import fresh_warehouse_url
from tests.tiny_org import TINY_PLAN

from salescore.app import AppSettings, create_app
from salescore.workspace import Workspace

# role -> (username, role, rep, team, locale)
USERS = {
    "rep": ("nina", "rep", "n1", None, "en"),
    "rep_zh": ("xu", "rep", "x1", None, "zh_CN"),
    "manager": ("mona", "manager", None, "N", "en"),
    "other_manager": ("sid", "manager", None, "S", "zh_CN"),
    "executive": ("eve", "executive", None, None, "en"),
    "admin": ("ada", "admin", None, None, "en"),
}


class Site:
    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def page(self, role: str, path: str, **params: str) -> tuple[int, str]:
        self.client.cookies.clear()
        login = self.client.get("/login")
        answer = self.client.post("/login", data={
            "login": USERS[role][0], "password": PASSWORD, "csrf_token": csrf_in(login.text)},
            follow_redirects=False)
        assert answer.status_code == 303
        got = self.client.get(path, params=params, follow_redirects=False)
        return got.status_code, got.text

    def api(self, role: str, **params: str) -> tuple[int, dict]:  # type: ignore[type-arg]
        self.client.cookies.clear()
        headers = {} if role == "anonymous" else {"Authorization": f"Bearer {self.tokens[role]}"}
        got = self.client.get("/api/v1/needs-action", params=params, headers=headers)
        return got.status_code, got.json()


def build(home: Path) -> dict[str, str]:
    with Workspace.init(home, SETTINGS) as ws:
        ACTION_ORG.load(ws._warehouse)
        owner = ws.owner()
        owner.adopt_plan(text=TINY_PLAN, effective_from=date(2025, 1, 1), actor="test")
        owner.score("2025-Q2")
        cli = ws.accounts.owner()
        for username, role, rep_id, team_id, locale in USERS.values():
            ws.accounts.add_user(cli, username=username, password=PASSWORD, role=role,  # type: ignore[arg-type]
                                 rep_id=rep_id, team_id=team_id, locale=locale,  # type: ignore[arg-type]
                                 display_name=username.title())
        return {name: ws.accounts.issue_token(cli, USERS[name][0], "tests")[1]
                for name in USERS}


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp(f"actions-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        tokens = build(folder / "home")
        app = create_app(folder / "home", settings=AppSettings(cache_seconds=0,
                                                               today=date(2025, 6, 30)))
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Site(client, tokens)


_SECTION = re.compile(r'<section class="action-kind" id="actions-([a-z_]+)"(.*?)</section>',
                      re.S)


def listed(html: str) -> dict[str, list[str]]:
    """Each kind's records on a page, in order."""
    return {kind: re.findall(r'data-record="([^"]+)"', body)
            for kind, body in _SECTION.findall(html)}


def test_a_reps_home(site: Site) -> None:
    status, html = site.page("rep", "/")
    assert status == 200
    assert listed(html) == {"no_activity": ["o2"], "stuck": ["o1"], "low_survey": ["v5", "v1"]}
    assert "As of Jun 30, 2025; surveys of 2025-Q2." in html
    row = re.search(r'<tr data-record="o1">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "/drill?kpi=open_pipeline&amp;by=rep&amp;subject=n1&amp;period=2025-06-30..2025-06-30" \
        in row.group(1)
    for text in ("Customer c1", "Nina", "CN¥1,000.00", "qualified", "29 days",
                 "In the stage since Jun 1, 2025; usual 25 days"):
        assert text in row.group(1), text
    # the counts come first
    counts = re.findall(r'data-kind="([a-z_]+)"><a href="#actions-[a-z_]+"><span class="count">'
                        r'(\d+)</span>', html)
    assert counts == [("no_activity", "1"), ("stuck", "1"), ("low_survey", "2")]


def test_a_reps_home_in_chinese(site: Site) -> None:
    status, html = site.page("rep_zh", "/")
    assert status == 200
    assert listed(html) == {"no_activity": ["o6"], "stuck": [], "low_survey": ["v6"]}
    for text in ("待处理", "14 天无活动", "阶段停滞", "低于 3 分的问卷", "14 天", "暂无记录。",
                 "¥600.00", "最近接触 2025年6月16日",
                 "满意度 2 分（满分 5 分），回答于 2025年6月29日"):
        assert text in html, text


def test_one_day_is_a_day(site: Site) -> None:
    html = site.page("manager", "/team", team="NX", period="2025-Q2")[1]
    row = re.search(r'<tr data-record="v6">(.*?)</tr>', html, re.S)
    assert row is not None and ">1 day<" in row.group(1)  # answered 06-29, as of 06-30


def test_the_team_page_per_role(site: Site) -> None:
    north = {"no_activity": ["o4", "o2", "o6"], "stuck": ["o4", "o1"],
             "low_survey": ["v3", "v5", "v6", "v1"]}
    south = {"no_activity": ["o8"], "stuck": [], "low_survey": ["v4"]}
    assert listed(site.page("manager", "/team", period="2025-Q2")[1]) == north
    assert listed(site.page("manager", "/team", team="NX", period="2025-Q2")[1]) == {
        "no_activity": ["o6"], "stuck": [], "low_survey": ["v6"]}
    assert listed(site.page("other_manager", "/team", period="2025-Q2")[1]) == south
    assert listed(site.page("executive", "/team", period="2025-Q2")[1]) == north
    assert listed(site.page("admin", "/team", team="S", period="2025-Q2")[1]) == south
    status, html = site.page("manager", "/team", team="S", period="2025-Q2")
    assert status == 404 and "o8" not in shown(html)
    assert site.page("rep", "/team")[0] == 404  # not a rep's page


def test_a_reps_page_as_their_manager_sees_it(site: Site) -> None:
    status, html = site.page("manager", "/reps/n2", period="2025-Q2")
    assert status == 200
    assert listed(html) == {"no_activity": ["o4"], "stuck": ["o4"], "low_survey": ["v3"]}
    assert site.page("other_manager", "/reps/n2")[0] == 404


def test_the_api_per_role(site: Site) -> None:
    def items(role: str, **params: str) -> list[tuple[str, str]]:
        status, body = site.api(role, **params)
        assert status == 200, body
        return [(i["kind"], i["record_id"]) for i in body["items"]]

    assert items("rep") == [("no_activity", "o2"), ("stuck", "o1"), ("low_survey", "v1")]
    assert items("manager") == [("no_activity", "o4"), ("no_activity", "o2"),
                                ("no_activity", "o6"), ("stuck", "o4"), ("stuck", "o1"),
                                ("low_survey", "v3"), ("low_survey", "v6"), ("low_survey", "v1")]
    assert items("other_manager") == [("no_activity", "o8"), ("low_survey", "v4")]
    everything = [("no_activity", "o4"), ("no_activity", "o8"), ("no_activity", "o2"),
                  ("no_activity", "o6"), ("stuck", "o4"), ("stuck", "o1"),
                  ("low_survey", "v3"), ("low_survey", "v6"), ("low_survey", "v1"),
                  ("low_survey", "v4")]
    assert items("executive") == everything
    assert items("admin") == everything
    assert items("manager", team="NX") == [("no_activity", "o6"), ("low_survey", "v6")]
    assert items("manager", kind="stuck") == [("stuck", "o4"), ("stuck", "o1")]
    assert items("manager", rep="n2") == [("no_activity", "o4"), ("stuck", "o4"),
                                          ("low_survey", "v3")]
    assert items("rep", period="2025-Q2", kind="low_survey") == [("low_survey", "v5"),
                                                                 ("low_survey", "v1")]
    assert site.api("anonymous")[0] == 401
    assert site.api("manager", team="S")[0] == 404
    assert site.api("rep", rep="n2")[0] == 404
    assert site.api("rep", kind="everything")[0] == 422


def test_the_api_answer_and_its_pages(site: Site) -> None:
    status, body = site.api("executive", limit="4")
    assert status == 200
    assert (body["as_of"], body["period"], body["counts"]) == (
        "2025-06-30", "2025-06", {"no_activity": 4, "stuck": 2, "low_survey": 4})
    assert body["items"][0] == {
        "kind": "no_activity", "record_id": "o4", "customer_id": "c4",
        "customer_name": "Customer c4", "rep_id": "n2", "rep_name": "Ned",
        "amount": "4000.0000", "currency": "CNY", "stage": "qualified", "day": "2025-04-20",
        "days": 71, "usual_days": None, "csat": None, "comment": None,
        "link": "/drill?kpi=stale_opportunities&by=rep&subject=n2"
                "&period=2025-06-30..2025-06-30"}
    seen = [i["record_id"] for i in body["items"]]
    while body["next_cursor"]:
        status, body = site.api("executive", limit="4", cursor=body["next_cursor"])
        assert status == 200
        seen += [i["record_id"] for i in body["items"]]
    assert seen == ["o4", "o8", "o2", "o6", "o4", "o1", "v3", "v6", "v1", "v4"]
    stuck = site.api("rep", kind="stuck")[1]["items"][0]
    assert (stuck["days"], stuck["usual_days"], stuck["day"]) == (29, 25.0, "2025-06-01")
    survey = site.api("rep", kind="low_survey")[1]["items"][0]
    assert (survey["csat"], survey["comment"], survey["amount"], survey["link"]) == (
        2, "comment v1", None, "/drill?kpi=csat_avg&by=rep&subject=n1&period=2025-06")


def test_the_distribution_panel(site: Site) -> None:
    status, html = site.page("manager", "/team/distribution", period="2025-Q2", show="rating")
    assert status == 200
    assert "<html" not in html and 'data-chart="bars"' in html
    data = re.search(r'<script type="application/json" id="ratings-data">(.*?)</script>', html)
    assert data is not None
    # every rep of N and NX scored 0 in 2025-Q2 (nothing won): three B ratings
    assert json.loads(data.group(1)) == {"categories": ["B"], "integer": True,
                                         "series": [{"name": "Reps", "data": [3]}]}
    assert 'id="show-rating" href="/team?team=N&amp;plan=tiny&amp;period=2025-Q2&amp;' \
        'show=rating#distribution"' in html and 'aria-current="true">Rating' in html
    status, html = site.page("manager", "/team/distribution", period="2025-Q2")
    assert status == 200 and 'data-chart="histogram"' in html
    assert site.page("manager", "/team/distribution", team="S")[0] == 404
    assert site.page("rep", "/team/distribution")[0] == 404
    site.client.cookies.clear()
    assert site.client.get("/team/distribution", follow_redirects=False).status_code == 303
    # the page itself renders the same panel, with htmx to swap it
    status, html = site.page("manager", "/team", period="2025-Q2", show="rating")
    assert status == 200 and 'id="distribution-panel"' in html and 'data-chart="bars"' in html
    assert '/static/vendor/htmx/htmx.min.js' in html
