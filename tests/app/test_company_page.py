"""The Company page (``GET /company``) on the tiny organisation, on each backend: the figures
for what the caller sees, by team with the walk-down to reps, and by a dimension.

Worked out by hand from ``tests/tiny_org.py`` for 2025-Q1 (Asia/Shanghai; the USD deal o6 of
r2, 1000 at 7 CNY a dollar, counts 7000): won o1 100 and o2 300 (r1), o6 7000 (r2), o9 150
(r4), o12 500 (r6): revenue 8050 in all; T1 7400, T2 with T2X 650, T2X 500; product B is o2
alone (300), A the rest (7750).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from tests.app.conftest import USERS, Server, served, sign_in

from salescore.app import AppSettings


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"company-{backend}")
    with served(backend, folder, AppSettings(cache_seconds=0, today=date(2025, 2, 14))) as app:
        yield app


def _get(site: Server, role: str, **params: str) -> tuple[int, str]:
    site.client.cookies.clear()
    sign_in(site.client, USERS[role][0])
    answer = site.client.get("/company", params=params, follow_redirects=False)
    return answer.status_code, answer.text


def _headline(html: str) -> dict[str, str]:
    return dict(re.findall(
        r'<div class="figure" data-kpi="([^"]+)">\s*<span class="label">[^<]*</span>\s*'
        r'<span class="big">(?:<a href="[^"]*">)?([^<]*)', html))


def _rows(html: str) -> dict[str, str]:
    """Each row's key and its first figure (revenue won)."""
    return dict(re.findall(
        r'<tr data-key="([^"]*)">.*?<td class="num">(?:<a href="[^"]*">)?([^<]*)', html, re.S))


def test_an_executive_sees_the_company_and_its_teams(site: Server) -> None:
    status, html = _get(site, "executive", period="2025-Q1")
    assert status == 200
    assert _headline(html)["revenue_won"] == "CN¥8,050.00"
    assert _rows(html) == {"T1": "CN¥7,400.00", "T2": "CN¥650.00"}
    assert "/drill?kpi=revenue_won&amp;by=team&amp;subject=T1&amp;period=2025-Q1" in html


def test_the_walk_down_reaches_the_reps_of_a_team(site: Server) -> None:
    status, html = _get(site, "executive", period="2025-Q1", by="team", team="T2")
    assert _rows(html) == {"T2X": "CN¥500.00"}
    assert _headline(html)["revenue_won"] == "CN¥650.00"
    status, html = _get(site, "executive", period="2025-Q1", by="team", team="T1")
    assert _rows(html) == {"r1": "CN¥400.00", "r2": "CN¥7,000.00", "r3": "CN¥0.00"}
    assert 'href="/reps/r1"' in html


def test_a_manager_sees_only_their_part_of_the_company(site: Server) -> None:
    status, html = _get(site, "manager", period="2025-Q1")
    assert status == 200
    assert _headline(html)["revenue_won"] == "CN¥650.00"
    assert set(_rows(html)) <= {"T2", "T2X", "r4", "r5", "r6"}
    assert "T1" not in _rows(html)
    status, _ = _get(site, "manager", period="2025-Q1", by="team", team="T1")
    assert status == 404


def test_by_a_dimension_and_this_quarter_by_default(site: Server) -> None:
    status, html = _get(site, "executive", by="product")
    assert status == 200
    assert '<option value="this-quarter" selected>This quarter (2025-Q1)</option>' in html
    rows = _rows(html)
    assert rows["B"] == "CN¥300.00" and rows["A"] == "CN¥7,750.00"


def test_reps_have_no_company_page(site: Server) -> None:
    for role in ("rep", "other_rep"):
        status, html = _get(site, role)
        assert status == 404 and "CN¥" not in html
