"""``salescore predict attainment`` and ``salescore recommend`` on the tiny organisation (one
quarter: not enough data, the baselines shown): the table, CSV and JSON say the same."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.tiny_org import KPIS
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.workspace import Workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("forecast-cli")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(folder, KPIS.settings, overwrite=True) as ws:
            KPIS.load(ws._warehouse)
        yield folder


def invoke(home: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--home", str(home), "--as-of", "2025-03-31"],
                           terminal_width=200)
    assert result.exit_code == code, result.output
    return result.stdout


def test_attainment_in_every_format(home: Path) -> None:
    rows = {r["rep_id"]: r for r in csv.DictReader(io.StringIO(
        invoke(home, "predict", "attainment", "--format", "csv")))}
    assert rows["r1"]["target"] == "800.0" and rows["r1"]["low"] == ""  # unknown: empty
    body = json.loads(invoke(home, "predict", "attainment", "--format", "json"))
    assert body["period"] == "2025-Q1" and body["enough"] is False
    r1 = next(r for r in body["reps"] if r["rep_id"] == "r1")
    assert r1["attainment"] == pytest.approx(float(rows["r1"]["attainment"]))
    table = invoke(home, "predict", "attainment", "--lang", "zh_CN")
    assert "预计目标达成" in table and "数据不足" in table


def test_recommend_in_every_format(home: Path) -> None:
    body = json.loads(invoke(home, "recommend", "--rep", "r1", "--format", "json"))
    assert body["enough"] is False and [r["rep_id"] for r in body["reps"]] == ["r1"]
    out = invoke(home, "recommend", "--format", "csv")
    assert out.splitlines()[0] == ("rep_id,rank,kind,stake,title,reason,records,link,course,"
                                   "peer_rep_id")
    assert "Not enough data" in invoke(home, "recommend")


def test_target_recommend_and_accept(home: Path) -> None:
    body = json.loads(invoke(home, "target", "recommend", "--format", "json"))
    assert body["period"] == "2025-Q2" and body["enough"] is False and body["accepted"] == []
    r1 = next(r for r in body["rows"] if r["rep_id"] == "r1")
    done = json.loads(invoke(home, "target", "recommend", "--accept-rep", "r1",
                             "--format", "json"))
    assert done["accepted"] == ["r1"]
    again = json.loads(invoke(home, "target", "recommend", "--format", "json"))
    assert next(r for r in again["rows"] if r["rep_id"] == "r1")["current"] == pytest.approx(
        round(r1["recommended"], 2))


def test_customers_in_every_format(home: Path) -> None:
    body = json.loads(invoke(home, "predict", "customers", "--format", "json"))
    assert body["enough"] is False and body["model"].startswith("potential-baseline")
    out = invoke(home, "predict", "customers", "--format", "csv")
    assert out.splitlines()[0].startswith("customer_id,name,owner_rep_id")
    assert "Not enough data" in invoke(home, "predict", "customers")


def test_train_stores_versions_and_predictions_name_them(home: Path) -> None:
    body = json.loads(invoke(home, "train", "--kind", "win", "--kind", "forecast",
                             "--format", "json"))
    assert [(r["kind"], r["enough"]) for r in body["records"]] == [("win", False),
                                                                     ("forecast", False)]
    assert body["skipped"] == []
    win = body["records"][0]
    assert win["name"] == "win-baseline" and "stage_index" in win["features"]
    assert win["cutoff"].startswith("2025-03-31T16:00")  # 31 March ends at 16:00 UTC (Shanghai)
    predicted = json.loads(invoke(home, "predict", "win", "--format", "json"))
    assert (predicted["model_id"], predicted["model_version"]) == (win["id"], win["version"])
    again = json.loads(invoke(home, "train", "--kind", "win", "--format", "json"))
    assert again["records"][0]["version"] == win["version"] + 1
    table = invoke(home, "train", "--kind", "win", "--lang", "zh_CN")
    assert "已训练模型" in table and "数据不足" in table
