"""Plans: the plans and their versions, adopting a document, and replaying a draft (what-if)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Path

from salescore.app.cache import cached
from salescore.app.deps import PrincipalDep, SessionDep
from salescore.app.pagination import CursorQuery, LimitQuery, paginate
from salescore.app.problems import PROBLEM_RESPONSES, NotFound
from salescore.app.schemas import (
    AdoptionOut,
    Page,
    PlanIn,
    PlanOut,
    PlanVersionOut,
    TextOut,
    WhatIfIn,
    WhatIfOut,
    WhatIfRow,
)
from salescore.core.text import Text

router = APIRouter(prefix="/plans", tags=["plans"], responses=PROBLEM_RESPONSES)

NameParam = Annotated[str, Path(max_length=64, description="The plan's name (its slug)")]


@router.get("", response_model=Page[PlanOut], summary="Scorecard plans")
@cached
def plans(session: SessionDep, limit: LimitQuery = 100, cursor: CursorQuery = None
          ) -> Page[PlanOut]:
    versions = session.plans()
    names = sorted({v.plan for v in versions})
    out = []
    for name in names:
        mine = [v for v in versions if v.plan == name]
        adopted = [v for v in mine if v.status == "adopted"]
        dates = [v.effective_from for v in adopted if v.effective_from is not None]
        out.append(PlanOut(name=name, title=TextOut.of(mine[-1].title), versions=len(mine),
                           adopted=[v.version for v in adopted],
                           latest_effective_from=max(dates) if dates else None))
    items, next_cursor = paginate(out, limit=limit, cursor=cursor, list_name="plans")
    return Page[PlanOut](items=items, next_cursor=next_cursor)


@router.post("", response_model=AdoptionOut, status_code=201,
             summary="Adopt a plan document (audited)")
def adopt(session: SessionDep, principal: PrincipalDep, body: PlanIn) -> AdoptionOut:
    done = session.adopt_plan(text=body.document, effective_from=body.effective_from,
                              actor=principal.username, reason=body.reason,
                              replace=body.replace)
    return AdoptionOut(plan=done.plan, version=done.version, effective_from=done.effective_from,
                       created=done.created, retired=list(done.retired))


def _no_plan(name: str) -> NotFound:
    return NotFound(Text(f"there is no plan {name!r}", f"没有方案 {name!r}"))


@router.get("/{name}/versions", response_model=Page[PlanVersionOut],
            summary="The versions of one plan")
@cached
def versions(session: SessionDep, name: NameParam, limit: LimitQuery = 100,
             cursor: CursorQuery = None) -> Page[PlanVersionOut]:
    mine = [v for v in session.plans() if v.plan == name]
    if not mine:
        raise _no_plan(name)
    items, next_cursor = paginate(mine, limit=limit, cursor=cursor,
                                  list_name=f"plan-versions:{name}")
    return Page[PlanVersionOut](
        items=[PlanVersionOut.model_validate(v, from_attributes=True) for v in items],
        next_cursor=next_cursor)


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value.__class__.__name__ in ("NAType", "NaTType"):
        return None
    return value


@router.post("/{name}/whatif", response_model=WhatIfOut,
             summary="Replay a draft plan on a period against this plan")
def whatif(session: SessionDep, name: NameParam, body: WhatIfIn) -> WhatIfOut:
    if name not in {v.plan for v in session.plans()}:
        raise _no_plan(name)
    result = session.whatif(text=body.document, period=body.period, against=name)
    rows = [{k: _cell(v) for k, v in row.items()}
            for row in result.comparison.to_dict("records")]
    return WhatIfOut(period=result.period, draft=result.draft.name,
                     baseline=result.baseline.name, baseline_version=result.baseline_version,
                     subjects=result.subjects, reps=result.reps,
                     changed_ratings=result.changed_ratings,
                     comparison=[WhatIfRow.model_validate(r) for r in rows])
