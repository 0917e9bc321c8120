"""The trends page (``GET /trends``) and the API (``/api/v1/analytics/training``,
``/analytics/trends``) for every role, on the organisation of
``tests/analytics/training_org.py``'s ``TRAINING`` (figures worked out in
``tests/analytics/test_training.py``), on each backend.

    CO ── TA: t1 (tia, rep), t2, t3, c1, c2      (mae, manager of TA, reads Chinese)
      └── TB: t4, t5, c3, c4, c5
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
from tests.analytics.training_org import TRAINING
from tests.app.conftest import org_home, sign_in
from tests.backends import fresh_warehouse_url

from salescore.app import AppSettings, create_app

USERS: dict[str, tuple[str, str, str | None, str | None, str]] = {
    "rep": ("tia", "rep", "t1", None, "en"),
    "manager": ("mae", "manager", None, "TA", "zh_CN"),
    "executive": ("eve", "executive", None, None, "en"),
    "admin": ("ada", "admin", None, None, "en"),
}
# Per role: the courses and how many of their trainees the role reaches.
COURSES = {"rep": [("Negotiation", 1)], "manager": [("AR demo", 1), ("Negotiation", 3)],
           "executive": [("AR demo", 1), ("Negotiation", 5)],
           "admin": [("AR demo", 1), ("Negotiation", 5)]}


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
    folder = tmp_path_factory.mktemp(f"trends-page-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        home = folder / "home"
        made = org_home(home, TRAINING, USERS.values())
        tokens = {name: made[user[0]] for name, user in USERS.items()}
        app = create_app(home, settings=AppSettings(cache_seconds=0, today=date(2025, 5, 3)))
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Site(client, tokens)


def _chart(html: str, name: str) -> Any:
    found = re.search(rf'<script type="application/json" id="{name}-data">(.*?)</script>',
                      html, re.S)
    assert found, f"no {name} chart data"
    return json.loads(found.group(1))


def _courses(html: str) -> list[tuple[str, int]]:
    table = re.search(r'<table class="grid effects">(.*?)</table>', html, re.S)
    assert table
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>[^<]*</td>\s*<td class="num">(\d+)',
                      table.group(1))
    return [(name, int(n)) for name, n in rows]


@pytest.mark.parametrize("role", list(USERS))
def test_each_role_sees_the_courses_of_its_reach(site: Site, role: str) -> None:
    answer = site.as_(role).get("/trends?window=1", follow_redirects=False)
    assert answer.status_code == 200, answer.text
    html = answer.text
    courses = [(c, n) for c, n in _courses(html) if not c.startswith(("All ", "全部"))]
    assert courses == COURSES[role]
    assert 'href="/trends" aria-current="page"' in html
    data = _chart(html, "trend")
    assert data["periods"] == ["2025-02", "2025-03", "2025-04"]


def test_the_admins_effect_chart_in_numbers(site: Site) -> None:
    html = site.as_("admin").get("/trends?window=1&kpi=win_rate").text
    effects = _chart(html, "effects")
    # the course and its kind pooled: the same five trainees
    assert effects["categories"] == ["Negotiation", "All coaching courses"]
    assert effects["values"] == [37.5, 37.5]
    assert effects["low"][0] == pytest.approx(-40.34, abs=0.01)  # 37.5 ± 77.84
    assert effects["high"][0] == pytest.approx(115.34, abs=0.01)
    assert "+37.5 points" in html and "-40.3 points … +115.3 points" in html
    assert "not enough data" in html
    assert 'data-chart="interval"' in html and 'role="img"' in html
    # the trend of the company: 3 months, raw with a note
    assert "Only 3 months of history" in html


def test_nobody_reached_no_chart_and_not_enough_data(site: Site) -> None:
    html = site.as_("rep").get("/trends?window=1").text
    assert 'data-chart="interval"' not in html and "not enough data" in html


def test_chinese(site: Site) -> None:
    html = site.as_("manager").get("/trends?window=1").text
    assert "趋势与培训" in html and "培训效果" in html and "数据不足" in html
    assert "市场趋势" in html and "季节调整" in html


def test_filters_return_on_the_next_visit_and_reset(site: Site) -> None:
    client = site.as_("admin")
    client.get("/trends?by=channel&measure=win_rate&window=3")
    back = client.get("/trends", follow_redirects=False)
    assert back.status_code in (302, 303, 307)
    assert "by=channel" in back.headers["location"] and "window=3" in back.headers["location"]
    assert client.get("/trends?reset=1", follow_redirects=False).status_code in (
        302, 303, 307, 200)


def test_anonymous_is_sent_to_log_in(site: Site) -> None:
    site.client.cookies.clear()
    answer = site.client.get("/trends", follow_redirects=False)
    assert answer.status_code in (302, 303) and "/login" in answer.headers["location"]
    assert site.api(None, "training").status_code == 401
    assert site.api(None, "trends").status_code == 401


@pytest.mark.parametrize("role", list(USERS))
def test_api_training_for_each_role(site: Site, role: str) -> None:
    answer = site.api(role, "training", window=1)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(c["course"], c["trainees"]) for c in body["courses"]] == COURSES[role]
    assert (body["min_trainees"], body["min_peers"], body["confidence"]) == (5, 5, 0.95)
    negotiation = next(c for c in body["courses"] if c["course"] == "Negotiation")
    win = next(e for e in negotiation["effects"] if e["kpi"] == "win_rate")
    if role in ("executive", "admin"):
        assert win["estimate"] == pytest.approx(0.375) and win["trainees"] == 5
    else:
        assert win["estimate"] is None and win["low"] is None


def test_api_scope_and_bad_input(site: Site) -> None:
    assert site.api("rep", "training", team="TB").status_code == 404
    assert site.api("manager", "training", rep="t4").status_code == 404
    assert site.api("admin", "training", window=0).status_code == 422
    assert site.api("admin", "trends", by="team").status_code == 422


@pytest.mark.parametrize("role", list(USERS))
def test_api_trends_for_each_role(site: Site, role: str) -> None:
    body = site.api(role, "trends", by="company").json()
    assert body["months"] == ["2025-02", "2025-03", "2025-04"] and body["adjusted"] is False
    revenue = next(s for s in body["series"] if s["measure"] == "revenue_won")
    # won deals × 100: t1 alone 1, 1, 2; TA (t1 t2 t3 c1 c2) 4, 1, 5; all 10, 1, 12
    expected = {"rep": [100, 100, 200], "manager": [400, 100, 500],
                "executive": [1000, 100, 1200], "admin": [1000, 100, 1200]}[role]
    assert revenue["raw"] == expected
