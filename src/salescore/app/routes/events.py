"""Events in: a batch of canonical rows of any table, applied as an import applies a file, with
an answer per batch and an error per rejected event (issue 14). Sending events needs the
writable scope (an admin, or the data folder's owner): others get 403."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel

from salescore.app.deps import AppState, LocaleDep, PrincipalDep, SessionDep, StateDep
from salescore.app.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/events", tags=["events"], responses=PROBLEM_RESPONSES)


class EventErrorOut(BaseModel):
    index: int
    column: str | None
    value: str | None
    reason: str


class EventsOut(BaseModel):
    """What a batch did; ``received == accepted + rejected + superseded + stale +
    duplicate``."""

    received: int
    accepted: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    superseded: int
    stale: int
    duplicate: int
    errors: list[EventErrorOut]


def now_of(state: AppState) -> datetime | None:
    """Noon of the day the settings fix as today (tests, reproducible demos), in the
    organisation's zone; ``None`` (the clock) otherwise."""
    if state.settings.today is None:
        return None
    zone = state.workspace.settings.calendar.zone
    return datetime.combine(state.settings.today, time(12), zone).astimezone(UTC)


_EXAMPLE = {"events": [{"table": "opportunities", "at": "2025-03-02T08:00:00Z",
                        "row": {"opportunity_id": "o1", "stage": "won",
                                "closed_at": "2025-03-02T08:00:00Z"}}]}


@router.post("", response_model=EventsOut, summary="Send a batch of events (canonical rows)")
def send_events(session: SessionDep, principal: PrincipalDep, locale: LocaleDep,
                state: StateDep,
                body: Annotated[dict[str, Any] | list[Any], Body(examples=[_EXAMPLE])]
                ) -> EventsOut:
    outcome = session.realtime.accept_events(body, actor=principal.username, now=now_of(state))
    return EventsOut.model_validate(outcome.to_dict(locale))
