"""Issue 16 on the pages: a money figure over amounts that cannot be converted is never shown
as 0. The tiny organisation without its exchange rates: rep r2's only won deal in 2025-Q1 is
o6, 1000 USD, so r2's revenue is unknown (the scorecard line says "no data", the explorer says
why), while r1's CNY deals (100 + 300) still count.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from tests.app.conftest import PASSWORD, Server, served, sign_in

from salescore.app import AppSettings
from salescore.workspace import Workspace


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    def prepare(home: Path) -> None:
        with Workspace.open(home) as ws:
            ws._warehouse.execute_sql("DELETE FROM fx_rates")
            ws.owner().score("2025-Q1")
            cli = ws.accounts.owner()
            for username, locale in (("rob", "en"), ("lei", "zh_CN")):
                ws.accounts.add_user(cli, username=username, password=PASSWORD, role="rep",
                                     rep_id="r2", locale=locale)

    folder = tmp_path_factory.mktemp("unknown")
    with served("duckdb", folder, AppSettings(cache_seconds=0), prepare) as app:
        yield app


def _get(site: Server, username: str, path: str, **params: str) -> str:
    site.client.cookies.clear()
    sign_in(site.client, username)
    answer = site.client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return unescape(answer.text)


@pytest.mark.parametrize(("username", "words"), [("rob", "no data"), ("lei", "无数据")])
def test_the_scorecard_line_says_no_data(site: Server, username: str, words: str) -> None:
    html = _get(site, username, "/", period="2025-Q1")
    line = html.split('data-kpi="revenue_won"', 1)[1].split("</li>", 1)[0]
    assert f'<dd class="value">{words}</dd>' in line
    assert "0.00" not in line.split('class="target"')[0]


@pytest.mark.parametrize(("username", "words"), [
    ("rob", "cannot be converted to CNY: USD (1 rows)"), ("lei", "USD（1 行）")])
def test_the_explorer_says_why_the_revenue_is_unknown(site: Server, username: str,
                                                      words: str) -> None:
    html = _get(site, username, "/explore", kpi="revenue_won", by="rep", period="2025-Q1")
    parts = html.split('<p class="notice" role="note">')[1:]
    notices = [part.split("</p>", 1)[0] for part in parts]
    assert any(words in n for n in notices), notices
