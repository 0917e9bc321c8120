"""The Data page (``/data``): who sees it, an upload through its form (counts, the reasons rows
were rejected, the rejects file, the warehouse afterwards, warnings), the past imports, and the
quality report in plain words, on each backend.

Uploads run on the tiny organisation (``tests/tiny_org.py``, which has an exchange rate for USD
alone). The quality report is checked on a smaller organisation written here, in UTC times
(09:00, the same local date in Asia/Shanghai), with "today" fixed at 2025-05-06:

* teams: T1 (no parent, no department): 5 columns × 1 row, 3 values → 60 %, 2 unknown;
* reps: r1 (team T1), r2 (no team); no e-mail, manager, title or hire date: 7 of 16 values,
  9 unknown;
* customers (8 columns): c1 "ACME Co., Ltd." (r1, 2025-04-01), c2 "acme" (owner r9, who does
  not exist, 2025-04-20), c3 "Beta" (r2, 2025-03-01); no industry; c2 has no segment, c3 no
  region: 19 of 24 values (79.2 %), 5 unknown; valid; no key repeats, but c1 and c2 are the
  same name once case and the company suffix are ignored (2 customers); 1 orphan (r9); newest
  2025-04-20, 16 days before today, oldest 2025-03-01;
* opportunities (13 columns): o1 won 100 CNY (c1, r1, 2025-04-10, closed 2025-04-30), o2 open
  with no amount or currency, product or channel (c2, r2, 2025-05-01), o3 open 50 EUR in stage
  "negotiation", which the pipeline does not know (c1, r1, 2025-04-15): 27 of 39 values
  (69.2 %), 12 unknown; 1 row of 3 invalid (66.7 % valid); EUR has no rate: 1 amount that
  cannot be converted (o2 has none); newest 2025-05-01, 5 days before today;
* every other table empty. Two tables need a look: customers (duplicates, orphans) and
  opportunities (validity).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.app.conftest import PASSWORD, USERS, Server, served, sign_in
from tests.tiny_org import TinyOrg, kpi_settings

from salescore.app import AppSettings, data_page
from salescore.compile.schema import unbound
from salescore.core.scope import Scope
from salescore.workspace import Workspace

TODAY = date(2025, 5, 6)
FORBIDDEN = "This page is not part of what your role sees."


def _at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 9, 0)


def _opp(oid: str, cust: str, rep: str, created: datetime, stage: str, status: str,
         amount: float | None, currency: str | None, closed: datetime | None = None,
         product: str | None = "A", channel: str | None = "web") -> dict[str, Any]:
    return {"opportunity_id": oid, "customer_id": cust, "owner_rep_id": rep,
            "created_at": created, "stage": stage, "status": status, "amount": amount,
            "currency": currency, "closed_at": closed, "product": product, "channel": channel}


SMALL = TinyOrg(kpi_settings(), {
    "teams": [{"team_id": "T1", "name": "One", "region": "North"}],
    "reps": [{"rep_id": "r1", "name": "R1", "team_id": "T1", "active": True},
             {"rep_id": "r2", "name": "R2", "active": True}],
    "customers": [
        {"customer_id": "c1", "name": "ACME Co., Ltd.", "segment": "SMB", "region": "North",
         "channel": "web", "owner_rep_id": "r1", "created_at": _at(2025, 4, 1)},
        {"customer_id": "c2", "name": "acme", "region": "North", "channel": "web",
         "owner_rep_id": "r9", "created_at": _at(2025, 4, 20)},
        {"customer_id": "c3", "name": "Beta", "segment": "ENT", "channel": "web",
         "owner_rep_id": "r2", "created_at": _at(2025, 3, 1)},
    ],
    "opportunities": [
        _opp("o1", "c1", "r1", _at(2025, 4, 10), "won", "won", 100, "CNY", _at(2025, 4, 30)),
        _opp("o2", "c2", "r2", _at(2025, 5, 1), "qualified", "open", None, None,
             product=None, channel=None),
        _opp("o3", "c1", "r1", _at(2025, 4, 15), "negotiation", "open", 50, "EUR"),
    ],
})


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The tiny organisation, for uploads."""
    folder = tmp_path_factory.mktemp(f"data-{backend}")
    with served(backend, folder, AppSettings(cache_seconds=0, today=TODAY)) as app:
        yield app


