"""The organisation's settings: one documented YAML file in the data folder.

``salescore init`` writes ``salescore.yaml`` with the defaults below (:func:`write_settings`);
every command reads and validates it on start, through the one YAML reader
(:func:`salescore.semantic.settings_file.load_settings`), so that a typo is an error naming the
file, line and key. This module holds the models alone.

>>> s = OrgSettings()
>>> s.pipeline.stage_names()[:3]
('lead', 'qualified', 'discovery')
>>> s.pipeline.status_of("won")
'won'
>>> s.pipeline.stages[3].localized("zh_CN"), Stage(name="pilot").localized("zh_CN")
('方案报价', 'pilot')
>>> s.privacy.leaderboard
'rank_and_rating'
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from salescore.core.periods import Calendar
from salescore.core.text import Locale, Text

SETTINGS_FILE = "salescore.yaml"

Status = Literal["open", "won", "lost"]
LeaderboardShown = Literal["rank_and_rating", "scores"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Stage(_Frozen):
    """One stage of the pipeline, as it appears in the organisation's data; ``label`` is what a
    person reads (``label: {en: Proposal, zh: 方案报价}``), the name where there is none."""

    name: str = Field(min_length=1)
    status: Status = "open"
    label: Text | None = None
    probability: float = Field(default=0.0, ge=0.0, le=1.0)

    def localized(self, locale: str) -> str:
        """The label in ``locale``, or the stage's name where it has none."""
        return self.label.get(locale) if self.label is not None else self.name


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage(name="lead", label=Text("Lead", "线索"), probability=0.05),
    Stage(name="qualified", label=Text("Qualified", "已验证"), probability=0.15),
    Stage(name="discovery", label=Text("Needs analysis", "需求分析"), probability=0.3),
    Stage(name="proposal", label=Text("Proposal", "方案报价"), probability=0.5),
    Stage(name="negotiation", label=Text("Negotiation", "商务谈判"), probability=0.75),
    Stage(name="won", status="won", label=Text("Closed won", "赢单"), probability=1.0),
    Stage(name="lost", status="lost", label=Text("Closed lost", "输单"), probability=0.0),
)


class Pipeline(_Frozen):
    """The stages in the order an opportunity moves through them; won and lost stages last."""

    stages: tuple[Stage, ...] = DEFAULT_STAGES

    @model_validator(mode="after")
    def _check(self) -> Pipeline:
        names = [s.name for s in self.stages]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"stage names must be unique; repeated: {', '.join(dupes)}")
        for status in ("won", "lost"):
            if not any(s.status == status for s in self.stages):
                raise ValueError(f"the pipeline needs at least one stage with status {status!r}")
        return self

    def stage_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stages)

    def open_stage_names(self) -> tuple[str, ...]:
        """The open stages in pipeline order: the funnel."""
        return tuple(s.name for s in self.stages if s.status == "open")

    def status_of(self, stage: str) -> Status:
        for s in self.stages:
            if s.name == stage:
                return s.status
        raise KeyError(stage)

    def with_stages(self, names: list[str]) -> Pipeline:
        """This pipeline with open stages ``names`` appended before the closed ones."""
        known = set(self.stage_names())
        new = [Stage(name=n) for n in names if n not in known]
        open_ = [s for s in self.stages if s.status == "open"]
        closed = [s for s in self.stages if s.status != "open"]
        return Pipeline(stages=tuple(open_ + new + closed))


class Organisation(_Frozen):
    name: str = "My sales organisation"
    timezone: str = "UTC"
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    locale: Locale = "en"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as "
                             "Asia/Shanghai or Europe/Berlin)") from None
        return value


class Privacy(_Frozen):
    """What a rep sees of their colleagues. ``leaderboard``: on their team's leaderboard (the
    stored scores of the team's reps), each colleague's rank and rating alone
    (``rank_and_rating``, the default) or their scores too (``scores``). A colleague's lines and
    records (a score's explanation) are never a rep's to see."""

    leaderboard: LeaderboardShown = "rank_and_rating"


class MlSettings(_Frozen):
    """The models (issue 12). ``train_after_import``: train them again after each import that
    loads rows (off by default: on a large organisation a training takes minutes, and
    ``salescore train`` does it on demand); ``train_budget_seconds``: the kinds not started by
    then wait for the next ``salescore train``."""

    train_after_import: bool = False
    train_budget_seconds: int = Field(default=120, ge=1, le=3600)


class OrgSettings(_Frozen):
    """Everything ``salescore.yaml`` holds."""

    organisation: Organisation = Organisation()
    pipeline: Pipeline = Pipeline()
    privacy: Privacy = Privacy()
    ml: MlSettings = MlSettings()

    @property
    def calendar(self) -> Calendar:
        """The organisation's calendar: its time zone and fiscal year."""
        org = self.organisation
        return Calendar(timezone=org.timezone, fiscal_year_start_month=org.fiscal_year_start_month)


_HEADER = """\
# salescore organisation settings / 组织设置
# organisation.timezone: IANA name; a timestamp counts in the period of its local date
#                        时区（IANA 名称）；时间戳按本地日期归入周期
# organisation.fiscal_year_start_month: 1-12; a fiscal year is named by the calendar year it ends in
#                        (start month 4: FY2025 = 2024-04-01..2025-03-31)
#                        财年起始月份（1-12）；财年以其结束所在的公历年命名
# organisation.currency: reporting currency (ISO 4217) / 报告币种
# organisation.locale: en or zh_CN / 界面语言
# pipeline.stages: your stages in order; status is open, won or lost
#                        销售流程阶段（按顺序）；status 取 open、won 或 lost
# pipeline.stages[].label: {en: ..., zh: ...}, optional; the stage's name is shown without one
#                        阶段显示名称（可选）；未填写时显示阶段名
# privacy.leaderboard: what a rep sees of a colleague on their team's leaderboard:
#                        rank_and_rating (rank and rating alone) or scores (their scores too);
#                        a colleague's lines and records never
#                        销售在团队排行榜上可见的同事信息：rank_and_rating（仅名次与评级）
#                        或 scores（含评分）；同事的评分行与明细记录始终不可见
# ml.train_after_import: true or false; train the models again after each import
#                        每次导入后重新训练模型（true 或 false）
# ml.train_budget_seconds: 1-3600; the kinds of model not started by then wait for `salescore train`
#                        训练时间上限（秒）；超时未开始的模型留待下次 `salescore train`
"""


def settings_path(home: Path) -> Path:
    return home / SETTINGS_FILE


def dump_settings(settings: OrgSettings) -> str:
    """``settings`` as the text of ``salescore.yaml``: the header explaining each key, then the
    keys (a stage without a label is written without one)."""
    data: dict[str, Any] = settings.model_dump(mode="json", exclude_none=True)
    return _HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def write_settings(home: Path, settings: OrgSettings) -> Path:
    """Write ``settings`` to ``home/salescore.yaml`` atomically."""
    path = settings_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(dump_settings(settings), encoding="utf-8")
    tmp.replace(path)
    return path
