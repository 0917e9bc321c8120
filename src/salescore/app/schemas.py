"""What the API answers and accepts: one Pydantic model per shape, so that the OpenAPI document
says exactly what comes back.

Every list is a :class:`Page`: ``items`` and ``next_cursor`` (``null`` on the last page; pass
it back as ``cursor`` for the next). Texts a person reads come in the caller's language, with
the English and Chinese both where a client may want to choose (``label``).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from salescore.core.access import Role
from salescore.core.text import Locale, Text

__all__ = [
    "AuditOut",
    "Explained",
    "ImportOut",
    "KpiExplanationOut",
    "KpiOut",
    "KpiValueRow",
    "KpiValues",
    "MeOut",
    "Page",
    "PlanOut",
    "PlanVersionOut",
    "QualityOut",
    "RepOut",
    "ScoreExplanationOut",
    "ScoreOut",
    "TargetIn",
    "TargetOut",
    "TeamOut",
    "TokenIn",
    "TokenIssued",
    "TokenOut",
    "UserIn",
    "UserOut",
    "UserPatch",
    "WhatIfIn",
    "WhatIfOut",
    "plain",
]

T = TypeVar("T")

# What YAML 1.1 (PyYAML) may hold: tab, line breaks, and printable characters.
_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _yaml_text(text: str) -> str:
    found = _NOT_YAML.search(text)
    if found:
        raise ValueError(f"a YAML document cannot hold the character U+{ord(found.group()):04X}"
                         f" (at {found.start()})")
    return text


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


UtcDateTime = Annotated[datetime, AfterValidator(_utc)]
"""A moment in UTC: the stores keep naive UTC, the API writes it with its offset."""

YamlText = Annotated[str, Field(min_length=1, max_length=1_000_000),
                     AfterValidator(_yaml_text)]


def plain(value: Any) -> Any:
    """A warehouse cell as JSON takes it: decimals as numbers, NaN as null."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Page(_Out, Generic[T]):
    """One page of a list."""

    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last one")


class TextOut(_Out):
    """A text in both languages."""

    en: str
    zh: str

    @classmethod
    def of(cls, text: Text) -> TextOut:
        return cls(en=text.en, zh=text.zh)


# -- me ----------------------------------------------------------------------------------------
class MeOut(_Out):
    """The caller: who they are and what their scope reaches."""

    username: str
    display_name: str
    role: Literal["rep", "manager", "executive", "admin"]
    locale: str
    rep_id: str | None
    team_id: str | None
    scope: str = Field(description="What the caller sees, in their language")
    can_change_data: bool
    authenticated_by: Literal["token", "cookie"]


# -- KPIs --------------------------------------------------------------------------------------
class KpiOut(_Out):
    """One KPI of the catalogue."""

    name: str
    type: str
    group: str
    label: TextOut
    description: TextOut
    direction: str
    unit: str


class KpiValueRow(_Out):
    """The values of the KPIs asked for, for one subject and period (``subject`` is null when
    ``by`` is company)."""

    subject: str | None
    period: str
    values: dict[str, float | None]


class KpiValues(Page[KpiValueRow]):
    """KPI values, with what the engine noticed (a currency without a rate, …)."""

    by: str
    kpis: list[str]
    notices: list[str]
    reasons: dict[str, str] = Field(
        default_factory=dict,
        description="Why a KPI's value is null where it is, when that is not for want of data "
                    "(amounts that cannot be converted to the reporting currency): null, not 0")


class ExplainPartOut(_Out):
    name: str
    description: str
    value: float | None
    rows: list[dict[str, Any]]
    row_count: int = Field(description="All the rows behind this input; `rows` may be fewer")


class KpiExplanationOut(_Out):
    """The records behind one subject's KPI in one period, and how they add up."""

    kpi: str
    by: str
    subject: str
    period: str
    value: float | None
    formula: str
    arithmetic: str
    parts: list[ExplainPartOut]
    reason: str | None = Field(default=None, description="Why `value` is null, when that is "
                               "not for want of data (amounts that cannot be converted)")


