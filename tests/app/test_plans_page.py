"""Plans and targets (``GET /plans``, ``POST /plans/whatif``, ``POST /plans/targets``) for each
role, on the tiny organisation with plan ``tiny`` adopted from 2025-01-01 and 2025-Q1 scored, on
each backend (``tests/app/conftest.py``: ``manager`` heads T2 with T2X under it: r4, r5, r6;
``sibling_manager`` heads T1: r1, r2, r3).

The what-if, worked out by hand from ``tests/tiny_org.py``. In 2025-Q1 the reps won:

=====  =======  =====  ============================  ==============================
rep    revenue  deals  plan tiny (1000, 2; A ≥ 100)   draft (1000, 1; A ≥ 90, B ≥ 50)
=====  =======  =====  ============================  ==============================
r1     400      2      20 + 50 = 70        B         20 + 75 (2/1 capped 1.5) = 95  A
r2     7000     1      75 (capped) + 25 = 100  A     75 + 50 = 125                  A
r3     0        0      0                   B         0                              C
r4     150      1      7.5 + 25 = 32.5     B         7.5 + 50 = 57.5                B
r5     0        0      0                   B         0                              C
r6     500      1      25 + 25 = 50        B         25 + 50 = 75                   B
=====  =======  =====  ============================  ==============================

(each line is half the score: 100 × min(value / target, 1.5) × 0.5). So the transition matrix
(adopted rating → draft rating) is A → A 1 (r2); B → A 1 (r1), B → B 2 (r4, r6), B → C 2 (r3,
r5); three reps move: r1 (70 → 95, +25), r3 and r5 (0 → 0).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date

import pytest
from tests.app.conftest import USERS, Server, served, sign_in
from tests.tiny_org import KPIS, TINY_PLAN

from salescore.app import AppSettings

DRAFT = TINY_PLAN.replace("value: 2}", "value: 1}").replace(
    "  - {label: A, min: 100}\n  - {label: B}\n",
    "  - {label: A, min: 90}\n  - {label: B, min: 50}\n  - {label: C}\n")
TYPO = TINY_PLAN.replace("cap: 1.5}\nratings", "cap: 1.5}\n    wieght: 2\nratings")  # line 13

REACH = {  # the reps and teams whose targets each role sees
    "rep": ({"r1"}, {"T1"}), "other_rep": ({"r4"}, {"T2"}),
    "manager": ({"r4", "r5", "r6"}, {"T2", "T2X"}),
    "sibling_manager": ({"r1", "r2", "r3"}, {"T1"}),
    "executive": ({"r1", "r2", "r3", "r4", "r5", "r6"}, {"REG", "T1", "T2", "T2X"}),
    "admin": ({"r1", "r2", "r3", "r4", "r5", "r6"}, {"REG", "T1", "T2", "T2X"}),
}
LOADED = {("rep", "r1", "2025-Q1"), ("rep", "r1", "2025-01"), ("rep", "r1", "2025-02"),
          ("rep", "r1", "2025-03"), ("rep", "r2", "2025-Q1"), ("team", "T1", "2025-Q1")}
"""The targets of ``tests/tiny_org.py`` (all revenue_won)."""


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"plans-{backend}")
    with served(backend, folder, AppSettings(cache_seconds=0, today=date(2025, 5, 6))) as app:
        yield app


def _as(site: Server, role: str) -> str:
    """Sign ``role`` in; the session's CSRF token."""
    site.client.cookies.clear()
    return sign_in(site.client, USERS[role][0])


def _targets(html: str) -> set[tuple[str, str, str]]:
    return {(k, s, p) for k, s, p, _ in re.findall(
        r'data-target="(rep|team):([^:"]+):([^:"]+):([^"]+)"', html)}


def _editable(html: str) -> bool:
    return 'action="/plans/targets' in html and "edit=" in html


def _matrix(html: str) -> dict[str, list[int]]:
    body = html.split('<table class="grid matrix">', 1)[1].split("</table>", 1)[0]
    return {b: [int(c) for c in re.findall(r'<td class="num">(\d+)</td>', row)]
            for b, row in re.findall(r'<tr data-before="([^"]+)">(.*?)</tr>', body, re.S)}


