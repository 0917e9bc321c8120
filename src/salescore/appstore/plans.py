"""Scorecard plans as stored records: a plan, its numbered versions, and their adoption, audited.

What a plan document means is the scoring layer's business; here a version is YAML text with a
checksum, a status (draft, adopted, retired) and the date from which it is in force.

>>> from datetime import date
>>> from salescore.appstore.store import AppStore
>>> from salescore.core.text import Text
>>> with AppStore.open("sqlite://") as store, store.session() as session:
...     plan = create_plan(session, name="field-sales", title=Text("Field sales", "外勤销售"))
...     draft = add_plan_version(session, plan, "kpis: []\\n", actor="ann")
...     adopted = adopt_plan_version(session, draft, effective_from=date(2025, 1, 1), actor="ann")
...     (adopted.version, adopted.status, adopted.checksum[:12])
(1, 'adopted', 'c91eaf5efe44')
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from salescore.appstore.audit import record_audit
from salescore.appstore.models import NAME, Plan, PlanVersion
from salescore.appstore.timestamps import utcnow
from salescore.core.errors import SalescoreError
from salescore.core.text import Text

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")


class PlanError(SalescoreError, ValueError):
    """A plan or plan version cannot be stored or changed as asked."""


def document_checksum(document: str) -> str:
    """The hex SHA-256 of a plan document's UTF-8 text.

    >>> document_checksum("")[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def find_plan(session: Session, name: str) -> Plan | None:
    """The plan called ``name``, or ``None``."""
    return session.scalar(select(Plan).where(Plan.name == name))


def create_plan(
    session: Session, *, name: str, title: Text, actor: str = "system"
) -> Plan:
    """Add a plan with no versions yet and audit ``plan.create``.

    ``name`` is a slug (lower-case letters, digits, ``-`` and ``_``) and must be new.
    """
    if not _SLUG.fullmatch(name) or len(name) > NAME:
        raise PlanError(
            f"plan name {name!r} must be a slug: lower-case letters, digits, '-' and '_'",
            message_zh=f"方案名 {name!r} 须为短名：小写字母、数字、'-' 与 '_'",
        )
    if find_plan(session, name) is not None:
        raise PlanError(
            f"a plan called {name!r} already exists", message_zh=f"方案 {name!r} 已存在"
        )
    plan = Plan(name=name, title_en=title.en, title_zh=title.zh)
    session.add(plan)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="plan.create",
        entity="plan",
        entity_id=plan.name,
        after={"name": name, "title_en": title.en, "title_zh": title.zh},
    )
    return plan


def add_plan_version(session: Session, plan: Plan, document: str, *, actor: str) -> PlanVersion:
    """Store ``document`` as the plan's next version (1, 2, …), a draft; audit ``plan.draft``."""
    last = session.scalar(
        select(func.max(PlanVersion.version)).where(PlanVersion.plan_id == plan.id)
    )
    version = PlanVersion(
        plan=plan,
        version=(last or 0) + 1,
        status="draft",
        document=document,
        checksum=document_checksum(document),
        created_by=actor,
    )
    session.add(version)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="plan.draft",
        entity="plan",
        entity_id=plan.name,
        after={"version": version.version, "checksum": version.checksum},
    )
    return version


def adopt_plan_version(
    session: Session,
    version: PlanVersion,
    *,
    effective_from: date,
    actor: str,
    reason: str | None = None,
) -> PlanVersion:
    """Adopt a draft from ``effective_from`` on, and audit ``plan.adopt``.

    Refuses (:class:`PlanError`) a version that is not a draft, and a date on which another
    version of the same plan is already adopted: which of the two would be in force is not clear.
    """
    plan = version.plan
    if version.status != "draft":
        raise PlanError(
            f"plan {plan.name!r} version {version.version} is {version.status}, not a draft",
            message_zh=f"方案 {plan.name!r} 第 {version.version} 版状态为 {version.status}，"
            "不是草稿",
        )
    clash = session.scalar(
        select(PlanVersion.version).where(
            PlanVersion.plan_id == plan.id,
            PlanVersion.status == "adopted",
            PlanVersion.effective_from == effective_from,
        )
    )
    if clash is not None:
        raise PlanError(
            f"plan {plan.name!r} version {clash} is already adopted from {effective_from}",
            message_zh=f"方案 {plan.name!r} 第 {clash} 版已自 {effective_from} 起生效",
        )
    before = {"version": version.version, "status": version.status, "effective_from": None}
    version.status = "adopted"
    version.effective_from = effective_from
    version.adopted_at = utcnow()
    version.adopted_by = actor
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="plan.adopt",
        entity="plan",
        entity_id=plan.name,
        before=before,
        after={
            "version": version.version,
            "status": version.status,
            "effective_from": effective_from,
            "checksum": version.checksum,
        },
        reason=reason,
    )
    return version
