"""``salescore analyze strengths|communication|balance`` on the organisation of
``tests/analytics/rep_org.py`` (figures worked out in ``tests/analytics/test_strengths.py``,
``test_communication.py`` and ``test_balance.py``): the table, CSV and JSON say the same
numbers; an unknown figure is empty in CSV and null in JSON, never 0."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from tests.analytics.rep_org import PERIOD, PLAN, REPS_ORG
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.workspace import Workspace

runner = CliRunner()
KPIS = ("--kpi", "revenue_won", "--kpi", "deals_won", "--kpi", "deals_lost", "--kpi",
        "win_rate", "--kpi", "opportunities_created")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        folder = tmp_path_factory.mktemp("analyze-reps")
        with Workspace.init(folder, REPS_ORG.settings, overwrite=True) as ws:
            REPS_ORG.load(ws._warehouse)
            ws.owner().adopt_plan(text=PLAN, effective_from=date(2025, 1, 1), actor="test")
        yield folder


def invoke(home: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["analyze", *args, "--home", str(home)], terminal_width=200)
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


def test_strengths_csv(home: Path) -> None:
    out = invoke(home, "strengths", "--period", PERIOD, *KPIS, "--format", "csv")
    rows = {(r["rep_id"], r["kpi"]): r for r in csv.DictReader(io.StringIO(out))}
    assert len(rows) == 25
    revenue = rows[("a2", "revenue_won")]
    assert (revenue["plan"], revenue["peers"], revenue["percentile"]) == ("pq", "4", "25.0")
    assert float(revenue["peer_median"]) == 450 and float(revenue["lever_gain"]) == \
        pytest.approx(14 + 3.5 / 3)
    assert rows[("a1", "revenue_won")]["lever_gain"] == ""  # not a lever: empty, not 0


def test_strengths_json_and_table(home: Path) -> None:
    body = json.loads(invoke(home, "strengths", "--period", PERIOD, *KPIS, "--format",
                             "json"))
    b2 = next(r for r in body["reps"] if r["rep_id"] == "b2")
    assert (b2["score"], b2["rating"]) == (8.5, "B")
    assert [(lv["kpi"], lv["gain"]) for lv in b2["levers"]] == [("deals_won", 33.75),
                                                               ("revenue_won", 20.25)]
    table = invoke(home, "strengths", "--period", PERIOD, "--rep", "a2", *KPIS)
    assert "Strengths and weaknesses, 2025-Q1" in table and "+15.2" in table
    assert "Improvement levers" in table and "450.00" in table
    zh = invoke(home, "strengths", "--period", PERIOD, "--rep", "a2", *KPIS, "--lang", "zh_CN")
    assert "优势与短板" in zh and "提升杠杆" in zh


def test_communication_csv_json_and_table(home: Path) -> None:
    out = invoke(home, "communication", "--period", PERIOD, "--format", "csv")
    rows = {r["rep_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert (rows["b1"]["deals"], rows["b1"]["won"], rows["b1"]["median_gap_days"]) == (
        "3", "2", "7.5")
    assert rows["b2"]["median_gap_days"] == "" and rows["a2"]["avg_response_hours"] == ""
    body = json.loads(invoke(home, "communication", "--period", PERIOD, "--format", "json"))
    assert body["no_gap"] == {"label": "—", "deals": 5, "won": 0, "win_rate": 0.0}
    touches = next(r for r in body["relations"] if r["measure"] == "touches_per_deal")
    assert touches["rho"] == pytest.approx(0.95 ** 0.5)
    table = invoke(home, "communication", "--period", PERIOD, "--team", "TA")
    assert "Communication of team TA, 2025-Q1" in table and "not enough data" in table


def test_balance_csv_json_and_table(home: Path) -> None:
    out = invoke(home, "balance", "--period", PERIOD, "--format", "csv")
    rows = {(r["section"], r["id"]): r for r in csv.DictReader(io.StringIO(out))}
    assert float(rows[("team", "TB")]["assisted_share"]) == pytest.approx(6 / 7)
    assert rows[("rep", "a1")]["assists_received"] == "2"
    assert rows[("rep", "a1")]["revenue_won"] == ""
    body = json.loads(invoke(home, "balance", "--period", PERIOD, "--format", "json"))
    (plan,) = body["plans"]
    assert [b["range"] for b in plan["blends"]] == [85.0, 68.0, 51.0, 42.5]
    table = invoke(home, "balance", "--period", PERIOD)
    assert "Plan pq: individual/team blend" in table and "80%/20%*" in table
