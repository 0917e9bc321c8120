"""Scores: the stored scores a caller may see, one rep's score explained, and scoring a period."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query

from salescore.app.cache import cached
from salescore.app.deps import LocaleDep, SessionDep
from salescore.app.pagination import CursorQuery, LimitQuery, paginate
from salescore.app.problems import PROBLEM_RESPONSES
from salescore.app.routes.kpis import PeriodQuery, explanation_out
from salescore.app.schemas import (
    Explained,
    LineOut,
    Page,
    ScoredOut,
    ScoreExplanationOut,
    ScoreIn,
    ScoreOut,
    ScoreRunOut,
)

router = APIRouter(prefix="/scores", tags=["scores"], responses=PROBLEM_RESPONSES)

PlanQuery = Annotated[str | None, Query(max_length=64, description="Only this plan")]


@router.get("", response_model=Page[ScoreOut], summary="Stored scores")
@cached
def scores(session: SessionDep, period: PeriodQuery, plan: PlanQuery = None,
           subject_kind: Annotated[str | None, Query(pattern=r"^(rep|team)$")] = None,
           limit: LimitQuery = 100, cursor: CursorQuery = None) -> Page[ScoreOut]:
    rows = session.stored_scores(period, plan, subject_kind=subject_kind)
    items, next_cursor = paginate(rows, limit=limit, cursor=cursor, list_name="scores")
    return Page[ScoreOut](items=[ScoreOut.model_validate(r, from_attributes=True)
                                 for r in items], next_cursor=next_cursor)


@router.post("", response_model=ScoreRunOut, summary="Score a period and keep the scores")
def score(session: SessionDep, locale: LocaleDep, body: ScoreIn) -> ScoreRunOut:
    run = session.score(body.period, body.plan)
    return ScoreRunOut(
        period=run.period,
        scored=[ScoredOut(plan=r.plan, version=r.version, period=r.period,
                          subjects=len(r.card.subjects),
                          scored=int((r.card.subjects["status"] == "ok").sum()),
                          inserted=r.stored.inserted if r.stored else 0,
                          updated=r.stored.updated if r.stored else 0,
                          unchanged=r.stored.unchanged if r.stored else 0,
                          deleted=r.stored.deleted if r.stored else 0)
                for r in run.results],
        skipped=[s.localized(locale) for s in run.skipped])


@router.get("/{rep_id}/{period}", response_model=ScoreExplanationOut,
            summary="A rep's score explained down to the records")
@cached
def explanation(session: SessionDep, locale: LocaleDep,
                rep_id: Annotated[str, Path(max_length=64)],
                period: Annotated[str, Path(max_length=40)],
                plan: PlanQuery = None, records: bool = True,
                rows: Annotated[int, Query(ge=0, le=500,
                                           description="Rows listed per KPI input")] = 20
                ) -> ScoreExplanationOut:
    found = session.score_explanation(rep_id, period, plan, records=records)
    e = found.explanation
    return ScoreExplanationOut(
        plan=found.plan.name, version=found.version, stored=found.stored,
        explanation=Explained(
            subject=e.subject, team_id=e.team_id, plan=e.plan, period=e.period,
            status=e.status, score=e.score, rating=e.rating,
            rating_title=found.rating_title(locale), individual_score=e.individual_score,
            individual_share=e.individual_share, team_score=e.team_score,
            team_share=e.team_share, team_part=e.team_part, credit=e.credit,
            rank_in_team=e.rank_in_team, rank_in_company=e.rank_in_company,
            lines=[LineOut.model_validate(
                {**asdict(line), "status_text": line.status_text(locale)}) for line in e.lines]),
        credit_kpis=list(found.credit_kpis),
        records={kpi: explanation_out(x, locale, rows) for kpi, x in found.records.items()})
