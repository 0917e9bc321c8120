"""Plan rules that need the KPI catalogue: every KPI a plan reads exists, and warnings where
the plan and the catalogue disagree on a KPI's direction.

They look at a :class:`PlanInCatalogue` (the plan and the catalogue's KPI names with their
directions) and run in :func:`check_kpis`, not when the plan is built: a plan is a document on
its own, and the catalogue it is scored with is the organisation's.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from salescore.semantic.issues import Issue, KeyPath
from salescore.semantic.plan import OwnPreviousPlusTarget, Plan
from salescore.semantic.plan_rules import fmt
from salescore.semantic.rules import Rule, run_rules
from salescore.semantic.specs import Direction

__all__ = ["CATALOGUE_RULES", "PlanInCatalogue", "check_kpis"]


@dataclass(frozen=True)
class PlanInCatalogue:
    """A plan beside the KPI catalogue it will be scored with: the catalogue's KPI names and
    their directions."""

    plan: Plan
    known: Mapping[str, Direction | str]


_DIRECTION_ZH: dict[Direction, str] = {Direction.HIGHER: "越高越好", Direction.LOWER: "越低越好"}


class UnknownKpi(Rule[PlanInCatalogue]):
    """Every KPI a line or the collaboration credit reads is in the catalogue."""

    name = "unknown-kpi"

    def check(self, subject: PlanInCatalogue) -> Iterator[Issue]:
        plan, known = subject.plan, subject.known
        used: list[tuple[str, KeyPath]] = [(line.kpi, ("lines", i, "kpi"))
                                           for i, line in enumerate(plan.lines)]
        collab = plan.collaboration
        if collab is not None:
            used += [(name, ("collaboration", key)) for key, name in (
                ("assist_points_kpi", collab.assist_points_kpi),
                ("cross_team_assists_kpi", collab.cross_team_assists_kpi),
            ) if name in collab.kpis()]
        for name, path in used:
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=3)
                hint_en = f" (did you mean {', '.join(close)}?)" if close else ""
                hint_zh = f"（是否想写 {'、'.join(close)}？）" if close else ""
                yield self.issue(f"unknown KPI {name!r}{hint_en}", f"未知指标 {name!r}{hint_zh}",
                                 path=path)


class DirectionOverride(Rule[PlanInCatalogue]):
    """Warning: a line scores a KPI against the catalogue's direction."""

    name = "direction-override"
    severity = "warning"

    def check(self, subject: PlanInCatalogue) -> Iterator[Issue]:
        for i, line in enumerate(subject.plan.lines):
            if line.kpi not in subject.known or line.direction is None:
                continue
            catalogue = Direction(subject.known[line.kpi])
            if line.direction is not catalogue:
                yield self.issue(
                    f"{line.kpi} is {catalogue.value}-is-better in the catalogue; this plan "
                    f"scores it {line.direction.value}-is-better",
                    f"目录中 {line.kpi} 为{_DIRECTION_ZH[catalogue]}；本方案按"
                    f"{_DIRECTION_ZH[line.direction]}评分",
                    path=("lines", i, "direction"))


class TargetDirection(Rule[PlanInCatalogue]):
    """Warning: an own-previous-plus target asks for worse than last period."""

    name = "target-direction"
    severity = "warning"

    def check(self, subject: PlanInCatalogue) -> Iterator[Issue]:
        for i, line in enumerate(subject.plan.lines):
            target = line.target
            if line.kpi not in subject.known or not isinstance(target, OwnPreviousPlusTarget):
                continue
            direction = line.direction or Direction(subject.known[line.kpi])
            if target.pct > 0 if direction is Direction.LOWER else target.pct < 0:
                yield self.issue(
                    f"{line.kpi} is {direction.value}-is-better, so pct {fmt(target.pct)} "
                    "sets a target worse than last period",
                    f"{line.kpi} 为{_DIRECTION_ZH[direction]}，pct {fmt(target.pct)} 使目标"
                    "比上期更差",
                    path=("lines", i, "target", "pct"))


CATALOGUE_RULES: tuple[Rule[PlanInCatalogue], ...] = (
    UnknownKpi(), DirectionOverride(), TargetDirection())
"""The rules of a plan beside the KPI catalogue; :func:`check_kpis` runs them."""


def check_kpis(plan: Plan, known: Mapping[str, Direction | str]) -> list[Issue]:
    """The problems of ``plan`` against the KPI catalogue ``known`` (name → direction).

    Errors: a line or credit that names a KPI the catalogue does not have (with the closest
    names). Warnings: a direction override that contradicts the catalogue, and an
    own-previous-plus target that asks for a worse value than last period.

    >>> plan = Plan.model_validate({"name": "p", "title": {"en": "P", "zh": "甲"},
    ...     "grain": "month", "ratings": [{"label": "A"}],
    ...     "lines": [{"kpi": "revenu_won", "weight": 1, "scoring": {"method": "percentile"}}]})
    >>> [str(issue) for issue in check_kpis(plan, {"revenue_won": "higher"})]
    ["lines[0].kpi: unknown KPI 'revenu_won' (did you mean revenue_won?) [unknown-kpi]"]
    """
    return run_rules(CATALOGUE_RULES, PlanInCatalogue(plan, known))
