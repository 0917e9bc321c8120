"""A score explained all the way down: score → lines → the records behind each KPI.

The first two levels are the scorecard's own explanation
(:class:`salescore.scorecards.arithmetic.Explanation`: each line's value, target, attainment,
points, weight
and contribution, the team part and the credit). The third comes from the KPI engine's explain
(:func:`salescore.engine.explain.explain_kpi`): for each KPI of the plan, the rows it was
computed from and how they add up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from salescore.engine.explained import Explanation as KpiExplanation
from salescore.scorecards.arithmetic.explanation import Explanation
from salescore.semantic.plan import Plan

if TYPE_CHECKING:  # the query engine, only for computing records (not for showing kept ones)
    from salescore.engine.kpis import KpiEngine

__all__ = ["ScoreExplanation", "kpi_records", "reps_records"]


@dataclass(frozen=True)
class ScoreExplanation:
    """One rep's score under one plan version for one period, and the records behind it.

    ``plan`` is the version's document. ``stored`` says whether the score was read from the app
    store (as it was last scored) or computed now because the period has not been scored.
    ``records`` maps each KPI the plan reads (its lines, then the collaboration credit's) to the
    engine's explanation of the rep's value; it is empty when records were not asked for.
    """

    explanation: Explanation
    plan: Plan
    version: int
    stored: bool
    credit_kpis: tuple[str, ...] = ()
    records: Mapping[str, KpiExplanation] = field(default_factory=dict)

    def rating_title(self, locale: str) -> str:
        """The rating's title in ``locale`` (its label when it has none); empty without one."""
        label = self.explanation.rating
        for rating in self.plan.ratings:
            if rating.label == label:
                return rating.title_in(locale)
        return ""

    def contributions_add_up(self) -> bool:
        """Whether the lines' contributions, the team part and the credit make the score (to
        1e-6): the promise every explanation keeps."""
        e = self.explanation
        if e.score is None:
            return True
        total = sum(line.contribution or 0.0 for line in e.lines)
        total += (e.team_part or 0.0) + (e.credit or 0.0)
        return abs(total - e.score) <= 1e-6


def kpi_records(engine: KpiEngine, kpis: tuple[str, ...], *, rep_id: str, period: str
                ) -> dict[str, KpiExplanation]:
    """The engine's explanation of each of ``kpis`` for ``rep_id`` in ``period``, in one pass
    (:func:`salescore.engine.explain.explain_kpis`)."""
    from salescore.engine.explain import explain_kpis

    return explain_kpis(engine, kpis, subject=rep_id, period=period, by="rep")


def reps_records(engine: KpiEngine, kpis: tuple[str, ...], *, reps: tuple[str, ...],
                 period: str) -> dict[str, dict[str, KpiExplanation]]:
    """:func:`kpi_records` of each of ``reps`` at once (what a scoring run keeps), in the
    queries of one (:func:`salescore.engine.explain.explain_reps`)."""
    from salescore.engine.explain import explain_reps

    return explain_reps(engine, kpis, reps, period=period)
