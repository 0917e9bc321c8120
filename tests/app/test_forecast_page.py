"""The forecast page (``GET /forecast``) for every role on the tiny organisation (data from
December 2024 to May 2025: too little history for every model, so each section says "not
enough data" and shows its baseline): status, which series, reps and actions come back, the
charts' figures and their table alternatives, both languages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from tests.app.conftest import ALL_REPS, USERS, Server, sign_in

SHOWN = {"rep": {"r1"}, "manager": {"r4", "r5", "r6"}, "sibling_manager": {"r1", "r2", "r3"},
         "admin": ALL_REPS}


def _page(server: Server, role: str, **params: str) -> tuple[int, str]:
    server.client.cookies.clear()
    if role != "anonymous":
        sign_in(server.client, USERS[role][0])
    got = server.client.get("/forecast", params=params, follow_redirects=False)
    return got.status_code, got.text


def _chart(html: str, name: str) -> Any:
    found = re.search(rf'<script type="application/json" id="{name}-data">(.*?)</script>',
                      html, re.S)
    assert found, f"no {name} chart data"
    return json.loads(found.group(1))


def test_anonymous_goes_to_the_login(server: Server) -> None:
    status, _ = _page(server, "anonymous")
    assert status in (302, 303)


@pytest.mark.parametrize("role", list(SHOWN))
def test_the_page_per_role(server: Server, role: str) -> None:
    status, html = _page(server, role)
    assert status == 200, html
    assert 'href="/forecast" aria-current="page"' in html
    zh = USERS[role][4] == "zh_CN"
    assert ("预测与行动" if zh else "Forecast and actions") in html
    assert ("数据不足" if zh else "Not enough data") in html
    choices = set(re.findall(r'<option value="(company|team:[^"]+|rep:[^"]+)"', html))
    reps = {c.split(":")[1] for c in choices if c.startswith("rep:")}
    assert reps == SHOWN[role]
    assert ("company" in choices) == (role == "admin")
    chart = _chart(html, "forecast")
    assert len(chart["periods"]) == len(chart["actual"]) == len(chart["low"])
    assert 'data-chart="band"' in html and 'role="img" aria-label=' in html
    assert '<table class="grid forecast-table">' in html
    rows = set(re.findall(r'<tr data-rep="([^"]+)"', html))
    assert rows and rows <= SHOWN[role]
    acted = set(re.findall(r'<section class="rep-actions" data-rep="([^"]+)"', html))
    assert acted <= SHOWN[role]


def test_a_series_out_of_reach_falls_back_to_the_callers_own(server: Server) -> None:
    status, html = _page(server, "rep", who="rep:r4")
    assert status == 200
    assert '<option value="rep:r1" selected>' in html and "rep:r4" not in html


@pytest.mark.parametrize("role", list(SHOWN))
def test_customers_and_targets_sections(server: Server, role: str) -> None:
    _, html = _page(server, role)
    assert '<table class="grid customers-table">' in html
    if role == "rep":
        assert "targets-table" not in html  # a rep does not set targets
        return
    targets = set(re.findall(r'<tr data-target-rep="([^"]+)"', html))
    assert targets and targets <= SHOWN[role]
    assert "%%" not in html
