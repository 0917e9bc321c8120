"""Targets: those the caller's scope reaches, and setting one (with a reason; audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from salescore.app.cache import cached
from salescore.app.deps import PrincipalDep, SessionDep
from salescore.app.pagination import CursorQuery, LimitQuery, paginate
from salescore.app.problems import PROBLEM_RESPONSES
from salescore.app.schemas import Page, TargetChangeOut, TargetIn, TargetOut, plain

router = APIRouter(prefix="/targets", tags=["targets"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=Page[TargetOut], summary="Targets")
@cached
def targets(session: SessionDep,
            period: Annotated[str | None, Query(max_length=40)] = None,
            kpi: Annotated[str | None, Query(max_length=64)] = None,
            scope: Annotated[str | None, Query(pattern=r"^(rep|team)$")] = None,
            scope_id: Annotated[str | None, Query(max_length=64)] = None,
            limit: LimitQuery = 100, cursor: CursorQuery = None) -> Page[TargetOut]:
    rows = session.targets(period=period, kpi=kpi, scope=scope, scope_id=scope_id)
    items, next_cursor = paginate(rows, limit=limit, cursor=cursor, list_name="targets")
    return Page[TargetOut](items=[TargetOut.model_validate({k: plain(v) for k, v in r.items()})
                                  for r in items], next_cursor=next_cursor)


@router.put("", response_model=TargetChangeOut, summary="Set one target (audited)")
def set_target(session: SessionDep, principal: PrincipalDep, body: TargetIn
               ) -> TargetChangeOut:
    change = session.set_target(body.scope, body.scope_id, body.period, body.kpi, body.value,
                                actor=principal.username, reason=body.reason)
    return TargetChangeOut.model_validate(change, from_attributes=True)
