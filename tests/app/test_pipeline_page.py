"""The pipeline changes page (``/pipeline``) and its API route
(``/api/v1/analytics/pipeline-changes``) for every role, on the organisation of
``tests/analytics/pipeline_org.py`` (figures worked out in
``tests/analytics/test_pipeline_changes.py``), on each backend.

    CO ── TA: ra1 (ana, rep), ra2
      └── TB: rb1                      (max, manager of TB, reads Chinese)
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
from tests.analytics.pipeline_org import PIPELINE_ORG
from tests.app.conftest import org_home, sign_in
from tests.backends import fresh_warehouse_url

from salescore.app import AppSettings, create_app

USERS: dict[str, tuple[str, str, str | None, str | None, str]] = {
    "rep": ("ana", "rep", "ra1", None, "en"),
    "manager": ("max", "manager", None, "TB", "zh_CN"),
    "executive": ("eve", "executive", None, None, "en"),
    "admin": ("ada", "admin", None, None, "en"),
}
DAYS = {"from": "2025-02-01", "to": "2025-02-28"}
QUERY = "from=2025-02-01&to=2025-02-28"
REPS = {"rep": ["ra1"], "manager": ["rb1"], "executive": ["ra1", "ra2", "rb1"],
        "admin": ["ra1", "ra2", "rb1"]}
ENDS = {"rep": 350, "manager": 700, "executive": 1780, "admin": 1780}


@dataclass
class Site:
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def as_(self, role: str) -> TestClient:
        self.client.cookies.clear()
        sign_in(self.client, USERS[role][0])
        return self.client

    def api(self, role: str | None, **params: Any) -> Any:
        self.client.cookies.clear()
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return self.client.get("/api/v1/analytics/pipeline-changes", params=params,
                               headers=headers)


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp(f"pipeline-page-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        home = folder / "home"
        made = org_home(home, PIPELINE_ORG, USERS.values())
        tokens = {name: made[user[0]] for name, user in USERS.items()}
        app = create_app(home, settings=AppSettings(cache_seconds=0, today=date(2025, 3, 2)))
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
    return re.findall(r'<th scope="row">([^<]+)', found.group(1))


@pytest.mark.parametrize("role", list(USERS))
def test_page_for_each_role(site: Site, role: str) -> None:
    answer = site.as_(role).get(f"/pipeline?{QUERY}", follow_redirects=False)
    assert answer.status_code == 200, answer.text
    html = answer.text
    steps = _chart(html, "waterfall")["steps"]
    assert steps[-1]["value"] == ENDS[role]
    rows = _rows(html, "pipeline-rows")
    assert [r for r in rows if r in ("RA1", "RA2", "RB1")] == [r.upper() for r in REPS[role]]
    assert 'href="/pipeline" aria-current="page"' in html


def test_page_waterfall_in_numbers_with_its_table(site: Site) -> None:
    html = site.as_("admin").get(f"/pipeline?subject=company&{QUERY}").text
    steps = _chart(html, "waterfall")["steps"]
    assert [(s["name"], s["value"], s["kind"]) for s in steps] == [
        ("Start", 1680, "total"), ("New", 150, "up"), ("Pulled in", 500, "up"),
        ("Amount up", 750, "up"), ("Amount down", 20, "down"), ("Pushed out", 400, "down"),
        ("Won", 280, "down"), ("Lost", 600, "down"), ("End", 1780, "total")]
    assert 'data-chart="waterfall"' in html and 'role="img"' in html
    assert 'aria-label="Waterfall of the pipeline from 2025-02-01 to 2025-02-28' in html
    assert _rows(html, "waterfall") == ["Start", "New", "Pulled in", "Amount up",
                                        "Amount down", "Pushed out", "Won", "Lost", "End"]
    assert "−400" in html and "+750" in html and "1,780" in html
    assert _rows(html, "pipeline-rows")[:4] == ["Total", "Team Company", "Team Team A",
                                                "Team Team B"]


def test_page_in_chinese_and_out_of_scope(site: Site) -> None:
    html = site.as_("manager").get(f"/pipeline?{QUERY}").text
    assert "管道变化" in html and "推迟移出" in html and "期初" in html
    assert site.as_("manager").get(f"/pipeline?subject=team:TA&{QUERY}",
                                   follow_redirects=False).status_code == 404
    assert site.as_("rep").get(f"/pipeline?subject=rep:ra2&{QUERY}",
                               follow_redirects=False).status_code == 404
    assert site.as_("admin").get("/pipeline?subject=company&from=2025-02-30",
                                 follow_redirects=False).status_code in (400, 422)
    site.client.cookies.clear()
    answer = site.client.get("/pipeline", follow_redirects=False)
    assert answer.status_code in (302, 303) and "/login" in answer.headers["location"]


@pytest.mark.parametrize("role", list(USERS))
def test_api_for_each_role(site: Site, role: str) -> None:
    answer = site.api(role, **DAYS)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["id"] for r in body["reps"]] == REPS[role]
    assert body["total"]["end"] == ENDS[role] and body["close_period"] == "2025-Q1"
    total = body["total"]
    assert (total["start"] + total["new"] + total["pulled_in"] + total["up"] - total["down"]
            - total["pushed"] - total["won"] - total["lost"]) == total["end"]


def test_api_scope_and_bad_input(site: Site) -> None:
    assert site.api(None, **DAYS).status_code == 401
    assert site.api("rep", **DAYS, rep="rb1").status_code == 404
    assert site.api("manager", **DAYS, team="TA").status_code == 404
    assert site.api("admin", **DAYS, team="TA").json()["total"]["end"] == 1080
    assert site.api("admin", **{"from": "2025-02-30", "to": "2025-03-01"}).status_code == 422
    assert site.api("admin", **{"from": "2025-03-01", "to": "2025-02-01"}).status_code == 400
