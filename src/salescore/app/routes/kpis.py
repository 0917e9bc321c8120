"""KPIs: the catalogue, values at any grain and period, and the records behind one value."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from salescore.app.cache import cached
from salescore.app.deps import LocaleDep, SessionDep
from salescore.app.pagination import CursorQuery, LimitQuery, paginate
from salescore.app.problems import PROBLEM_RESPONSES, NotFound
from salescore.app.schemas import (
    ExplainPartOut,
    KpiExplanationOut,
    KpiOut,
    KpiValueRow,
    KpiValues,
    Page,
    TextOut,
    plain,
)
from salescore.core.periods import Grain
from salescore.core.text import Text, is_chinese
from salescore.workspace import KpiExplanation

router = APIRouter(prefix="/kpis", tags=["kpis"], responses=PROBLEM_RESPONSES)

ByQuery = Annotated[str, Query(
    pattern=r"^[a-z_]{1,40}$",
    description="rep, team (with its subtree), company, or a dimension (product, channel, "
                "region, segment, industry)")]
PeriodQuery = Annotated[str, Query(min_length=1, max_length=40,
                                   description="2025-03, 2025-Q1, 2025-W07, 2025, FY2025, "
                                               "a..b, or all")]


@router.get("", response_model=Page[KpiOut], summary="The KPI catalogue")
@cached
def catalogue(session: SessionDep, limit: LimitQuery = 100, cursor: CursorQuery = None,
              group: Annotated[str | None, Query(max_length=40)] = None) -> Page[KpiOut]:
    kpis = [k for _, k in sorted(session.catalog.kpis.items())
            if group is None or str(k.group) == group]
    items, next_cursor = paginate(kpis, limit=limit, cursor=cursor, list_name="kpis")
    return Page[KpiOut](items=[KpiOut(
        name=k.name, type=k.type, group=str(k.group), label=TextOut.of(k.label),
        description=TextOut.of(k.description), direction=str(k.direction), unit=str(k.unit),
    ) for k in items], next_cursor=next_cursor)


def _names(kpis: str) -> list[str]:
    return [name.strip() for name in kpis.split(",") if name.strip()]


@router.get("/values", response_model=KpiValues, summary="KPI values per subject and period")
@cached
def values(session: SessionDep, locale: LocaleDep,
           kpis: Annotated[str, Query(min_length=1, max_length=2000,
                                      description="KPI names, comma-separated")],
           by: ByQuery = "rep", period: PeriodQuery = "all",
           grain: Annotated[Grain | None, Query(description="The time bucket")] = None,
           subjects: Annotated[str | None, Query(
               max_length=4000, description="Only these subjects, comma-separated")] = None,
           limit: LimitQuery = 100, cursor: CursorQuery = None) -> KpiValues:
    names = _names(kpis)
    result = session.kpi_result(names, by=by, period=period, grain=grain,
                                subjects=_names(subjects) if subjects else None)
    key = result.subject
    rows = [KpiValueRow(subject=None if key is None else str(row[key]),
                        period=str(row["period"]),
                        values={name: plain(row.get(name)) for name in result.outputs})
            for row in result.table.to_pylist()]
    items, next_cursor = paginate(rows, limit=limit, cursor=cursor, list_name="kpi-values")
    return KpiValues(items=items, next_cursor=next_cursor, by=by, kpis=list(result.outputs),
                     notices=[n.localized(locale) for n in result.notices],
                     reasons={k: n.localized(locale) for k, n in result.reasons.items()})


def explanation_out(e: KpiExplanation, locale: str, rows: int) -> KpiExplanationOut:
    """An engine explanation as the API gives it, each input's rows cut at ``rows``."""
    zh = is_chinese(locale)
    return KpiExplanationOut(
        kpi=e.kpi, by=e.by, subject=e.subject, period=e.period, value=plain(e.value),
        formula=e.formula, arithmetic=e.arithmetic,
        reason=e.reason.localized(locale) if e.reason is not None else None,
        parts=[ExplainPartOut(
            name=p.name, description=p.description_zh if zh else p.description,
            value=plain(p.value), row_count=p.rows.num_rows,
            rows=[{k: plain(v) for k, v in r.items()}
                  for r in p.rows.slice(0, rows).to_pylist()])
            for p in e.parts])


@router.get("/{name}/explain", response_model=KpiExplanationOut,
            summary="The records behind one subject's KPI")
@cached
def explain(session: SessionDep, locale: LocaleDep, name: str,
            subject: Annotated[str, Query(min_length=1, max_length=64)],
            period: PeriodQuery,
            by: Annotated[str, Query(pattern=r"^(rep|team)$")] = "rep",
            rows: Annotated[int, Query(ge=0, le=500,
                                       description="Rows listed per input")] = 100
            ) -> KpiExplanationOut:
    if name not in session.catalog.kpis:
        raise NotFound(Text(f"there is no KPI {name!r} in the catalogue",
                            f"指标目录中没有 {name!r}"))
    found = session.explain(name, subject=subject, period=period, by=by)
    return explanation_out(found, locale, rows)
