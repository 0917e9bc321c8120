"""Materialised scores in the app store: the 0003 migration, and storing without duplicates."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from salescore.appstore import AppStore, AuditEntry, PlanError, PlanVersion
from salescore.appstore.models import Score
from salescore.appstore.plans import add_plan_version, adopt_plan_version, create_plan
from salescore.appstore.scores import (
    ScoreRecord,
    all_plan_versions,
    read_scores,
    retire_plan_version,
    store_scores,
)
from salescore.core.text import Text


def _tables(store: AppStore) -> set[str]:
    with store.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_migration_0003_adds_the_scores_table_and_takes_it_away(db_url: str) -> None:
    store = AppStore.open(db_url, migrate=False)
    try:
        store.upgrade("0002")
        assert "scores" not in _tables(store)
        store.upgrade("0003")
        assert "scores" in _tables(store)
        with store.engine.connect() as connection:
            inspector = inspect(connection)
            assert {c["name"] for c in inspector.get_unique_constraints("scores")} == {
                "uq_scores_plan_version_id_period_subject_kind_subject_id"}
            assert {c["name"] for c in inspector.get_check_constraints("scores")} == {
                "ck_scores_subject_kind", "ck_scores_status"}
            assert {i["name"] for i in inspector.get_indexes("scores")} >= {
                "ix_scores_period_subject_kind_subject_id"}
        store.downgrade("0002")
        assert "scores" not in _tables(store)
        assert store.current_revision() == "0002"
    finally:
        store.close()


def _versions(store: AppStore) -> tuple[int, int]:
    with store.session() as session:
        plan = create_plan(session, name="field", title=Text("Field", "外勤"))
        v1 = adopt_plan_version(session, add_plan_version(session, plan, "v1", actor="ann"),
                                effective_from=date(2025, 1, 1), actor="ann")
        v2 = adopt_plan_version(session, add_plan_version(session, plan, "v2", actor="ann"),
                                effective_from=date(2025, 4, 1), actor="ann")
        return v1.id, v2.id


def _rec(subject: str, score: float | None, rank: int | None = 1, kind: str = "rep",
         points: float = 50.0) -> ScoreRecord:
    return ScoreRecord(kind, subject, "t1", "ok" if score is not None else "no_data",  # type: ignore[arg-type]
                       score, None if score is None else ("A" if score >= 90 else "B"),
                       rank if kind == "rep" else None, rank, 1.0,
                       {"lines": [{"kpi": "revenue_won", "points": points}]})


def _stored(store: AppStore) -> list[tuple[object, ...]]:
    with store.session() as session:
        return [(r.id, r.plan_version_id, r.period, r.subject_kind, r.subject_id, r.score,
                 r.rating, r.breakdown, r.computed_at)
                for r in session.scalars(select(Score).order_by(Score.id))]


def test_storing_twice_changes_nothing_and_a_change_touches_only_its_row(
    store: AppStore,
) -> None:
    v1, _ = _versions(store)
    records = [_rec("r1", 95.0, 1), _rec("r2", 80.0, 2), _rec("t1", 87.5, 1, kind="team")]
    with store.session() as session:
        first = store_scores(session, session.get(PlanVersion, v1), "2025-03", records)
    assert (first.inserted, first.updated, first.unchanged, first.deleted) == (3, 0, 0, 0)
    before = _stored(store)
    with store.session() as session:
        again = store_scores(session, session.get(PlanVersion, v1), "2025-03", records)
    assert (again.inserted, again.updated, again.unchanged, again.deleted) == (0, 0, 3, 0)
    assert not again.changed
    assert _stored(store) == before

    # Floating noise in the last bits is not a change; a real one is.
    noisy = [_rec("r1", 95.0 + 1e-12, 1), _rec("r2", 81.0, 2, points=51.0),
             _rec("t1", 87.5, 1, kind="team")]
    with store.session() as session:
        third = store_scores(session, session.get(PlanVersion, v1), "2025-03", noisy)
    assert (third.inserted, third.updated, third.unchanged, third.deleted) == (0, 1, 2, 0)
    after = _stored(store)
    assert [row[0] for row in after] == [row[0] for row in before]  # updated in place
    assert after[0] == before[0] and after[2] == before[2]
    assert (after[1][5], after[1][7]) == (81.0, {"lines": [{"kpi": "revenue_won",
                                                            "points": 51.0}]})
    assert after[1][8] >= before[1][8]


def test_a_subject_that_is_no_longer_scored_is_removed(store: AppStore) -> None:
    v1, _ = _versions(store)
    with store.session() as session:
        version = session.get(PlanVersion, v1)
        assert version is not None
        store_scores(session, version, "2025-03", [_rec("r1", 95.0), _rec("r2", 80.0, 2)])
        counts = store_scores(session, version, "2025-03", [_rec("r1", 95.0)])
        assert (counts.unchanged, counts.deleted) == (1, 1)
        assert [r.subject_id for r in read_scores(session, period="2025-03")] == ["r1"]


def test_another_version_s_scores_of_the_period_are_replaced(store: AppStore) -> None:
    v1, v2 = _versions(store)
    with store.session() as session:
        store_scores(session, session.get(PlanVersion, v1), "2025-03", [_rec("r1", 95.0)])
        store_scores(session, session.get(PlanVersion, v1), "2025-02", [_rec("r1", 70.0)])
        counts = store_scores(session, session.get(PlanVersion, v2), "2025-03",
                              [_rec("r1", 60.0, 2), _rec("r2", 65.0, 1)])
        assert (counts.inserted, counts.deleted) == (2, 1)
        rows = read_scores(session)
        # February keeps version 1's row; March has version 2's only.
        assert [(r.plan_version.version, r.period, r.subject_id, r.score) for r in rows] == [
            (1, "2025-02", "r1", 70.0), (2, "2025-03", "r2", 65.0), (2, "2025-03", "r1", 60.0)]
        assert [r.subject_id for r in read_scores(session, plan_version_ids=[v2],
                                                  subject_id="r1")] == ["r1"]


def test_nan_is_stored_as_null_and_a_repeated_subject_is_refused(store: AppStore) -> None:
    v1, _ = _versions(store)
    with store.session() as session:
        version = session.get(PlanVersion, v1)
        assert version is not None
        record = ScoreRecord("rep", "r1", "t1", "no_data", float("nan"), None, None, None, 0.3,
                             {"individual_score": float("nan"), "lines": [
                                 {"kpi": "csat_avg", "value": float("inf")}]})
        store_scores(session, version, "2025-03", [record])
        row = read_scores(session, period="2025-03")[0]
        assert (row.score, row.breakdown) == (None, {"individual_score": None, "lines": [
            {"kpi": "csat_avg", "value": None}]})
        with pytest.raises(PlanError) as twice:
            store_scores(session, version, "2025-04", [_rec("r1", 1.0), _rec("r1", 2.0)])
        assert "rep r1 twice" in twice.value.message


def test_the_database_itself_refuses_a_duplicate_or_an_unknown_kind(store: AppStore) -> None:
    v1, _ = _versions(store)
    base = {"plan_version_id": v1, "period": "2025-03", "subject_id": "r1", "status": "ok",
            "coverage": 1.0, "breakdown": {}}
    with pytest.raises(IntegrityError), store.session() as session:
        session.add_all([Score(subject_kind="rep", **base), Score(subject_kind="rep", **base)])
        session.flush()
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(Score(subject_kind="region", **base))
        session.flush()


def test_retiring_a_version_is_audited(store: AppStore) -> None:
    v1, _ = _versions(store)
    with store.session() as session:
        version = session.get(PlanVersion, v1)
        assert version is not None
        retire_plan_version(session, version, actor="ann", reason="replaced")
        assert version.status == "retired"
        with pytest.raises(PlanError):
            retire_plan_version(session, version, actor="ann")
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "plan.retire")
                                ).one()
        assert (entry.entity_id, entry.before, entry.after, entry.reason) == (
            "field", {"version": 1, "status": "adopted", "effective_from": "2025-01-01"},
            {"version": 1, "status": "retired", "effective_from": "2025-01-01"}, "replaced")
        assert [(v.plan.name, v.version, v.status) for v in all_plan_versions(session)] == [
            ("field", 1, "retired"), ("field", 2, "adopted")]
