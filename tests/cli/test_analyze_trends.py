"""``salescore analyze training|trends`` on the organisations of
``tests/analytics/training_org.py`` (figures worked out in ``tests/analytics/test_training.py``
and ``test_trends.py``): the table, CSV and JSON say the same numbers; not enough data stays
empty, never 0."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.analytics.training_org import TRAINING, TRENDS
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.workspace import Workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        for name, org in (("training", TRAINING), ("trends", TRENDS)):
            folder = tmp_path_factory.mktemp(f"analyze-{name}")
            with Workspace.init(folder, org.settings, overwrite=True) as ws:
                org.load(ws._warehouse)
            out[name] = folder
        yield out


def invoke(home: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["analyze", *args, "--home", str(home)], terminal_width=200)
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


def test_training_csv(homes: dict[str, Path]) -> None:
    out = invoke(homes["training"], "training", "--window", "1", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    win = next(r for r in rows if r["course"] == "Negotiation" and r["kpi"] == "win_rate")
    assert (win["kind"], win["completed_by"], win["trainees"], win["peers"]) == (
        "coaching", "5", "5", "5")
    assert float(win["effect"]) == pytest.approx(0.375)
    assert float(win["low"]) == pytest.approx(-0.403431, abs=1e-6)
    ar = next(r for r in rows if r["course"] == "AR demo" and r["kpi"] == "revenue_won")
    assert (ar["trainees"], ar["effect"], ar["low"]) == ("1", "", "")  # empty, not 0
    pooled = [r for r in rows if r["course"] == ""]
    assert {r["kind"] for r in pooled} == {"coaching", "ar_demo"}


def test_training_json_and_table(homes: dict[str, Path]) -> None:
    body = json.loads(invoke(homes["training"], "training", "--window", "1", "--format",
                             "json"))
    assert (body["first_month"], body["last_month"], body["window"]) == (
        "2025-02", "2025-04", 1)
    revenue = next(e for e in body["effects"]
                   if e["course"] == "Negotiation" and e["kpi"] == "revenue_won")
    assert revenue["effect"] == pytest.approx(85) and revenue["before"] == pytest.approx(100)
    assert revenue["after"] == pytest.approx(160)  # (200 + 100 + 100 + 300 + 100) / 5
    table = invoke(homes["training"], "training", "--window", "1")
    assert "+37.5 pt" in table and "+85" in table and "enough" in table  # wrapped at 80
    zh = invoke(homes["training"], "training", "--window", "1", "--lang", "zh_CN")
    assert "数据不足" in zh and "培训效果" in zh


def test_training_of_a_team_and_bad_input(homes: dict[str, Path]) -> None:
    out = invoke(homes["training"], "training", "--team", "TB", "--window", "1", "--format",
                 "csv")
    assert {r["completed_by"] for r in csv.DictReader(io.StringIO(out))
            if r["course"] == "Negotiation"} == {"2"}
    assert "1 to 24" in invoke(homes["training"], "training", "--window", "0", code=2)


def test_trends_csv_json_and_table(homes: dict[str, Path]) -> None:
    out = invoke(homes["trends"], "trends", "--by", "channel", "--format", "csv")
    rows = [r for r in csv.DictReader(io.StringIO(out))
            if r["value"] == "web" and r["measure"] == "opportunities_created"]
    assert [r["month"] for r in rows][:2] == ["2023-01", "2023-02"] and len(rows) == 24
    assert [float(r["raw"]) for r in rows][:3] == [6, 5, 9]  # 6 + i + (0, −2, 1)
    assert [round(float(r["adjusted"]), 6) for r in rows][:3] == [6, 7, 8]
    body = json.loads(invoke(homes["trends"], "trends", "--by", "company", "--months", "6",
                             "--format", "json"))
    assert body["adjusted"] is False and len(body["months"]) == 6
    assert all(s["adjusted"] is None for s in body["series"])
    table = invoke(homes["trends"], "trends", "--by", "channel")
    assert "Fastest-growing deals created: channel web, +104 %" in table
    assert "not 'team'" in invoke(homes["trends"], "trends", "--by", "team", code=2)
