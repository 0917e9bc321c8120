"""Scorecards in use: adopting plan versions, scoring periods under the version in force,
keeping the scores, replaying drafts (what-if), explaining scores down to records, and setting
targets with an audit trail.

It joins the pure arithmetic of :mod:`salescore.scorecards.arithmetic` to the stores: KPI values
come from the
warehouse through :mod:`salescore.engine`, plans and scores live in the app store
(:mod:`salescore.appstore`). The workspace hands out a :class:`Scorecards` (``ws.scorecards``).
"""

from __future__ import annotations

from salescore.scorecards.explain import ScoreExplanation
from salescore.scorecards.export import EXPORT_FORMATS, ExportFormat, export_scores
from salescore.scorecards.inputs import Roster, WorkingPeriod, additive_kpis
from salescore.scorecards.runs import PlanPeriodScore, ScoreRun, Skipped
from salescore.scorecards.service import Scorecards
from salescore.scorecards.targets import TargetChange
from salescore.scorecards.versions import Adoption, PlanVersionInfo
from salescore.scorecards.whatif import WhatIf

__all__ = [
    "EXPORT_FORMATS",
    "Adoption",
    "ExportFormat",
    "PlanPeriodScore",
    "PlanVersionInfo",
    "Roster",
    "ScoreExplanation",
    "ScoreRun",
    "Scorecards",
    "Skipped",
    "TargetChange",
    "WhatIf",
    "WorkingPeriod",
    "additive_kpis",
    "export_scores",
]
