"""Changing the organisation's settings after ``init``: one key at a time, validated, audited.

``salescore settings set KEY VALUE`` and ``settings show`` go through here. A value is checked
as the settings file is (an unknown time zone, a currency that is not an ISO 4217 code, a
fiscal month outside 1-12, a pipeline without a won or a lost stage are refused, naming the
key and the value), then written to ``salescore.yaml`` and kept in the audit log (``settings.set``
with the value before and after).

>>> from salescore.model.org import OrgSettings
>>> apply_setting(OrgSettings(), "currency", "usd").organisation.currency
'USD'
>>> [s.name for s in apply_setting(OrgSettings(), "stages", "new, won:won, lost:lost")
...  .pipeline.stages]
['new', 'won', 'lost']
>>> apply_setting(OrgSettings(), "fiscal_start", "13")
Traceback (most recent call last):
...
salescore.core.errors.ConfigError: fiscal_start: 13 is not a month (1-12)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from salescore.core.errors import ConfigError

# Pydantic and the settings' models when a value is checked: ``salescore --help`` lists the
# keys below without them.
if TYPE_CHECKING:
    from salescore.model.org import OrgSettings, Pipeline

SETTING_KEYS: dict[str, tuple[str, str]] = {
    "name": ("organisation name", "组织名称"),
    "currency": ("reporting currency, ISO 4217 (CNY, USD, EUR, ...)", "报告币种（ISO 4217）"),
    "timezone": ("IANA time zone (Asia/Shanghai, UTC, ...)", "时区（IANA 名称）"),
    "fiscal_start": ("first month of the fiscal year, 1-12", "财年起始月份（1-12）"),
    "locale": ("en or zh_CN", "界面语言：en 或 zh_CN"),
    "stages": ("the pipeline's stages in order, comma-separated, each name[:open|won|lost] "
               "(labels of stages kept by name are kept)",
               "销售流程阶段（按顺序、逗号分隔，每项 名称[:open|won|lost]；同名阶段的显示名保留）"),
    "train_after_import": ("train the models again after each import: true or false",
                           "每次导入后重新训练模型：true 或 false"),
    "train_budget_seconds": ("seconds the training after an import may take (1-3600)",
                             "导入后训练的时间上限（秒，1-3600）"),
}
"""The keys ``settings set`` takes, each with what its value is (en, zh-CN)."""

_ORGANISATION_FIELDS = {"name": "name", "currency": "currency", "timezone": "timezone",
                        "fiscal_start": "fiscal_year_start_month", "locale": "locale"}


def setting_values(settings: OrgSettings) -> dict[str, str]:
    """Each key of :data:`SETTING_KEYS` with its value as ``settings set`` writes it."""
    org = settings.organisation
    stages = ", ".join(s.name if s.status == "open" else f"{s.name}:{s.status}"
                       for s in settings.pipeline.stages)
    return {"name": org.name, "currency": org.currency, "timezone": org.timezone,
            "fiscal_start": str(org.fiscal_year_start_month), "locale": org.locale,
            "stages": stages, "train_after_import": str(settings.ml.train_after_import).lower(),
            "train_budget_seconds": str(settings.ml.train_budget_seconds)}


def _refused(key: str, value: str, why: str, why_zh: str | None = None) -> ConfigError:
    return ConfigError(f"{key}: {why}", message_zh=f"{key}：{why_zh or why}")


def _stages(value: str, pipeline: Pipeline) -> Pipeline:
    from pydantic import ValidationError

    from salescore.model.org import Pipeline, Stage

    known = {s.name: s for s in pipeline.stages}
    stages: list[Stage] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        name, _, status = (p.strip() for p in item.partition(":"))
        status = status or (known[name].status if name in known else "open")
        if status not in ("open", "won", "lost"):
            raise _refused("stages", value, f"{name}: status {status!r} is not open, won or lost",
                           f"{name}：状态 {status!r} 不是 open、won 或 lost")
        kept = known.get(name)
        stages.append(Stage(name=name, status=status,
                            label=kept.label if kept else None,
                            probability=kept.probability if kept else 0.0))
    try:
        return Pipeline(stages=tuple(stages))
    except ValidationError as exc:
        why = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise _refused("stages", value, why) from None


def _ml(settings: OrgSettings, key: str, value: str) -> Any:
    from salescore.model.org import MlSettings

    ml = settings.ml
    if key == "train_after_import":
        flag = value.lower()
        if flag not in ("true", "false", "on", "off", "yes", "no", "1", "0"):
            raise _refused(key, value, f"{value!r} is not true or false",
                           f"{value!r} 不是 true 或 false")
        return ml.model_copy(update={"train_after_import": flag in ("true", "on", "yes", "1")})
    if not value.isdigit() or not 1 <= int(value) <= 3600:
        raise _refused(key, value, f"{value} is not a number of seconds (1-3600)",
                       f"{value} 不是有效秒数（1-3600）")
    return MlSettings.model_validate(ml.model_dump() | {"train_budget_seconds": int(value)})


def apply_setting(settings: OrgSettings, key: str, value: str) -> OrgSettings:
    """``settings`` with ``key`` set to ``value`` (text as typed), validated as the settings
    file is; :class:`ConfigError` naming the key, the value and why it is refused."""
    value = value.strip()
    if key == "stages":
        return settings.model_copy(update={"pipeline": _stages(value, settings.pipeline)})
    if key in ("train_after_import", "train_budget_seconds"):
        return settings.model_copy(update={"ml": _ml(settings, key, value)})
    if key not in _ORGANISATION_FIELDS:
        known = ", ".join(SETTING_KEYS)
        raise ConfigError(f"unknown setting {key!r}; settings: {known}",
                          message_zh=f"未知的设置项 {key!r}；可用：{known}")
    typed: Any = value
    if key == "currency":
        typed = value.upper()
    elif key == "fiscal_start":
        if not value.isdigit() or not 1 <= int(value) <= 12:
            raise _refused(key, value, f"{value} is not a month (1-12)",
                           f"{value} 不是月份（1-12）")
        typed = int(value)
    from pydantic import ValidationError

    from salescore.model.org import Organisation

    data = settings.organisation.model_dump() | {_ORGANISATION_FIELDS[key]: typed}
    try:
        organisation = Organisation.model_validate(data)
    except ValidationError as exc:
        why = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise _refused(key, value, f"{value!r} is refused: {why}",
                       f"{value!r} 无效：{why}") from None
    return settings.model_copy(update={"organisation": organisation})


def currency_for_locale(locale: str) -> str:
    """The reporting currency ``init`` assumes when none is given: CNY for Chinese, USD for
    English (the commonest currency of English-language CRM exports; change it with
    ``salescore settings set currency EUR``).

    >>> currency_for_locale("zh_CN"), currency_for_locale("en")
    ('CNY', 'USD')
    """
    return "CNY" if locale.lower().startswith("zh") else "USD"
