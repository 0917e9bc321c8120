"""Home / My scorecard (``GET /``) for a rep of the tiny organisation, with plan ``tiny``
scored for 2025-Q1 and 2025-Q2, on each backend.

Worked out by hand from ``tests/tiny_org.py`` (targets: revenue 1000, deals 2; linear points,
weights one half each):

* r1, 2025-Q1: o1 100 + o2 300 won → revenue 400 (40 %), 2 deals (100 %) → score 70, rating B.
* r1, 2025-Q2: o5 400 won (2025-04-01 01:00 in Shanghai) → 400 (40 %), 1 deal (50 %) → 45;
  the change against 2025-Q1 is −25.
* r4, 2025-Q2: o8 250 won → 250 (25 %), 1 deal (50 %) → 37.5.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.app.conftest import PASSWORD, PLAN, USERS, Server, served, sign_in
from tests.tiny_org import KPIS, L

from salescore.app import AppSettings, create_app
from salescore.core.scope import Scope
from salescore.workspace import Workspace


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    def prepare(home: Path) -> None:
        with Workspace.open(home) as ws:
            ws.owner().score("2025-Q2")
            ws.accounts.add_user(ws.accounts.owner(), username="lin", password=PASSWORD,
                                 role="rep", rep_id="r1", locale="zh_CN")

    folder = tmp_path_factory.mktemp(f"home-{backend}")
    with served(backend, folder, AppSettings(cache_seconds=0), prepare) as app:
        yield app


def _page(server: Server, role: str, **params: str) -> str:
    """``/`` as ``role`` (a key of ``USERS``, or a username) signed in through the form."""
    client = server.client
    client.cookies.clear()
    sign_in(client, USERS[role][0] if role in USERS else role)
    answer = client.get("/", params=params)
    assert answer.status_code == 200, answer.text
    return answer.text


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, f"no #{element_id} on the page"
    return found.group(1)


def _lines(html: str) -> dict[str, dict[str, str]]:
    out = {}
    for kpi, body in re.findall(r'<li class="line" data-kpi="([^"]+)">(.*?)</li>', html, re.S):
        cells = dict(re.findall(r'<dd class="(value|target|gap|attainment)[^"]*">([^<]*)</dd>',
                                body))
        bar = re.search(r'<progress max="1" value="([^"]+)"', body)
        assert bar
        out[kpi] = {**cells, "bar": bar.group(1)}
    return out


def _trend(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="trend-data">(.*?)</script>', html,
                      re.S)
    assert found
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_a_rep_sees_their_latest_period(site: Server) -> None:
    html = _page(site, "rep")
    assert '<option value="2025-Q2" selected>' in html
    assert _text(html, "score") == "45"
    assert _text(html, "rating") == "B"
    assert _text(html, "change") == "-25"
    assert "against 2025-Q1" in html
    assert _lines(html) == {
        "revenue_won": {"value": "CN¥400.00", "target": "CN¥1,000.00", "gap": "-CN¥600.00",
                        "attainment": "40%", "bar": "0.4"},
        "deals_won": {"value": "1", "target": "2", "gap": "-1", "attainment": "50%",
                      "bar": "0.5"},
    }
    assert _trend(html) == {"name": "Score", "periods": ["2025-Q1", "2025-Q2"],
                            "scores": [70.0, 45.0]}
    assert '<script src="/static/vendor/echarts/echarts.min.js" defer></script>' in html
    assert 'style=' not in html  # the CSP allows no inline style


def test_the_period_picker_is_kept_in_the_url(site: Server) -> None:
    html = _page(site, "rep", period="2025-Q1")
    assert '<option value="2025-Q1" selected>' in html
    assert _text(html, "score") == "70"
    assert _text(html, "change") == "—"  # no earlier period
    assert _lines(html)["deals_won"] == {"value": "2", "target": "2", "gap": "0",
                                         "attainment": "100%", "bar": "1.0"}
    assert _trend(html)["periods"] == ["2025-Q1"]
    # A period with no stored score falls back to the latest.
    assert _text(_page(site, "rep", period="2024-Q4"), "score") == "45"


def test_the_page_says_what_the_session_gives(site: Server) -> None:
    with Workspace.open(site.home) as ws:
        history = ws.session(Scope.rep("r1", read_only=True)).rep_score_history("r1")
    assert _trend(_page(site, "rep"))["scores"] == [s.score for s in history]
    assert _trend(_page(site, "rep"))["periods"] == [s.period for s in history]


def test_in_chinese_words_and_numbers_follow_the_locale(site: Server) -> None:
    html = _page(site, "lin")
    assert 'lang="zh-CN"' in html
    for words in ("我的评分卡", "评分", "评级", "达成率", "评分趋势", "对比 2025-Q1"):
        assert words in html
    assert _lines(html)["revenue_won"]["value"] == "¥400.00"
    assert _trend(html)["name"] == "评分"


@pytest.mark.parametrize("asked", [{"rep": "r4"}, {"rep_id": "r4"}, {"subject": "r4"}])
def test_a_rep_never_sees_another_reps_scorecard(site: Server, asked: dict[str, str]) -> None:
    other = _page(site, "other_rep")
    assert _text(other, "score") == "37.5"
    html = _page(site, "rep", **asked, period="2025-Q2")
    assert _text(html, "score") == "45"
    assert "37.5" not in html and "CN¥250.00" not in html


def test_an_admin_keeps_the_start_page(site: Server) -> None:
    html = _page(site, "admin")
    assert "Signed in as" in html and 'id="trend-data"' not in html


@pytest.mark.parametrize(("role", "start"), [("manager", "/team"), ("executive", "/company")])
def test_managers_and_executives_start_on_their_dashboard(site: Server, role: str,
                                                          start: str) -> None:
    client = site.client
    client.cookies.clear()
    sign_in(client, USERS[role][0])
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == start


def test_signed_out_goes_to_log_in(site: Server) -> None:
    site.client.cookies.clear()
    answer = site.client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/"


@pytest.fixture(scope="module")
def unscored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A rep in an organisation whose plan is adopted but no period scored (DuckDB)."""
    home: Path = tmp_path_factory.mktemp("home-unscored") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(home, KPIS.settings) as ws:
            KPIS.load(ws._warehouse)
            ws.owner().adopt_plan(text=PLAN, effective_from=L(2025, 1, 1).date(), actor="test")
            cli = ws.accounts.owner()
            for username, locale in (("rita", "en"), ("lin", "zh_CN")):
                ws.accounts.add_user(cli, username=username, password=PASSWORD, role="rep",
                                     rep_id="r1", locale=locale)
        with TestClient(create_app(home, settings=AppSettings())) as client:
            yield client


@pytest.mark.parametrize(("username", "words"), [
    ("rita", "No score yet"), ("lin", "暂无评分")])
def test_a_rep_with_no_score_yet_is_told_so(unscored: TestClient, username: str,
                                             words: str) -> None:
    unscored.cookies.clear()
    sign_in(unscored, username)
    answer = unscored.get("/")
    assert answer.status_code == 200
    assert words in answer.text
    assert 'id="trend-data"' not in answer.text and 'id="score"' not in answer.text
