"""``GET /me``: who the caller is and what their scope reaches."""

from __future__ import annotations

from fastapi import APIRouter

from salescore.app.deps import CallerDep
from salescore.app.problems import PROBLEM_RESPONSES
from salescore.app.schemas import MeOut

router = APIRouter(tags=["me"], responses=PROBLEM_RESPONSES)


@router.get("/me", response_model=MeOut, summary="The caller")
def me(caller: CallerDep) -> MeOut:
    p = caller.principal
    scope = p.scope()
    return MeOut(username=p.username, display_name=p.display_name, role=p.role,
                 locale=p.locale, rep_id=p.rep_id, team_id=p.team_id,
                 scope=scope.describe(p.locale), can_change_data=scope.allows_writes,
                 authenticated_by=caller.via)