# -- scores ------------------------------------------------------------------------------------
class ScoreOut(_Out):
    """One stored score."""

    plan: str
    version: int
    period: str
    subject_kind: Literal["rep", "team"]
    subject_id: str
    team_id: str | None
    status: str
    score: float | None = Field(description="null: not scored, or left out (see `shown`)")
    rating: str | None
    rank_team: int | None
    rank_company: int | None
    coverage: float | None = Field(description="The share of the plan's weight with data; "
                                               "null: left out (see `shown`)")
    computed_at: UtcDateTime
    shown: Literal["all", "rank_and_rating"] = Field(
        description="`rank_and_rating`: a colleague on a rep's team leaderboard while the "
                    "organisation keeps colleagues' scores private; `score` and `coverage` "
                    "are left out (null)")


class LineOut(_Out):
    kpi: str
    direction: str
    method: str
    target_source: str | None
    status: str = Field(description="ok, no_data (the KPI's inputs are all unknown or absent: "
                                    "`value` is null, not 0) or no_target")
    status_text: str = Field(default="", description="`status` in the caller's language")
    value: float | None
    target: float | None
    attainment: float | None
    points: float | None
    weight: float
    effective_weight: float | None
    contribution: float | None


class Explained(_Out):
    subject: str
    team_id: str | None
    plan: str
    period: str
    status: str
    score: float | None
    rating: str | None
    rating_title: str
    individual_score: float | None
    individual_share: float | None
    team_score: float | None
    team_share: float | None
    team_part: float | None
    credit: float | None
    rank_in_team: int | None
    rank_in_company: int | None
    lines: list[LineOut]


class ScoreExplanationOut(_Out):
    """A rep's score → its lines → the records behind each KPI."""

    plan: str
    version: int
    stored: bool = Field(description="Read as last scored (true) or computed now (false)")
    explanation: Explained
    credit_kpis: list[str]
    records: dict[str, KpiExplanationOut]


class ScoreIn(_In):
    """Score a period (every plan in force, or one) and keep the scores."""

    period: str = Field(min_length=1, max_length=40, examples=["2025-03"])
    plan: str | None = Field(default=None, max_length=64)


class ScoredOut(_Out):
    """One plan and period scored: how many reps, how many with a score, and what storing
    changed."""

    plan: str
    version: int
    period: str
    subjects: int
    scored: int
    inserted: int
    updated: int
    unchanged: int
    deleted: int


class ScoreRunOut(_Out):
    period: str
    scored: list[ScoredOut]
    skipped: list[str]


# -- plans -------------------------------------------------------------------------------------
class PlanVersionOut(_Out):
    plan: str
    version: int
    status: str
    effective_from: date | None
    checksum: str
    created_by: str
    created_at: UtcDateTime
    adopted_by: str | None
    adopted_at: UtcDateTime | None


class PlanOut(_Out):
    """A plan: its title and versions (the one adopted last first among them)."""

    name: str
    title: TextOut
    versions: int
    adopted: list[int]
    latest_effective_from: date | None


class PlanIn(_In):
    """A plan document (YAML) to adopt from ``effective_from``."""

    document: YamlText
    effective_from: date | None = None
    reason: str | None = Field(default=None, max_length=2000)
    replace: bool = False


class AdoptionOut(_Out):
    plan: str
    version: int
    effective_from: date
    created: bool
    retired: list[int]


class WhatIfIn(_In):
    """A draft plan (YAML text) to replay on ``period`` against the plan named in the path."""

    document: YamlText
    period: str = Field(min_length=1, max_length=40, examples=["2025-03"])


class WhatIfRow(_Out):
    rep_id: str
    team_id: str | None
    score_before: float | None
    score_after: float | None
    score_change: float | None
    rating_before: str | None
    rating_after: str | None
    rating_changed: bool
    rank_before: int | None
    rank_after: int | None
    rank_change: int | None


class WhatIfOut(_Out):
    period: str
    draft: str
    baseline: str
    baseline_version: int
    subjects: str
    reps: int
    changed_ratings: int
    comparison: list[WhatIfRow]


# -- targets, reps, teams ----------------------------------------------------------------------
class TargetOut(_Out):
    scope: Literal["rep", "team"]
    scope_id: str
    period: str
    kpi: str
    value: float | None
    set_by: str | None
    reason: str | None


class TargetIn(_In):
    """One target to set; ``reason`` goes in the audit log."""

    scope: Literal["rep", "team"]
    scope_id: str = Field(min_length=1, max_length=64)
    period: str = Field(min_length=1, max_length=40, examples=["2025-Q1"])
    kpi: str = Field(min_length=1, max_length=64, examples=["revenue_won"])
    value: float = Field(allow_inf_nan=False)
    reason: str = Field(min_length=1, max_length=2000)


