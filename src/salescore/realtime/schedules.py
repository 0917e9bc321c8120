"""Report schedules, declared as data (YAML, the CLI or the admin page) and checked as alert
rules are: every problem with its file:line.

A schedule sends one report (``rep``, ``team`` or ``executive``) of a period named relative to
the day it runs (``this-month``, ``last-month``, ``this-quarter``, … as the pages' period picker
names them) in one or more formats (PDF, XLSX, HTML), at the times of a cron expression (five
fields: minute, hour, day of month, month, day of week) in the organisation's time zone, to an
audience (as alert rules name it: ``rep``, ``manager``, ``role:NAME``, ``user:NAME``,
``team:ID``) over channels (``inapp``, ``email``, ``wecom:NAME``, ``dingtalk:NAME``,
``feishu:NAME``), each message in its reader's language with a link to the report.
``subject`` is the rep or team the report is about, or ``each``: one report per rep (or team),
to that rep's (or team's) audience.

A schedule that missed its time (the server was down) is sent once at the next check, not once
per time missed.

>>> text = '''
... schedules:
...   - name: exec_monthly
...     report: executive
...     period: last-month
...     formats: [pdf, xlsx]
...     cron: "0 8 1 * *"
...     audience: ["role:executive"]
...     channels: [email]
...   - name: bad
...     report: team
...     period: last-fortnight
...     cron: "0 25 * * *"
... '''
>>> for issue in check_schedules_text(text, file="schedules.yaml").errors:
...     print(str(issue)[:72])
schedules.yaml:12: schedules[1].period: last-fortnight is not a period r
schedules.yaml:13: schedules[1].cron: "0 25 * * *" is not a cron express
schedules.yaml:10: schedules[1]: a team report names its team, or each [
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from salescore.core.errors import ConfigError, Location
from salescore.core.periods import RELATIVE_PERIODS
from salescore.core.text import Text
from salescore.realtime.rules import Audience, Channels
from salescore.semantic.issues import Issue
from salescore.semantic.yamlfile import YamlDocument, read_yaml, read_yaml_file, schema_issues

__all__ = ["ReportSchedule", "ScheduleCheck", "SchedulesError", "check_schedules_file",
           "check_schedules_text", "next_run", "parse_schedules"]

ReportKind = Literal["rep", "team", "executive"]
ReportFormat = Literal["pdf", "xlsx", "html"]


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _trigger(cron: str, zone: tzinfo | str = "UTC") -> Any:
    """APScheduler's trigger for a standard five-field cron expression. Its own
    ``from_crontab`` reads a weekday number as Monday = 0, where cron has Sunday = 0 (and 7):
    the numbers are given to it as names."""
    import re

    from apscheduler.triggers.cron import CronTrigger

    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"five fields are needed, not {len(fields)}")
    minute, hour, day, month, weekday = fields

    def name(m: re.Match[str]) -> str:
        number = int(m.group(0))
        if number > 7:
            raise ValueError(f"a weekday is 0-7 (Sunday is 0 and 7), not {number}")
        return _WEEKDAYS[number]

    weekday = re.sub(r"(?<![/\d])\d+", name, weekday)
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday,
                       timezone=zone)


class ReportSchedule(BaseModel):
    """One schedule (see the module's description)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    title: Text | None = None
    report: ReportKind
    subject: str | None = Field(default=None, min_length=1, max_length=64)
    period: str = "this-month"
    formats: tuple[ReportFormat, ...] = Field(default=("pdf",), min_length=1)
    cron: str
    audience: Audience = ("role:admin",)
    channels: Channels = ("inapp", "email")
    enabled: bool = True

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        if value not in RELATIVE_PERIODS:
            raise ValueError(f"{value} is not a period relative to the day: "
                             f"{', '.join(RELATIVE_PERIODS)}")
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            _trigger(value)
        except ValueError as exc:
            raise ValueError(f'"{value}" is not a cron expression (minute hour day month '
                             f"weekday): {exc}") from None
        return value

    def describe(self) -> Text:
        """The schedule in words, for messages."""
        if self.title is not None:
            return self.title
        words = self.name.replace("_", " ")
        return Text(words, words)


def next_run(schedule: ReportSchedule, after: datetime, zone: tzinfo) -> datetime | None:
    """The first time strictly after ``after`` (aware) at which ``schedule`` runs, in
    ``zone``'s local time as its cron reads; ``None`` when it never runs again.

    >>> from datetime import UTC
    >>> from zoneinfo import ZoneInfo
    >>> s = ReportSchedule(name="x", report="executive", cron="0 8 * * 1")
    >>> next_run(s, datetime(2025, 3, 16, 4, tzinfo=UTC), ZoneInfo("Asia/Shanghai"))
    datetime.datetime(2025, 3, 17, 8, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Shanghai'))
    """
    found = _trigger(schedule.cron, zone).get_next_fire_time(
        None, (after + timedelta(seconds=1)).astimezone(zone))
    return found if isinstance(found, datetime) else None


class SchedulesFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schedules: tuple[ReportSchedule, ...] = ()


@dataclass(frozen=True)
class ScheduleCheck:
    schedules: tuple[ReportSchedule, ...] | None
    errors: tuple[Issue, ...]

    @property
    def ok(self) -> bool:
        return self.schedules is not None and not self.errors


class SchedulesError(ConfigError):
    """A report schedules document is invalid; ``issues`` lists every error with its
    file:line."""

    def __init__(self, issues: tuple[Issue, ...]) -> None:
        super().__init__(
            "invalid report schedules:\n" + "\n".join(f"  {issue}" for issue in issues),
            message_zh="报告计划无效：\n" + "\n".join(f"  {issue.localized('zh_CN')}"
                                                  for issue in issues))
        self.issues = issues


def _check(doc: YamlDocument) -> ScheduleCheck:
    data, where, issues = doc
    if data is None and issues:
        return ScheduleCheck(None, tuple(issues))
    if not isinstance(data, Mapping):
        issues.append(Issue("schema", Text("a report schedules document is a mapping with "
                                           "schedules:", "报告计划文件应为包含 schedules: 的映射"),
                            Location(where.file, where.line_of(()) or 1)))
        return ScheduleCheck(None, tuple(issues))
    try:
        parsed = SchedulesFile.model_validate(data)
    except ValidationError as exc:
        issues += schema_issues(exc, data, where)
        raw = data.get("schedules")  # what the schema cannot see, on the fields it can
        for i, item in enumerate(raw if isinstance(raw, list) else []):
            if isinstance(item, Mapping):
                issues += _subject_issues(item, i, where)
        return ScheduleCheck(None, tuple(issues))
    names: set[str] = set()
    for i, schedule in enumerate(parsed.schedules):
        if schedule.name in names:
            issues.append(Issue("duplicate-schedule", Text(
                f"schedule {schedule.name} is declared twice",
                f"报告计划 {schedule.name} 重复声明"),
                where.locate(("schedules", i, "name")), ("schedules", i, "name")))
        names.add(schedule.name)
        issues += _subject_issues(schedule.model_dump(), i, where)
    return ScheduleCheck(None if issues else parsed.schedules, tuple(issues))


def _subject_issues(item: Mapping[str, Any], i: int, where: Any) -> list[Issue]:
    report, subject = item.get("report"), item.get("subject")
    if report in ("rep", "team") and not subject:
        return [Issue("subject-needed", Text(
            f"a {report} report names its {report}, or each",
            f"{report} 报告需要指定对象（{report} 编号或 each）"),
            where.locate(("schedules", i)), ("schedules", i))]
    if report == "executive" and subject:
        return [Issue("no-subject", Text(
            "the executive report is the whole organisation's: it has no subject",
            "管理层报告面向全公司，不需要对象"),
            where.locate(("schedules", i, "subject")), ("schedules", i, "subject"))]
    return []


def check_schedules_text(text: str, *, file: str = "<schedules>") -> ScheduleCheck:
    """Check a report schedules document; every problem at file:line (never raises)."""
    return _check(read_yaml(text, file))


def check_schedules_file(path: str) -> ScheduleCheck:
    return _check(read_yaml_file(path))


def parse_schedules(text: str, *, file: str = "<schedules>") -> tuple[ReportSchedule, ...]:
    """The schedules of ``text``; :class:`SchedulesError` listing every error if any."""
    check = check_schedules_text(text, file=file)
    if check.schedules is None:
        raise SchedulesError(check.errors)
    return check.schedules
