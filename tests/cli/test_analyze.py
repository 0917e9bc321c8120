"""``salescore analyze funnel|cycle`` on the organisation of ``tests/analytics/funnel_org.py``
(figures worked out there): the table, CSV and JSON say the same numbers; unknown stays
unknown; bad input is a clean error."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.analytics.funnel_org import FUNNEL
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.workspace import Workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("analyze")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(folder, FUNNEL.settings, overwrite=True) as ws:
            FUNNEL.load(ws._warehouse)
        yield folder


def invoke(home: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["analyze", *args, "--home", str(home)], terminal_width=200)
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


def test_funnel_csv(home: Path) -> None:
    out = invoke(home, "funnel", "--rep", "ra1", "--period", "2025-Q1", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["stage"], r["reached"], r["went_on"], r["dropped"]) for r in rows] == [
        ("lead", "5", "3", "2"), ("qualified", "3", "2", "1"), ("proposal", "2", "1", "1"),
        ("won", "1", "", "")]
    assert float(rows[0]["conversion"]) == 0.6 and float(rows[0]["peer_conversion"]) == 5 / 6
    assert rows[3]["conversion"] == ""  # the last step has none: empty, not 0


def test_funnel_json_and_split(home: Path) -> None:
    data = json.loads(invoke(home, "funnel", "--team", "TB", "--period", "2025-Q1",
                             "--format", "json"))
    assert [s["reached"] for s in data["steps"]] == [2, 2, 1, 0]
    assert data["bottleneck"]["stage"] == "proposal" and data["peers_kind"] == "company"
    assert data["bottleneck_text"]["zh"].startswith("流失最多的环节在“proposal”到“won”之间")
    split = list(csv.DictReader(io.StringIO(invoke(
        home, "funnel", "--rep", "ra1", "--period", "2025-Q1", "--by", "channel",
        "--format", "csv"))))
    assert [(r["channel"], r["reached"]) for r in split if r["stage"] == "lead"] == [
        ("partner", "3"), ("web", "2")]


def test_funnel_table_in_both_languages(home: Path) -> None:
    out = invoke(home, "funnel", "--rep", "ra1", "--period", "2025-Q1")
    assert "Funnel of rep ra1, 2025-Q1 (5 deals)" in out
    assert "60.0%" in out and "83.3%" in out
    assert "Most deals are lost between lead and qualified" in out
    zh = invoke(home, "funnel", "--rep", "ra1", "--period", "2025-Q1", "--lang", "zh_CN")
    assert "漏斗：销售 ra1，2025-Q1（5 个商机）" in zh and "流失最多的环节" in zh


def test_cycle_formats(home: Path) -> None:
    data = json.loads(invoke(home, "cycle", "--period", "2025-Q1", "--format", "json"))
    assert data["won"]["deals"] == 7 and data["won"]["median_days"] == pytest.approx(35.0)
    assert data["lost"]["unknown"] == 1 and data["lost"]["mean_days"] == pytest.approx(27.0)
    assert data["won"]["bins"]["30–45"] == 4
    rows = list(csv.DictReader(io.StringIO(invoke(
        home, "cycle", "--team", "TA", "--period", "2025-Q1", "--format", "csv"))))
    stage = {r["name"]: r for r in rows if r["section"] == "stage"}
    # TA's closed deals: lead d1 5, d2 10, d3 10, e1 5, e2 5, e3 3, e4 3, f1 8, f2 10
    assert stage["lead"]["deals"] == "9" and float(stage["lead"]["median_days"]) == 5.0
    table = " ".join(invoke(home, "cycle", "--rep", "ra1", "--period", "2025-Q1").split())
    assert "Sales cycle of rep ra1, 2025-Q1 (days)" in table and "36.0" in table


def test_errors(home: Path) -> None:
    out = invoke(home, "funnel", "--rep", "nobody", "--period", "2025-Q1", code=2)
    assert "nobody" in out
    assert "--format is one of" in invoke(home, "cycle", "--period", "2025-Q1", "--format",
                                          "xml", code=2)
    assert "error" in invoke(home, "funnel", "--period", "2025-Q1", "--by", "colour", code=2)
