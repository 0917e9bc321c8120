"""Materialised scores, and the plan versions that scoring reads.

A plan version scores a period; its results are kept as :class:`~salescore.appstore.models.Score`
rows, one per subject (rep or team). :func:`store_scores` makes the stored rows of a plan and
period exactly the ones given: new rows are inserted, changed ones updated, vanished ones deleted,
and rows whose content is the same are left alone (their ``computed_at`` too), so that scoring a
period twice changes nothing. Rows of the plan's *other* versions for that period go as well: a
period has the scores of one version of a plan, the one it was last scored under.

>>> from datetime import date
>>> from salescore.appstore.plans import add_plan_version, adopt_plan_version, create_plan
>>> from salescore.appstore.store import AppStore
>>> from salescore.core.text import Text
>>> with AppStore.open("sqlite://") as store, store.session() as session:
...     plan = create_plan(session, name="p", title=Text("P", "甲"))
...     v1 = adopt_plan_version(session, add_plan_version(session, plan, "x", actor="ann"),
...                             effective_from=date(2025, 1, 1), actor="ann")
...     rows = [ScoreRecord("rep", "r1", "t1", "ok", 92.0, "A", 1, 1, 1.0, {"lines": []})]
...     first = store_scores(session, v1, "2025-03", rows)
...     again = store_scores(session, v1, "2025-03", rows)
...     (first.inserted, again.unchanged, len(read_scores(session, period="2025-03")))
(1, 1, 1)
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.orm import Session, selectinload

from salescore.appstore.audit import json_default, json_dumps, record_audit
from salescore.appstore.models import (
    Plan,
    PlanVersion,
    Score,
    ScoreRecords,
    ScoreStatus,
    SubjectKind,
)
from salescore.appstore.plans import PlanError
from salescore.appstore.timestamps import utcnow

__all__ = [
    "ScoreRecord",
    "StoreCounts",
    "all_plan_versions",
    "adopted_since",
    "read_score_records",
    "read_scores",
    "read_subject_scores",
    "replace_score_records",
    "retire_plan_version",
    "scored_versions",
    "scores_stamp",
    "store_score_records",
    "store_scores",
]

_KEY = ("plan_version_id", "period", "subject_kind", "subject_id")
_CONTENT = ("team_id", "status", "score", "rating", "rank_team", "rank_company", "coverage",
            "breakdown")
# Two computations of the same score may differ in the last bits (a parallel sum in the
# warehouse adds in another order); a difference this small is not a change.
_REL_TOL = 1e-9
_ABS_TOL = 1e-9


@dataclass(frozen=True)
class ScoreRecord:
    """One subject's score as it is stored (see :class:`~salescore.appstore.models.Score`)."""

    subject_kind: SubjectKind
    subject_id: str
    team_id: str | None
    status: ScoreStatus
    score: float | None
    rating: str | None
    rank_team: int | None
    rank_company: int | None
    coverage: float
    breakdown: dict[str, Any] = field(default_factory=dict)

    def key(self) -> tuple[str, str]:
        """``(subject_kind, subject_id)``: unique among the scores of a plan and period."""
        return self.subject_kind, self.subject_id


