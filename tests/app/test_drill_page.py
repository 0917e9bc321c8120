"""The drill-down (``GET /drill``) for each role of the tiny organisation, on each backend:
the records behind a figure, only those the role's scope reaches, adding up to the figure the
explorer shows.

Worked out by hand from ``tests/tiny_org.py`` (2025-Q1, Shanghai time, CNY; o6 is 1000 USD at
7.0): won deals o1 (r1, 100), o2 (r1, 300), o6 (r2, 7000), o9 (r4, 150, won 2025-02-01 00:30
local), o12 (r6, 500); o3 (r1) was lost on 2025-03-05. So r1's revenue is 400 from o1 and o2,
T2's 650 from o9 and o12, the company's 8050 from all five; r1's win rate is 2 / 3, T2's 2 / 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from tests.app.conftest import USERS, Server, served, shown, sign_in

from salescore.app import AppSettings, drill
from salescore.app.deps import SESSION_COOKIE

_SESSIONS: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"drill-{backend}")
    with served(backend, folder, AppSettings(cache_seconds=0)) as app:
        yield app


def get(site: Server, role: str, path: str, **params: str) -> tuple[int, str]:
    """``path`` as ``role`` (signed in through the form once per role): status and text."""
    client = site.client
    key = (str(site.home), role)
    client.cookies.clear()
    if role != "anonymous":
        if key not in _SESSIONS:
            sign_in(client, USERS[role][0])
            _SESSIONS[key] = client.cookies[SESSION_COOKIE]
        client.cookies.set(SESSION_COOKIE, _SESSIONS[key])
    answer = client.get(path, params=params, follow_redirects=False)
    return answer.status_code, answer.text


def drilled(site: Server, role: str, **params: str) -> str:
    status, html = get(site, role, "/drill", **params)
    assert status == 200, html
    return html


def _one(html: str, pattern: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found, pattern
    return unescape(found.group(1))


def parts(html: str) -> list[dict[str, object]]:
    """Each part: its value, the total of its rows, whether they add up, the first column
    of its rows on this page, and its pager."""
    out = []
    for body in re.findall(r'<section class="part" id="part-\d+".*?</section>', html, re.S):
        rows = re.findall(r"<tbody>(.*?)</tbody>", body, re.S)
        out.append({
            "value": _one(body, r'<dd class="part-value">([^<]*)'),
            "total": _one(body, r'<dd class="rows-total">([^<]*)'),
            "adds_up": 'class="adds-up good"' in body,
            "rows": re.findall(r"<tr><td[^>]*>([^<]*)</td>", rows[0]) if rows else [],
            "caption": _one(body, r"<caption>([^<]*)") if rows else "",
            "links": [unescape(h) for h in re.findall(r'<a href="([^"]+)"', body)],
        })
    return out


def explorer_cell(site: Server, role: str, kpi: str, by: str, subject: str) -> str:
    """The value the explorer's table shows for ``subject``, and check it links here."""
    _, html = get(site, role, "/explore", kpi=kpi, by=by, period="2025-Q1")
    key = "" if by == "company" else subject
    found = re.search(rf'<tr data-subject="{key}" data-period="2025-Q1">.*?'
                      rf'<td class="num"><a href="([^"]+)">([^<]*)</a>', html, re.S)
    assert found, f"{subject} is not in the explorer's table"
    assert unescape(found.group(1)) == (f"/drill?kpi={kpi}&by={by}&subject={subject}"
                                        "&period=2025-Q1")
    return found.group(2)


@pytest.mark.parametrize(("role", "by", "subject", "value", "records"), [
    ("rep", "rep", "r1", "CN¥400.00", ["o1", "o2"]),
    ("rep", "company", "company", "CN¥400.00", ["o1", "o2"]),  # the company as r1 sees it
    ("manager", "team", "T2", "CN¥650.00", ["o9", "o12"]),
    ("manager", "company", "company", "CN¥650.00", ["o9", "o12"]),
    ("executive", "company", "company", "CN¥8,050.00", ["o6", "o9", "o1", "o12", "o2"]),
    ("admin", "rep", "r2", "CN¥7,000.00", ["o6"]),
])
def test_a_sum_adds_up_to_the_figure(site: Server, role: str, by: str, subject: str,
                                     value: str, records: list[str]) -> None:
    html = drilled(site, role, kpi="revenue_won", by=by, subject=subject, period="2025-Q1")
    assert _one(html, r'id="figure">([^<]*)') == value
    assert explorer_cell(site, role, "revenue_won", by, subject) == value
    (part,) = parts(html)
    assert part == {"value": value, "total": value, "adds_up": True, "rows": records,
                    "caption": f"Rows 1–{len(records)} of {len(records)}", "links": []}
    assert f"Total of its rows ({len(records)})" in html
    assert _one(html, r'<code id="arithmetic">([^<]*)') == f"revenue_won = {value}"
    assert "2025-Q1 (Jan 1, 2025 – Mar 31, 2025)" in html and 'id="as-of"' in html


