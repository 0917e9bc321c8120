"""``GET /audit``: the audit log, newest first (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from salescore.app.deps import PrincipalDep, StateDep
from salescore.app.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from salescore.app.problems import PROBLEM_RESPONSES
from salescore.app.schemas import AuditOut, Page

router = APIRouter(tags=["audit"], responses=PROBLEM_RESPONSES)


@router.get("/audit", response_model=Page[AuditOut], summary="The audit log (admins)")
def audit(state: StateDep, principal: PrincipalDep,
          entity: Annotated[str | None, Query(max_length=64,
                                              description="user, api_token, plan, target…")]
          = None,
          actor: Annotated[str | None, Query(max_length=64, description="who made the change")]
          = None,
          limit: LimitQuery = 50, cursor: CursorQuery = None) -> Page[AuditOut]:
    before = decode_cursor(cursor, "audit") if cursor else None
    if before is not None and not isinstance(before, int):
        decode_cursor("", "audit")
    # One more than asked for tells whether there is a next page.
    rows = state.accounts.audit(principal, limit=limit + 1,
                                before_id=before if isinstance(before, int) else None,
                                entity=entity, actor_name=actor)
    page = rows[:limit]
    next_cursor = encode_cursor("audit", page[-1].entry_id) if len(rows) > limit else None
    return Page[AuditOut](items=[AuditOut(
        id=e.entry_id, at=e.at, actor=e.actor, action=e.action, entity=e.entity,
        entity_id=e.entity_id, before=e.before, after=e.after, reason=e.reason) for e in page],
        next_cursor=next_cursor)
