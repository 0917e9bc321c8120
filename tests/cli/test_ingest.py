"""``salescore import``, ``export`` and ``quality`` as a user runs them: output and exit codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from salescore.appstore.models import ImportRun, QualityReport
from salescore.cli.main import app
from salescore.workspace import Workspace

runner = CliRunner()

DEALS = ("opportunity_id,customer_id,owner_rep_id,created_at,stage,amount,currency,channel\n"
         "o1,c1,r1,2025-03-01 09:00,lead,100,CNY,NA\n"
         "o2,c1,r2,2025-03-02 10:00,Demo,200,CNY,-\n"
         "o3,c2,r2,2025-03-03 11:00,proposal,lots,CNY,web\n")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    assert runner.invoke(app, ["init", "--home", str(folder)]).exit_code == 0
    return folder


def _deals(tmp_path: Path, text: str = DEALS) -> Path:
    path = tmp_path / "deals.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _json(args: list[str]) -> dict[str, object]:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_import_prints_counts_and_writes_rejects(tmp_path: Path, home: Path) -> None:
    result = runner.invoke(app, ["import", "opportunities", str(_deals(tmp_path)),
                                 "--home", str(home)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "read / 读取" in out and "inserted / 新增" in out and "rejected / 拒绝" in out
    assert "Unknown stages / 未知阶段: Demo (1)" in out
    assert "abbreviated" not in out and "not a number" in out
    rejects = sorted((home / "rejects").glob("opportunities-*.csv"))
    assert len(rejects) == 1
    assert "correct the cells there and import that file again" in " ".join(out.split())
    with rejects[0].open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    assert [(r["_file"], r["_row"], r["_key"]) for r in table] == [("deals.csv", "3", "o2"),
                                                                  ("deals.csv", "4", "o3")]
    assert table[0]["_problems"].startswith('stage = "Demo": stage not in the organisation')
    # The row as the file has it; "-" gets the quote that keeps a spreadsheet from running it.
    assert (table[0]["stage"], table[0]["amount"], table[0]["channel"]) == ("Demo", "200", "'-")
    with Workspace.open(home) as ws, ws._app.session() as session:
        run = session.scalars(select(ImportRun)).one()
        assert (run.table_name, run.status, run.read_rows, run.inserted, run.updated,
                run.unchanged, run.rejected) == ("opportunities", "loaded", 3, 1, 0, 0, 2)
        assert run.rejects_file == str(rejects[0])
        stored = session.scalars(select(QualityReport)).one()
        assert stored.import_run_id == run.id
        assert stored.report["tables"][3]["rows"] == 1


def test_reimport_is_unchanged_and_null_values_are_opt_in(tmp_path: Path, home: Path) -> None:
    path = _deals(tmp_path)
    first = _json(["import", "opportunities", str(path), "--home", str(home)])
    assert (first["inserted"], first["rejected"]) == (1, 2)
    again = _json(["import", "opportunities", str(path), "--home", str(home)])
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 1)
    with Workspace.open(home) as ws:
        assert ws._warehouse.execute_sql("SELECT channel FROM opportunities") == [("NA",)]
    nulls = _json(["import", "opportunities", str(path), "--home", str(home),
                   "--null-values", "NA,-"])
    assert (nulls["updated"], nulls["unchanged"]) == (1, 0)
    with Workspace.open(home) as ws:
        assert ws._warehouse.execute_sql("SELECT channel FROM opportunities") == [(None,)]


def test_add_stages_updates_the_settings(tmp_path: Path, home: Path) -> None:
    result = _json(["import", "opportunities", str(_deals(tmp_path)), "--home", str(home),
                    "--add-stages"])
    assert (result["inserted"], result["added_stages"]) == (2, ["Demo"])
    stages = yaml.safe_load((home / "salescore.yaml").read_text(encoding="utf-8"))
    names = [s["name"] for s in stages["pipeline"]["stages"]]
    assert names.index("Demo") == names.index("won") - 1


def test_strict_aborts_with_exit_1_and_changes_nothing(tmp_path: Path, home: Path) -> None:
    result = runner.invoke(app, ["import", "opportunities", str(_deals(tmp_path)), "--strict",
                                 "--home", str(home)])
    assert result.exit_code == 1, result.output
    assert "Aborted (--strict)" in result.output
    with Workspace.open(home) as ws:
        assert ws._warehouse.execute_sql("SELECT count(*) FROM opportunities") == [(0,)]
        with ws._app.session() as session:
            assert session.scalars(select(ImportRun.status)).all() == ["aborted"]


@pytest.mark.parametrize(("args", "message"), [
    (["import", "deals", "{file}"], "unknown table 'deals'"),
    (["import", "opportunities", "{dir}/missing.csv"], "file not found"),
    (["import", "opportunities", "{file}", "--preset", "pipedrive"], "unknown preset 'pipedrive'"),
    (["import", "opportunities", "{file}", "--mapping", "{dir}/m.yaml", "--preset",
      "hubspot-deals"], "give a mapping file or a preset, not both"),
    (["import", "opportunities", "{file}", "--mapping", "{dir}/m.yaml"],
     "m.yaml:3: columns.amount.form: unknown key 'form' (did you mean 'from'?)"),
    (["import", "opportunities", "{file}", "--date-order", "ydm"], "--date-order is dmy or mdy"),
    (["import", "opportunities", "{file}", "--encoding", "utf-99"], "unknown encoding"),
    (["export", "deals", "{dir}/x.csv"], "unknown table 'deals'"),
    (["export", "teams", "{dir}/x.txt"], "cannot export to .txt"),
    (["quality", "deals"], "unknown table deals"),
])
def test_unusable_arguments_exit_2(tmp_path: Path, home: Path, args: list[str],
                                   message: str) -> None:
    (tmp_path / "m.yaml").write_text("table: opportunities\ncolumns:\n  amount: {form: Amount}\n",
                                     encoding="utf-8")
    filled = [a.format(file=_deals(tmp_path), dir=tmp_path) for a in args]
    result = runner.invoke(app, [*filled, "--home", str(home)])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_a_file_whose_headers_match_nothing_names_the_expected_columns(tmp_path: Path,
                                                                      home: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Deal,Value\nAcme,100\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "opportunities", str(path), "--home", str(home)])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    # An open deal's customer and amount may be unknown: only what a deal needs is asked for.
    assert ("export.csv has no column for required opportunity_id, owner_rep_id, "
            "created_at, stage of opportunities; its columns: Deal, Value.") in said
    assert "缺少 opportunities 的必填列 opportunity_id, owner_rep_id, created_at, " \
           "stage；现有列：Deal, Value。" in said


def test_export_then_import_changes_nothing(tmp_path: Path, home: Path) -> None:
    _json(["import", "opportunities", str(_deals(tmp_path)), "--home", str(home),
           "--add-stages"])
    for suffix in ("csv", "xlsx", "parquet"):
        out = tmp_path / f"export.{suffix}"
        result = runner.invoke(app, ["export", "opportunities", str(out), "--home", str(home)])
        assert result.exit_code == 0, result.output
        assert "Exported / 已导出 2 rows of opportunities" in result.output
        again = _json(["import", "opportunities", str(out), "--home", str(home)])
        assert (again["inserted"], again["updated"], again["unchanged"], again["rejected"]) \
            == (0, 0, 2, 0)


def test_preset_and_sheet_options(tmp_path: Path, home: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(tmp_path / "crm.xlsx"))
    book.add_worksheet("说明").write(0, 0, "导出说明")
    ws = book.add_worksheet("客户")
    ws.write_row(0, 0, ["客户编号", "客户名称", "创建时间"])
    ws.write_row(1, 0, ["KH001", "上海某某", "2025-03-01 09:00:00"])
    book.close()
    result = _json(["import", "customers", str(tmp_path / "crm.xlsx"), "--preset",
                    "jiandaoyun-customers", "--sheet", "客户", "--home", str(home)])
    assert (result["inserted"], result["mapping"]) == (1, "preset:jiandaoyun-customers")


def test_quality_as_table_and_json(tmp_path: Path, home: Path) -> None:
    _json(["import", "opportunities", str(_deals(tmp_path)), "--home", str(home)])
    shown = runner.invoke(app, ["quality", "--home", str(home)])
    assert shown.exit_code == 0, shown.output
    assert "Data quality / 数据质量" in shown.output and "opportunities" in shown.output
    report = _json(["quality", "opportunities", "--home", str(home)])
    tables = report["tables"]
    assert isinstance(tables, list) and tables[0]["name"] == "opportunities"
    assert tables[0]["orphans"] == {"customer_id": 1, "owner_rep_id": 1}
    with Workspace.open(home) as ws, ws._app.session() as session:
        on_demand = session.scalars(select(QualityReport).where(
            QualityReport.import_run_id.is_(None))).all()
        assert len(on_demand) == 2


def test_rejects_go_where_asked(tmp_path: Path, home: Path) -> None:
    target = tmp_path / "out" / "bad-rows.csv"
    result = _json(["import", "opportunities", str(_deals(tmp_path)), "--home", str(home),
                    "--rejects", str(target)])
    assert result["rejects_file"] == str(target)
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 3
    assert lines[0].startswith('"_file","_row","_key","_problems","_problems_zh","opportunity_id"')


def test_the_import_report_shows_the_mappings_warnings(tmp_path: Path, home: Path) -> None:
    mapping = tmp_path / "teams.yaml"
    mapping.write_text("table: teams\ndescription_en: Teams\ndescription_zh: 团队\n"
                       "columns: {team_id: Team, name: Name}\n", encoding="utf-8")
    source = tmp_path / "teams.csv"
    source.write_text("Team,Name\nt1,East\n", encoding="utf-8")
    args = ["import", "teams", str(source), "--mapping", str(mapping), "--home", str(home)]
    shown = runner.invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert (f"warning / 警告: {mapping}:2: description_en: an old spelling, still read: write "
            "description: {en: ..., zh: ...} instead of description_en and description_zh "
            "[deprecated-spelling]") in shown.stdout
    result = _json([*args[:-2], "--home", str(home)])
    assert result["warnings"] == [
        f"{mapping}:2: description_en: an old spelling, still read: write "
        "description: {en: ..., zh: ...} instead of description_en and description_zh "
        "[deprecated-spelling]"]
    mapping.write_text("table: teams\ndescription: {en: Teams, zh: 团队}\n"
                       "columns: {team_id: Team, name: Name}\n", encoding="utf-8")
    shown = runner.invoke(app, args)
    assert shown.exit_code == 0 and "warning" not in shown.output, shown.output


def test_import_all_loads_every_table_of_a_mapping_in_order(tmp_path: Path, home: Path) -> None:
    sheet = tmp_path / "team.csv"
    sheet.write_text("Agent,Office\nr1,East\nr2,East\nr3,West\n", encoding="utf-8")
    mapping = tmp_path / "team.yaml"
    mapping.write_text("tables:\n"
                       "  reps:\n"
                       "    columns: {rep_id: Agent, name: Agent, team_id: Office,\n"
                       "              active: {constant: 'yes'}}\n"
                       "  teams:\n"
                       "    columns: {team_id: Office, name: Office}\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "all", str(sheet), "--mapping", str(mapping),
                                 "--home", str(home), "--format", "json"])
    assert result.exit_code == 0, result.output
    # Teams first, so that the reps' teams are there when reps load: no orphans.
    assert [(r["table"], r["inserted"], r["unchanged"], r["orphans"])
            for r in json.loads(result.stdout)] == [("teams", 2, 1, {}), ("reps", 3, 0, {})]
    alone = tmp_path / "one.yaml"
    alone.write_text("columns: {team_id: Office, name: Office}\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "all", str(sheet), "--mapping", str(alone),
                                 "--home", str(home)])
    assert result.exit_code == 2 and "needs a mapping that names its tables" in result.output
