"""Scorecard scoring: pure arithmetic over KPI values, targets and a plan.

It turns the KPI engine's per-rep (and per-team) values into scores, ratings, ranks and their
explanations. It reads tables it is given (Arrow or pandas) and never connects to a database:
the workspace fetches the values, this package scores them, the app store keeps the results.
Its names are imported on first use (a stored score's explanation needs no pandas).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from salescore.core.lazy import lazy_exports

# Eager: a submodule of the same name would otherwise shadow the function once imported.
from salescore.scorecards.arithmetic.in_force import in_force

if TYPE_CHECKING:  # the same names, for type checkers and the import contracts
    from salescore.scorecards.arithmetic.comparison import compare, rating_transitions
    from salescore.scorecards.arithmetic.frames import ScoringInputError, TableLike
    from salescore.scorecards.arithmetic.scorecard import (
        Explanation,
        LineExplanation,
        Scorecard,
        score_period,
    )
    from salescore.scorecards.arithmetic.subjects import select_subjects, subtree

_WHERE = {
    "compare": ("salescore.scorecards.arithmetic.comparison", "compare"),
    "rating_transitions": ("salescore.scorecards.arithmetic.comparison", "rating_transitions"),
    "ScoringInputError": ("salescore.scorecards.arithmetic.frames", "ScoringInputError"),
    "TableLike": ("salescore.scorecards.arithmetic.frames", "TableLike"),
    "Explanation": ("salescore.scorecards.arithmetic.explanation", "Explanation"),
    "LineExplanation": ("salescore.scorecards.arithmetic.explanation", "LineExplanation"),
    "Scorecard": ("salescore.scorecards.arithmetic.scorecard", "Scorecard"),
    "score_period": ("salescore.scorecards.arithmetic.scorecard", "score_period"),
    "select_subjects": ("salescore.scorecards.arithmetic.subjects", "select_subjects"),
    "subtree": ("salescore.scorecards.arithmetic.subjects", "subtree"),
}
__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())

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
