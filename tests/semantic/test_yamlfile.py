"""The one YAML reader: lines of key paths, duplicate keys and Pydantic errors placed on lines,
the same for the KPI catalogue, plans and mappings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from salescore.core.text import Text
from salescore.ingest.mapping import parse_mapping
from salescore.ingest.problems import IngestError
from salescore.semantic.issues import Issue, IssuesFound
from salescore.semantic.loader import read_files
from salescore.semantic.plan_loader import check_plan_text
from salescore.semantic.rules import Rule, run_rules
from salescore.semantic.yamlfile import read_yaml, read_yaml_file, schema_issues


def test_invalid_yaml_is_one_issue_at_the_line_where_the_parser_stopped() -> None:
    doc = read_yaml("a: 1\nb: [1, 2\nc: 3\n", "f.yaml")
    assert doc.data is None
    assert [(i.rule, str(i.location)) for i in doc.issues] == [("yaml", "f.yaml:3")]
    assert doc.issues[0].message.startswith("not valid YAML: ")
    assert doc.issues[0].message_zh.startswith("YAML 格式错误：")


def test_an_unreadable_file_is_one_issue(tmp_path: Path) -> None:
    doc = read_yaml_file(tmp_path / "absent.yaml")
    assert doc.data is None and [i.rule for i in doc.issues] == ["file"]


def test_lines_below_a_key_and_relative_to_it() -> None:
    lines = read_yaml("kpis:\n  - name: a\n    label: {en: A, zh: 甲}\n", "k.yaml").lines
    assert lines.line_of(("kpis", 0, "label", "zh")) == 3
    assert lines.within(("kpis", 0)) == {("name",): 2, ("label",): 3, ("label", "en"): 3,
                                         ("label", "zh"): 3}
    assert lines.line_of(("nope",)) == 1 and lines.line_of(("nope",), top=False) is None
    assert lines.moved({("title",): ("kpis",)}).line_of(("title",)) == 1


DUPLICATE = {
    "catalogue": "kpis:\n  - name: twice\n    unit: count\n    unit: ratio\n",
    "plan": "name: p\ngrain: month\ngrain: quarter\n",
    "mapping": "table: teams\ncolumns: {team_id: A}\ncolumns: {team_id: B}\n",
}


def _duplicate(kind: str, tmp_path: Path) -> Issue:
    text = DUPLICATE[kind]
    match kind:
        case "catalogue":
            path = tmp_path / "k.yaml"
            path.write_text(text, encoding="utf-8")
            issues = read_files([path])[1]
        case "plan":
            issues = list(check_plan_text(text, file="p.yaml").errors)
        case _:
            with pytest.raises(IngestError) as caught:
                parse_mapping(text, origin="m.yaml")
            where = f"{caught.value.location}: "  # an error's message leads with its file:line
            return Issue("duplicate-key", Text(caught.value.message.removeprefix(where),
                                               caught.value.message_zh.removeprefix(where)),
                         caught.value.location)
    return next(i for i in issues if i.rule == "duplicate-key")


@pytest.mark.parametrize(("kind", "line", "message"), [
    ("catalogue", 4, "kpis[0].unit: key 'unit' is written twice (first on line 3); the second "
                     "would silently win"),
    ("plan", 3, "grain: key 'grain' is written twice (first on line 2); the second would "
                "silently win"),
    ("mapping", 3, "columns: key 'columns' is written twice (first on line 2); the second "
                   "would silently win"),
])
def test_a_key_written_twice_is_reported_one_way_everywhere(kind: str, line: int, message: str,
                                                            tmp_path: Path) -> None:
    issue = _duplicate(kind, tmp_path)
    assert issue.location is not None and issue.location.line == line
    assert issue.message == message
    assert "出现了两次" in issue.message_zh


class _Fixed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: Literal["fixed"]
    value: float


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: Literal["table"]


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kpi: str
    target: _Fixed | _Table = Field(discriminator="source")


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[_Line]

    @model_validator(mode="after")
    def _rules(self) -> _Doc:
        if len(self.lines) > 1:
            raise IssuesFound([Issue("one-line", Text("one line only", "只能一行"),
                                     path=("lines", 1))])
        return self


def _issues(text: str, **kw: object) -> list[tuple[str, str, str, str]]:
    doc = read_yaml(text, "d.yaml")
    with pytest.raises(ValidationError) as caught:
        _Doc.model_validate(doc.data)
    return [(i.rule, str(i.location), i.message, i.message_zh)
            for i in schema_issues(caught.value, doc.data, doc.lines, **kw)]  # type: ignore[arg-type]


def test_union_tags_are_left_out_and_a_missing_key_is_named() -> None:
    text = "lines:\n  - kpi: a\n    target: {source: fixed, valeu: 3}\n"
    assert _issues(text) == [
        ("schema", "d.yaml:3", "lines[0].target.value: required key is missing",
         "lines[0].target.value：缺少必填项"),
        ("schema", "d.yaml:3", "lines[0].target.valeu: unknown key (a typo?)",
         "lines[0].target.valeu：不认识的键（拼写错误？）"),
    ]
    hint = _issues(text, unknown_key=lambda key: Text(f"no {key}", f"无 {key}"))
    assert hint[1][2:] == ("lines[0].target.valeu: no valeu", "lines[0].target.valeu：无 valeu")


def test_a_wrong_type_is_translated() -> None:
    assert _issues("lines:\n  - kpi: a\n    target: {source: fixed, value: lots}\n") == [
        ("schema", "d.yaml:3", "lines[0].target.value: Input should be a valid number, unable "
         "to parse string as a number",
         "lines[0].target.value：应为数字（Input should be a valid number, unable to parse "
         "string as a number）")]


def test_issues_a_model_s_rules_raise_keep_their_rule_and_line() -> None:
    text = "lines:\n  - {kpi: a, target: {source: table}}\n  - {kpi: b, target: {source: table}}\n"
    assert _issues(text) == [
        ("one-line", "d.yaml:3", "lines[1]: one line only", "lines[1]：只能一行")]


def test_an_item_validated_alone_is_placed_in_its_document() -> None:
    doc = read_yaml("kpis:\n  - kpi: a\n    colour: red\n", "k.yaml")
    item = doc.data["kpis"][0]
    with pytest.raises(ValidationError) as caught:
        _Line.model_validate(item)
    issues = schema_issues(caught.value, item, doc.lines, at=("kpis", 0))
    assert [(str(i.location), i.message) for i in issues] == [
        ("k.yaml:2", "target: required key is missing"),
        ("k.yaml:3", "colour: unknown key (a typo?)")]


class _Blank(Rule[dict[str, str]]):
    """A value is not blank."""

    name = "blank"
    severity = "warning"

    def check(self, subject: dict[str, str]) -> Iterator[Issue]:
        for key, value in subject.items():
            if not value.strip():
                yield self.issue(f"{key} is blank", f"{key} 为空", path=(key,))


def test_a_rule_is_a_class_with_an_id_and_a_severity() -> None:
    found = run_rules([_Blank()], {"a": "x", "b": " "})
    assert [(i.rule, i.severity, i.path, i.location) for i in found] == [
        ("blank", "warning", ("b",), None)]
    assert str(found[0]) == "b: b is blank [blank]"
    assert found[0].localized("zh_CN") == "b：b 为空 [blank]"


def test_an_unprintable_character_is_an_issue_at_its_line_not_a_crash() -> None:
    document = read_yaml("name: a\nnote: bell \x07 here\n", "plan.yaml")
    assert document.data is None
    (issue,) = document.issues
    assert str(issue.location) == "plan.yaml:2"
    assert issue.text.en == "not valid YAML: character '\\x07' is not allowed (only printable text)"


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    """``levels`` lists of ``width`` aliases of the list before: width**levels values once
    expanded (9 x 9: 387 million), in ten short lines."""
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]"
              for i in range(1, levels)]
    return "kpis:\n" + "".join(f"  {line}\n" for line in lines)


def test_an_alias_bomb_is_refused_at_its_line_in_every_reader_well_under_a_second(
        tmp_path: Path) -> None:
    import time

    from salescore.semantic.settings_file import SettingsError, parse_settings

    text = _alias_bomb()
    catalogue = tmp_path / "bomb.yaml"
    catalogue.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    doc = read_yaml(text, "bomb.yaml")
    assert doc.data is None
    assert [(i.rule, str(i.location)) for i in doc.issues] == [("yaml-alias", "bomb.yaml:3")]
    assert doc.issues[0].message == ("YAML aliases are not read (*a0): write the value out "
                                     "where it is used")
    assert doc.issues[0].message_zh == "不读取 YAML 别名（*a0）：请在使用处直接写出取值"
    # The plan checker, the KPI catalogue, an import mapping and the settings: the same issue.
    plan = check_plan_text(text, file="plan.yaml")
    assert [(i.rule, str(i.location)) for i in plan.errors] == [("yaml-alias", "plan.yaml:3")]
    _, issues = read_files([catalogue])
    assert [(i.rule, i.location.line if i.location else None) for i in issues] == \
        [("yaml-alias", 3)]
    with pytest.raises(IngestError, match=r"map\.yaml:3: YAML aliases are not read"):
        parse_mapping(text, origin="map.yaml")
    with pytest.raises(SettingsError, match=r"salescore\.yaml:3: YAML aliases are not read"):
        parse_settings(text, "salescore.yaml")
    assert time.perf_counter() - started < 0.5
