"""Scorecard scoring: pure arithmetic over KPI values, targets and a plan.

It turns the KPI engine's per-rep (and per-team) values into scores, ratings, ranks and their
explanations. It reads tables it is given (Arrow or pandas) and never connects to a database:
the workspace fetches the values, this package scores them, the app store keeps the results.
"""

from __future__ import annotations

from salescore.scorecards.arithmetic.comparison import compare, rating_transitions
from salescore.scorecards.arithmetic.frames import ScoringInputError, TableLike
from salescore.scorecards.arithmetic.in_force import in_force
from salescore.scorecards.arithmetic.scorecard import (
    Explanation,
    LineExplanation,
    Scorecard,
    score_period,
)
from salescore.scorecards.arithmetic.subjects import select_subjects, subtree

__all__ = [
    "Explanation",
    "LineExplanation",
    "Scorecard",
    "ScoringInputError",
    "TableLike",
    "compare",
    "in_force",
    "rating_transitions",
    "score_period",
    "select_subjects",
    "subtree",
]
