"""Mapping files: every key does what docs/import.md says, and mistakes name file and line."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from salescore.core.text import Text
from salescore.ingest.mapping import load_mapping, load_preset, parse_mapping, preset_names
from salescore.ingest.problems import IngestError
from salescore.ingest.readers import source_from_arrow
from salescore.ingest.transform import apply_mapping

REPS = source_from_arrow(pa.table({
    "姓名": ["张伟", "李娜", "王芳"],
    "工号": ["E01", "E02", "E03"],
    "部门": ["华东区/上海一组", "华东区/上海一组", "华北区/北京组"],
    "上级工号": ["", "E01", "E01"],
    "状态": ["在职", "在职", "离职"],
    "First": ["Wei", "Na", None],
    "Last": ["Zhang", None, None],
}), "销售名单.xlsx")


def test_rename_split_values_default_constant_template() -> None:
    spec = parse_mapping("""
table: reps
columns:
  rep_id: 工号
  name: {template: "{First} {Last}"}
  team_id: {from: 部门, split: {separator: /, index: -1}}
  manager_rep_id: 上级工号
  title: {constant: 销售代表}
  active: {from: 状态, values: {在职: "true", 离职: "false"}}
  email: {from: Email, optional: true}
""")
    mapped = apply_mapping(REPS, "reps", spec)
    columns = {k: v.raw.to_pylist() for k, v in mapped.columns.items()}
    assert columns == {
        "rep_id": ["E01", "E02", "E03"],
        "name": ["Wei Zhang", "Na", None],
        "team_id": ["上海一组", "上海一组", "北京组"],
        "manager_rep_id": [None, "E01", "E01"],
        "title": ["销售代表"] * 3,
        "active": ["true", "true", "false"],
    }
    assert mapped.ignored == ("姓名",)
    assert mapped.columns["team_id"].source == "部门"


def test_one_sheet_feeds_two_tables() -> None:
    teams = parse_mapping("""
table: teams
columns:
  team_id: {from: 部门, split: {separator: /, index: 1}}
  name: {from: 部门, split: {separator: /, index: 1}}
  region: {from: 部门, split: {separator: /, index: 0}}
""")
    mapped = apply_mapping(REPS, "teams", teams)
    assert mapped.columns["region"].raw.to_pylist() == ["华东区", "华东区", "华北区"]


def test_when_coalesce_unmapped_and_null_values() -> None:
    source = source_from_arrow(pa.table({
        "Stage": ["Closed Won", "Negotiation", "Lost!", "n/a"],
        "CloseDate": ["2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01"],
        "Closed": ["true", "false", "TRUE", "false"],
        "Primary": [None, "p2", None, None],
        "Backup": ["b1", "b2", None, "b4"],
    }))
    spec = parse_mapping("""
columns:
  stage: {from: Stage, values: {closed won: won, negotiation: negotiation}, unmapped: reject}
  closed_at: {from: CloseDate, when: {column: Closed, in: ["true"]}}
  expected_close_date: {from: CloseDate, when: {column: Stage, matches: "^Neg"}}
  product: {coalesce: [Primary, Backup]}
  channel: {from: Backup, default: direct}