@pytest.mark.parametrize(("role", "by", "subject", "value", "records"), [
    ("rep", "rep", "r1", "2", ["o1", "o2"]),
    ("manager", "rep", "r6", "1", ["o12"]),
    ("manager", "team", "T2", "2", ["o9", "o12"]),
    ("executive", "team", "REG", "5", ["o6", "o9", "o1", "o12", "o2"]),
    ("admin", "company", "company", "5", ["o6", "o9", "o1", "o12", "o2"]),
])
def test_a_count_adds_up_to_the_figure(site: Server, role: str, by: str, subject: str,
                                       value: str, records: list[str]) -> None:
    html = drilled(site, role, kpi="deals_won", by=by, subject=subject, period="2025-Q1")
    assert _one(html, r'id="figure">([^<]*)') == value
    assert explorer_cell(site, role, "deals_won", by, subject) == value
    (part,) = parts(html)
    assert (part["value"], part["total"], part["adds_up"], part["rows"]) == \
        (value, value, True, records)


def test_a_ratio_shows_its_formula_with_the_numbers_in(site: Server) -> None:
    html = drilled(site, "rep", kpi="win_rate", by="rep", subject="r1", period="2025-Q1")
    assert _one(html, r'id="figure">([^<]*)') == "66.7%"
    assert _one(html, r'<code id="arithmetic">([^<]*)') == \
        "deals_won / deals_closed = 2 / 3 = 66.7%"
    won, closed = parts(html)
    assert (won["value"], won["total"], won["rows"]) == ("2", "2", ["o1", "o2"])
    assert (closed["value"], closed["total"], closed["rows"]) == ("3", "3", ["o1", "o3", "o2"])
    assert "Deals won" in html  # a part named after a KPI reads its label


def test_a_conversion_and_a_retention_add_up_by_distinct_items(site: Server) -> None:
    # r1's opportunities entering "lead" in 2025-Q1: o1, o2, o3, o4; all but o3 went on.
    html = drilled(site, "rep", kpi="stage_conversion", by="rep", subject="r1",
                   period="2025-Q1", stage="lead")
    assert _one(html, r'id="figure">([^<]*)') == "75%"
    entered, went_on = parts(html)
    assert (entered["value"], entered["total"], entered["adds_up"]) == ("4", "4", True)
    assert (went_on["value"], went_on["total"], went_on["adds_up"]) == ("3", "3", True)
    assert went_on["rows"] == ["o1", "o2", "o4"]
    # r1's buying customers: c1 and c2 before 2025-Q1 (d1, d2), c1 again in it (d3, d5).
    html = drilled(site, "rep", kpi="customer_retention_rate", by="rep", subject="r1",
                   period="2025-Q1")
    assert _one(html, r'id="figure">([^<]*)') == "50%"
    previous, kept = parts(html)
    assert (previous["value"], previous["total"], kept["value"], kept["total"]) == \
        ("2", "2", "1", "1")
    assert _one(html, r'<code id="arithmetic">([^<]*)') == (
        "buying_customers (kept) / buying_customers (previous period) = 1 / 2 = 50%")


@pytest.mark.parametrize(("role", "by", "subject"), [
    ("rep", "rep", "r2"), ("rep", "team", "T2"), ("rep", "rep", "r99"),
    ("manager", "rep", "r1"), ("manager", "team", "T1"), ("manager", "team", "REG"),
])
def test_a_subject_outside_the_scope_is_404(site: Server, role: str, by: str,
                                            subject: str) -> None:
    status, html = get(site, role, "/drill", kpi="revenue_won", by=by, subject=subject,
                       period="2025-Q1")
    assert status == 404
    assert 'role="alert"' in html and "o6" not in shown(html) and "7,000" not in html


