"""The live scores fragment (``/live/scores``, issue 14): the stored scores of the open
periods that the caller may see in full (a rep's own, a manager's subtree's reps and teams,
everyone's for the everything scope), as a small table that the home and team pages poll with
htmx every few seconds, so that a score re-scored after an event shows without a reload.

The answer is kept like a page's view (:func:`salescore.app.pages.on_session`): the re-scoring
task clears the kept answers when it has run, so the next poll reads the new figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from salescore.app.deps import app_state
from salescore.app.pages import Words, on_session, render, signed_in
from salescore.core.access import Principal
from salescore.core.scope import AccessError
from salescore.workspace import Session

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 5


@dataclass(frozen=True)
class LiveRow:
    plan: str
    period: str
    kind: str
    subject_id: str
    name: str
    score: float | None
    rating: str | None
    rank_team: int | None
    rank_company: int | None
    computed_at: Any


def live_rows(session: Session, today: Any) -> list[LiveRow]:
    """The caller's live scores with the subjects' names."""
    scores = session.realtime.live_scores(today)
    if not scores:
        return []
    reps = {r["rep_id"]: r["name"] or r["rep_id"] for r in session.reps()}
    teams = {t["team_id"]: t["name"] or t["team_id"] for t in session.teams()}
    return [LiveRow(s.plan, s.period, s.subject_kind, s.subject_id,
                    (reps if s.subject_kind == "rep" else teams).get(s.subject_id,
                                                                     s.subject_id),
                    s.score, s.rating, s.rank_team, s.rank_company, s.computed_at)
            for s in scores]


@router.get("/live/scores", response_class=HTMLResponse)
async def live_scores(request: Request) -> Response:
    """The fragment the pages poll (no page around it): 401 when signed out, so that htmx
    leaves the page as it is."""
    caller = await signed_in(request)
    if caller is None:
        return Response(status_code=401)
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Words) -> list[LiveRow]:
        return live_rows(session, today)

    try:
        rows = await on_session(request, caller, read, keep=True)
    except AccessError:
        rows = []
    return render(request, "_live_scores.html", caller.principal.locale, caller=caller,
                  rows=rows)