@dataclass(frozen=True)
class StoreCounts:
    """What :func:`store_scores` did to the stored rows; ``written``: the keys
    (``(subject_kind, subject_id)``) of the rows inserted or updated."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    written: frozenset[tuple[str, str]] = frozenset()

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)


def _plain(value: Any) -> Any:
    """JSON as it reads back: NaN and infinities become null (JSON has none; PostgreSQL
    refuses them), dates become text, tuples lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _json(value: dict[str, Any]) -> dict[str, Any]:
    try:
        text = json.dumps(value, default=json_default, ensure_ascii=False, allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere: the slower walk replaces them
        text = json_dumps(_plain(value))
    return dict(json.loads(text))


def _number(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _same(a: Any, b: Any) -> bool:
    """Equal, numbers within a tolerance (ints and floats alike), recursively."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _row(version: PlanVersion, period: str, record: ScoreRecord) -> dict[str, Any]:
    return {
        "plan_version_id": version.id,
        "period": period,
        "subject_kind": record.subject_kind,
        "subject_id": record.subject_id,
        "team_id": record.team_id,
        "status": record.status,
        "score": _number(record.score),
        "rating": record.rating,
        "rank_team": record.rank_team,
        "rank_company": record.rank_company,
        "coverage": _number(record.coverage) or 0.0,
        "breakdown": _json(record.breakdown),
    }


def store_scores(
    session: Session, version: PlanVersion, period: str, records: Sequence[ScoreRecord]
) -> StoreCounts:
    """Make the stored scores of ``version``'s plan for ``period`` exactly ``records``.

    ``period`` is the canonical label (``2025-03``). Rows of other versions of the same plan for
    the period are deleted; rows of ``version`` are inserted, updated or deleted so that exactly
    ``records`` remain, and an unchanged row is not written at all. Writes are upserts on the
    unique key, so two processes scoring the same period at once cannot add a row twice.
    Raises :class:`~salescore.appstore.plans.PlanError` for a record key given twice.
    """
    keys: set[tuple[str, str]] = set()
    for record in records:
        if record.key() in keys:
            kind, subject = record.key()
            raise PlanError(
                f"the scores of {period} name {kind} {subject} twice",
                message_zh=f"{period} 的评分中 {kind} {subject} 出现了两次",
            )
        keys.add(record.key())
    others = [v.id for v in version.plan.versions if v.id != version.id]
    deleted = 0
    if others:
        result = session.execute(
            delete(Score).where(Score.plan_version_id.in_(others), Score.period == period)
        )
        deleted += int(getattr(result, "rowcount", 0) or 0)
    # Plain rows, not ORM objects: thousands of them are compared and none is kept.
    columns = [getattr(Score, name) for name in _CONTENT]
    stored: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {
        (found.subject_kind, found.subject_id): (found.id, dict(zip(_CONTENT, found[3:],
                                                                    strict=True)))
        for found in session.execute(
            select(Score.id, Score.subject_kind, Score.subject_id, *columns)
            .where(Score.plan_version_id == version.id, Score.period == period)
        )
    }
    now = utcnow()
    writes: list[dict[str, Any]] = []
    written: set[tuple[str, str]] = set()
    unchanged = inserted = 0
    for record in records:
        row = _row(version, period, record)
        old = stored.get(record.key())
        if old is None:
            inserted += 1
        elif all(old[1][name] == row[name] or _same(old[1][name], row[name])
                 for name in _CONTENT):
            unchanged += 1
            continue
        writes.append({**row, "computed_at": now})
        written.add(record.key())
    gone = [old_id for key, (old_id, _) in stored.items() if key not in keys]
    if gone:
        session.execute(delete(Score).where(Score.id.in_(gone)))
        deleted += len(gone)
    if writes:
        session.execute(_upsert(session), writes)
    session.flush()
    # Score objects this session may hold are stale now that the statements wrote under them.
    for held in [obj for obj in session.identity_map.values() if isinstance(obj, Score)]:
        session.expire(held)
    return StoreCounts(inserted=inserted, updated=len(writes) - inserted, unchanged=unchanged,
                       deleted=deleted, written=frozenset(written))


def _upsert(session: Session) -> Any:
    # Imported here: a command that only reads scores (``salescore score show`` on SQLite)
    # does not load the PostgreSQL dialect's modules.
    statement: Any
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        statement = postgresql_insert(Score)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(Score)
    return statement.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={name: statement.excluded[name] for name in (*_CONTENT, "computed_at")},
    )


def store_score_records(session: Session, version: PlanVersion, period: str,
                        payloads: dict[str, bytes]) -> int:
    """Make the kept records of ``version``'s plan for ``period`` exactly ``payloads`` (packed
    explanations by rep id): those of the plan's other versions for the period go, as their
    scores do (:func:`store_scores`). Returns the number of reps written."""
    versions = [v.id for v in version.plan.versions] or [version.id]
    session.execute(delete(ScoreRecords).where(ScoreRecords.plan_version_id.in_(versions),
                                               ScoreRecords.period == period))
    now = utcnow()
    session.add_all(ScoreRecords(plan_version_id=version.id, period=period, rep_id=rep,
                                 payload=payload, computed_at=now)
                    for rep, payload in payloads.items())
    return len(payloads)


def replace_score_records(session: Session, version: PlanVersion, period: str,
                          payloads: dict[str, bytes]) -> int:
    """Make the kept records of ``version``'s plan for ``period`` of the reps of ``payloads``
    (and of those alone) exactly theirs: what re-scoring some reps keeps (the other reps'
    records stay as they are). Returns the number of reps written."""
    if not payloads:
        return 0
    versions = [v.id for v in version.plan.versions] or [version.id]
    session.execute(delete(ScoreRecords).where(ScoreRecords.plan_version_id.in_(versions),
                                               ScoreRecords.period == period,
                                               ScoreRecords.rep_id.in_(list(payloads))))
    now = utcnow()
    session.add_all(ScoreRecords(plan_version_id=version.id, period=period, rep_id=rep,
                                 payload=payload, computed_at=now)
                    for rep, payload in payloads.items())
    session.flush()
    return len(payloads)


def scored_versions(session: Session, plan_id: int, period: str) -> set[int]:
    """The ids of the versions of plan ``plan_id`` that hold stored scores for ``period``."""
    return set(session.scalars(
        select(Score.plan_version_id).join(PlanVersion, PlanVersion.id == Score.plan_version_id)
        .where(PlanVersion.plan_id == plan_id, Score.period == period).distinct()))


# The readers of one stored score below are SQLAlchemy Core, on the tables of the models: an
# ORM query first configures every mapper of the app store, which costs a command that reads
# one row (``salescore score show``) more than the reading itself.


def read_score_records(session: Session, version_id: int, period: str, rep_id: str
                       ) -> bytes | None:
    """The records kept with ``rep_id``'s score of plan version ``version_id`` for ``period``
    (``None`` when that period was scored before records were kept)."""
    kept = ScoreRecords.__table__.c
    payload: bytes | None = session.scalar(select(kept.payload).where(
        kept.plan_version_id == version_id, kept.period == period, kept.rep_id == rep_id))
    return payload


def read_subject_scores(session: Session, period: str, subject_kind: SubjectKind,
                        subject_id: str) -> list[Row[Any]]:
    """One subject's stored scores of ``period``, one per plan version that scored it: each
    row has the columns of :class:`~salescore.appstore.models.Score` and the version's
    ``plan`` (name), ``version`` (number) and ``document``. Ordered by version id."""
    score, version, plan = Score.__table__.c, PlanVersion.__table__.c, Plan.__table__.c
    query = (select(*score, plan.name.label("plan"), version.version, version.document)
             .join_from(Score.__table__, PlanVersion.__table__,
                        score.plan_version_id == version.id)
             .join(Plan.__table__, version.plan_id == plan.id)
             .where(score.period == period, score.subject_kind == subject_kind,
                    score.subject_id == subject_id)
             .order_by(score.plan_version_id))
    return list(session.execute(query))


def adopted_since(session: Session, plan: str) -> list[tuple[date, int]]:
    """``(effective_from, version id)`` of each adopted version of ``plan`` (by name) that
    has a date: what :func:`salescore.scorecards.arithmetic.in_force` chooses from."""
    version, plans = PlanVersion.__table__.c, Plan.__table__.c
    query = (select(version.effective_from, version.id)
             .join_from(PlanVersion.__table__, Plan.__table__, version.plan_id == plans.id)
             .where(plans.name == plan, version.status == "adopted",
                    version.effective_from.is_not(None))
             .order_by(version.version))
    return [(effective, number) for effective, number in session.execute(query)]


def read_scores(
    session: Session,
    *,
    period: str | None = None,
    plan_version_ids: Iterable[int] | None = None,
    subject_kind: SubjectKind | None = None,
    subject_id: str | None = None,
    subject_ids: Iterable[str] | None = None,
) -> list[Score]:
    """Stored scores, filtered by what is given; ordered by version, period, kind, best first.

    Each row's ``plan_version`` and its ``plan`` are loaded with it.
    """
    query = select(Score).options(selectinload(Score.plan_version).selectinload(PlanVersion.plan))
    if period is not None:
        query = query.where(Score.period == period)
    if plan_version_ids is not None:
        query = query.where(Score.plan_version_id.in_(list(plan_version_ids)))
    if subject_kind is not None:
        query = query.where(Score.subject_kind == subject_kind)
    if subject_id is not None:
        query = query.where(Score.subject_id == subject_id)
    if subject_ids is not None:
        query = query.where(Score.subject_id.in_(list(subject_ids)))
    query = query.order_by(Score.plan_version_id, Score.period, Score.subject_kind,
                           Score.rank_company.is_(None), Score.rank_company, Score.subject_id)
    return list(session.scalars(query))


def all_plan_versions(session: Session) -> list[PlanVersion]:
    """Every version of every plan, by plan name then version, each with its plan loaded."""
    query = (
        select(PlanVersion)
        .join(Plan)
        .options(selectinload(PlanVersion.plan).selectinload(Plan.versions))
        .order_by(Plan.name, PlanVersion.version)
    )
    return list(session.scalars(query))


def retire_plan_version(
    session: Session, version: PlanVersion, *, actor: str, reason: str | None = None
) -> PlanVersion:
    """Take an adopted version out of force (status ``retired``) and audit ``plan.retire``.

    Its stored scores stay until the periods are scored again. Raises
    :class:`~salescore.appstore.plans.PlanError` for a version that is not adopted.
    """
    plan = version.plan
    if version.status != "adopted":
        raise PlanError(
            f"plan {plan.name!r} version {version.version} is {version.status}, not adopted",
            message_zh=f"方案 {plan.name!r} 第 {version.version} 版状态为 {version.status}，"
            "不是已采用",
        )
    version.status = "retired"
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="plan.retire",
        entity="plan",
        entity_id=plan.name,
        before={"version": version.version, "status": "adopted",
                "effective_from": version.effective_from},
        after={"version": version.version, "status": "retired",
               "effective_from": version.effective_from},
        reason=reason,
    )
    return version


def scores_stamp(session: Session) -> tuple[Any, int]:
    """When a stored score last changed and how many there are: what a view read from the
    stored scores depends on (``computed_at`` changes only when a row's content does)."""
    # Two questions, each answered from an index (one aggregate over both would read every
    # score's row, JSON breakdown included).
    latest = session.scalar(select(func.max(Score.computed_at)))
    count = session.scalar(select(func.count()).select_from(Score))
    return latest, int(count or 0)
