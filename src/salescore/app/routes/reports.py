"""Reports (issue 14): a rep's scorecard, a team report and the executive report as PDF, XLSX
or HTML, within the caller's scope (a rep their own, a manager their team's subtree, the
executive report the everything scope's)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from salescore.app.deps import LocaleDep, SessionDep
from salescore.app.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/reports", tags=["reports"], responses=PROBLEM_RESPONSES)

_MEDIA = {"pdf": "application/pdf",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "html": "text/html; charset=utf-8"}


@router.get("/{kind}", response_class=Response,
            responses={200: {"content": {m: {} for m in _MEDIA.values()},
                             "description": "The report"}},
            summary="A report as PDF, XLSX or HTML")
def report(session: SessionDep, locale: LocaleDep,
           kind: Annotated[Literal["rep", "team", "executive"], Path()],
           period: Annotated[str, Query(min_length=1, max_length=40)],
           subject: Annotated[str | None, Query(max_length=64)] = None,
           format: Annotated[Literal["pdf", "xlsx", "html"], Query()] = "pdf") -> Response:
    made = session.realtime.report(kind, period=period, subject=subject, locale=locale)
    data = session.realtime.render(made, format)
    name = f"{kind}-{subject or 'company'}-{period}.{format}"
    disposition = "inline" if format in ("pdf", "html") else "attachment"
    return Response(data, media_type=_MEDIA[format],
                    headers={"Content-Disposition": f'{disposition}; filename="{name}"'})
