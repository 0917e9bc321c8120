"""The organisation as the caller's scope reaches it: reps and teams."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from salescore.app.cache import cached
from salescore.app.deps import SessionDep
from salescore.app.pagination import CursorQuery, LimitQuery, paginate
from salescore.app.problems import PROBLEM_RESPONSES
from salescore.app.schemas import Page, RepOut, TeamOut

router = APIRouter(tags=["organisation"], responses=PROBLEM_RESPONSES)

IdPath = Annotated[str, Path(max_length=64)]


@router.get("/reps", response_model=Page[RepOut], summary="Reps")
@cached
def reps(session: SessionDep, team_id: Annotated[str | None, Query(max_length=64)] = None,
         active: bool | None = None, limit: LimitQuery = 100, cursor: CursorQuery = None
         ) -> Page[RepOut]:
    rows = session.reps(team_id=team_id, active=active)
    items, next_cursor = paginate(rows, limit=limit, cursor=cursor, list_name="reps")
    return Page[RepOut](items=[RepOut.model_validate(r) for r in items],
                        next_cursor=next_cursor)


@router.get("/reps/{rep_id}", response_model=RepOut, summary="One rep")
@cached
def rep(session: SessionDep, rep_id: IdPath) -> RepOut:
    session.require_rep(rep_id)
    return RepOut.model_validate(next(r for r in session.reps() if r["rep_id"] == rep_id))


@router.get("/teams", response_model=Page[TeamOut], summary="Teams")
@cached
def teams(session: SessionDep,
          parent_team_id: Annotated[str | None, Query(max_length=64)] = None,
          limit: LimitQuery = 100, cursor: CursorQuery = None) -> Page[TeamOut]:
    rows = session.teams(parent_team_id=parent_team_id)
    items, next_cursor = paginate(rows, limit=limit, cursor=cursor, list_name="teams")
    return Page[TeamOut](items=[TeamOut.model_validate(r) for r in items],
                         next_cursor=next_cursor)


@router.get("/teams/{team_id}", response_model=TeamOut, summary="One team")
@cached
def team(session: SessionDep, team_id: IdPath) -> TeamOut:
    session.require_team(team_id)
    return TeamOut.model_validate(next(t for t in session.teams() if t["team_id"] == team_id))
