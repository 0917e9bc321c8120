"""Scorecard scoring: pure arithmetic over KPI values, targets and a plan.

It turns the KPI engine's per-rep (and per-team) values into scores, ratings, ranks and their
explanations. It reads tables it is given (Arrow or pandas) and never connects to a database:
the workspace fetches the values, this package scores them, the app store keeps the results.
"""

from __future__ import annotations

from salescore.scoring.compare import compare, rating_transitions
from salescore.scoring.inputs import ScoringInputError, TableLike
from salescore.scoring.scorecard import Explanation, LineExplanation, Scorecard, score_period
from salescore.scoring.subjects import select_subjects, subtree
from salescore.scoring.versions import in_force

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
