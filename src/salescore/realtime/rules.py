"""Alert rules, declared as data (YAML or the admin page) and checked as plans are: every
problem with its file:line.

A rule watches one KPI of every subject of a kind (each rep, each team, or the company) in the
current period, and holds when its condition does:

========================  =========================================================
``below`` / ``above``     the value is below / above ``value``
``share_below``           the value is below ``value`` × the subject's target
``change_below`` / ``_above``  the change against the previous period, as a share
                          (``-0.2``: down 20 %) is below / above ``value``
``pace_below``            the value is below ``value`` × what the target needs by now
                          (the target × the share of the period gone)
========================  =========================================================

It is raised once per crossing: when it starts to hold for a subject, not again while it goes
on holding, and again only after it stopped holding and then holds once more (and no sooner
than ``cooldown_minutes`` after the last time). Raised in ``quiet_hours`` (the organisation's
local time), it is delivered when they end.

>>> text = '''
... rules:
...   - name: behind_pace
...     kpi: revenue_won
...     subject: rep
...     condition: {kind: pace_below, value: 0.7}
...     period: month
...     audience: [rep, manager]
...     channels: [inapp]
...     quiet_hours: "22:00-08:00"
...   - name: bad
...     kpi: revenue_won
...     subject: planet
...     condition: {kind: pace_below, value: 0.7}
... '''
>>> check = check_rules_text(text, file="alerts.yaml")
>>> [str(issue) for issue in check.errors]  # doctest: +NORMALIZE_WHITESPACE
["alerts.yaml:13: rules[1].subject: Input should be 'rep', 'team' or 'company' [schema]"]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from salescore.core.errors import ConfigError, Location
from salescore.core.text import Text
from salescore.semantic.issues import Issue
from salescore.semantic.yamlfile import YamlDocument, read_yaml, read_yaml_file, schema_issues

__all__ = ["AlertRule", "Condition", "QuietHours", "RuleCheck", "RulesError", "RulesFile",
           "check_rules_file", "check_rules_text", "parse_rules"]

ConditionKind = Literal["below", "above", "share_below", "change_below", "change_above",
                        "pace_below"]
SubjectKind = Literal["rep", "team", "company"]
PeriodGrain = Literal["week", "month", "quarter", "year"]
_AUDIENCE = re.compile(r"^(rep|manager|role:(rep|manager|executive|admin)|user:[\w.@-]+|"
                       r"team:[\w.-]+)$")
_CHANNEL = re.compile(r"^(inapp|email|(wecom|dingtalk|feishu):[\w.-]+)$")


def _audience(value: tuple[str, ...]) -> tuple[str, ...]:
    for who in value:
        if not _AUDIENCE.match(who):
            raise ValueError(f"{who!r} is not an audience: rep, manager, role:NAME, "
                             "user:NAME or team:ID")
    return value


def _channels(value: tuple[str, ...]) -> tuple[str, ...]:
    for channel in value:
        if not _CHANNEL.match(channel):
            raise ValueError(f"{channel!r} is not a channel: inapp, email, wecom:NAME, "
                             "dingtalk:NAME or feishu:NAME")
    return value


Audience = Annotated[tuple[str, ...], AfterValidator(_audience)]
"""Who receives (rules and report schedules): rep, manager, role:NAME, user:NAME, team:ID."""
Channels = Annotated[tuple[str, ...], AfterValidator(_channels)]
"""Where to (rules and report schedules): inapp, email, wecom:NAME, dingtalk:NAME, feishu:NAME."""
_QUIET = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class Condition(BaseModel):
    """When the rule holds: ``kind`` and the number it compares with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ConditionKind
    value: float


@dataclass(frozen=True, slots=True)
class QuietHours:
    """From ``start`` to ``end`` local time (across midnight when ``end`` is earlier)."""

    start: time
    end: time

    def holds(self, at: time) -> bool:
        if self.start <= self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end