source: {null_values: ["n/a"]}
""")
    mapped = apply_mapping(source, "opportunities", spec)
    stage = mapped.columns["stage"]
    assert stage.raw.to_pylist() == ["won", "negotiation", None, None]
    assert [p.mask.to_pylist() for p in stage.problems] == [[False, False, True, False]]
    assert mapped.columns["closed_at"].raw.to_pylist() == ["2025-03-01", None, "2025-05-01",
                                                           None]
    assert mapped.columns["expected_close_date"].raw.to_pylist() == [None, "2025-04-01", None,
                                                                     None]
    assert mapped.columns["product"].raw.to_pylist() == ["b1", "p2", None, "b4"]
    assert mapped.columns["channel"].raw.to_pylist() == ["b1", "b2", "direct", "b4"]


def test_without_a_mapping_canonical_headers_load_as_they_are() -> None:
    source = source_from_arrow(pa.table({"Team ID": ["t1"], "NAME": ["East"], "other": ["x"]}))
    mapped = apply_mapping(source, "teams", None)
    assert list(mapped.columns) == ["team_id", "name"]
    assert mapped.ignored == ("other",)


@pytest.mark.parametrize(("text", "message"), [
    ("table: deals\ncolumns: {}\n", r"m.yaml:1: table: unknown table 'deals'"),
    ("columns:\n  amount: {from: A, multipy: 2}\n",
     r"m.yaml:2: columns.amount.multipy: unknown key 'multipy' \(did you mean 'multiply'\?\)"),
    ("columns:\n  amount: {from: A, constant: 1}\n",
     r"m.yaml:2: columns.amount: give exactly one of from, coalesce, template, constant"),
    ("columns:\n  created_at:\n    from: A\n    format: '%d/%q'\n",
     r"m.yaml:4: columns.created_at.format: unsupported directive '%q'"),
    ("table: teams\ncolumns:\n  team_id: A\n  colour: B\n",
     r"m.yaml:4: columns.colour: teams has no column 'colour'; its columns: team_id, name"),
    ("columns: [1, 2\n", r"m.yaml:\d: not valid YAML"),
    ("columns:\n  closed_at: {from: A, default_time: '25:00'}\n",
     r"m.yaml:2: columns.closed_at.default_time: String should match pattern"),
    ("timezone: Mars/Olympus\ncolumns: {}\n", r"m.yaml:1: timezone: unknown time zone"),
])
def test_mistakes_name_the_file_and_line(text: str, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        parse_mapping(text, origin="m.yaml")


def test_a_typo_in_a_key_is_named_in_both_languages_with_the_likely_key() -> None:
    with pytest.raises(IngestError) as caught:
        parse_mapping("columns:\n  stage:\n    from: S\n    valeus: {a: lead}\n"
                      "    unmaped: reject\n", origin="m.yaml")
    assert str(caught.value).startswith(
        "m.yaml:4: columns.stage.valeus: unknown key 'valeus' (did you mean 'values'?) "
        "(and 1 more)")
    assert caught.value.message_zh == ("m.yaml:4: columns.stage.valeus：未知的键 'valeus'"
                                       "（是否应为 'values'？）（另有 1 处）")


def test_a_source_column_the_file_lacks_names_the_mapping_line(tmp_path: Path) -> None:
    path = tmp_path / "reps.yaml"
    path.write_text("table: reps\ncolumns:\n  rep_id: 工号\n  name:\n    from: 名字\n",
                    encoding="utf-8")
    spec = load_mapping(path)
    with pytest.raises(IngestError, match=rf"{path}:5: column '名字' \(for name\) is not in "
                                          r"销售名单.xlsx; its columns: 姓名, 工号"):
        apply_mapping(REPS, "reps", spec)
    with pytest.raises(IngestError, match="this mapping is for table 'reps', not 'teams'"):
        apply_mapping(REPS, "teams", spec)


def test_presets_load_and_unknown_ones_are_listed() -> None:
    assert set(preset_names()) >= {
        "salesforce-opportunities", "salesforce-accounts", "salesforce-tasks",
        "salesforce-events", "hubspot-deals", "hubspot-companies", "hubspot-engagements",
        "jiandaoyun-customers", "jiandaoyun-opportunities", "jiandaoyun-followups"}
    assert load_preset("hubspot-deals").table == "opportunities"
    with pytest.raises(IngestError, match="unknown preset 'pipedrive'; presets: hubspot"):
        load_preset("pipedrive")


def test_otherwise_fills_where_the_first_rule_gives_nothing() -> None:
    source = source_from_arrow(pa.table({"Stage": ["Angebot", "Angebot", "Angebot"],
                                         "Status": ["Open", "Lost", "Won"]}))
    spec = parse_mapping("""
columns:
  stage:
    from: Stage
    when: {column: Status, in: [open]}
    values: {Angebot: proposal}
    otherwise: {from: Status, values: {Won: won, Lost: lost}}
""")
    mapped = apply_mapping(source, "opportunities", spec)
    assert mapped.columns["stage"].raw.to_pylist() == ["proposal", "lost", "won"]


def test_a_description_is_written_en_zh_and_the_old_spelling_is_still_read() -> None:
    new = parse_mapping("table: teams\ndescription: {en: Teams, zh: 团队}\ncolumns: {team_id: A}\n",
                        origin="new.yaml")
    assert new.description == Text("Teams", "团队") and new.warnings == ()
    old = parse_mapping("table: teams\ndescription: Teams\ndescription_zh: 团队\n"
                        "columns: {team_id: A}\n", origin="old.yaml")
    assert old.description == new.description
    assert [(w.rule, w.severity, str(w.location)) for w in old.warnings] == [
        ("deprecated-spelling", "warning", "old.yaml:2")]
    assert old.warnings[0].message == (
        "description: an old spelling, still read: write description: {en: ..., zh: ...} "
        "instead of description and description_zh")
    assert parse_mapping("description: Teams\ncolumns: {}\n").description == Text.same("Teams")


def test_a_key_written_twice_is_an_error_at_its_second_line() -> None:
    with pytest.raises(IngestError) as caught:
        parse_mapping("table: teams\ncolumns:\n  team_id: A\n  team_id: B\n", origin="m.yaml")
    assert str(caught.value) == ("m.yaml:4: columns.team_id: key 'team_id' is written twice "
                                 "(first on line 3); the second would silently win")
    assert caught.value.location is not None and caught.value.location.line == 4
