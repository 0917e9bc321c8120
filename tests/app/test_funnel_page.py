"""The funnel and cycle page (``GET /funnel``), the deals behind a step (``GET /funnel/deals``)
and the API (``/api/v1/analytics/funnel``, ``/funnel/deals``, ``/cycle``) for every role, on the
organisation of ``tests/analytics/funnel_org.py`` (figures worked out there), on each backend.
"Today" is 2025-03-20, so "this quarter" is 2025-Q1.

    CO ── TA: ra1 (rosa, rep), ra2, ra3        (mae, manager of TA, reads Chinese)
      └── TB: rb1 (rob, rep), rb2              (max, manager of TB)
    eve: executive; ada: admin
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.analytics.funnel_org import FUNNEL
from tests.app.conftest import org_home, sign_in
from tests.backends import fresh_warehouse_url

from salescore.app import AppSettings, create_app, funnel_page

USERS: dict[str, tuple[str, str, str | None, str | None, str]] = {
    "rep": ("rosa", "rep", "ra1", None, "en"),
    "rep_b": ("rob", "rep", "rb1", None, "en"),
    "manager": ("max", "manager", None, "TB", "en"),
    "manager_a": ("mae", "manager", None, "TA", "zh_CN"),
    "executive": ("eve", "executive", None, None, "en"),
    "admin": ("ada", "admin", None, None, "en"),
}
DEALS = {"ra1": {"d1", "d2", "d3", "d4", "d5"}, "ra2": {"e1", "e2", "e3", "e4"},
         "ra3": {"f1", "f2"}, "rb1": {"g1", "g2"}, "rb2": {"g3", "g4", "g5", "g6"}}
# Per role: the subject shown by default, the picker's choices, the reps (upper-case names)
# the page may name, and the funnel's counts (lead, qualified, proposal, won) in 2025-Q1.
EXPECTED: dict[str, tuple[str, list[str], set[str], list[int]]] = {
    "rep": ("rep:ra1", ["rep:ra1"], {"RA1"}, [5, 3, 2, 1]),
    "rep_b": ("rep:rb1", ["rep:rb1"], {"RB1"}, [1, 1, 1, 0]),
    "manager": ("team:TB", ["team:TB", "rep:rb1", "rep:rb2"], {"RB1", "RB2"}, [2, 2, 1, 0]),
    "manager_a": ("team:TA", ["team:TA", "rep:ra1", "rep:ra2", "rep:ra3"],
                  {"RA1", "RA2", "RA3"}, [11, 8, 6, 5]),
    "executive": ("company", ["company", "team:CO", "team:TA", "team:TB", "rep:ra1", "rep:ra2",
                              "rep:ra3", "rep:rb1", "rep:rb2"],
                  {"RA1", "RA2", "RA3", "RB1", "RB2"}, [13, 10, 7, 5]),
}
EXPECTED["admin"] = EXPECTED["executive"]
ALL_NAMES = {"RA1", "RA2", "RA3", "RB1", "RB2"}


@dataclass
class Site:
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def as_(self, role: str) -> TestClient:
        self.client.cookies.clear()
        sign_in(self.client, USERS[role][0])
        return self.client

    def api(self, role: str, path: str, **params: Any) -> Any:
        self.client.cookies.clear()
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role in self.tokens \
            else {}
        return self.client.get(f"/api/v1/analytics/{path}", params=params, headers=headers)


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp(f"funnel-page-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        home = folder / "home"
        made = org_home(home, FUNNEL, USERS.values())
        tokens = {name: made[user[0]] for name, user in USERS.items()}
        app = create_app(home, settings=AppSettings(cache_seconds=0, today=date(2025, 3, 20)))
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Site(client, tokens)


def _chart(html: str, name: str) -> Any:
    found = re.search(rf'<script type="application/json" id="{name}-data">(.*?)</script>',
                      html, re.S)
    assert found, f"no {name} chart data"
    return json.loads(found.group(1))


def _options(html: str) -> list[str]:
    select = re.search(r'<select id="subject" name="subject">(.*?)</select>', html, re.S)
    assert select
    return re.findall(r'<option value="([^"]+)"', select.group(1))


def _reached(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-stage="([^"]+)"[^>]*>\s*<th[^>]*>.*?</th>\s*'
                           r'<td class="num">(?:<a [^>]*>)?(\d+)', html, re.S))


def _deal_ids(html: str) -> list[str]:
    return re.findall(r'<tr data-deal="([^"]+)">', html)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_its_own_funnel_and_nothing_else(site: Site, role: str) -> None:
    subject, choices, names, counts = EXPECTED[role]
    answer = site.as_(role).get("/funnel", follow_redirects=False)
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert _options(html) == choices
    assert f'<option value="{subject}" selected>' in html
    funnel = _chart(html, "funnel")
    assert [s["value"] for s in funnel["steps"]] == counts
    assert list(_reached(html).values()) == [str(n) for n in counts]
    # no rep out of reach is named, in the page or its charts' data
    assert {n for n in ALL_NAMES if re.search(rf"\b{n}\b", html)} <= names
    for other in ALL_NAMES - names:
        assert other not in json.dumps(funnel)
    assert 'href="/funnel" aria-current="page"' in html  # in the nav, for every role


def test_the_reps_page_in_numbers(site: Site) -> None:
    html = site.as_("rep").get("/funnel?period=2025-Q1").text
    assert re.search(r'<span class="big" id="deals">5</span>', html)
    assert "Most deals are lost between lead and qualified: 60% went on, against 83% for the " \
        "rest of the team" in html
    row = re.search(r'<tr data-stage="lead" class="band-low">(.*?)</tr>', html, re.S)
    assert row, "the bottleneck's row is marked"
    cells = re.findall(r'<td class="num">(?:<a [^>]*>)?([^<]*)', row.group(1))
    assert cells == ["5", "3", "60%", "40%", "1", "1", "83.3%"]
    cycle = _chart(html, "cycle")
    assert cycle["series"][0]["data"] == [0, 0, 1, 0, 0, 0, 0, 0]  # d1 won in 36 days
    assert cycle["series"][1]["data"] == [1, 1, 0, 0, 0, 0, 0, 0]  # d3 10, d2 26
    stages = _chart(html, "stages")
    assert stages["series"][0]["data"] == [10.0, 13.0, 21.0]  # medians: lead, qualified, prop.
    assert 'aria-label="Funnel of the 5 deals that entered the pipeline in 2025-Q1' in html


def test_the_company_cycle_and_an_unknown_cycle(site: Site) -> None:
    html = site.as_("executive").get("/funnel?subject=company&period=2025-Q1").text
    won = re.search(r'<tr data-status="won">(.*?)</tr>', html, re.S)
    lost = re.search(r'<tr data-status="lost">(.*?)</tr>', html, re.S)
    assert won and lost
    assert re.findall(r'<td class="num">([^<]*)</td>', won.group(1)) == ["7", "35", "35.3"]
    assert re.findall(r'<td class="num">([^<]*)</td>', lost.group(1)) == ["6", "23", "27"]
    assert "Closed deals without a known cycle (left out): 1." in html


def test_out_of_reach_subjects_are_not_found(site: Site) -> None:
    for role, subject in [("rep", "rep:ra2"), ("rep", "team:TA"), ("rep", "company"),
                          ("manager", "team:TA"), ("manager", "rep:ra1"),
                          ("manager", "company")]:
        client = site.as_(role)
        assert client.get("/funnel", params={"subject": subject}).status_code == 404, subject
        assert client.get("/funnel/deals", params={
            "subject": subject, "period": "2025-Q1", "stage": "lead"}).status_code == 404


def test_anonymous_is_sent_to_log_in(site: Site) -> None:
    site.client.cookies.clear()
    answer = site.client.get("/funnel", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert site.client.get("/funnel/deals?subject=company&period=2025-Q1&stage=lead",
                           follow_redirects=False).status_code == 303
    for path in ("funnel", "cycle", "funnel/deals"):
        assert site.api("anonymous", path, period="2025-Q1", stage="lead").status_code == 401


def test_each_step_drills_to_deals_that_add_up(site: Site) -> None:
    client = site.as_("rep")
    html = client.get("/funnel?period=2025-Q1").text
    links = re.findall(r'<a href="(/funnel/deals\?[^"]+)"', html)
    assert len(links) == 4
    for link, expected in zip(links, [{"d1", "d2", "d3", "d4", "d5"}, {"d1", "d2", "d4"},
                                      {"d1", "d4"}, {"d1"}], strict=True):
        page = client.get(link.replace("&amp;", "&")).text
        assert set(_deal_ids(page)) == expected
        assert f"{len(expected)} deals in all, the {len(expected)} that the funnel counts" in page
        assert page.count("CN¥100.00") == len(expected)  # each deal's amount, in its currency


def test_each_count_of_the_split_drills_to_deals_that_add_up(site: Site) -> None:
    client = site.as_("manager_a")
    html = client.get("/funnel?subject=team:TA&period=2025-Q1&by=segment").text
    table = re.search(r'<table class="grid split">(.*?)</table>', html, re.S)
    assert table
    rows = re.findall(r'<tr><th scope="row">([^<]*)</th>(.*?)</tr>', table.group(1), re.S)
    # TA's cohort: d1 d3 SMB, d2 d4 ENT, every other deal without a customer (unknown)
    assert [name for name, _ in rows] == ["ENT", "SMB", "未知"]
    seen: dict[str, set[str]] = {}
    for name, cells in rows:
        for link, count in re.findall(r'<a href="([^"]+)">(\d+)</a>', cells):
            page = client.get(link.replace("&amp;", "&")).text
            ids = set(_deal_ids(page))
            assert len(ids) == int(count), (name, link)
            if "stage=lead" in link:
                seen[name] = ids
    assert seen == {"ENT": {"d2", "d4"}, "SMB": {"d1", "d3"},
                    "未知": {"d5", "e1", "e2", "e3", "e4", "f1", "f2"}}


def test_the_deals_are_paged_on_the_server(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(funnel_page, "DEALS_PAGE_SIZE", 5)
    client = site.as_("executive")
    seen: list[str] = []
    for page in (1, 2, 3):
        html = client.get("/funnel/deals", params={"subject": "company", "period": "2025-Q1",
                                                   "stage": "lead", "page": page}).text
        ids = _deal_ids(html)
        assert len(ids) == (5 if page < 3 else 3)
        assert f"Page {page} of 3" in html
        seen += ids
    everyone = set().union(*DEALS.values()) - {"g2", "g4", "g5", "g6"}
    assert len(seen) == 13 and set(seen) == everyone


def test_filters_return_on_the_next_visit_and_reset(site: Site) -> None:
    client = site.as_("manager")
    first = client.get("/funnel?subject=rep:rb1&period=2025-Q1&by=channel")
    assert first.status_code == 200 and "<h2 id=\"split\">By Channel</h2>" in first.text
    back = client.get("/funnel", follow_redirects=False)
    assert back.status_code == 303
    assert back.headers["location"] == "/funnel?subject=rep%3Arb1&period=2025-Q1&by=channel"
    reset = client.get("/funnel?reset=1", follow_redirects=False)
    assert reset.status_code == 200 and '<option value="team:TB" selected>' in reset.text
    assert client.get("/funnel", follow_redirects=False).status_code == 200


def test_chinese(site: Site) -> None:
    html = site.as_("manager_a").get("/funnel?subject=rep:ra1&period=2025-Q1").text
    assert "<h1>漏斗与周期 · RA1</h1>" in html
    assert "流失最多的环节在“lead”到“qualified”之间：推进率 60%，团队其他成员为 83%" in html
    assert 'aria-label="2025-Q1 进入销售流程的 5 个商机的漏斗' in html
    assert _chart(html, "cycle")["series"][0]["name"] == "赢单"


def test_api_funnel_for_each_role(site: Site) -> None:
    for role, (_, _, _, counts) in EXPECTED.items():
        # without a subject: the company as the caller's scope sees it, their default's counts
        answer = site.api(role, "funnel", period="2025-Q1")
        assert answer.status_code == 200, answer.text
        assert [s["reached"] for s in answer.json()["funnel"]["steps"]] == counts, role
    mine = site.api("rep", "funnel", period="2025-Q1", rep="ra1").json()
    assert [s["reached"] for s in mine["peers"]["steps"]] == [6, 5, 4, 4]  # pooled alone
    assert mine["bottleneck"]["stage"] == "lead"
    assert set(mine) == {"period", "subject_kind", "subject_id", "funnel", "peers",
                         "peers_kind", "bottleneck", "bottleneck_text", "breakdown", "by_value"}
    assert site.api("rep", "funnel", period="2025-Q1", rep="ra2").status_code == 404
    assert site.api("manager", "funnel", period="2025-Q1", team="TA").status_code == 404
    tb = site.api("manager", "funnel", period="2025-Q1").json()
    assert [s["reached"] for s in tb["funnel"]["steps"]] == [2, 2, 1, 0]
    zh = site.api("manager_a", "funnel", period="2025-Q1", team="TA").json()
    assert zh["bottleneck_text"].startswith("流失最多的环节")
    assert site.api("admin", "funnel", period="2025-Q1", by="colour").status_code == 422
    assert site.api("admin", "funnel", period="not a period").status_code == 422
    assert site.as_("admin").get("/funnel/deals", params={
        "subject": "company", "period": "not a period", "stage": "lead"}).status_code == 422


def test_api_deals_and_cycle(site: Site) -> None:
    ids: list[str] = []
    cursor = None
    while True:
        params = {"period": "2025-Q1", "stage": "lead", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = site.api("rep", "funnel/deals", **params).json()
        assert page["total"] == 5
        ids += [d["opportunity_id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ids == ["d1", "d2", "d3", "d4", "d5"]
    partner = site.api("rep", "funnel/deals", period="2025-Q1", stage="lead", by="channel",
                       value="partner").json()
    assert [d["opportunity_id"] for d in partner["items"]] == ["d3", "d4", "d5"]
    manager = site.api("manager", "funnel/deals", period="2025-Q1", stage="qualified").json()
    assert [d["opportunity_id"] for d in manager["items"]] == ["g1", "g3"]
    cycle = site.api("manager", "cycle", period="2025-Q1").json()
    assert (cycle["won"]["deals"], cycle["won"]["median_days"]) == (2, 27.5)  # g2 36, g5 19
    assert (cycle["lost"]["deals"], cycle["lost"]["unknown"]) == (2, 1)  # g1 66, g6 unknown
    everyone = site.api("executive", "cycle", period="2025-Q1").json()
    assert everyone["won"]["bins"] == [0, 2, 4, 0, 1, 0, 0, 0]
    assert [s["median_days"] for s in everyone["stages"]] == [7.0, 16.0, 21.0]
    assert site.api("rep", "cycle", period="2025-Q1", team="TB").status_code == 404
