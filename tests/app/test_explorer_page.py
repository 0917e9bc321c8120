"""The KPI explorer (``GET /explore``, ``/explore.csv``, ``/explore.xlsx``) for each role of
the tiny organisation, on each backend: exactly the subjects the role's scope reaches, in the
HTML, the chart's data, the CSV and the workbook.

Worked out by hand from ``tests/tiny_org.py`` (revenue won in 2025-Q1, Shanghai time, CNY; the
USD deal o6 at 7.0):

* by rep: r1 400 (o1 100 + o2 300), r2 7000 (o6 1000 USD), r3 0, r4 150 (o9), r5 0,
  r6 500 (o12);
* by team (each with its subtree): REG 8050, T1 7400, T2 650, T2X 500; a rep's session sees
  only r1's rows, so T1 is 400 for them; a manager of T2 sees T2 and T2X;
* by month for T2: 0, 150, 500; for T2X: 0, 0, 500;
* by product (o12's product renamed ``+cmd`` here): A 7250 (o1, o6, o9), B 300 (o2),
  ``+cmd`` 500.

Rep r5 is renamed ``=HYPERLINK("http://evil.example")`` so that the downloads show that a text
cell never runs as a formula; the user KPI ``big_deals_won`` (won deals of 300 or more) lives in
``<home>/kpis``: 2025-Q1 has o2 (r1), o6 (r2) and o12 (r6).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from tests.app.conftest import USERS, Server, served, sign_in

from salescore.app import AppSettings
from salescore.app.deps import SESSION_COOKIE
from salescore.workspace import Workspace

EVIL = '=HYPERLINK("http://evil.example")'
BIG = """\
measures:
  - name: big_deals_won
    source: opportunities
    agg: count
    filters: [{column: status, values: won}, {column: amount, op: ge, values: 300}]
    time: closed_at
kpis:
  - name: big_deals_won
    type: simple
    measure: big_deals_won
    group: custom
    direction: higher
    unit: count
    label: {en: Big deals won, zh: 大单赢单数}
    description: {en: Won deals of 300 or more., zh: 金额不低于 300 的赢单数。}
"""

REVENUE_BY_REP = {"r1": 400.0, "r2": 7000.0, "r3": 0.0, "r4": 150.0, "r5": 0.0, "r6": 500.0}
REVENUE_BY_TEAM = {"REG": 8050.0, "T1": 7400.0, "T2": 650.0, "T2X": 500.0}
ROLES = ("rep", "manager", "executive", "admin")
REPS_SEEN = {"rep": {"r1"}, "manager": {"r4", "r5", "r6"},
             "executive": set(REVENUE_BY_REP), "admin": set(REVENUE_BY_REP)}


def prepare(home: Path) -> None:
    with Workspace.open(home) as ws:
        ws._warehouse.execute_sql(
            "UPDATE reps SET name = '" + EVIL.replace("'", "''") + "' WHERE rep_id = 'r5'")
        ws._warehouse.execute_sql(
            "UPDATE opportunities SET product = '+cmd' WHERE opportunity_id = 'o12'")
    (home / "kpis").mkdir(exist_ok=True)
    (home / "kpis" / "big.yaml").write_text(BIG, encoding="utf-8")


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"explore-{backend}")
    with served(backend, folder, AppSettings(cache_seconds=0), prepare) as app:
        yield app


_SESSIONS: dict[tuple[str, str], str] = {}


def get(site: Server, role: str, path: str, **params: str) -> tuple[int, str, bytes, str]:
    """``path`` as ``role`` signed in through the form (once per role and site): the status,
    the text, the bytes and the content type."""
    client = site.client
    key = (str(site.home), role)
    client.cookies.clear()
    if role != "anonymous":
        if key not in _SESSIONS:
            sign_in(client, USERS[role][0])
            _SESSIONS[key] = client.cookies[SESSION_COOKIE]
        client.cookies.set(SESSION_COOKIE, _SESSIONS[key])
    answer = client.get(path, params=params, follow_redirects=False)
    return answer.status_code, answer.text, answer.content, answer.headers.get(
        "content-type", "")


def page(site: Server, role: str, **params: str) -> str:
    status, text, _, _ = get(site, role, "/explore", **params)
    assert status == 200, text
    return text


_ROW = re.compile(r'<tr data-subject="([^"]*)" data-period="([^"]+)">\s*<th scope="row">'
                  r'([^<]*)</th>\s*<td>[^<]*</td>(.*?)</tr>', re.S)
_CELL = re.compile(r'<td class="num">(?:<a href="([^"]+)">)?([^<]*)')


def table(html: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(subject, period) → (shown value, drill link) of the page's table."""
    out = {}
    for subject, period, _name, cells in _ROW.findall(html):
        href, text = _CELL.findall(cells)[0]
        out[(subject, period)] = (text, href.replace("&amp;", "&"))
    return out


def chart(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="explore-data">(.*?)</script>',
                      html, re.S)
    assert found
    data: dict[str, object] = json.loads(found.group(1))
    return data


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(data: bytes) -> list[list[object]]:
    rows: list[list[object]] = CalamineWorkbook.from_filelike(io.BytesIO(data)) \
        .get_sheet_by_name("explore").to_python()
    return rows


