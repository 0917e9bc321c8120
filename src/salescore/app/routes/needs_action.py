"""The records that need action: open deals with no activity for 14 days, open deals stuck in a
stage longer than their team's usual, and surveys below 3, as the caller's scope sees them.

What each kind is, and how "usual" and "as of" are decided, is said in
:mod:`salescore.analytics.needs_action` and :meth:`salescore.workspace.Session.needs_action`;
this route lists them, one kind after the other (or one kind alone), paged.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from salescore.app.cache import cached
from salescore.app.deps import SessionDep, StateDep
from salescore.app.needs_action_view import link
from salescore.app.pagination import CursorQuery, LimitQuery, paginate
from salescore.app.problems import PROBLEM_RESPONSES
from salescore.workspace import ACTION_KINDS, ActionKind

__all__ = ["ActionOut", "NeedsActionPage", "router"]

router = APIRouter(prefix="/needs-action", tags=["needs action"], responses=PROBLEM_RESPONSES)

Short = Annotated[str | None, Query(max_length=64)]


class ActionOut(BaseModel):
    """One record that needs action."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["no_activity", "stuck", "low_survey"]
    record_id: str = Field(description="The opportunity's id, or the survey's")
    customer_id: str | None
    customer_name: str | None = Field(description="null where the customer is unknown")
    rep_id: str = Field(description="The owner rep (a survey: the rep rated)")
    rep_name: str | None
    amount: Decimal | None = Field(description="The deal's amount, exact; null when unknown "
                                               "and for a survey")
    currency: str | None
    stage: str | None = Field(description="The deal's current stage; null for a survey")
    day: date = Field(description="The last touch (no_activity), the day the stage was "
                                  "entered (stuck), the day answered (low_survey)")
    days: int = Field(description="Whole days from `day` to `as_of`")
    usual_days: float | None = Field(description="stuck: the team's usual days in the stage")
    csat: int | None = Field(description="low_survey: the satisfaction score (1-5)")
    comment: str | None
    link: str = Field(description="The page that lists the record (a drill-down)")


class NeedsActionPage(BaseModel):
    """One page of the records that need action, with the count of each kind."""

    model_config = ConfigDict(frozen=True)

    as_of: date = Field(description="The day the list is as of: the organisation's today, "
                                    "or the data's last day when the data ends earlier")
    period: str = Field(description="The period whose surveys are listed")
    counts: dict[str, int] = Field(description="How many records of each kind (all pages)")
    items: list[ActionOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last one")


@router.get("", response_model=NeedsActionPage, summary="Records that need action")
@cached
def needs_action(session: SessionDep, state: StateDep,
                 kind: Annotated[ActionKind | None, Query(description="Only this kind")] = None,
                 period: Annotated[str | None, Query(
                     max_length=40, description="The surveys' period (default: the month "
                                                "of `as_of`)")] = None,
                 team: Annotated[str | None, Query(
                     max_length=64, description="Only this team's, with its subtree")] = None,
                 rep: Short = None, limit: LimitQuery = 100,
                 cursor: CursorQuery = None) -> NeedsActionPage:
    found = session.needs_action(state.today(), period=period, team_id=team,
                                 rep_id=rep)
    kinds = (kind,) if kind is not None else ACTION_KINDS
    items = [i for k in kinds for i in found.of_kind(k)]
    page, next_cursor = paginate(items, limit=limit, cursor=cursor,
                                 list_name=f"needs-action:{kind or 'all'}")
    return NeedsActionPage(
        as_of=found.as_of, period=found.period, counts=dict(found.counts()),
        items=[ActionOut(kind=i.kind, record_id=i.record_id, customer_id=i.customer_id,
                         customer_name=i.customer_name, rep_id=i.rep_id, rep_name=i.rep_name,
                         amount=i.amount, currency=i.currency, stage=i.stage, day=i.day,
                         days=i.days, usual_days=i.usual_days, csat=i.csat, comment=i.comment,
                         link=link(i, found)) for i in page],
        next_cursor=next_cursor)
