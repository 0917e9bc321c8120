"""What-if: a draft plan replayed on a past period and compared with the plan in force.

Which reps are compared:

* against the adopted version of the **same plan** (a new draft of ``field-sales``), each side
  scores the reps its own ``applies_to`` selects, so reps the draft would add or drop show up
  with the other side empty;
* against **another plan** (``--against``), the draft is replayed on the reps of that plan, so
  that the question answered is "what if these reps were scored by the draft".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from salescore.scorecards.arithmetic import Scorecard
from salescore.semantic.plan import Plan

__all__ = ["Subjects", "WhatIf"]

Subjects = Literal["own", "baseline"]


@dataclass(frozen=True)
class WhatIf:
    """A draft against the baseline (the adopted version in force) for one period.

    ``comparison``: per rep, as :func:`salescore.scorecards.arithmetic.comparison` gives it
    (``before`` is the
    baseline, ``after`` the draft). ``transitions``: reps per (rating before, rating after).
    """

    period: str
    draft: Plan
    baseline: Plan
    baseline_version: int
    subjects: Subjects
    before: Scorecard
    after: Scorecard
    comparison: pd.DataFrame
    transitions: pd.DataFrame

    @property
    def changed_ratings(self) -> int:
        """How many reps would get another rating (or gain or lose one)."""
        return int(self.comparison["rating_changed"].sum())

    @property
    def reps(self) -> int:
        return len(self.comparison)