def _movers(html: str) -> list[tuple[str, ...]]:
    """Who moves: rep, score before, after, change, rating before → after."""
    body = html.split('<table class="grid movers">', 1)[1].split("</table>", 1)[0]
    out = []
    for rep, row in re.findall(r'<tr data-rep="([^"]+)">(.*?)</tr>', body, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                       row)]
        out.append((rep, *cells[2:5], cells[1]))
    return out


@pytest.mark.parametrize("role", list(USERS))
def test_each_role_sees_the_plans_and_exactly_the_targets_in_reach(site: Server,
                                                                    role: str) -> None:
    _as(site, role)
    answer = site.client.get("/plans", params={"period": "all"}, follow_redirects=False)
    assert answer.status_code == 200
    html = answer.text
    assert re.findall(r'data-plan="([^"]+)"', html) == ["tiny"]
    assert re.findall(r'data-version="(\d+)"', html) == ["1"]
    assert re.findall(r'data-kpi="([^"]+)"', html) == ["revenue_won", "deals_won"]
    reps, teams = REACH[role]
    assert _targets(html) == {t for t in LOADED if t[1] in (reps if t[0] == "rep" else teams)}
    # what-if: for the whole organisation's scopes; targets: an admin's and a manager's
    assert ('action="/plans/whatif' in html) == (role in ("executive", "admin"))
    assert ('action="/plans/targets' in html) == (role in ("admin", "manager",
                                                           "sibling_manager"))
    if role in ("admin", "sibling_manager"):
        assert _editable(html)
    if role == "sibling_manager":  # in Chinese, the versions and the lines readable
        assert "方案与目标" in html and "已采用" in html and "目标表" not in html
        assert "固定值：¥1,000.00" in html and "线性，目标的 0% 至 150%" in html
        assert "得分：个人 100%，团队 0%" in html
    if role == "admin":
        assert "fixed: CN¥1,000.00" in html and "linear, 0% to 150% of target" in html
        assert "Jan 1, 2025" in html  # effective from, for the locale
        assert "Score: 100% individual, 0% team" in html


def test_anonymous_is_sent_to_sign_in(site: Server) -> None:
    site.client.cookies.clear()
    for path in ("/plans", "/audit"):
        answer = site.client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    answer = site.client.post("/plans/targets", data={}, follow_redirects=False)
    assert answer.status_code == 303


def test_a_rep_reads_their_own_targets_with_their_value_and_cannot_set_one(
        site: Server) -> None:
    csrf = _as(site, "rep")
    html = site.client.get("/plans", params={"period": "2025-Q1"}).text
    assert _targets(html) == {("rep", "r1", "2025-Q1"), ("team", "T1", "2025-Q1")}
    row = re.search(r'data-target="rep:r1:2025-Q1:revenue_won">(.*?)</tr>', html, re.S)
    assert row and "CN¥800.00" in row.group(1)
    assert not _editable(html) and "an admin or your manager sets them" in html
    refused = site.client.post("/plans/targets", data={
        "csrf_token": csrf, "kind": "rep", "subject_id": "r1", "period": "2025-Q1",
        "kpi": "revenue_won", "value": "5000", "reason": "I want more"})
    assert refused.status_code == 403
    html = site.client.get("/plans", params={"period": "2025-Q1"}).text
    row = re.search(r'data-target="rep:r1:2025-Q1:revenue_won">(.*?)</tr>', html, re.S)
    assert row and "CN¥800.00" in row.group(1)


