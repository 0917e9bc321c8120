"""Bilingual text: one type, one test of a Chinese locale, and the YAML shape ``{en, zh}``."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from salescore.core.errors import ConfigError
from salescore.core.text import Text, is_chinese


@pytest.mark.parametrize(("locale", "chinese"), [
    ("zh", True), ("zh_CN", True), ("zh-Hans", True), ("ZH-tw", True), ("zh_CN.UTF-8", True),
    ("en", False), ("en_US", False), ("en-GB", False), ("", False),
])
def test_is_chinese(locale: str, chinese: bool) -> None:
    assert is_chinese(locale) is chinese


def test_a_text_reads_in_either_language() -> None:
    text = Text("Revenue won", "赢单金额")
    assert (text.get("zh_CN"), text.get("zh-Hans"), text.get("en_US")) == (
        "赢单金额", "赢单金额", "Revenue won")
    assert str(text) == "Revenue won" and f"{text}" == "Revenue won"
    assert Text.same("r1") == Text("r1", "r1")
    assert {text: 1}[Text("Revenue won", "赢单金额")] == 1  # frozen, hashable


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Text
    note: Text | None = None


def test_as_a_field_it_validates_from_en_zh_and_dumps_back() -> None:
    doc = _Doc.model_validate({"title": {"en": "Field sales", "zh": "外勤销售"}})
    assert doc.title == Text("Field sales", "外勤销售") and doc.note is None
    assert doc.model_dump() == {"title": {"en": "Field sales", "zh": "外勤销售"}, "note": None}
    assert _Doc.model_validate(doc.model_dump()) == doc
    assert _Doc(title=Text("a", "甲")).title.zh == "甲"
    assert _Doc.model_validate_json('{"title": {"en": "a", "zh": "甲"}}').title.en == "a"


@pytest.mark.parametrize(("title", "loc", "kind"), [
    ({"en": "Field sales"}, ("title", "zh"), "missing"),
    ({"en": "Field sales", "zh": "外勤销售", "fr": "Ventes"}, ("title", "fr"), "extra_forbidden"),
    ({"en": "", "zh": "外勤销售"}, ("title", "en"), "string_too_short"),
    ("Field sales", ("title",), "dict_type"),
])
def test_both_languages_are_required(title: object, loc: tuple[str, ...], kind: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _Doc.model_validate({"title": title})
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [(loc, kind)]


def test_errors_carry_a_text() -> None:
    error = ConfigError("no such plan", message_zh="没有该方案")
    assert error.text == Text("no such plan", "没有该方案")
    assert (error.message, error.message_zh, str(error)) == (
        "no such plan", "没有该方案", "no such plan")
    assert error.localized("zh-Hans") == "没有该方案"
    assert ConfigError("only English").localized("zh_CN") == "only English"
    assert ConfigError(Text("a", "甲")).message_zh == "甲"
