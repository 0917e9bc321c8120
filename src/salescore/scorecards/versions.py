"""Plan versions in the app store: adopting a document from a date, and which version governs
a period.

Adopting stores the document as the plan's next version and adopts it from ``effective_from``;
both steps are audited (``plan.draft``, ``plan.adopt``) by :mod:`salescore.appstore.plans`.
Adopting the very same document from the same date again changes nothing, so that setting up
(the demo, a deployment script) can run twice. A period is governed by the adopted version in
force on its first day (:func:`salescore.scorecards.arithmetic.in_force`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from salescore.appstore.models import PlanVersion as StoredVersion
from salescore.appstore.plans import (
    PlanError,
    add_plan_version,
    adopt_plan_version,
    create_plan,
    document_checksum,
    find_plan,
)
from salescore.appstore.scores import all_plan_versions, retire_plan_version
from salescore.appstore.store import StoreSession
from salescore.core.periods import Period
from salescore.core.text import Text
from salescore.scorecards.arithmetic import in_force
from salescore.semantic.plan import Plan
from salescore.semantic.plan_loader import PlanValidationError, check_plan_text
from salescore.semantic.specs import Direction

__all__ = [
    "Adoption",
    "PlanVersionInfo",
    "adopt",
    "adopted_versions",
    "checked_plan",
    "plan_versions",
    "stored_plan",
    "version_in_force",
]


def stored_plan(version: StoredVersion, directions: Mapping[str, Direction]) -> Plan:
    """The plan of a stored version, checked against the catalogue's KPI ``directions``;
    :class:`PlanValidationError` when the catalogue no longer fits it."""
    return checked_plan(version.plan.name, version.version, version.document, directions)


def checked_plan(name: str, version: int, document: str, directions: Mapping[str, Direction]
                 ) -> Plan:
    """:func:`stored_plan` of version number ``version`` of plan ``name``, from its
    ``document``."""
    checked = check_plan_text(document, file=f"{name} v{version}", known=dict(directions))
    if checked.plan is None:
        raise PlanValidationError(checked.errors)
    return checked.plan


@dataclass(frozen=True)
class Adoption:
    """The outcome of adopting a plan document.

    ``created`` is False when that document was already adopted from that date (nothing was
    changed); ``retired`` lists the versions that ``replace`` took out of force.
    """

    plan: str
    version: int
    version_id: int
    effective_from: date
    checksum: str
    created: bool
    retired: tuple[int, ...] = ()


@dataclass(frozen=True)
class PlanVersionInfo:
    """One stored version of a plan, as listed by ``salescore plan list``."""

    plan: str
    title: Text
    version: int
    version_id: int
    status: str
    effective_from: date | None
    checksum: str
    created_by: str
    created_at: datetime
    adopted_by: str | None
    adopted_at: datetime | None


def _info(version: StoredVersion) -> PlanVersionInfo:
    plan = version.plan
    return PlanVersionInfo(
        plan=plan.name, title=plan.title, version=version.version,
        version_id=version.id, status=version.status, effective_from=version.effective_from,
        checksum=version.checksum, created_by=version.created_by, created_at=version.created_at,
        adopted_by=version.adopted_by, adopted_at=version.adopted_at,
    )


def plan_versions(session: StoreSession) -> list[PlanVersionInfo]:
    """Every stored version of every plan, by plan name then version."""
    return [_info(version) for version in all_plan_versions(session)]


def adopt(
    session: StoreSession,
    plan: Plan,
    document: str,
    *,
    effective_from: date,
    actor: str,
    reason: str | None = None,
    replace: bool = False,
) -> Adoption:
    """Store ``document`` (the YAML that ``plan`` was read from) and adopt it from
    ``effective_from``.

    The plan record is created on first adoption. A draft with the same text is reused rather
    than stored twice. When another version is already adopted from that very date, the
    adoption is refused (:class:`~salescore.appstore.plans.PlanError`), unless it is the same
    document (nothing to do) or ``replace`` is set (that version is retired first, audited).
    """
    checksum = document_checksum(document)
    stored = find_plan(session, plan.name)
    if stored is None:
        stored = create_plan(session, name=plan.name, title=plan.title, actor=actor)
    retired: list[int] = []
    for version in list(stored.versions):
        if version.status != "adopted" or version.effective_from != effective_from:
            continue
        if version.checksum == checksum:
            return Adoption(plan.name, version.version, version.id, effective_from, checksum,
                            created=False)
        if not replace:
            raise PlanError(
                f"plan {plan.name!r} version {version.version} is already adopted from "
                f"{effective_from}; choose another date, or replace it (--replace)",
                message_zh=f"方案 {plan.name!r} 第 {version.version} 版已自 {effective_from} "
                "起生效；请选择其他日期，或替换该版本（--replace）",
            )
        retire_plan_version(session, version, actor=actor, reason=reason)
        retired.append(version.version)
    draft = next((v for v in reversed(stored.versions)
                  if v.status == "draft" and v.checksum == checksum), None)
    if draft is None:
        draft = add_plan_version(session, stored, document, actor=actor)
    version = adopt_plan_version(session, draft, effective_from=effective_from, actor=actor,
                                 reason=reason)
    return Adoption(plan.name, version.version, version.id, effective_from, checksum,
                    created=True, retired=tuple(retired))


def adopted_versions(session: StoreSession, name: str) -> list[StoredVersion]:
    """The adopted (not draft, not retired) versions of plan ``name``; none for an unknown
    plan."""
    stored = find_plan(session, name)
    if stored is None:
        return []
    return [v for v in stored.versions if v.status == "adopted"]


def version_in_force(session: StoreSession, name: str, period: Period) -> StoredVersion | None:
    """The adopted version of plan ``name`` that governs ``period`` (in force on its first
    day), or ``None``."""
    return in_force(((v.effective_from, v) for v in adopted_versions(session, name)
                     if v.effective_from is not None), period)
