"""The customers page (``GET /customers``) and the API (``/api/v1/analytics/retention``,
``/rfm``) for every role, on the organisation of ``tests/analytics/customers_org.py`` (figures
worked out in ``tests/analytics/test_customers.py``), on each backend. "Today" is 2025-12-20,
so "this year" is 2025.

    CO ── TA: ra1 (rosa, rep), ra2             (mae, manager of TA, reads Chinese)
      └── TB: rb1 (rob, rep)                   (max, manager of TB)
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
from tests.analytics.customers_org import CUSTOMERS_ORG
from tests.app.conftest import org_home, sign_in
from tests.backends import fresh_warehouse_url

from salescore.app import AppSettings, create_app

USERS: dict[str, tuple[str, str, str | None, str | None, str]] = {
    "rep": ("rosa", "rep", "ra1", None, "en"),
    "rep_b": ("rob", "rep", "rb1", None, "en"),
    "manager": ("max", "manager", None, "TB", "en"),
    "manager_a": ("mae", "manager", None, "TA", "zh_CN"),
    "executive": ("eve", "executive", None, None, "en"),
    "admin": ("ada", "admin", None, None, "en"),
}
# Per role: the subject shown by default, the picker's choices, the new customers of 2025 and
# the quarterly cohorts (c4 bought first in 2024: in none).
EXPECTED: dict[str, tuple[str, list[str], int, list[str]]] = {
    "rep": ("rep:ra1", ["rep:ra1"], 2, ["2025-Q1"]),
    "rep_b": ("rep:rb1", ["rep:rb1"], 2, ["2025-Q2", "2025-Q4"]),
    "manager": ("team:TB", ["team:TB", "rep:rb1"], 2, ["2025-Q2", "2025-Q4"]),
    "manager_a": ("team:TA", ["team:TA", "rep:ra1", "rep:ra2"], 3, ["2025-Q1"]),
    "executive": ("company", ["company", "team:CO", "team:TA", "team:TB", "rep:ra1", "rep:ra2",
                              "rep:rb1"], 5, ["2025-Q1", "2025-Q2", "2025-Q4"]),
}
EXPECTED["admin"] = EXPECTED["executive"]


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
    folder = tmp_path_factory.mktemp(f"customers-page-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        home = folder / "home"
        made = org_home(home, CUSTOMERS_ORG, USERS.values())
        tokens = {name: made[user[0]] for name, user in USERS.items()}
        app = create_app(home, settings=AppSettings(cache_seconds=0, today=date(2025, 12, 20)))
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


def _row(html: str, attribute: str, key: str) -> list[str]:
    row = re.search(rf'<tr {attribute}="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert row, key
    return re.findall(r'<td[^>]*>([^<]*)</td>', row.group(1))


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_its_own_cohorts(site: Site, role: str) -> None:
    subject, choices, new, cohorts = EXPECTED[role]
    answer = site.as_(role).get("/customers?grain=quarter", follow_redirects=False)
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert _options(html) == choices
    assert f'<option value="{subject}" selected>' in html
    assert f'<span class="big" id="new-customers">{new}</span>' in html
    assert _chart(html, "retention")["rows"] == cohorts
    assert re.findall(r'<tr data-cohort="([^"]+)">', html) == cohorts
    assert 'href="/customers" aria-current="page"' in html  # in the nav, for every role
    api = site.api(role, "retention", period="2025", grain="quarter")
    assert api.status_code == 200, api.text
    assert [c["period"] for c in api.json()["cohorts"]] == cohorts


def test_the_companys_page_in_numbers(site: Site) -> None:
    html = site.as_("executive").get("/customers?subject=company&period=2025&grain=quarter").text
    heat = _chart(html, "retention")
    assert heat["cols"] == ["+0", "+1", "+2", "+3"]
    assert heat["cells"] == [[0, 0, 100], [1, 0, 33], [2, 0, 67], [3, 0, 33],
                             [0, 1, 100], [1, 1, 0], [2, 1, 100], [0, 2, 100]]
    assert _row(html, "data-cohort", "2025-Q1") == ["3", "100%", "33%", "67%", "33%", "67%",
                                                    "33%"]
    assert _row(html, "data-cohort", "2025-Q4") == ["1", "100%", "—", "—", "—", "0%", "—"]
    assert '<span class="big" id="repeat-rate">60%</span>' in html
    assert '<span class="big" id="churn-rate">25%</span>' in html
    assert '<span class="big" id="median-gap">95.5</span>' in html
    assert _chart(html, "segments")["series"][0]["data"] == [1, 1, 1, 0, 0, 1, 2]
    assert _chart(html, "revenue")["series"][0]["data"] == [29.3, 26.6, 4.3, 0.0, 0.0, 31.9,
                                                           8.0]
    assert _row(html, "data-segment", "hibernating") == ["2", "CN¥150.00", "8%"]
    assert _chart(html, "channels")["categories"] == ["social", "web", "partner"]
    assert _row(html, "data-channel", "social") == ["2", "CN¥700.00", "37.2%"]
    assert _row(html, "data-pair", "A|B") == ["B", "2", "2", "40%", "66.7%", "1.11"]
    assert 'aria-label="Heatmap of the share of each cohort of 2025 buying again' in html


def test_a_rep_sees_only_their_orders(site: Site) -> None:
    html = site.as_("rep").get("/customers?period=2025&grain=quarter").text
    assert _row(html, "data-cohort", "2025-Q1") == ["2", "100%", "50%", "100%", "50%", "100%",
                                                    "0%"]
    assert re.findall(r'<tr data-channel="([^"]+)">', html) == ["social", "web"]
    assert re.findall(r'<tr data-pair="([^"]+)">', html) == ["A|B", "B|A"]
    rfm = site.api("rep", "rfm", period="2025").json()
    assert sorted(c["customer_id"] for c in rfm["customers"]) == ["c1", "c2"]


def test_out_of_reach_subjects_are_not_found(site: Site) -> None:
    for role, subject in [("rep", "rep:ra2"), ("rep", "team:TA"), ("rep", "company"),
                          ("manager", "team:TA"), ("manager", "rep:ra1"),
                          ("manager", "company")]:
        assert site.as_(role).get("/customers", params={"subject": subject}).status_code == 404
    assert site.api("rep", "retention", period="2025", rep="rb1").status_code == 404
    assert site.api("manager", "rfm", period="2025", team="TA").status_code == 404
    assert site.api("admin", "retention", period="2025", grain="week").status_code == 422
    assert site.api("admin", "rfm", period="not a period").status_code == 422


def test_anonymous_is_sent_to_log_in(site: Site) -> None:
    site.client.cookies.clear()
    answer = site.client.get("/customers", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    for path in ("retention", "rfm"):
        assert site.api("anonymous", path, period="2025").status_code == 401


def test_filters_return_on_the_next_visit_and_reset(site: Site) -> None:
    client = site.as_("manager")
    first = client.get("/customers?subject=rep:rb1&period=2025&grain=quarter")
    assert first.status_code == 200
    back = client.get("/customers", follow_redirects=False)
    assert back.status_code == 303
    assert back.headers["location"] == "/customers?subject=rep%3Arb1&period=2025&grain=quarter"
    reset = client.get("/customers?reset=1", follow_redirects=False)
    assert reset.status_code == 200 and '<option value="team:TB" selected>' in reset.text


def test_chinese(site: Site) -> None:
    html = site.as_("manager_a").get("/customers?subject=team:TA&period=2025").text
    assert re.search(r"<h1>客户 · [^<]*Team A</h1>", html)
    assert "<th scope=\"col\">同期群</th>" in html and "流失率" in html
    assert "冠军客户" in html and "沉睡客户" in html
    assert 'aria-label="2025 各同期群' in html
    assert _chart(html, "segments")["series"][0]["name"] == "客户"


def test_api_rfm(site: Site) -> None:
    data = site.api("executive", "rfm", period="2025").json()
    assert {c["customer_id"]: c["segment"] for c in data["customers"]} == {
        "c1": "loyal", "c2": "at_risk", "c3": "hibernating", "c4": "hibernating",
        "c5": "champions", "c6": "new"}
    assert data["pairs"][0] == {"a": "A", "b": "B", "both": 2, "then": 2, "support": 0.4,
                                "confidence": pytest.approx(2 / 3),
                                "lift": pytest.approx(10 / 9)}
    assert data["segments"][0]["label"] == {"en": "Champions", "zh": "冠军客户"}
    assert site.api("manager", "rfm", period="2025").json()["median_gap_days"] == 127.0
