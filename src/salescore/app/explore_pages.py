"""The KPI explorer's and the drill-down's routes: ``/explore`` (and ``/explore.csv``,
``/explore.xlsx`` with the same query) and ``/drill``.

Each reads through the signed-in caller's session, so its scope applies to every figure and
record (a rep sees their own, a manager their team's subtree); a subject outside it is 404, a
KPI, grain, breakdown or period the catalogue or the calendar does not know 422, each told in
the page's language. Signed out, a page goes to the log-in and comes back to the same query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from salescore.app.deps import Caller
from salescore.app.drill import KNOWN_PARAMS, DrillQuery, drill
from salescore.app.explorer import (
    DEFAULT_KPI,
    ExplorerQuery,
    choices,
    default_period,
    download_name,
    explore,
    to_csv,
    to_xlsx,
)
from salescore.app.pages import on_session, render, signed_in, to_login
from salescore.app.problems import status_of
from salescore.core.errors import SalescoreError
from salescore.workspace import Session

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Short = Annotated[str | None, Query(max_length=64)]
PeriodParam = Annotated[str | None, Query(max_length=40)]
MAX_FILTERS = 12
T = TypeVar("T")


async def _in_session(request: Request, caller: Caller, work: Callable[[Session], T]) -> T:
    """``work`` on the caller's session, its view kept (:func:`on_session`)."""
    return await on_session(request, caller, lambda session, _p, _w: work(session), keep=True)


def _explorer_query(session: Session, kpi: str | None, by: str | None, period: str | None,
                    grain: str | None, breakdown: str | None) -> ExplorerQuery:
    names = session.catalog.kpis
    chosen = kpi or (DEFAULT_KPI if DEFAULT_KPI in names else min(names))
    return ExplorerQuery(kpi=chosen, by=by or "rep", period=period or default_period(session),
                         grain=grain or None, breakdown=breakdown or None)


async def _explore(request: Request, fmt: str, kpi: str | None, by: str | None,
                   period: str | None, grain: str | None, breakdown: str | None) -> Response:
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    locale = caller.principal.locale

    def work(session: Session) -> dict[str, Any]:
        form = choices(session, locale)
        query = _explorer_query(session, kpi, by, period, grain, breakdown)
        try:
            return {"form": form, "query": query, "view": explore(session, query, locale)}
        except SalescoreError as exc:
            return {"form": form, "query": query, "error": exc}

    try:
        found = await _in_session(request, caller, work)
    except SalescoreError as exc:  # a user linked to nothing: told why
        return render(request, "explorer.html", locale, status=status_of(exc), caller=caller,
                      error=exc.localized(locale), form=None, query=None, view=None)
    error = found.get("error")
    if error is not None:
        return render(request, "explorer.html", locale, status=status_of(error), caller=caller,
                      error=error.localized(locale), form=found["form"], query=found["query"],
                      view=None)
    view = found["view"]
    if fmt == "csv":
        return Response(to_csv(view, locale), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{download_name(view, "csv")}"'})
    if fmt == "xlsx":
        return Response(to_xlsx(view, locale), media_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), headers={
            "Content-Disposition": f'attachment; filename="{download_name(view, "xlsx")}"'})
    return render(request, "explorer.html", locale, caller=caller, form=found["form"],
                  query=found["query"], view=view, error=None)


@router.get("/explore", response_class=HTMLResponse)
async def explorer_page(request: Request, kpi: Short = None, by: Short = None,
                        period: PeriodParam = None, grain: Short = None,
                        breakdown: Short = None) -> Response:
    """The KPI explorer (:mod:`salescore.app.explorer`)."""
    return await _explore(request, "html", kpi, by, period, grain, breakdown)


@router.get("/explore.csv")
async def explorer_csv(request: Request, kpi: Short = None, by: Short = None,
                       period: PeriodParam = None, grain: Short = None,
                       breakdown: Short = None) -> Response:
    """The explorer's table as CSV: the same query, the same rows."""
    return await _explore(request, "csv", kpi, by, period, grain, breakdown)


@router.get("/explore.xlsx")
async def explorer_xlsx(request: Request, kpi: Short = None, by: Short = None,
                        period: PeriodParam = None, grain: Short = None,
                        breakdown: Short = None) -> Response:
    """The explorer's table as an Excel workbook: the same query, the same rows."""
    return await _explore(request, "xlsx", kpi, by, period, grain, breakdown)


def _whole(text: str | None, default: int = 1) -> int:
    """A page or part number from the URL; anything but a positive whole number is 1."""
    return int(text) if text is not None and text.isdigit() and 0 < int(text) < 10**6 \
        else default


@router.get("/drill", response_class=HTMLResponse)
async def drill_page(request: Request, kpi: Annotated[str, Query(min_length=1, max_length=64)],
                     subject: Annotated[str, Query(min_length=1, max_length=200)],
                     period: Annotated[str, Query(min_length=1, max_length=40)],
                     by: Short = None, stage: Short = None, part: Short = None,
                     page: Short = None) -> Response:
    """The records behind one figure (:mod:`salescore.app.drill`)."""
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    locale = caller.principal.locale
    filters = tuple((k, v[:100]) for k, v in request.query_params.multi_items()
                    if k not in KNOWN_PARAMS and k != "lang")[:MAX_FILTERS]
    query = DrillQuery(kpi=kpi, by=by or "rep", subject=subject, period=period,
                       stage=stage or None, part=_whole(part), page=_whole(page),
                       filters=filters)
    try:
        view = await _in_session(request, caller, lambda s: drill(s, query, locale))
    except SalescoreError as exc:
        return render(request, "drill.html", locale, status=status_of(exc), caller=caller,
                      error=exc.localized(locale), view=None, query=query)
    return render(request, "drill.html", locale, caller=caller, view=view, query=query,
                  error=None)
