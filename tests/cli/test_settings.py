"""``salescore init`` (currency from the locale), ``settings show|set``, and a money KPI that
cannot be converted told as null with its reason, as a user runs them."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from salescore.cli.main import app

runner = CliRunner()


def _init(home: Path, *args: str) -> str:
    result = runner.invoke(app, ["init", "--home", str(home), *args])
    assert result.exit_code == 0, result.output
    return result.output


def _currency(home: Path) -> str:
    data = yaml.safe_load((home / "salescore.yaml").read_text(encoding="utf-8"))
    return str(data["organisation"]["currency"])


def test_init_takes_the_currency_from_the_locale(tmp_path: Path) -> None:
    assert "USD (from the locale en" in _init(tmp_path / "en")
    assert _currency(tmp_path / "en") == "USD"
    _init(tmp_path / "zh", "--locale", "zh_CN")
    assert _currency(tmp_path / "zh") == "CNY"
    out = _init(tmp_path / "eur", "--currency", "eur")
    assert _currency(tmp_path / "eur") == "EUR" and "from the locale" not in out


def test_settings_set_validates_and_show_lists(tmp_path: Path) -> None:
    home = tmp_path / "h"
    _init(home)
    done = runner.invoke(app, ["settings", "set", "currency", "CNY", "--home", str(home)])
    assert done.exit_code == 0 and "USD → CNY" in done.output
    assert _currency(home) == "CNY"
    bad = runner.invoke(app, ["settings", "set", "timezone", "Mars/Base", "--home", str(home)])
    assert bad.exit_code == 2 and "unknown time zone 'Mars/Base'" in bad.output
    stages = runner.invoke(app, ["settings", "set", "stages", "lead, pilot, won:won, lost:lost",
                                 "--home", str(home)])
    assert stages.exit_code == 0, stages.output
    shown = runner.invoke(app, ["settings", "show", "--home", str(home)])
    assert shown.exit_code == 0 and "pilot" in shown.output and "CNY" in shown.output
    data = yaml.safe_load((home / "salescore.yaml").read_text(encoding="utf-8"))
    assert [(s["name"], s["status"]) for s in data["pipeline"]["stages"]] == [
        ("lead", "open"), ("pilot", "open"), ("won", "won"), ("lost", "lost")]
    assert data["pipeline"]["stages"][0]["label"] == {"en": "Lead", "zh": "线索"}  # kept


def test_import_and_kpi_say_why_a_money_kpi_is_null(tmp_path: Path) -> None:
    home = tmp_path / "h"
    _init(home, "--currency", "CNY")
    files = {"teams": "team_id,name\nT1,East\n", "reps": "rep_id,name,team_id,active\nr1,A,T1,y\n",
             "opportunities": "opportunity_id,customer_id,owner_rep_id,created_at,stage,amount,"
                              "currency,closed_at\no1,c1,r1,2025-02-01,won,1170.375,USD,"
                              "2025-02-10\n"}
    outputs = {}
    for table, text in files.items():
        path = tmp_path / f"{table}.csv"
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(app, ["import", table, str(path), "--home", str(home)])
        assert result.exit_code == 0, result.output
        outputs[table] = result.output
    assert "1 amounts in USD cannot be converted to CNY" in " ".join(
        outputs["opportunities"].split())
    computed = runner.invoke(app, ["kpi", "compute", "revenue_won,deals_won", "--period",
                                   "2025-Q1", "--home", str(home)])
    assert computed.exit_code == 0
    text = " ".join(computed.output.split())
    assert "revenue_won — (null / 空):" in text and "settings set currency USD" in text
    runner.invoke(app, ["settings", "set", "currency", "USD", "--home", str(home)])
    fixed = runner.invoke(app, ["kpi", "compute", "revenue_won", "--period", "2025-Q1",
                                "--format", "json", "--home", str(home)])
    assert '"revenue_won": 1170.375' in fixed.output