def money(value: float) -> str:
    return f"CN¥{value:,.2f}"


@pytest.mark.parametrize("role", ROLES)
def test_by_rep_each_role_sees_exactly_its_reps(site: Server, role: str) -> None:
    html = page(site, role, kpi="revenue_won", by="rep", period="2025-Q1")
    seen = REPS_SEEN[role]
    assert table(html).keys() == {(r, "2025-Q1") for r in seen}
    assert {s: v for (s, _), (v, _) in table(html).items()} == \
        {r: money(REVENUE_BY_REP[r]) for r in seen}
    data = chart(html)
    assert data["type"] == "bar"
    series = data["series"]
    assert isinstance(series, list) and len(series) == 1
    assert dict(zip(data["categories"], series[0]["data"], strict=True)) == {  # type: ignore[call-overload]
        (f"R{r[1]} ({r})" if r != "r5" else f"{EVIL} ({r})"): REVENUE_BY_REP[r] for r in seen}
    for other in set(REVENUE_BY_REP) - seen:  # nobody outside the scope, anywhere on the page
        assert f"({other})" not in html and f"subject={other}" not in html
    assert "Period" in html and "2025-Q1 (Jan 1, 2025 – Mar 31, 2025)" in html
    assert '<dd id="as-of">' in html and "(Asia/Shanghai)" in html
    assert 'aria-label="Bar chart of Revenue won by Rep, 2025-Q1; the table below lists the ' \
        'same figures"' in html
    assert "style=" not in html  # the CSP allows no inline style


@pytest.mark.parametrize(("role", "expected"), [
    ("rep", {"T1": 400.0}),
    ("manager", {"T2": 650.0, "T2X": 500.0}),
    ("executive", REVENUE_BY_TEAM),
    ("admin", REVENUE_BY_TEAM),
])
def test_by_team_each_role_sees_its_subtree(site: Server, role: str,
                                            expected: dict[str, float]) -> None:
    html = page(site, role, kpi="revenue_won", by="team", period="2025-Q1")
    assert {s: v for (s, _), (v, _) in table(html).items()} == \
        {t: money(v) for t, v in expected.items()}


@pytest.mark.parametrize(("role", "expected"), [
    ("rep", 400.0), ("manager", 650.0), ("executive", 8050.0), ("admin", 8050.0)])
def test_the_company_is_what_the_role_sees_of_it(site: Server, role: str,
                                                 expected: float) -> None:
    html = page(site, role, kpi="revenue_won", by="company", period="2025-Q1")
    assert table(html) == {("", "2025-Q1"): (money(expected), table(html)[("", "2025-Q1")][1])}
    assert "subject=company" in table(html)[("", "2025-Q1")][1]


def test_over_time_is_a_line_per_subject(site: Server) -> None:
    html = page(site, "manager", kpi="revenue_won", by="team", period="2025-Q1", grain="month")
    assert {k: v for k, (v, _) in table(html).items()} == {
        ("T2", "2025-01"): money(0), ("T2", "2025-02"): money(150), ("T2", "2025-03"): money(500),
        ("T2X", "2025-01"): money(0), ("T2X", "2025-02"): money(0),
        ("T2X", "2025-03"): money(500)}
    assert chart(html) == {"type": "line", "categories": ["2025-01", "2025-02", "2025-03"],
                           "series": [
        {"name": "Team two (T2)", "data": [0.0, 150.0, 500.0],
         "texts": [money(0), money(150), money(500)]},
        {"name": "Team two-x (T2X)", "data": [0.0, 0.0, 500.0],
         "texts": [money(0), money(0), money(500)]}]}
    # Each value drills into its own month, the explorer's choices kept as filters.
    _, href = table(html)[("T2", "2025-02")]
    assert href == ("/drill?kpi=revenue_won&by=team&subject=T2&period=2025-02&grain=month"
                    "&view_period=2025-Q1")
    assert "Line chart of Revenue won by Team per Month, 2025-Q1" in html


@pytest.mark.parametrize(("role", "expected"), [
    ("manager", {"A": 150.0, "+cmd": 500.0}),
    ("executive", {"A": 7250.0, "B": 300.0, "+cmd": 500.0}),
    ("rep", {"A": 100.0, "B": 300.0}),
])
def test_a_breakdown_splits_what_the_role_sees(site: Server, role: str,
                                               expected: dict[str, float]) -> None:
    html = page(site, role, kpi="revenue_won", by="rep", period="2025-Q1",
                breakdown="product")
    assert {s: v for (s, _), (v, _) in table(html).items()} == \
        {p: money(v) for p, v in expected.items()}
    _, href = table(html)[("A", "2025-Q1")]
    assert href == ("/drill?kpi=revenue_won&by=product&subject=A&period=2025-Q1"
                    "&breakdown=product&view_by=rep")


