"""What a mapping file should change (an old spelling) comes back with the import's result, and
each quality finding carries one bilingual text."""

from __future__ import annotations

from pathlib import Path

from salescore.core.errors import Location
from salescore.core.text import Text
from salescore.engine.warehouse import Warehouse
from salescore.ingest import import_file, load_mapping, quality_report
from salescore.model.org import OrgSettings

from .conftest import write_csv

TEAMS = "Team,Name\nt1,East\nt2,West\n"


def test_the_mappings_warnings_come_back_with_the_result(tmp_path: Path, duck: Warehouse
                                                         ) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text("table: teams\ndescription: Teams\ndescription_zh: 团队\n"
                    "columns: {team_id: Team, name: Name}\n", encoding="utf-8")
    source = write_csv(tmp_path / "teams.csv", TEAMS)
    result = import_file(duck, OrgSettings(), "teams", source, mapping=load_mapping(path))
    assert result.loaded and result.inserted == 2
    assert [(w.rule, w.severity, w.location) for w in result.warnings] == [
        ("deprecated-spelling", "warning", Location(str(path), 2))]
    assert import_file(duck, OrgSettings(), "teams",
                       write_csv(tmp_path / "t.csv", "team_id,name\nt3,North\n")).warnings == ()


def test_a_quality_finding_carries_one_text(duck: Warehouse) -> None:
    duck.execute_sql("INSERT INTO reps (rep_id, name, team_id, active) "
                     "VALUES ('r1', 'Ann', 't9', TRUE)")
    report = quality_report(duck, OrgSettings(), ["reps"])
    (issue,) = [i for i in report.table("reps").issues if i.check == "orphans:team_id"]
    assert issue.text == Text("team_id names no teams row", "team_id 在 teams 中不存在")
    assert (issue.en, issue.zh) == (issue.text.en, issue.text.zh)
    # The stored report keeps its shape: the text as en and zh.
    (stored,) = [i for i in report.to_dict()["tables"][0]["issues"]
                 if i["check"] == "orphans:team_id"]
    assert stored == {"check": "orphans:team_id", "severity": "warning", "rows": 1,
                      "en": "team_id names no teams row", "zh": "team_id 在 teams 中不存在",
                      "examples": ["t9"]}
