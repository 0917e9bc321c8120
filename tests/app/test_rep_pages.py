"""The strengths, communication and balance pages (``/strengths``, ``/communication``,
``/balance``) and their API routes (``/api/v1/analytics/…``) for every role, on the
organisation of ``tests/analytics/rep_org.py`` (figures worked out in
``tests/analytics/test_strengths.py``, ``test_communication.py``, ``test_balance.py``), on
each backend.

    CO ── TA: a1, a2 (ana, rep), a3
      └── TB: b1, b2                   (max, manager of TB, reads Chinese)
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
from tests.analytics.rep_org import PERIOD, PLAN, REPS_ORG
from tests.app.conftest import org_home, sign_in
from tests.backends import fresh_warehouse_url

from salescore.app import AppSettings, create_app
from salescore.workspace import Workspace

USERS: dict[str, tuple[str, str, str | None, str | None, str]] = {
    "rep": ("ana", "rep", "a2", None, "en"),
    "manager": ("max", "manager", None, "TB", "zh_CN"),
    "executive": ("eve", "executive", None, None, "en"),
    "admin": ("ada", "admin", None, None, "en"),
}
REPS = {"rep": ["a2"], "manager": ["b1", "b2"], "executive": ["a1", "a2", "a3", "b1", "b2"],
        "admin": ["a1", "a2", "a3", "b1", "b2"]}
KPIS = ["revenue_won", "deals_won", "deals_lost", "win_rate", "opportunities_created"]


@dataclass
class Site:
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def as_(self, role: str) -> TestClient:
        self.client.cookies.clear()
        sign_in(self.client, USERS[role][0])
        return self.client

    def api(self, role: str | None, path: str, **params: Any) -> Any:
        self.client.cookies.clear()
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return self.client.get(f"/api/v1/analytics/{path}", params=params, headers=headers)


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp(f"rep-pages-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        home = folder / "home"
        made = org_home(home, REPS_ORG, USERS.values())
        with Workspace.open(home) as ws:
            ws.owner().adopt_plan(text=PLAN, effective_from=date(2025, 1, 1), actor="test")
        tokens = {name: made[user[0]] for name, user in USERS.items()}
        app = create_app(home, settings=AppSettings(cache_seconds=0, today=date(2025, 4, 2)))
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Site(client, tokens)


def _chart(html: str, name: str) -> Any:
    found = re.search(rf'<script type="application/json" id="{name}-data">(.*?)</script>',
                      html, re.S)
    assert found, f"no {name} chart data"
    return json.loads(found.group(1))


def _rows(html: str, table: str) -> list[str]:
    found = re.search(rf'<table class="grid {table}">(.*?)</table>', html, re.S)
    assert found, f"no {table} table"
    return re.findall(r'<th scope="row">(?:<a [^>]*>)?([^<]+)', found.group(1))


# -- strengths ---------------------------------------------------------------------------------
@pytest.mark.parametrize("role", list(USERS))
def test_strengths_page_lists_the_reps_of_each_roles_reach(site: Site, role: str) -> None:
    answer = site.as_(role).get(f"/strengths?period={PERIOD}", follow_redirects=False)
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert _rows(html, "strengths") == [r.upper() for r in REPS[role]]
    assert 'href="/strengths" aria-current="page"' in html


def test_strengths_page_radar_and_levers_in_numbers(site: Site) -> None:
    html = site.as_("admin").get(f"/strengths?subject=company&period={PERIOD}&rep=b2").text
    levers = _chart(html, "levers")
    assert levers["series"][0]["data"] == [33.75, 20.25]
    assert levers["categories"] == ["Deals won", "Revenue won"]
    radar = _chart(html, "radar")
    assert all(i["max"] == 100 for i in radar["indicators"]) and len(radar["indicators"]) >= 3
    assert radar["series"][1]["data"] == [50] * len(radar["indicators"])
    assert 'data-chart="radar"' in html and 'role="img"' in html and "+33.8" in html
    assert "42.2" in html  # the new score, 8.5 + 33.75


def test_strengths_page_in_chinese(site: Site) -> None:
    html = site.as_("manager").get(f"/strengths?period={PERIOD}").text
    assert "优势与短板" in html and "提升杠杆" in html and "百分位" in html


def test_strengths_page_out_of_scope_and_anonymous(site: Site) -> None:
    assert site.as_("rep").get(f"/strengths?subject=rep:a1&period={PERIOD}",
                               follow_redirects=False).status_code == 404
    assert site.as_("manager").get(f"/strengths?subject=team:TA&period={PERIOD}",
                                   follow_redirects=False).status_code == 404
    site.client.cookies.clear()
    answer = site.client.get("/strengths", follow_redirects=False)
    assert answer.status_code in (302, 303) and "/login" in answer.headers["location"]
    assert site.api(None, "strengths", period=PERIOD).status_code == 401


@pytest.mark.parametrize("role", list(USERS))
def test_api_strengths_for_each_role(site: Site, role: str) -> None:
    answer = site.api(role, "strengths", period=PERIOD, kpi=KPIS)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["rep_id"] for r in body["reps"]] == REPS[role]
    for r in body["reps"]:  # the same peers whoever asks
        assert r["peers"] == 4
    if "a2" in REPS[role]:
        a2 = next(r for r in body["reps"] if r["rep_id"] == "a2")
        assert a2["strongest"] == ["opportunities_created", "deals_won", "revenue_won"]
        assert [lv["kpi"] for lv in a2["levers"]] == ["revenue_won", "deals_won"]
        assert a2["levers"][0]["gain"] == pytest.approx(14 + 3.5 / 3)


def test_api_strengths_scope_and_bad_input(site: Site) -> None:
    assert site.api("rep", "strengths", period=PERIOD, rep="b1").status_code == 404
    assert site.api("manager", "strengths", period=PERIOD, team="TA").status_code == 404
    assert site.api("admin", "strengths", period=PERIOD, kpi="nonsense").status_code == 400
    assert site.api("admin", "strengths", period="not a period").status_code == 422


# -- communication -----------------------------------------------------------------------------
@pytest.mark.parametrize("role", list(USERS))
def test_communication_page_for_each_role(site: Site, role: str) -> None:
    answer = site.as_(role).get(f"/communication?period={PERIOD}", follow_redirects=False)
    assert answer.status_code == 200, answer.text
    html = answer.text
    subject = {"rep": ["A2"], "manager": ["B1", "B2"]}.get(role, ["A1", "A2", "A3", "B1",
                                                                   "B2"])
    assert _rows(html, "communication") == subject
    assert 'href="/communication" aria-current="page"' in html


def test_communication_page_charts_in_numbers(site: Site) -> None:
    html = site.as_("admin").get(f"/communication?subject=company&period={PERIOD}").text
    touches = _chart(html, "touches")
    assert touches["categories"] == ["0", "1–2", "3–5", "6–10", "11+"]
    assert touches["series"][0]["data"] == [0.0, 33.3, 100.0, 100.0, None]
    assert _chart(html, "gaps")["series"][0]["data"] == [100.0, None, 100.0, 0.0]
    assert 'data-chart="bars"' in html and 'role="img"' in html and "0.97" in html


def test_communication_page_in_chinese_and_out_of_scope(site: Site) -> None:
    html = site.as_("manager").get(f"/communication?period={PERIOD}").text
    assert "沟通效果" in html and "按跟进节奏的赢单率" in html and "数据不足" in html
    assert site.as_("rep").get(f"/communication?subject=team:TA&period={PERIOD}",
                               follow_redirects=False).status_code == 404


@pytest.mark.parametrize("role", list(USERS))
def test_api_communication_for_each_role(site: Site, role: str) -> None:
    answer = site.api(role, "communication", period=PERIOD)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["rep_id"] for r in body["reps"]] == REPS[role]
    deals = {"rep": 3, "manager": 5}.get(role, 12)
    assert sum(b["deals"] for b in body["touch_bins"]) == deals


def test_api_communication_scope(site: Site) -> None:
    assert site.api(None, "communication", period=PERIOD).status_code == 401
    assert site.api("rep", "communication", period=PERIOD, rep="a1").status_code == 404
    assert site.api("manager", "communication", period=PERIOD, team="TA").status_code == 404


# -- balance -----------------------------------------------------------------------------------
TEAMS = {"rep": ["Team A"], "manager": ["Team B"],
         "executive": ["Company", "Team A", "Team B"], "admin": ["Company", "Team A", "Team B"]}


@pytest.mark.parametrize("role", list(USERS))
def test_balance_page_for_each_role(site: Site, role: str) -> None:
    answer = site.as_(role).get(f"/balance?period={PERIOD}", follow_redirects=False)
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert _rows(html, "teams") == TEAMS[role]
    assert _rows(html, "balance-reps") == [r.upper() for r in REPS[role]]
    assert 'href="/balance" aria-current="page"' in html


def test_balance_page_charts_in_numbers(site: Site) -> None:
    html = site.as_("admin").get(f"/balance?subject=company&period={PERIOD}").text
    assert _chart(html, "assisted")["series"][0]["data"] == [64.7, 50.0, 85.7]
    flows = _chart(html, "flows")
    assert flows["rows"] == ["Team A", "Team B"]
    assert sorted(flows["cells"]) == [[0, 0, 2], [0, 1, 1], [1, 0, 1], [1, 1, 1]]
    blend = _chart(html, "blend0")
    assert blend["periods"] == ["100/0", "80/20 *", "60/40", "50/50"]
    assert blend["series"][4]["data"] == [0.0, 8.5, 17.0, 21.2]
    assert 'data-chart="matrix"' in html and "68.0" in html  # the range now


def test_balance_page_in_chinese_and_out_of_scope(site: Site) -> None:
    html = site.as_("manager").get(f"/balance?period={PERIOD}").text
    assert "团队与个人平衡" in html and "协同成交金额占比" in html
    assert _chart(html, "flows")["rows"] == ["Team B", "其他团队"]  # a1's team is not named
    assert site.as_("manager").get(f"/balance?subject=team:TA&period={PERIOD}",
                                   follow_redirects=False).status_code == 404


@pytest.mark.parametrize("role", list(USERS))
def test_api_balance_for_each_role(site: Site, role: str) -> None:
    answer = site.api(role, "balance", period=PERIOD)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["rep_id"] for r in body["reps"]] == REPS[role]
    (plan,) = body["plans"]
    assert [r["rep_id"] for r in plan["reps"]] == REPS[role]
    assert plan["blends"][1]["range"] == pytest.approx(68)


def test_api_balance_scope(site: Site) -> None:
    assert site.api(None, "balance", period=PERIOD).status_code == 401
    assert site.api("manager", "balance", period=PERIOD, team="TA").status_code == 404