def test_an_admin_replays_a_draft_and_sees_the_transitions(site: Server) -> None:
    csrf = _as(site, "admin")
    answer = site.client.post("/plans/whatif", data={
        "csrf_token": csrf, "document": DRAFT, "period": "2025-Q1", "against": ""})
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert 'id="whatif-reps">6<' in html and 'id="whatif-changed">3<' in html
    assert _matrix(html) == {"A": [1, 0, 0], "B": [1, 2, 2]}
    found = re.search(r'<script type="application/json" id="transitions-data">(.*?)</script>',
                      html, re.S)
    assert found
    chart = json.loads(found.group(1))
    assert (chart["rows"], chart["cols"]) == (["A", "B"], ["A", "B", "C"])
    assert sorted(chart["cells"]) == sorted([[0, 0, 1], [1, 0, 0], [2, 0, 0],
                                             [0, 1, 1], [1, 1, 2], [2, 1, 2]])
    assert _movers(html) == [("r1", "70", "95", "+25", "B → A"),
                             ("r3", "0", "0", "0", "B → C"),
                             ("r5", "0", "0", "0", "B → C")]
    movers = html.split('<table class="grid movers">', 1)[1].split("</table>", 1)[0]
    assert movers.count('class="num good">+25<') == 1 and "num bad" not in movers  # 0 is no loss
    # the draft stays in the form, and nothing was stored
    assert "value: 1}" in html
    assert re.findall(r'data-version="(\d+)"', html) == ["1"]


def test_an_executive_may_replay_a_manager_and_a_rep_may_not(site: Server) -> None:
    for role, status in (("executive", 200), ("manager", 403), ("rep", 403)):
        csrf = _as(site, role)
        answer = site.client.post("/plans/whatif", data={
            "csrf_token": csrf, "document": DRAFT, "period": "2025-Q1"})
        assert answer.status_code == status, (role, answer.text)
        assert ('id="transitions-data"' in answer.text) == (status == 200)


def test_an_uploaded_draft_is_read_and_an_invalid_one_shows_its_lines(site: Server) -> None:
    csrf = _as(site, "admin")
    answer = site.client.post(
        "/plans/whatif", data={"csrf_token": csrf, "period": "2025-Q1"},
        files={"upload": ("draft.yaml", DRAFT.encode(), "application/x-yaml")})
    assert answer.status_code == 200 and _matrix(answer.text) == {"A": [1, 0, 0],
                                                                  "B": [1, 2, 2]}
    bad = site.client.post("/plans/whatif", data={"csrf_token": csrf, "document": TYPO,
                                                  "period": "2025-Q1"})
    assert bad.status_code == 422
    rows = re.findall(r'<tr><td class="num">([^<]*)</td><td><code>([^<]*)</code></td>'
                      r"<td>([^<]*)</td></tr>", bad.text)
    assert rows == [("13", "lines.1.wieght", "unknown key (a typo?)")]
    assert 'id="transitions-data"' not in bad.text
    wrong_grain = site.client.post("/plans/whatif", data={
        "csrf_token": csrf, "document": DRAFT, "period": "2025-03"})
    assert wrong_grain.status_code == 422 and "scores quarters" in wrong_grain.text


def test_posts_without_the_csrf_token_are_refused(site: Server) -> None:
    _as(site, "admin")
    answer = site.client.post("/plans/whatif", data={"document": DRAFT, "period": "2025-Q1"})
    assert answer.status_code == 403 and 'id="transitions-data"' not in answer.text
    answer = site.client.post("/plans/targets", data={
        "kind": "rep", "subject_id": "r4", "period": "2025-Q4", "kpi": "revenue_won",
        "value": "1", "reason": "forged"})
    assert answer.status_code == 403
    assert ("rep", "r4", "2025-Q4") not in _targets(
        site.client.get("/plans", params={"period": "all"}).text)


