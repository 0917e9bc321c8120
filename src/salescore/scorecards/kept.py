"""A stored score explained from the app store alone: its lines from the stored breakdown, the
records behind each KPI from what the scoring run kept (:mod:`salescore.engine.explained`).

No query engine is imported and no warehouse is read here, so that ``salescore score show``
answers in the time it takes to read a row; :meth:`Scorecards.explain
<salescore.scorecards.service.Scorecards.explain>` computes what is not kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from salescore.appstore.models import Score
from salescore.appstore.scores import adopted_since, read_score_records, read_subject_scores
from salescore.appstore.store import AppStore
from salescore.core.periods import Calendar
from salescore.engine.explained import unpack
from salescore.scorecards.arithmetic import in_force
from salescore.scorecards.arithmetic.explanation import Explanation, LineExplanation
from salescore.scorecards.explain import ScoreExplanation
from salescore.scorecards.versions import checked_plan
from salescore.semantic.specs import Direction

__all__ = ["LINE_FIELDS", "explanation_from_row", "kept_explanation"]

LINE_FIELDS = ("kpi", "direction", "method", "target_source", "status", "value", "target",
               "attainment", "points", "weight", "effective_weight", "contribution")


def kept_explanation(app: AppStore, calendar: Calendar, directions: Mapping[str, Direction],
                     rep_id: str, period: str, plan: str | None = None, *,
                     records: bool = True) -> ScoreExplanation | None:
    """``rep_id``'s stored score for ``period`` (under ``plan``, or the one plan that scored
    them then) with the records kept when it was scored; ``None`` when there is no such
    stored score, when several plans scored the rep (the caller names them), or when the
    records were asked for and the score was stored before records were kept.

    Read with a few Core queries (no ORM mapper is configured: that would cost more than
    the reading)."""
    parsed = calendar.parse(period)
    chosen = str(parsed)
    with app.session() as session:
        rows = [row for row in read_subject_scores(session, chosen, "rep", rep_id)
                if plan is None or row.plan == plan]
        if len(rows) != 1:
            return None
        row = rows[0]
        if in_force(adopted_since(session, row.plan), parsed) != row.plan_version_id:
            return None  # another version governs the period now: the caller scores it anew
        kept = read_score_records(session, row.plan_version_id, chosen, rep_id) \
            if records else None
    if records and kept is None:
        return None
    document = checked_plan(row.plan, row.version, row.document, directions)
    explained = _explanation(row, row.plan)
    credit = document.collaboration.kpis() if document.collaboration else ()
    return ScoreExplanation(explained, document, row.version, stored=True, credit_kpis=credit,
                            records=unpack(kept) if kept is not None else {})


def explanation_from_row(row: Score) -> Explanation:
    """The explanation of a stored score, exactly as it was when it was computed."""
    return _explanation(row, row.plan_version.plan.name)


def _explanation(row: Any, plan: str) -> Explanation:
    """The explanation of a stored score's row (a :class:`Score` or a row of its columns)
    under ``plan``."""
    parts = row.breakdown or {}
    lines = tuple(
        LineExplanation(**{name: line.get(name) for name in LINE_FIELDS})
        for line in parts.get("lines", [])
    )
    return Explanation(
        subject=row.subject_id,
        team_id=row.team_id,
        plan=plan,
        period=row.period,
        status=row.status,
        score=row.score,
        rating=row.rating,
        individual_score=parts.get("individual_score"),
        individual_share=parts.get("individual_share"),
        team_score=parts.get("team_score"),
        team_share=parts.get("team_share"),
        team_part=parts.get("team_part"),
        credit=parts.get("credit"),
        rank_in_team=row.rank_team,
        rank_in_company=row.rank_company,
        lines=lines,
    )
