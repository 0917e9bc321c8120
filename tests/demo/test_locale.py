"""Names, regions, currency and settings follow the chosen locale."""

from __future__ import annotations

import pyarrow.compute as pc

from salescore.demo import DemoConfig, DemoData, demo_settings


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_chinese_organisation_speaks_chinese(small_zh: DemoData) -> None:
    reps = small_zh["reps"].column("name").to_pylist()
    assert all(_cjk(name) and 2 <= len(name) <= 4 for name in reps)
    customers = small_zh["customers"].column("name").to_pylist()[:200]
    assert all(_cjk(name) and name.endswith("公司") for name in customers)
    regions = set(pc.unique(small_zh["teams"].column("region")).drop_null().to_pylist())
    assert regions == {"华东", "华北", "华南"}
    assert "华东大区" in small_zh["teams"].column("name").to_pylist()
    assert set(pc.unique(small_zh["opportunities"].column("product")).to_pylist()) == {
        "标准版", "专业版", "旗舰版", "数据分析模块", "实施服务"}


def test_english_organisation_speaks_english(small_en: DemoData) -> None:
    reps = small_en["reps"].column("name").to_pylist()
    assert not any(_cjk(name) for name in reps)
    assert all(" " in name for name in reps)
    emails = small_en["reps"].column("email").to_pylist()
    assert len(set(emails)) == len(emails)
    assert all(e.endswith("@northwind.example") for e in emails)
    regions = set(pc.unique(small_en["teams"].column("region")).drop_null().to_pylist())
    assert regions == {"DACH", "Nordics", "Benelux"}


def test_codes_stay_the_same_in_every_locale(small_en: DemoData, small_zh: DemoData) -> None:
    for name, column in [("customers", "segment"), ("customers", "channel"),
                         ("activities", "outcome"), ("activities", "kind")]:
        en = set(pc.unique(small_en[name].column(column)).drop_null().to_pylist())
        zh = set(pc.unique(small_zh[name].column(column)).drop_null().to_pylist())
        assert en == zh, column
    assert "social" in set(small_en["customers"].column("channel").to_pylist())


def test_settings_match_the_locale() -> None:
    zh = demo_settings(DemoConfig(locale="zh_CN")).organisation
    en = demo_settings(DemoConfig(locale="en")).organisation
    assert (zh.timezone, zh.currency, zh.locale) == ("Asia/Shanghai", "CNY", "zh_CN")
    assert (en.timezone, en.currency, en.locale) == ("Europe/Berlin", "EUR", "en")
    assert _cjk(zh.name) and not _cjk(en.name)


def test_business_hours_are_local(small: DemoData) -> None:
    """Deals are created between 09:00 and 18:00 local time (UTC+8 or UTC+1/+2)."""
    hours = pc.hour(small["opportunities"].column("created_at")).to_pylist()
    if small.config.locale == "zh_CN":
        assert set(hours) <= set(range(1, 10))  # 09:00-17:59 in Shanghai
    else:
        assert set(hours) <= set(range(7, 17))  # 09:00-17:59 in Berlin, summer or winter