@pytest.mark.parametrize("role", ["executive", "admin"])
def test_everyone_is_in_reach_of_the_whole_organisation(site: Server, role: str) -> None:
    for by, subject in (("rep", "r1"), ("rep", "r6"), ("team", "T1"), ("team", "T2X")):
        assert get(site, role, "/drill", kpi="revenue_won", by=by, subject=subject,
                   period="2025-Q1")[0] == 200


def test_rows_are_paged_on_the_server_keeping_the_filters(site: Server,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setattr(drill, "PAGE_SIZE", 2)
    query = {"kpi": "revenue_won", "by": "company", "subject": "company", "period": "2025-Q1",
             "grain": "month", "view_period": "2025", "colour": "blue"}
    first = parts(drilled(site, "admin", **query))[0]
    assert first["rows"] == ["o6", "o9"] and first["caption"] == "Rows 1–2 of 5"
    assert first["total"] == first["value"] == "CN¥8,050.00"  # all rows, not the page
    next_page = ("/drill?kpi=revenue_won&by=company&subject=company&period=2025-Q1&part=1"
                 "&page=2&grain=month&view_period=2025&colour=blue#part-1")
    assert first["links"] == [next_page]
    html = drilled(site, "admin", **query, part="1", page="2")
    second = parts(html)[0]
    assert second["rows"] == ["o1", "o12"] and second["caption"] == "Rows 3–4 of 5"
    assert "This page: CN¥600.00" in html  # o1 100 + o12 500
    assert "Page 2 of 3" in html
    assert [link.split("page=")[1][0] for link in second["links"]] == ["1", "3"]
    last = parts(drilled(site, "admin", **query, part="1", page="99"))[0]
    assert last["rows"] == ["o2"] and last["caption"] == "Rows 5–5 of 5"
    # The active filters are shown and lead back to the explorer's view.
    for words in ("Active filters", "Grain: Month", "Explorer period: 2025", "colour: blue"):
        assert words in html
    assert _one(html, r'<a href="([^"]+)" id="back">') == \
        "/explore?kpi=revenue_won&by=company&period=2025&grain=month"


def test_a_breakdown_value_drills_within_the_scope(site: Server) -> None:
    html = drilled(site, "manager", kpi="revenue_won", by="product", subject="A",
                   period="2025-Q1", breakdown="product", view_by="rep")
    (part,) = parts(html)
    # Product A's won deals in 2025-Q1: o1, o6 (T1's, out of reach), o9 and o12.
    assert (part["value"], part["rows"]) == ("CN¥650.00", ["o9", "o12"])
    assert _one(html, r'<a href="([^"]+)" id="back">') == \
        "/explore?kpi=revenue_won&by=rep&period=2025-Q1&breakdown=product"


def test_in_chinese(site: Server) -> None:
    html = drilled(site, "sibling_manager", kpi="revenue_won", by="rep", subject="r1",
                   period="2025-Q1")
    assert 'lang="zh-CN"' in html
    for words in ("明细追溯", "赢单金额", "计算过程", "该输入的值", "各行合计（2 行）",
                  "是：各行合计等于该值", "数据截至", "返回指标分析"):
        assert words in html
    assert parts(html)[0]["value"] == "¥400.00"
    assert "2025年2月10日" in html  # o1's local day, as Chinese write dates


@pytest.mark.parametrize(("params", "status"), [
    ({"period": "2025-Q9"}, 422), ({"kpi": "no_such_kpi"}, 422), ({"by": "galaxy"}, 422)])
def test_a_bad_request_is_told(site: Server, params: dict[str, str], status: int) -> None:
    query = {"kpi": "revenue_won", "by": "rep", "subject": "r4", "period": "2025-Q1", **params}
    answer, html = get(site, "manager", "/drill", **query)
    assert answer == status and 'role="alert"' in html


def test_signed_out_goes_to_log_in(site: Server) -> None:
    status, _ = get(site, "anonymous", "/drill", kpi="revenue_won", subject="r1",
                    period="2025-Q1")
    assert status == 303
