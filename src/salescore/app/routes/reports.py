"""Reports (issue 14): a rep's scorecard, a team report and the executive report as PDF, XLSX
or HTML, within the caller's scope (a rep their own, a manager their team's subtree, the
executive report the everything scope's); and their schedules (an admin's: a YAML document,
checked with file:line, 422 with every problem)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from salescore.app.deps import LocaleDep, PrincipalDep, SessionDep
from salescore.app.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/reports", tags=["reports"], responses=PROBLEM_RESPONSES)

_MEDIA = {"pdf": "application/pdf",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "html": "text/html; charset=utf-8"}


class SchedulesIn(BaseModel):
    yaml: str = Field(max_length=200_000, description="A report schedules document (YAML)")


class SchedulesChangeOut(BaseModel):
    added: list[str]
    changed: list[str]
    removed: list[str]


class ScheduleOut(BaseModel):
    spec: dict[str, Any]
    since: datetime
    last_run_at: datetime | None
    last_error: str | None
    next_run_at: datetime | None


@router.get("/schedules", response_model=list[ScheduleOut],
            summary="The report schedules, their last and next runs (admin)")
def schedules(session: SessionDep) -> list[ScheduleOut]:
    return [ScheduleOut(spec=i.schedule.model_dump(mode="json"), since=i.since,
                        last_run_at=i.last_run_at, last_error=i.last_error,
                        next_run_at=i.next_run_at) for i in session.realtime.schedules()]


@router.put("/schedules", response_model=SchedulesChangeOut,
            summary="Replace the report schedules with a YAML document (checked; audited)")
def set_schedules(session: SessionDep, principal: PrincipalDep, body: SchedulesIn
                  ) -> SchedulesChangeOut:
    added, changed, removed = session.realtime.set_schedules(
        body.yaml, file="schedules.yaml", actor=principal.username)
    return SchedulesChangeOut(added=added, changed=changed, removed=removed)


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