class AlertRule(BaseModel):
    """One rule (see the module's description)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    title: Text | None = None
    kpi: str = Field(min_length=1, max_length=64)
    subject: SubjectKind = "rep"
    condition: Condition
    period: PeriodGrain = "month"
    audience: Audience = ("rep", "manager")
    channels: Channels = ("inapp",)
    quiet_hours: str | None = None
    cooldown_minutes: int = Field(default=0, ge=0, le=60 * 24 * 31)
    enabled: bool = True

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str | None) -> str | None:
        if value is not None and not _QUIET.match(value):
            raise ValueError("quiet_hours is written HH:MM-HH:MM, e.g. 22:00-08:00")
        return value

    @property
    def quiet(self) -> QuietHours | None:
        if self.quiet_hours is None:
            return None
        m = _QUIET.match(self.quiet_hours)
        assert m is not None
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        return QuietHours(time(h1, m1), time(h2, m2))

    def describe(self) -> Text:
        """The rule in words, for messages."""
        if self.title is not None:
            return self.title
        return Text(self.name.replace("_", " "), self.name.replace("_", " "))


class RulesFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: tuple[AlertRule, ...] = ()


@dataclass(frozen=True)
class RuleCheck:
    rules: tuple[AlertRule, ...] | None
    errors: tuple[Issue, ...]

    @property
    def ok(self) -> bool:
        return self.rules is not None and not self.errors


class RulesError(ConfigError):
    """An alert rules document is invalid; ``issues`` lists every error with its file:line."""

    def __init__(self, issues: tuple[Issue, ...]) -> None:
        super().__init__(
            "invalid alert rules:\n" + "\n".join(f"  {issue}" for issue in issues),
            message_zh="预警规则无效：\n" + "\n".join(f"  {issue.localized('zh_CN')}"
                                                  for issue in issues))
        self.issues = issues


def _check(doc: YamlDocument, known: Mapping[str, object] | None) -> RuleCheck:
    data, where, issues = doc
    if data is None and issues:
        return RuleCheck(None, tuple(issues))
    if not isinstance(data, Mapping):
        issues.append(Issue("schema", Text("an alert rules document is a mapping with rules:",
                                           "预警规则文件应为包含 rules: 的映射"),
                            Location(where.file, where.line_of(()) or 1)))
        return RuleCheck(None, tuple(issues))
    try:
        parsed = RulesFile.model_validate(data)
    except ValidationError as exc:
        issues += schema_issues(exc, data, where)
        return RuleCheck(None, tuple(sorted(issues, key=lambda i: i.place[1])))
    names: set[str] = set()
    for i, rule in enumerate(parsed.rules):
        if rule.name in names:
            issues.append(Issue("duplicate-rule", Text(f"rule {rule.name} is declared twice",
                                                       f"规则 {rule.name} 重复声明"),
                                where.locate(("rules", i, "name")),
                                ("rules", i, "name")))
        names.add(rule.name)
        if known is not None and rule.kpi not in known:
            issues.append(Issue("unknown-kpi", Text(f"there is no KPI {rule.kpi}",
                                                    f"没有指标 {rule.kpi}"),
                                where.locate(("rules", i, "kpi")),
                                ("rules", i, "kpi")))
        if rule.condition.kind in ("share_below", "pace_below") and rule.subject == "company":
            issues.append(Issue("no-company-target", Text(
                "targets are set for reps and teams: a share or pace of target needs one",
                "目标只针对销售或团队设定：按目标比例或进度预警需要 rep 或 team"),
                where.locate(("rules", i, "subject")),
                ("rules", i, "subject")))
    ordered = tuple(sorted(issues, key=lambda i: i.place[1]))
    return RuleCheck(None if issues else parsed.rules, ordered)


def check_rules_text(text: str, *, file: str = "<alerts>",
                     known: Mapping[str, object] | None = None) -> RuleCheck:
    """Check an alert rules document; every problem at file:line (never raises for bad
    input). With ``known`` (the catalogue's KPIs) the KPI names are checked too."""
    return _check(read_yaml(text, file), known)


def check_rules_file(path: str, *, known: Mapping[str, object] | None = None) -> RuleCheck:
    return _check(read_yaml_file(path), known)


def parse_rules(text: str, *, file: str = "<alerts>",
                known: Mapping[str, object] | None = None) -> tuple[AlertRule, ...]:
    """The rules of ``text``; :class:`RulesError` listing every error if any."""
    check = check_rules_text(text, file=file, known=known)
    if check.rules is None:
        raise RulesError(check.errors)
    return check.rules