@pytest.mark.parametrize("role", ROLES)
def test_the_downloads_hold_exactly_the_table(site: Server, role: str) -> None:
    params = {"kpi": "revenue_won", "by": "rep", "period": "2025-Q1"}
    seen = REPS_SEEN[role]
    status, _, data, kind = get(site, role, "/explore.csv", **params)
    assert status == 200 and kind.startswith("text/csv")
    rows = csv_rows(data)
    assert rows[0] == ["Rep", "Name", "Period", "Revenue won"]
    assert {r[0]: float(r[3]) for r in rows[1:]} == {r: REVENUE_BY_REP[r] for r in seen}
    assert [r[0] for r in rows[1:]] == [s for s, _ in table(page(site, role, **params))]
    status, _, data, kind = get(site, role, "/explore.xlsx", **params)
    assert status == 200 and kind.startswith("application/vnd.openxmlformats")
    sheet = xlsx_rows(data)
    assert sheet[0] == ["Rep", "Name", "Period", "Revenue won"]
    assert {r[0]: r[3] for r in sheet[1:]} == {r: REVENUE_BY_REP[r] for r in seen}


def test_a_text_cell_never_runs_as_a_formula(site: Server) -> None:
    params = {"kpi": "revenue_won", "by": "rep", "period": "2025-Q1"}
    rows = {r[0]: r for r in csv_rows(get(site, "manager", "/explore.csv", **params)[2])[1:]}
    assert rows["r5"][1] == "'" + EVIL + " (r5)"
    data = get(site, "manager", "/explore.xlsx", **params)[2]
    names = {r[0]: r[1] for r in xlsx_rows(data)[1:]}
    assert names["r5"] == EVIL + " (r5)"  # kept as it is, as text
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula cell at all
    by_product = csv_rows(get(site, "manager", "/explore.csv", breakdown="product", **params)[2])
    assert {r[0] for r in by_product[1:]} == {"A", "'+cmd"}


@pytest.mark.parametrize(("role", "expected"), [
    ("rep", {"r1": "1"}), ("manager", {"r4": "0", "r5": "0", "r6": "1"}),
    ("executive", {"r1": "1", "r2": "1", "r3": "0", "r4": "0", "r5": "0", "r6": "1"})])
def test_a_users_own_kpi_is_in_the_catalogue(site: Server, role: str,
                                             expected: dict[str, str]) -> None:
    html = page(site, role, kpi="big_deals_won", by="rep", period="2025-Q1")
    assert '<option value="big_deals_won" selected>Big deals won</option>' in html
    assert {s: v for (s, _), (v, _) in table(html).items()} == expected


def test_in_chinese(site: Server) -> None:
    html = page(site, "sibling_manager", kpi="revenue_won", by="rep", period="2025-Q1")
    assert 'lang="zh-CN"' in html
    for words in ("指标分析", "统计对象", "数据截至", "下载 CSV", "赢单金额",
                  "赢单金额（按销售，2025-Q1）的条形图"):
        assert words in html
    assert {s: v for (s, _), (v, _) in table(html).items()} == {
        "r1": "¥400.00", "r2": "¥7,000.00", "r3": "¥0.00"}
    assert "缺少 EUR 到 CNY 的汇率" not in html  # T1's deals hold no EUR amount
    rows = csv_rows(get(site, "sibling_manager", "/explore.csv", kpi="revenue_won", by="rep",
                        period="2025-Q1")[2])
    assert rows[0] == ["销售", "名称", "期间", "赢单金额"]


@pytest.mark.parametrize(("params", "words"), [
    ({"kpi": "revenue_wn"}, "unknown KPI 'revenue_wn'; did you mean revenue_won"),
    ({"period": "2025-Q9"}, "2025-Q9"),
    ({"by": "galaxy"}, "by must be one of rep, team, company"),
    ({"breakdown": "colour"}, "unknown breakdown 'colour'"),
    ({"grain": "fortnight"}, "unknown grain 'fortnight'"),
])
def test_a_bad_choice_is_told_on_the_page(site: Server, params: dict[str, str],
                                          words: str) -> None:
    query = {"kpi": "revenue_won", "by": "rep", "period": "2025-Q1", **params}
    status, html, _, _ = get(site, "manager", "/explore", **query)
    assert status == 422
    assert words in unescape(html) and 'role="alert"' in html
    assert '<form class="explore-form"' in html  # to be put right
    assert get(site, "manager", "/explore.csv", **query)[0] == 422


def test_the_default_is_this_quarter_of_revenue(site: Server) -> None:
    html = page(site, "admin")
    assert '<option value="revenue_won" selected>' in html
    assert re.search(r'id="period" name="period" type="text" list="period-choices" '
                     r'value="\d{4}-Q[1-4]"', html)


@pytest.mark.parametrize("path", ["/explore", "/explore.csv", "/explore.xlsx"])
def test_signed_out_goes_to_log_in_and_back(site: Server, path: str) -> None:
    status, _, _, _ = get(site, "anonymous", path, kpi="revenue_won", period="2025-Q1")
    assert status == 303
    site.client.cookies.clear()
    answer = site.client.get(path, params={"kpi": "revenue_won"}, follow_redirects=False)
    back = path + "%3Fkpi%3Drevenue_won"
    assert answer.headers["location"] == f"/login?next={back}"
