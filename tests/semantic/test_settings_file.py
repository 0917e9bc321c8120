"""Reading ``salescore.yaml``: the one stage-label spelling, the old one still read with a
warning at file:line, and every error at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from salescore.core.errors import ConfigError, Location
from salescore.core.text import Text
from salescore.model.org import (
    Organisation,
    OrgSettings,
    Pipeline,
    Privacy,
    Stage,
    write_settings,
)
from salescore.semantic.settings_file import SettingsError, load_settings, parse_settings

PIPELINE_NEW = """\
organisation:
  name: Acme
pipeline:
  stages:
    - name: lead
      label: {en: Lead, zh: 线索}
    - name: pilot
    - name: won
      status: won
      label:
        en: Closed won
        zh: 赢单
    - name: lost
      status: lost
"""

PIPELINE_OLD = """\
organisation:
  name: Acme
pipeline:
  stages:
    - name: lead
      label_en: Lead
      label_zh: 线索
    - name: pilot
      label_en: ''
      label_zh: ''
    - name: won
      status: won
      label_zh: 赢单
      label_en: Closed won
    - name: lost
      status: lost
      label_en: Closed lost
"""


def _write(home: Path, text: str) -> Path:
    path = home / "salescore.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _errors(text: str) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        parse_settings(text, "salescore.yaml")
    return [str(issue) for issue in caught.value.issues]


def test_settings_round_trip_through_the_file(tmp_path: Path) -> None:
    settings = OrgSettings(organisation=Organisation(name="华东销售部", timezone="Asia/Shanghai",
                                                     fiscal_year_start_month=4, locale="zh_CN"),
                           pipeline=Pipeline().with_stages(["pilot"]))
    write_settings(tmp_path, settings)
    text = (tmp_path / "salescore.yaml").read_text(encoding="utf-8")
    assert "华东销售部" in text  # written as characters, not escapes
    assert load_settings(tmp_path) == (settings, ())


def test_missing_or_empty_file_means_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == (OrgSettings(), ())
    _write(tmp_path, "# nothing set yet\n")
    assert load_settings(tmp_path) == (OrgSettings(), ())


def test_a_stage_label_is_written_label_en_zh(tmp_path: Path) -> None:
    _write(tmp_path, PIPELINE_NEW)
    settings, warnings = load_settings(tmp_path)
    assert warnings == ()
    stages = settings.pipeline.stages
    assert [s.label for s in stages] == [Text("Lead", "线索"), None, Text("Closed won", "赢单"),
                                         None]
    assert [s.localized("zh_CN") for s in stages] == ["线索", "pilot", "赢单", "lost"]


def test_the_old_spelling_is_read_with_a_warning_at_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, PIPELINE_OLD)
    settings, warnings = load_settings(tmp_path)
    new, _ = parse_settings(PIPELINE_NEW, "new.yaml")
    # The same settings, except the lost stage's one language, read for both.
    assert settings.pipeline.stages[:3] == new.pipeline.stages[:3]
    assert settings.pipeline.stages[3] == Stage(name="lost", status="lost",
                                                label=Text("Closed lost", "Closed lost"))
    assert [(w.rule, w.severity, w.location, w.path) for w in warnings] == [
        ("deprecated-spelling", "warning", Location(str(path), line),
         ("pipeline", "stages", j, "label_en"))
        for j, line in ((0, 6), (1, 9), (2, 14), (3, 17))]
    assert str(warnings[0]) == (
        f"{path}:6: pipeline.stages[0].label_en: an old spelling, still read: write "
        "label: {en: ..., zh: ...} instead of label_en and label_zh [deprecated-spelling]")
    assert "旧写法" in warnings[0].localized("zh_CN")


def test_an_error_under_an_old_spelling_is_at_its_line() -> None:
    text = PIPELINE_OLD.replace("label_en: Lead", "label_en: Lead\n      colour: red")
    assert _errors(text) == [
        "salescore.yaml:7: pipeline.stages[0].colour: unknown key (a typo?) [schema]"]


def test_a_typo_is_an_error_naming_file_line_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "organisation:\n  timezon: UTC\n")
    with pytest.raises(ConfigError, match=r"salescore.yaml:2: organisation\.timezon") as caught:
        load_settings(tmp_path)
    assert str(caught.value) == \
        f"invalid settings:\n  {path}:2: organisation.timezon: unknown key (a typo?) [schema]"
    assert "设置无效" in caught.value.localized("zh_CN")
    assert "不认识的键" in caught.value.localized("zh_CN")


def test_every_error_is_listed_with_its_line() -> None:
    text = ("organisation:\n"
            "  timezone: Mars/Base\n"
            "  fiscal_year_start_month: 13\n"
            "pipeline:\n"
            "  stages:\n"
            "    - name: lead\n"
            "      label: {en: Lead}\n"
            "    - {name: won, status: won}\n"
            "    - {name: lost, status: lost}\n")
    errors = _errors(text)
    assert len(errors) == 3
    assert errors[0].startswith("salescore.yaml:2: organisation.timezone: unknown time zone "
                                "'Mars/Base'")
    assert errors[1].startswith("salescore.yaml:3: organisation.fiscal_year_start_month:")
    assert errors[2] == ("salescore.yaml:7: pipeline.stages[0].label.zh: required key is "
                         "missing [schema]")


def test_the_new_spelling_beside_the_old_is_an_unknown_key() -> None:
    text = PIPELINE_NEW.replace("label: {en: Lead, zh: 线索}",
                                "label: {en: Lead, zh: 线索}\n      label_zh: 线索")
    assert _errors(text) == [
        "salescore.yaml:7: pipeline.stages[0].label_zh: unknown key (a typo?) [schema]"]


def test_a_pipeline_rule_is_at_the_pipeline() -> None:
    text = "pipeline:\n  stages:\n    - {name: lead}\n    - {name: won, status: won}\n"
    errors = _errors(text)
    assert len(errors) == 1
    assert errors[0].startswith("salescore.yaml:1: pipeline: the pipeline needs at least one "
                                "stage with status 'lost'")


def test_invalid_yaml_duplicate_keys_and_a_list_are_errors_at_their_lines() -> None:
    assert _errors("organisation:\n  name: [unclosed\n")[0].startswith(
        "salescore.yaml:3: not valid YAML")
    assert _errors("organisation:\n  name: A\n  name: B\n") == [
        "salescore.yaml:3: organisation.name: key 'name' is written twice (first on line 2); "
        "the second would silently win [duplicate-key]"]
    assert _errors("- organisation\n") == [
        "salescore.yaml:1: the settings file is a mapping of keys (organisation, pipeline, "
        "privacy) [schema]"]


def test_the_leaderboard_privacy_is_read_written_and_checked(tmp_path: Path) -> None:
    assert parse_settings("", "salescore.yaml").settings.privacy == Privacy()
    assert Privacy().leaderboard == "rank_and_rating"
    shown = parse_settings("privacy:\n  leaderboard: scores\n", "salescore.yaml")
    assert shown == (OrgSettings(privacy=Privacy(leaderboard="scores")), ())
    write_settings(tmp_path, shown.settings)
    text = (tmp_path / "salescore.yaml").read_text(encoding="utf-8")
    assert "# privacy.leaderboard: " in text and "仅名次与评级" in text
    assert "privacy:\n  leaderboard: scores\n" in text
    assert load_settings(tmp_path) == shown
    errors = _errors("organisation:\n  name: A\nprivacy:\n  leaderboard: everything\n")
    assert len(errors) == 1 and errors[0].startswith("salescore.yaml:4: privacy.leaderboard: ")
    assert "'rank_and_rating' or 'scores'" in errors[0]
    assert _errors("privacy:\n  leaderbord: scores\n") == [
        "salescore.yaml:2: privacy.leaderbord: unknown key (a typo?) [schema]"]
