"""Scorecards in use: adopting plan versions, scoring periods under the version in force,
keeping the scores, replaying drafts (what-if), explaining scores down to records, and setting
targets with an audit trail.

It joins the pure arithmetic of :mod:`salescore.scorecards.arithmetic` to the stores: KPI values
come from the
warehouse through :mod:`salescore.engine`, plans and scores live in the app store
(:mod:`salescore.appstore`). The workspace hands out a :class:`Scorecards` (``ws.scorecards``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from salescore.core.lazy import lazy_exports

if TYPE_CHECKING:  # the same names, for type checkers and the import contracts
    from salescore.scorecards.explain import ScoreExplanation
    from salescore.scorecards.export import EXPORT_FORMATS, ExportFormat, export_scores
    from salescore.scorecards.inputs import Roster, WorkingPeriod, additive_kpis
    from salescore.scorecards.runs import PlanPeriodScore, ScoreRun, Skipped
    from salescore.scorecards.service import Scorecards
    from salescore.scorecards.targets import TargetChange
    from salescore.scorecards.versions import Adoption, PlanVersionInfo
    from salescore.scorecards.whatif import WhatIf

_WHERE = {
    "ScoreExplanation": ("salescore.scorecards.explain", "ScoreExplanation"),
    "EXPORT_FORMATS": ("salescore.scorecards.export", "EXPORT_FORMATS"),
    "ExportFormat": ("salescore.scorecards.export", "ExportFormat"),
    "export_scores": ("salescore.scorecards.export", "export_scores"),
    "Roster": ("salescore.scorecards.inputs", "Roster"),
    "WorkingPeriod": ("salescore.scorecards.inputs", "WorkingPeriod"),
    "additive_kpis": ("salescore.scorecards.inputs", "additive_kpis"),
    "PlanPeriodScore": ("salescore.scorecards.runs", "PlanPeriodScore"),
    "ScoreRun": ("salescore.scorecards.runs", "ScoreRun"),
    "Skipped": ("salescore.scorecards.runs", "Skipped"),
    "Scorecards": ("salescore.scorecards.service", "Scorecards"),
    "TargetChange": ("salescore.scorecards.targets", "TargetChange"),
    "Adoption": ("salescore.scorecards.versions", "Adoption"),
    "PlanVersionInfo": ("salescore.scorecards.versions", "PlanVersionInfo"),
    "WhatIf": ("salescore.scorecards.whatif", "WhatIf"),
}
__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())

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