@pytest.fixture(scope="module")
def small(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The small organisation of this module's description, and an admin who reads Chinese."""
    def prepare(home: Path) -> None:
        with Workspace.open(home) as ws:
            ws.owner().clear_warehouse()
            for name, data in SMALL.arrow_tables().items():
                if data.num_rows:
                    ws._warehouse.append(name, data)
            ws.accounts.add_user(ws.accounts.owner(), username="zhao", password=PASSWORD,
                                 role="admin", locale="zh_CN", display_name="Zhao")

    folder = tmp_path_factory.mktemp(f"quality-{backend}")
    with served(backend, folder, AppSettings(cache_seconds=0, today=TODAY), prepare) as app:
        yield app


def _as(server: Server, username: str) -> str:
    server.client.cookies.clear()
    return sign_in(server.client, username)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def _counts(page: str, run_id: int) -> dict[str, str]:
    section = page[page.index(f'id="result-{run_id}"'):]
    section = section[:section.index("</section>")]
    return dict(re.findall(r'data-count="(\w+)"><dt>[^<]*</dt><dd>([^<]*)</dd>', section))


def _result_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<section class="result" id="result-(\d+)"', page)]


def _rows(server: Server, table: str, key: str) -> set[str]:
    """The keys of ``table`` in the warehouse, read through an everything-scope session."""
    ws = server.client.app.state.salescore.workspace  # type: ignore[attr-defined]
    session = ws.session(Scope.everything())
    return {r[key] for r in session.runner.rows(unbound(table).select(key))}


def _upload(server: Server, token: str | None, table: str, name: str, content: bytes,
            **more: Any) -> Any:
    data = {"table": table, "preset": more.pop("preset", "")}
    if token is not None:
        data["csrf_token"] = token
    files: dict[str, Any] = {"file": (name, content, "text/csv")}
    mapping = more.pop("mapping", None)
    files["mapping"] = ("mapping.yaml", mapping, "application/yaml") if mapping else \
        ("", b"", "application/octet-stream")  # what a browser sends for no file chosen
    return server.client.post("/data/imports", data=data, files=files, follow_redirects=False)


# -- who sees the page -----------------------------------------------------------------------
@pytest.mark.parametrize("role", ["anonymous", "rep", "manager", "executive", "admin"])
def test_each_roles_status(site: Server, role: str) -> None:
    site.client.cookies.clear()
    if role != "anonymous":
        sign_in(site.client, USERS[role][0])
    answer = site.client.get("/data", follow_redirects=False)
    match role:
        case "anonymous":
            assert answer.status_code == 303
            assert answer.headers["location"] == "/login?next=/data"
        case "admin":
            assert answer.status_code == 200
            assert '<h1>Data</h1>' in answer.text
            assert 'href="/data" aria-current="page"' in answer.text
        case _:
            # The same page as /team gives a rep: the workspace refuses their scope.
            assert answer.status_code == 404
            assert FORBIDDEN in answer.text
            assert 'href="/data"' not in answer.text  # and no link to it


@pytest.mark.parametrize("role", ["rep", "manager", "executive"])
def test_no_other_role_can_import_or_recompute(site: Server, role: str) -> None:
    token = _as(site, USERS[role][0])
    before = _rows(site, "customers", "customer_id")
    answer = _upload(site, token, "customers", "x.csv",
                     b"customer_id,name,created_at\nzz1,Zed,2025-04-01\n")
    assert answer.status_code == 404 and FORBIDDEN in answer.text
    assert _rows(site, "customers", "customer_id") == before
    answer = site.client.post("/data/quality", data={"csrf_token": token},
                              follow_redirects=False)
    assert answer.status_code == 404 and FORBIDDEN in answer.text


# -- an upload -------------------------------------------------------------------------------
GOOD_AND_BAD = (b"customer_id,name,region,channel,owner_rep_id,created_at\n"
                b"n1,New one,North,web,r1,2025-04-01\n"
                b"n2,New two,North,web,r2,2025-04-02\n"
                b"n3,New three,North,web,r1,not a date\n"
                b"n4,New four,South,web,r3,2025-04-03\n")


def test_an_upload_shows_its_counts_rejects_and_loads_the_good_rows(site: Server) -> None:
    token = _as(site, "ada")
    answer = _upload(site, token, "customers", "new customers.csv", GOOD_AND_BAD)
    assert answer.status_code == 200, answer.text
    page = answer.text
    [run] = _result_ids(page)
    assert _counts(page, run) == {"read": "4", "loaded": "3", "inserted": "3", "updated": "0",
                                  "unchanged": "0", "rejected": "1"}
    section = _text(page[page.index(f'id="result-{run}"'):].split("</section>")[0])
    assert f"Import {run} into customers" in section
    assert "new customers.csv · Loaded" in section
    # n3 is the file's 4th line (the header is line 1): one row, not a date.
    assert "created_at not a date or time 1 4" in section
    link = f"/api/v1/imports/{run}/rejects"
    assert f'href="{link}"' in page
    rejects = site.client.get(link)
    assert rejects.status_code == 200
    lines = rejects.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and "n3" in lines[1] and "not a date" in lines[1]
    assert {"n1", "n2", "n4"} <= _rows(site, "customers", "customer_id")
    assert "n3" not in _rows(site, "customers", "customer_id")
    # The run heads the list of past imports, with the same counts and its rejects.
    row = re.search(rf'<tr data-run="{run}">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
    assert cells[2:] == ["customers", "new customers.csv", "Loaded", "4", "3", "0", "0", "1",
                         f"CSV of import {run}"]
    # Imported again: nothing changes, the bad row is rejected again.
    again = _upload(site, token, "customers", "new customers.csv", GOOD_AND_BAD)
    [second] = _result_ids(again.text)
    assert _counts(again.text, second) == {"read": "4", "loaded": "3", "inserted": "0",
                                           "updated": "0", "unchanged": "3", "rejected": "1"}


def test_without_the_csrf_token_nothing_is_imported(site: Server) -> None:
    _as(site, "ada")
    answer = _upload(site, None, "customers", "sneaky.csv",
                     b"customer_id,name,created_at\ncsrf1,Sneaky,2025-04-01\n")
    assert answer.status_code == 403
    assert "CSRF token" in answer.text and _result_ids(answer.text) == []
    assert "csrf1" not in _rows(site, "customers", "customer_id")
    wrong = _upload(site, "not-the-token", "customers", "sneaky.csv",
                    b"customer_id,name,created_at\ncsrf1,Sneaky,2025-04-01\n")
    assert wrong.status_code == 403
    assert "csrf1" not in _rows(site, "customers", "customer_id")
    recompute = site.client.post("/data/quality", follow_redirects=False)
    assert recompute.status_code == 403


MAPPING = b"""table: reps
columns:
  rep_id: Code
  name: Full name
  team_id: Squad
  active: {constant: "true"}
"""


def test_an_upload_with_a_mapping_file(site: Server) -> None:
    token = _as(site, "ada")
    answer = _upload(site, token, "reps", "staff.csv",
                     b"Code,Full name,Squad\nm1,Mona,T1\nm2,Max,T2\n",
                     mapping=MAPPING)
    assert answer.status_code == 200, answer.text
    [run] = _result_ids(answer.text)
    assert _counts(answer.text, run) == {"read": "2", "loaded": "2", "inserted": "2",
                                         "updated": "0", "unchanged": "0", "rejected": "0"}
    assert "rejects" not in answer.text.split(f'id="result-{run}"')[1].split("</section>")[0]
    assert {"m1", "m2"} <= _rows(site, "reps", "rep_id")


def test_every_table_a_mapping_names_and_a_preset_with_a_mapping_refused(site: Server) -> None:
    token = _as(site, "ada")
    both = _upload(site, token, "reps", "staff.csv", b"Code\n", mapping=MAPPING,
                   preset="hubspot-deals")
    assert both.status_code == 422
    assert "Give a preset or a mapping file, not both." in both.text
    answer = _upload(site, token, "all", "staff.csv", b"Code,Full name,Squad\nm3,Mia,T1\n",
                     mapping=MAPPING)
    assert answer.status_code == 200, answer.text
    [run] = _result_ids(answer.text)
    assert f"Import {run} into reps" in answer.text
    assert _counts(answer.text, run)["inserted"] == "1"


def test_an_unusable_file_is_told_and_listed_as_failed(site: Server) -> None:
    token = _as(site, "ada")
    answer = _upload(site, token, "customers", "no dates.csv", b"customer_id,name\nq1,Q\n")
    assert answer.status_code == 422
    error = _text(answer.text.split('id="import-error">')[1].split("</p>")[0])
    assert "no dates.csv has no column for required created_at of customers" in error
    assert _result_ids(answer.text) == []
    row = re.search(r'<tr data-run="\d+">(.*?)</tr>', answer.text, re.S)  # the newest run
    assert row is not None and "no dates.csv" in row.group(1)
    assert '<td data-label="Status" class="bad"' in row.group(1) and ">Failed<" in row.group(1)
    assert "q1" not in _rows(site, "customers", "customer_id")


def test_unconvertible_currencies_are_warned_with_counts_per_currency(site: Server) -> None:
    token = _as(site, "ada")
    csv = (b"opportunity_id,customer_id,owner_rep_id,created_at,stage,amount,currency\n"
           b"x1,c1,r1,2025-04-01,lead,10,EUR\n"
           b"x2,c1,r1,2025-04-01,lead,20,JPY\n"
           b"x3,c1,r1,2025-04-01,lead,30,JPY\n"
           b"x4,c1,r1,2025-04-01,lead,40,USD\n")
    answer = _upload(site, token, "opportunities", "deals.csv", csv)
    assert answer.status_code == 200, answer.text
    [run] = _result_ids(answer.text)
    assert _counts(answer.text, run)["inserted"] == "4"
    warnings = [_text(w) for w in re.findall(
        r"<li>(.*?)</li>", answer.text.split('class="warnings"')[1].split("</ul>")[0], re.S)]
    assert "JPY: 2 rows whose amount cannot be converted" in warnings
    assert "EUR: 1 rows whose amount cannot be converted" in warnings
    assert not any(w.startswith("USD") for w in warnings)  # USD has a rate


def test_past_imports_are_paged_newest_first(site: Server, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    token = _as(site, "ada")
    for n in range(3):
        _upload(site, token, "teams", f"t{n}.csv", f"team_id,name\nP{n},Page {n}\n".encode())
    monkeypatch.setattr(data_page, "PAGE_SIZE", 2)
    first = site.client.get("/data").text
    ids = [int(i) for i in re.findall(r'<tr data-run="(\d+)">', first)]
    assert len(ids) == 2 and ids[0] > ids[1]
    older = re.search(r'href="(/data\?before=(\d+)#imports)" rel="next"', first)
    assert older is not None and int(older.group(2)) == ids[1]
    second = site.client.get(older.group(1)).text
    next_ids = [int(i) for i in re.findall(r'<tr data-run="(\d+)">', second)]
    assert next_ids[0] == ids[1] - 1 and len(next_ids) == 2
    assert 'href="/data#imports"' in second


# -- the quality report ----------------------------------------------------------------------
def _card(page: str, table: str) -> dict[str, tuple[str, str, list[str]]]:
    """A table's checks: key → (status, summary, details)."""
    start = page.index(f'data-table="{table}"')
    card = page[start:page.index("<details>", start)]
    out = {}
    for key, status, body in re.findall(
            r'<div data-check="(\w+)" data-status="(\w+)">(.*?)</div>', card, re.S):
        summary = re.search(r'<span class="summary">(.*?)</span>', body, re.S)
        assert summary is not None
        out[key] = (status, _text(summary.group(1)),
                    [_text(li) for li in re.findall(r"<li>(.*?)</li>", body, re.S)])
    return out


def _columns(page: str, table: str) -> dict[str, list[str]]:
    start = page.index(f'data-table="{table}"')
    card = page[start:page.index("</section>", start)]
    return {name: [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for name, row in re.findall(r'<tr data-column="(\w+)">(.*?)</tr>', card, re.S)}


def test_the_quality_report_in_plain_words(small: Server) -> None:
    _as(small, "ada")
    page = small.client.get("/data").text
    computed = _text(page.split('id="quality-computed">')[1].split("</p>")[0])
    assert computed.startswith("Computed ")
    assert computed.endswith("2 tables need a look.")
    customers = _card(page, "customers")
    assert customers == {
        "completeness": ("good", "79.2% of values present; 5 unknown, kept as unknown and "
                         "left out of sums and averages.",
                         ["segment: 1 unknown", "industry: 3 unknown", "region: 1 unknown"]),
        "validity": ("good", "Every row keeps the rules (100% valid).", []),
        "duplicates": ("check", "No key repeats; 2 customers share a name once case, "
                       "punctuation and company suffixes are ignored.",
                       ["Likely the same customer: c1 ACME Co., Ltd., c2 acme"]),
        "orphans": ("check", "1 references name a row that does not exist (kept).",
                    ["owner_rep_id names no reps row (r9): 1"]),
        "freshness": ("good", "Newest record Apr 20, 2025, 16 days ago; oldest Mar 1, 2025.",
                      []),
    }
    opportunities = _card(page, "opportunities")
    assert opportunities["completeness"] == (
        "good", "69.2% of values present; 12 unknown, kept as unknown and left out of sums "
        "and averages.", ["product: 1 unknown", "channel: 1 unknown", "amount: 1 unknown",
                          "currency: 1 unknown", "expected_close_date: 3 unknown",
                          "closed_at: 2 unknown", "lost_reason: 3 unknown"])
    assert opportunities["validity"] == ("problem", "66.7% valid: 1 rows break a rule.",
                                         ["stage not in the pipeline (negotiation (1)): 1"])
    assert opportunities["duplicates"][0] == opportunities["orphans"][0] == "good"
    assert opportunities["freshness"] == (
        "good", "Newest record May 1, 2025, 5 days ago; oldest Apr 10, 2025.", [])
    assert opportunities["other"][0] == "check"
    assert opportunities["other"][2] == [
        "amounts that cannot be converted to CNY (no exchange rate, or no currency): money "
        "KPIs over them are null (EUR (1)): 1"]
    teams = _card(page, "teams")
    assert teams["completeness"][1].startswith("60% of values present; 2 unknown")
    assert teams["freshness"] == ("none", "This table has no time column.", [])
    assert _card(page, "reps")["completeness"][1].startswith("43.8% of values present; 9 "
                                                             "unknown")
    assert _columns(page, "opportunities")["amount"] == ["2", "1", "66.7%"]
    assert _text(page.split('id="quality-empty">')[1].split("</p>")[0]) == (
        "No rows yet: stage_changes, opportunity_history, activities, orders, surveys, "
        "peer_reviews, assists, "
        "trainings, targets, fx_rates.")


def test_recompute_keeps_the_report_and_it_reads_in_chinese(small: Server) -> None:
    token = _as(small, "zhao")
    refused = small.client.post("/data/quality", follow_redirects=False)
    assert refused.status_code == 403
    answer = small.client.post("/data/quality", data={"csrf_token": token},
                               follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/data#quality"
    page = small.client.get("/data").text
    computed = _text(page.split('id="quality-computed">')[1].split("</p>")[0])
    assert computed.startswith("计算于 ") and computed.endswith("2 张表需要查看。")
    opportunities = _card(page, "opportunities")
    assert opportunities["validity"] == ("problem", "有效率 66.7%：1 行违反规则。",
                                         ["阶段不在销售流程中 (negotiation (1)): 1"])
    assert opportunities["freshness"][1] == "最新记录 2025年5月1日，距今 5 天；最早 2025年4月10日。"
    assert ">有问题<" in page and ">良好<" in page and ">需留意<" in page
    assert _card(page, "customers")["orphans"][2] == ["owner_rep_id 在 reps 中不存在 (r9): 1"]
