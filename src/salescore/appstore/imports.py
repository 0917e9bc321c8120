"""Reading the import runs back (the newest first, a page at a time), and the newest
data-quality report kept."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from salescore.appstore.models import ImportRun, QualityReport

__all__ = ["import_runs", "newest_quality_report"]


def import_runs(session: Session, *, limit: int = 100, before_id: int | None = None,
                table: str | None = None, status: str | None = None) -> list[ImportRun]:
    """The newest ``limit`` import runs (of canonical ``table``, ending in ``status``, where
    given), newest first (by id: runs are numbered as they end); ``before_id`` continues a
    listing after the last run seen."""
    query = select(ImportRun).order_by(ImportRun.id.desc()).limit(max(0, limit))
    if before_id is not None:
        query = query.where(ImportRun.id < before_id)
    if table is not None:
        query = query.where(ImportRun.table_name == table)
    if status is not None:
        query = query.where(ImportRun.status == status)
    return list(session.scalars(query))


def newest_quality_report(session: Session) -> QualityReport | None:
    """The quality report kept last (after an import or on demand), or ``None``."""
    return session.scalars(select(QualityReport).order_by(QualityReport.id.desc()).limit(1)
                           ).first()
