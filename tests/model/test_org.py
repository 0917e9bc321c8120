from __future__ import annotations

from pathlib import Path

import pytest

from salescore.core.errors import ConfigError
from salescore.model.org import (
    Organisation,
    OrgSettings,
    Pipeline,
    Stage,
    load_settings,
    write_settings,
)


def test_defaults_round_trip_through_the_file(tmp_path: Path) -> None:
    settings = OrgSettings(organisation=Organisation(name="华东销售部", timezone="Asia/Shanghai",
                                                     fiscal_year_start_month=4, locale="zh_CN"))
    write_settings(tmp_path, settings)
    text = (tmp_path / "salescore.yaml").read_text(encoding="utf-8")
    assert "华东销售部" in text  # written as characters, not escapes
    assert load_settings(tmp_path) == settings


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == OrgSettings()


def test_a_typo_is_an_error_naming_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "salescore.yaml").write_text("organisation:\n  timezon: UTC\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"salescore.yaml.*organisation\.timezon"):
        load_settings(tmp_path)


def test_unknown_time_zone_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "salescore.yaml").write_text("organisation:\n  timezone: Mars/Base\n",
                                             encoding="utf-8")
    with pytest.raises(ConfigError, match="Mars/Base"):
        load_settings(tmp_path)


def test_pipeline_needs_won_and_lost_and_unique_names() -> None:
    with pytest.raises(ValueError, match="status 'lost'"):
        Pipeline(stages=(Stage(name="a"), Stage(name="w", status="won")))
    with pytest.raises(ValueError, match="repeated: a"):
        Pipeline(stages=(Stage(name="a"), Stage(name="a"), Stage(name="w", status="won"),
                         Stage(name="l", status="lost")))


def test_appended_stages_go_before_the_closed_ones() -> None:
    pipeline = Pipeline().with_stages(["pilot", "lead"])
    names = pipeline.stage_names()
    assert names[-3:] == ("pilot", "won", "lost")
    assert names.count("lead") == 1
    assert pipeline.status_of("pilot") == "open"
