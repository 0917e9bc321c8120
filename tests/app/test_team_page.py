"""The Team page (``GET /team``), a rep's page as a manager sees it (``GET /reps/{id}``) and
the preferences (``POST /preferences``), on the tiny organisation with plan ``tiny`` scored
for 2025-Q1 and 2025-Q2, on each backend.

Worked out by hand from ``tests/tiny_org.py`` (targets: revenue 1000, deals 2; linear points,
weights one half each; the team part of a score is 0 in plan ``tiny``):

=====  ==================================  ==================================
rep    2025-Q1                             2025-Q2
=====  ==================================  ==================================
r4     150 (15 %), 1 deal (50 %) → 32.5    250 (25 %), 1 deal (50 %) → 37.5
r5     nothing won → 0                     nothing won → 0
r6     500 (50 %), 1 deal (50 %) → 50      nothing won → 0
=====  ==================================  ==================================

So in 2025-Q2 the board of T2 (with T2X under it) is r4, r5, r6 (r5 before r6 on the tie, by
id), and against 2025-Q1 (r6, r4, r5) r4 moved up 1, r5 up 1 and r6 down 2. Team scores: T2
16.25 then 18.75 (the mean of r4 and r5), T2X 50 then 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from tests.app.conftest import USERS, Server, served, sign_in

from salescore.app import AppSettings
from salescore.workspace import Workspace


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    def prepare(home: Path) -> None:
        with Workspace.open(home) as ws:
            ws.owner().score("2025-Q2")

    folder = tmp_path_factory.mktemp(f"team-{backend}")
    settings = AppSettings(cache_seconds=0, today=date(2025, 5, 6))
    with served(backend, folder, settings, prepare) as app:
        yield app


def _signed_in(site: Server, role: str) -> None:
    site.client.cookies.clear()
    sign_in(site.client, USERS[role][0])


def _get(site: Server, role: str, path: str, **params: str) -> tuple[int, str]:
    _signed_in(site, role)
    answer = site.client.get(path, params=params, follow_redirects=False)
    return answer.status_code, answer.text


def _board(html: str) -> list[tuple[str, str, str, str, str]]:
    """The leaderboard: rank, rep id, score, rating, move."""
    rows = re.findall(
        r'<tr data-rep="([^"]+)">\s*<td>(\d+)</td>.*?<td class="num">([^<]*)</td>\s*'
        r'<td>([^<]*)</td>\s*<td class="num[^"]*"[^>]*>([^<]*)</td>', html, re.S)
    return [(rank, rep, score, rating, move) for rep, rank, score, rating, move in rows]


def _chart(html: str, name: str) -> dict[str, object]:
    found = re.search(rf'<script type="application/json" id="{name}-data">(.*?)</script>',
                      html, re.S)
    assert found, f"no {name} chart data"
    data: dict[str, object] = json.loads(found.group(1))
    return data


def _reps_named(html: str) -> set[str]:
    return set(re.findall(r'data-rep="(r\d)"', html)) | set(re.findall(r"/reps/(r\d)", html))


def test_a_manager_sees_their_team_and_the_team_under_it(site: Server) -> None:
    status, html = _get(site, "manager", "/team")
    assert status == 200
    assert "Team · Team two" in html
    assert _board(html) == [("1", "r4", "37.5", "B", "+1"), ("2", "r5", "0", "B", "+1"),
                            ("3", "r6", "0", "B", "-2")]
    assert _reps_named(html) == {"r4", "r5", "r6"}
    heat = _chart(html, "heatmap")
    assert heat["cells"] == [[0, 0, 25.0], [1, 0, 50.0], [0, 1, 0.0], [1, 1, 0.0],
                             [0, 2, 0.0], [1, 2, 0.0]]
    assert _chart(html, "distribution")["counts"] == [2, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    trend = _chart(html, "trend")
    assert trend == {"periods": ["2025-Q1", "2025-Q2"], "series": [
        {"name": "Team two", "data": [16.25, 18.75]},
        {"name": "Team two-x", "data": [50.0, 0.0]}]}
    assert "Compared with" in html and "2025-Q1" in html


def test_the_period_picker_goes_back_and_offers_the_quarters_that_roll_over(
        site: Server) -> None:
    status, html = _get(site, "manager", "/team", period="2025-Q1")
    assert status == 200
    assert _board(html) == [("1", "r6", "50", "B", "new"), ("2", "r4", "32.5", "B", "new"),
                            ("3", "r5", "0", "B", "new")]
    # today is 2025-05-06: this quarter is 2025-Q2, the last one 2025-Q1
    assert '<option value="this-quarter">This quarter (2025-Q2)</option>' in html
    assert '<option value="last-quarter">Last quarter (2025-Q1)</option>' in html
    status, html = _get(site, "manager", "/team", period="last-quarter")
    assert _board(html)[0][1] == "r6"
    assert '<option value="last-quarter" selected>' in html


def test_a_sibling_manager_sees_only_their_own_team_in_chinese(site: Server) -> None:
    status, html = _get(site, "sibling_manager", "/team")
    assert status == 200
    assert _reps_named(html) == {"r1", "r2", "r3"}
    assert "排行榜" in html
    assert [row[1] for row in _board(html)] == ["r1", "r2", "r3"]


def test_executives_and_admins_start_at_the_top_team_and_see_everyone(site: Server) -> None:
    for role in ("executive", "admin"):
        status, html = _get(site, role, "/team")
        assert status == 200
        assert _reps_named(html) == {"r1", "r2", "r3", "r4", "r5", "r6"}
        assert [row[1] for row in _board(html)] == ["r1", "r4", "r2", "r3", "r5", "r6"]


def test_a_team_out_of_reach_is_not_found_and_a_rep_has_no_team_page(site: Server) -> None:
    status, html = _get(site, "manager", "/team", team="T1")
    assert status == 404
    assert not _reps_named(html)
    for role in ("rep", "other_rep"):
        status, html = _get(site, role, "/team")
        assert status == 404
        assert not _reps_named(html)
    site.client.cookies.clear()
    answer = site.client.get("/team", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_the_last_filters_return_until_reset(site: Server) -> None:
    _signed_in(site, "manager")
    client = site.client
    assert client.get("/team", params={"period": "2025-Q1"}).status_code == 200
    back = client.get("/team", follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/team?period=2025-Q1"
    reset = client.get("/team", params={"reset": "1"}, follow_redirects=False)
    assert reset.status_code == 200
    assert _board(reset.text)[0][1] == "r4"  # the latest period again
    assert client.get("/team", follow_redirects=False).status_code == 200


def test_a_manager_opens_a_reps_scorecard_within_reach_only(site: Server) -> None:
    status, html = _get(site, "manager", "/reps/r4", period="2025-Q2")
    assert status == 200
    assert 'id="score">37.5<' in html
    status, html = _get(site, "manager", "/reps/r1")
    assert status == 404 and "70" not in re.sub(r"<[^>]+>", " ", html).split()
    status, _ = _get(site, "rep", "/reps/r4")
    assert status == 303  # a rep is sent to their own home


def test_the_theme_and_the_language_are_the_users_choice(site: Server) -> None:
    _signed_in(site, "other_rep")
    client = site.client
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert csrf
    answer = client.post("/preferences", data={"csrf_token": csrf.group(1), "theme": "dark",
                                               "lang": "zh_CN", "next": "/?period=2025-Q2"},
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/?period=2025-Q2"
    page = client.get("/?period=2025-Q2").text
    assert 'data-theme="dark"' in page and 'lang="zh-CN"' in page and "我的评分卡" in page
    # the language is kept in the account: a new sign-in speaks it
    site.client.cookies.clear()
    sign_in(client, USERS["other_rep"][0])
    assert 'lang="zh-CN"' in client.get("/").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert csrf
    # without the CSRF token nothing changes
    client.post("/preferences", data={"theme": "light", "lang": "en"})
    assert 'lang="zh-CN"' in client.get("/").text
    client.post("/preferences", data={"csrf_token": csrf.group(1), "theme": "system",
                                      "lang": "en"})
    page = client.get("/").text
    assert 'data-theme="system"' in page and 'lang="en"' in page
