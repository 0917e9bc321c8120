"""Each line's target for each subject, from the source the plan names.

=========================  ======================================================================
source                     target of subject s for KPI k in period P
=========================  ======================================================================
``targets_table``          the targets row (scope, s, P, k); none: no target
``fixed``                  the plan's ``value``
``team_median_previous``   the median of k in the period before P over the plan's subjects in
                           s's team (its members now); a team subject: over the plan's teams
``own_previous_plus``      s's own value of k in the period before P × (1 + pct / 100)
=========================  ======================================================================

A target that cannot be found is NaN (the line becomes ``no_target``); it is never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import assert_never

import numpy as np
import pandas as pd

from salescore.scorecards.arithmetic.frames import ScoringInputError
from salescore.semantic.plan import (
    FixedTarget,
    Line,
    OwnPreviousPlusTarget,
    TargetsTableTarget,
    TeamMedianPreviousTarget,
)

__all__ = ["line_targets"]


def line_targets(
    line: Line,
    *,
    ids: pd.Index,
    groups: np.ndarray,
    previous: pd.DataFrame | None,
    table: Mapping[str, pd.Series] | None,
) -> np.ndarray:
    """The target of ``line`` for each subject in ``ids`` (NaN where there is none).

    ``groups`` gives each subject's peer group for the team median (the rep's team); ``previous``
    is the previous period's KPI values indexed like ``ids``; ``table`` the targets table's
    values per KPI for the subjects' scope and this period.
    """
    target = line.target
    n = len(ids)
    match target:
        case None:
            return np.full(n, np.nan)
        case FixedTarget(value=value):
            return np.full(n, float(value))
        case TargetsTableTarget():
            if table is None:
                raise ScoringInputError(
                    f"line {line.kpi} takes its target from the targets table; pass targets=",
                    message_zh=f"指标 {line.kpi} 的目标来自目标表；请提供 targets=",
                )
            found = table.get(line.kpi)
            if found is None:
                return np.full(n, np.nan)
            return found.reindex(ids).to_numpy(dtype="float64", na_value=np.nan)
        case TeamMedianPreviousTarget():
            before = _previous(line, previous, ids)
            return (
                pd.Series(before)
                .groupby(pd.Series(groups), sort=False)
                .transform("median")
                .to_numpy(dtype="float64", na_value=np.nan)
            )
        case OwnPreviousPlusTarget(pct=pct):
            return _previous(line, previous, ids) * (1.0 + pct / 100.0)
        case _:
            assert_never(target)


def _previous(line: Line, previous: pd.DataFrame | None, ids: pd.Index) -> np.ndarray:
    if previous is None:
        assert line.target is not None
        raise ScoringInputError(
            f"line {line.kpi} needs the previous period's values (target source "
            f"{line.target.source}); pass previous=",
            message_zh=f"指标 {line.kpi} 需要上一期的数值（目标来源 {line.target.source}）；"
            "请提供 previous=",
        )
    return previous[line.kpi].reindex(ids).to_numpy(dtype="float64", na_value=np.nan)