def test_a_manager_sets_their_subtrees_targets_only_and_it_is_audited(site: Server) -> None:
    csrf = _as(site, "manager")
    done = site.client.post("/plans/targets", data={
        "csrf_token": csrf, "kind": "rep", "subject_id": "r6", "period": "2025-q2",
        "kpi": "revenue_won", "value": "1,500", "reason": "T2X takes the east"})
    assert done.status_code == 200, done.text
    html = done.text
    assert "Target set: r6, Revenue won, 2025-Q2: — → 1,500 (T2X takes the east)." in html
    assert _targets(html) == {("rep", "r6", "2025-Q2")}  # the period just set is shown
    row = re.search(r'data-target="rep:r6:2025-Q2:revenue_won">(.*?)</tr>', html, re.S)
    assert row and "CN¥1,500.00" in row.group(1) and "mia" in row.group(1) \
        and "T2X takes the east" in row.group(1)
    # outside the subtree: as if it did not exist, and nothing is written
    for kind, who in (("rep", "r1"), ("team", "T1")):
        refused = site.client.post("/plans/targets", data={
            "csrf_token": csrf, "kind": kind, "subject_id": who, "period": "2025-Q2",
            "kpi": "revenue_won", "value": "1", "reason": "not mine"})
        assert refused.status_code == 404
    # a reason is required, and a target is a number
    for value, reason in (("10", ""), ("ten", "why not")):
        missing = site.client.post("/plans/targets", data={
            "csrf_token": csrf, "kind": "team", "subject_id": "T2X", "period": "2025-Q2",
            "kpi": "revenue_won", "value": value, "reason": reason})
        assert missing.status_code == 422
    # the Edit link fills the form with the row
    edit = site.client.get("/plans", params={"period": "2025-Q2",
                                             "edit": "rep:r6:2025-Q2:revenue_won"}).text
    assert 'id="t-value" name="value" type="text" inputmode="decimal" required ' \
           'value="1500"' in edit
    _as(site, "admin")
    assert _targets(site.client.get("/plans", params={"period": "2025-Q2"}).text) == {
        ("rep", "r6", "2025-Q2")}
    audit = site.client.get("/audit", params={"kind": "target", "actor": "mia"}).text
    entries = re.findall(r'<tr data-entry="\d+">(.*?)</tr>', audit, re.S)
    assert len(entries) == 1
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                   entries[0], re.S)]
    assert cells[1:] == ["mia", "target.set rep:r6:2025-Q2:revenue_won", "—",
                         "value: 1,500; set_by: mia; reason: T2X takes the east",
                         "T2X takes the east"]


def test_an_admin_changes_a_target_and_the_log_says_before_and_after(site: Server) -> None:
    csrf = _as(site, "admin")
    for value in ("500", "600.5"):
        done = site.client.post("/plans/targets", data={
            "csrf_token": csrf, "kind": "team", "subject_id": "REG", "period": "2025-Q3",
            "kpi": "deals_won", "value": value, "reason": f"region plan {value}"})
        assert done.status_code == 200
    assert "Target set: REG, Deals won, 2025-Q3: 500 → 600.5 (region plan 600.5)." in done.text
    audit = site.client.get("/audit", params={"kind": "target", "actor": "ada"}).text
    entries = re.findall(r'<tr data-entry="\d+">(.*?)</tr>', audit, re.S)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                   entries[0], re.S)]
    assert cells[1:] == ["ada", "target.set team:REG:2025-Q3:deals_won",
                         "value: 500; set_by: ada; reason: region plan 500",
                         "value: 600.5; set_by: ada; reason: region plan 600.5",
                         "region plan 600.5"]
    assert len(KPIS.rows["targets"]) == len(LOADED)  # the fixture's rows are as listed


def test_the_target_filters_live_in_the_url_and_return_until_reset(site: Server) -> None:
    _as(site, "sibling_manager")
    client = site.client
    html = client.get("/plans", params={"period": "2025-Q1", "kpi": "revenue_won"}).text
    assert _targets(html) == {("rep", "r1", "2025-Q1"), ("rep", "r2", "2025-Q1"),
                              ("team", "T1", "2025-Q1")}
    back = client.get("/plans", follow_redirects=False)
    assert back.status_code == 303
    assert back.headers["location"] == "/plans?period=2025-Q1&kpi=revenue_won"
    reset = client.get("/plans", params={"reset": "1"}, follow_redirects=False)
    assert reset.status_code == 200  # the latest period with targets: 2025-03
    assert _targets(reset.text) == {("rep", "r1", "2025-03")}
    assert client.get("/plans", follow_redirects=False).status_code == 200
