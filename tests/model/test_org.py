from __future__ import annotations

import pytest
from pydantic import ValidationError

from salescore.core.text import Text
from salescore.model.org import DEFAULT_STAGES, OrgSettings, Pipeline, Stage, dump_settings


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


def test_a_stage_label_is_one_text_and_the_name_stands_in_for_none() -> None:
    proposal = Stage(name="proposal", label={"en": "Proposal", "zh": "方案报价"})
    assert proposal.label == Text("Proposal", "方案报价")
    assert (proposal.localized("zh_CN"), proposal.localized("en")) == ("方案报价", "Proposal")
    assert Stage(name="pilot").localized("zh_CN") == "pilot"
    assert [s.label for s in DEFAULT_STAGES if s.label is None] == []


def test_a_stage_knows_no_old_spelling_of_its_own() -> None:
    # The old label_en/label_zh are the settings file's to read (semantic.settings_file).
    with pytest.raises(ValidationError, match="label_en"):
        Stage.model_validate({"name": "lead", "label_en": "Lead"})
    with pytest.raises(ValidationError, match="label.zh"):
        Stage.model_validate({"name": "lead", "label": {"en": "Lead"}})


def test_the_file_is_written_in_the_one_spelling() -> None:
    text = dump_settings(OrgSettings(pipeline=Pipeline().with_stages(["pilot"])))
    assert "label_en" not in text and "label_zh" not in text
    assert "  - name: proposal\n    status: open\n    label:\n      en: Proposal\n" \
           "      zh: 方案报价\n" in text
    # A stage without a label is written without one, not as label: null.
    assert "  - name: pilot\n    status: open\n    probability: 0.0\n" in text