class TargetChangeOut(_Out):
    scope: str
    scope_id: str
    period: str
    kpi: str
    before: float | None
    after: float
    actor: str
    reason: str
    at: UtcDateTime
    audit_id: int


class RepOut(_Out):
    rep_id: str
    name: str | None
    email: str | None
    team_id: str | None
    manager_rep_id: str | None
    title: str | None
    hire_date: date | None
    active: bool | None


class TeamOut(_Out):
    team_id: str
    name: str | None
    parent_team_id: str | None
    department: str | None
    region: str | None


# -- data quality and imports ------------------------------------------------------------------
class ColumnQualityOut(_Out):
    name: str
    filled: int
    unknown: int = Field(description="Rows where the value is unknown (NULL)")
    completeness: float
    required: bool


class QualityIssueOut(_Out):
    check: str
    severity: str
    rows: int
    message: str
    examples: list[str]


class TableQualityOut(_Out):
    name: str
    rows: int
    invalid_rows: int
    validity: float
    duplicate_keys: int
    orphans: dict[str, int]
    oldest: UtcDateTime | None
    newest: UtcDateTime | None
    columns: list[ColumnQualityOut]
    issues: list[QualityIssueOut]


class QualityOut(_Out):
    created_at: UtcDateTime
    tables: list[TableQualityOut]
    duplicate_customer_rows: int
    likely_duplicate_customers: list[list[str]] = Field(
        description="Each group: the customer ids that are probably one")


class RejectReasonOut(_Out):
    column: str | None
    field: str | None
    reason: str
    count: int
    rows: list[int]


class ImportOut(_Out):
    """What an import did; ``rejects_url`` is where its rejected rows can be fetched."""

    id: int
    table: str
    source: str
    status: str
    read_rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    collapsed: int
    unknown_stages: dict[str, int]
    added_stages: list[str]
    notes: list[str]
    reasons: list[RejectReasonOut]
    rejects_url: str | None
    unconverted: dict[str, int] = Field(
        default_factory=dict,
        description="Amounts loaded that cannot be converted to the reporting currency, by "
                    "currency (`` for none): money KPIs over them are null until rates exist")
    warnings: list[str] = Field(default_factory=list,
                                description="What the caller should act on, with the fix")


class ImportRunOut(_Out):
    """One import run as kept: what was read and what it did to the rows, who ran it and when;
    ``rejects_url`` is where its rejected rows can be fetched, while the file is there."""

    id: int
    table: str
    source: str = Field(description="The file's name as it was uploaded (or its path)")
    mapping: str | None = Field(description="The mapping file or preset it was read with")
    status: Literal["loaded", "aborted", "failed"]
    actor: str
    started_at: UtcDateTime
    finished_at: UtcDateTime | None
    read_rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    message: str | None = Field(description="Its notes, or why it failed (English)")
    rejects_url: str | None


# -- users, tokens, audit ----------------------------------------------------------------------


class UserOut(_Out):
    username: str
    display_name: str | None
    email: str | None
    locale: str
    role: Role
    rep_id: str | None
    team_id: str | None
    active: bool
    created_at: UtcDateTime


class UserIn(_In):
    username: str = Field(min_length=1, max_length=64)
    password: str | None = Field(default=None, min_length=8, max_length=1024)
    role: Role
    display_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    locale: Locale = "en"
    rep_id: str | None = Field(default=None, max_length=64)
    team_id: str | None = Field(default=None, max_length=64)


class UserPatch(_In):
    """The fields to change (a field left out stays as it is; ``null`` clears it)."""

    role: Role | None = None
    display_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    locale: Locale | None = None
    rep_id: str | None = Field(default=None, max_length=64)
    team_id: str | None = Field(default=None, max_length=64)
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=1024,
                                 description="A new password (the user's sessions end)")
    reason: str | None = Field(default=None, max_length=2000)


class TokenIn(_In):
    name: str = Field(min_length=1, max_length=200)
    days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(_Out):
    id: int
    name: str
    prefix: str
    username: str
    created_at: UtcDateTime
    expires_at: UtcDateTime | None
    last_used_at: UtcDateTime | None
    revoked_at: UtcDateTime | None


class TokenIssued(TokenOut):
    secret: str = Field(description="Shown this once: store it now")


class AuditOut(_Out):
    id: int
    at: UtcDateTime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
