"""Plans and their versions: numbering, checksums, adoption, and the constraints behind them."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from salescore.appstore import (
    AppStore,
    AuditEntry,
    Plan,
    PlanError,
    PlanVersion,
    add_plan_version,
    adopt_plan_version,
    create_plan,
    find_plan,
)
from salescore.core.text import Text

DOC_V1 = "kpis:\n  - kpi: won_amount\n    weight: 0.6\n"
DOC_V2 = "kpis:\n  - kpi: won_amount\n    weight: 0.5\n"


def test_versions_number_checksum_and_adopt(store: AppStore) -> None:
    with store.session() as session:
        plan = create_plan(session, name="field-sales", title=Text("Field sales", "外勤销售"))
        v1 = add_plan_version(session, plan, DOC_V1, actor="ann")
        v2 = add_plan_version(session, plan, DOC_V2, actor="ann")
        assert (v1.version, v2.version) == (1, 2)
        assert v1.checksum == hashlib.sha256(DOC_V1.encode()).hexdigest()
        adopt_plan_version(session, v1, effective_from=date(2025, 1, 1), actor="bo", reason="Q1")
    with store.session() as session:
        found = find_plan(session, "field-sales")
        assert found is not None and found.title.get("zh_CN") == "外勤销售"
        assert [(v.version, v.status, v.effective_from, v.adopted_by) for v in found.versions] == [
            (1, "adopted", date(2025, 1, 1), "bo"),
            (2, "draft", None, None),
        ]
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "plan.adopt"))
        assert (entry.actor, entry.entity, entry.entity_id, entry.reason) == (
            "bo",
            "plan",
            "field-sales",
            "Q1",
        )
        assert entry.before == {"version": 1, "status": "draft", "effective_from": None}
        assert entry.after == {
            "version": 1,
            "status": "adopted",
            "effective_from": "2025-01-01",
            "checksum": hashlib.sha256(DOC_V1.encode()).hexdigest(),
        }


def test_adoption_is_refused_twice_or_on_a_taken_date(store: AppStore) -> None:
    with store.session() as session:
        plan = create_plan(session, name="inside", title=Text("Inside sales", "电话销售"))
        v1 = add_plan_version(session, plan, DOC_V1, actor="ann")
        v2 = add_plan_version(session, plan, DOC_V2, actor="ann")
        adopt_plan_version(session, v1, effective_from=date(2025, 1, 1), actor="ann")
        with pytest.raises(PlanError, match="is adopted, not a draft"):
            adopt_plan_version(session, v1, effective_from=date(2025, 4, 1), actor="ann")
        with pytest.raises(PlanError, match="version 1 is already adopted from 2025-01-01"):
            adopt_plan_version(session, v2, effective_from=date(2025, 1, 1), actor="ann")
        adopt_plan_version(session, v2, effective_from=date(2025, 4, 1), actor="ann")


def test_plan_names_are_unique_slugs(store: AppStore) -> None:
    with store.session() as session:
        create_plan(session, name="inside", title=Text("Inside", "电话"))
    with pytest.raises(PlanError, match="already exists"), store.session() as session:
        create_plan(session, name="inside", title=Text("Again", "再来"))
    with pytest.raises(PlanError, match="must be a slug"), store.session() as session:
        create_plan(session, name="Inside Sales", title=Text("x", "x"))
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(Plan(name="inside", title_en="raw", title_zh="raw"))
        session.flush()


def test_database_holds_version_numbers_and_adoption_dates(store: AppStore) -> None:
    with store.session() as session:
        plan = create_plan(session, name="inside", title=Text("Inside", "电话"))
        add_plan_version(session, plan, DOC_V1, actor="ann")
        plan_id = plan.id
    duplicate = PlanVersion(
        plan_id=plan_id, version=1, document="", checksum="0" * 64, created_by="raw"
    )
    undated = PlanVersion(
        plan_id=plan_id,
        version=2,
        status="adopted",
        document="",
        checksum="0" * 64,
        created_by="raw",
    )
    for row in (duplicate, undated):
        with pytest.raises(IntegrityError), store.session() as session:
            session.add(row)
            session.flush()
