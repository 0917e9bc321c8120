"""``GET /quality``: the data-quality report of the whole organisation, now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from salescore.app.cache import cached
from salescore.app.deps import LocaleDep, SessionDep
from salescore.app.problems import PROBLEM_RESPONSES
from salescore.app.schemas import (
    ColumnQualityOut,
    QualityIssueOut,
    QualityOut,
    TableQualityOut,
)
from salescore.workspace import TABLE_NAMES

router = APIRouter(tags=["quality"], responses=PROBLEM_RESPONSES)


@router.get("/quality", response_model=QualityOut, summary="The data-quality report")
@cached
def quality(session: SessionDep, locale: LocaleDep,
            tables: Annotated[str | None, Query(max_length=400,
                                                description="Only these tables, comma-"
                                                            "separated")] = None
            ) -> QualityOut:
    chosen = [t.strip() for t in tables.split(",") if t.strip()] if tables else None
    unknown = [t for t in chosen or () if t not in TABLE_NAMES]
    if unknown:
        raise RequestValidationError([{
            "type": "value_error", "loc": ("query", "tables"), "input": tables,
            "msg": f"unknown table {', '.join(unknown)}; known: {', '.join(TABLE_NAMES)}"}])
    report = session.quality(chosen)
    return QualityOut(
        created_at=report.created_at,
        duplicate_customer_rows=report.duplicate_customer_rows,
        likely_duplicate_customers=[[cid for cid, _ in g.customers]
                                    for g in report.likely_duplicate_customers],
        tables=[TableQualityOut(
            name=t.name, rows=t.rows, invalid_rows=t.invalid_rows, validity=t.validity,
            duplicate_keys=t.duplicate_keys, orphans=dict(t.orphans), oldest=t.oldest,
            newest=t.newest,
            columns=[ColumnQualityOut(name=c.name, filled=c.filled, unknown=c.unknown,
                                      completeness=c.completeness, required=c.required)
                     for c in t.columns],
            issues=[QualityIssueOut(check=i.check, severity=i.severity, rows=i.rows,
                                    message=i.text.get(locale), examples=list(i.examples))
                    for i in t.issues])
            for t in report.tables])
