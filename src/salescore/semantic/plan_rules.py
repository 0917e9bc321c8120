"""Plan rules: small classes (:class:`~salescore.semantic.rules.Rule`) that each look at a plan
alone and yield issues at a key path.

The rules of :data:`PLAN_RULES` run whenever a :class:`~salescore.semantic.plan.Plan` is built: a
plan that breaks one cannot be built. Every issue names the key path it concerns
(``lines[1].scoring.cap``), which the loader turns into file:line. Each rule has one invalid
fixture in ``tests/semantic/plan_fixtures/invalid/`` that it catches. The rules that need the KPI
catalogue are in :mod:`salescore.semantic.plan_kpi_rules`.

>>> [rule.name for rule in PLAN_RULES][:4]
['name-slug', 'titles', 'grain', 'weight-range']
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from itertools import pairwise
from typing import assert_never

from salescore.semantic.issues import Issue, KeyPath
from salescore.semantic.plan import (
    ATTAINMENT_TOLERANCE,
    MAX_ATTAINMENT,
    PLAN_GRAINS,
    WEIGHT_TOLERANCE,
    Bands,
    FixedTarget,
    Line,
    Linear,
    OwnPreviousPlusTarget,
    Percentile,
    Plan,
    TargetsTableTarget,
    TeamMedianPreviousTarget,
)
from salescore.semantic.rules import Rule

__all__ = ["PLAN_RULES"]

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def fmt(x: float) -> str:
    """A number as a rule's message shows it: ``1.5``, ``0``, ``1e+06``."""
    return f"{x:g}"


class LineRule(Rule[Plan]):
    """A rule that looks at each line on its own: subclasses implement :meth:`check_line`."""

    def check(self, plan: Plan) -> Iterator[Issue]:
        for i, line in enumerate(plan.lines):
            yield from self.check_line(line, ("lines", i))

    def check_line(self, line: Line, here: KeyPath) -> Iterator[Issue]:
        """The problems of ``line``, found at key path ``here``."""
        raise NotImplementedError


class NameSlug(Rule[Plan]):
    """The plan's name is a slug."""

    name = "name-slug"

    def check(self, plan: Plan) -> Iterator[Issue]:
        if not _SLUG.fullmatch(plan.name):
            yield self.issue(
                f"plan name {plan.name!r} must be a slug: lower-case letters, digits, '-' and "
                "'_', at most 64 characters",
                f"方案名 {plan.name!r} 须为短名：小写字母、数字、'-' 与 '_'，最多 64 个字符",
                path=("name",))


class Titles(Rule[Plan]):
    """The title is not blank in either language."""

    name = "titles"

    def check(self, plan: Plan) -> Iterator[Issue]:
        for key in ("en", "zh"):
            if not getattr(plan.title, key).strip():
                yield self.issue("the plan needs a title in English and in Chinese",
                                 "方案需要中英文标题", path=("title", key))


class PlanGrain(Rule[Plan]):
    """The plan scores whole periods of one of :data:`PLAN_GRAINS`."""

    name = "grain"

    def check(self, plan: Plan) -> Iterator[Issue]:
        if plan.grain not in PLAN_GRAINS:
            names = ", ".join(g.value for g in PLAN_GRAINS)
            yield self.issue(
                f"a plan scores whole periods of one of: {names}; not {plan.grain.value}",
                f"方案须按以下周期粒度之一评分：{names}；不能是 {plan.grain.value}",
                path=("grain",))


class WeightRange(LineRule):
    """Each weight is in (0, 1]."""

    name = "weight-range"

    def check_line(self, line: Line, here: KeyPath) -> Iterator[Issue]:
        if not (0.0 < line.weight <= 1.0):
            yield self.issue(
                f"weight {fmt(line.weight)} must be more than 0 and at most 1 "
                "(drop the line rather than weighting it 0)",
                f"权重 {fmt(line.weight)} 须大于 0 且不超过 1（不需要的指标请删除该行）",
                path=(*here, "weight"))


class WeightsSum(Rule[Plan]):
    """There is a line, and the weights sum to 1 (within :data:`WEIGHT_TOLERANCE`)."""

    name = "weights-sum"

    def check(self, plan: Plan) -> Iterator[Issue]:
        if not plan.lines:
            yield self.issue("a plan needs at least one line", "方案至少需要一行指标",
                             path=("lines",))
            return
        total = math.fsum(line.weight for line in plan.lines)
        if not abs(total - 1.0) <= WEIGHT_TOLERANCE:
            parts = " + ".join(fmt(line.weight) for line in plan.lines)
            yield self.issue(f"the weights must sum to 1; they sum to {total:.6g} ({parts})",
                             f"各行权重之和须为 1；当前为 {total:.6g}（{parts}）",
                             path=("lines",))


class DuplicateKpi(Rule[Plan]):
    """A KPI is scored in one line only."""

    name = "duplicate-kpi"

    def check(self, plan: Plan) -> Iterator[Issue]:
        seen: dict[str, int] = {}
        for i, line in enumerate(plan.lines):
            if line.kpi in seen:
                yield self.issue(
                    f"KPI {line.kpi!r} is already scored in lines[{seen[line.kpi]}]; merge the "
                    "two lines",
                    f"指标 {line.kpi!r} 已在 lines[{seen[line.kpi]}] 中评分，请合并这两行",
                    path=("lines", i, "kpi"))
            else:
                seen[line.kpi] = i


class TargetNeeded(LineRule):
    """Linear and bands lines have a target; percentile lines have none."""

    name = "target-needed"

    def check_line(self, line: Line, here: KeyPath) -> Iterator[Issue]:
        scoring = line.scoring
        match scoring:
            case Percentile():
                if line.target is not None:
                    yield self.issue(
                        "a percentile line is scored against peers, not a target; remove "
                        "target", "百分位评分与同一方案的同事比较，不使用目标；请删除 target",
                        path=(*here, "target"))
            case Linear() | Bands():
                if line.target is None:
                    yield self.issue(
                        f"line {line.kpi!r} is scored {scoring.method} and needs a target "
                        "(source: targets_table, fixed, team_median_previous or "
                        "own_previous_plus)",
                        f"指标 {line.kpi!r} 采用 {scoring.method} 评分，需要 target（source 取 "
                        "targets_table、fixed、team_median_previous 或 own_previous_plus）",
                        path=here)
            case _:
                assert_never(scoring)


class TargetValue(LineRule):
    """A fixed target is a positive number."""

    name = "target-value"

    def check_line(self, line: Line, here: KeyPath) -> Iterator[Issue]:
        target = line.target
        if isinstance(target, FixedTarget) and not isinstance(line.scoring, Percentile) \
                and not (target.value > 0 and math.isfinite(target.value)):
            yield self.issue(
                f"a fixed target must be a positive number, not {fmt(target.value)}: "
                "attainment is a ratio of value and target",
                f"固定目标须为正数，不能是 {fmt(target.value)}：达成率是实际值与目标之比",
                path=(*here, "target", "value"))


class TargetPct(LineRule):
    """An own-previous-plus ``pct`` is in (−100, 1000]."""

    name = "target-pct"

    def check_line(self, line: Line, here: KeyPath) -> Iterator[Issue]:
        target = line.target
        match target:
            case OwnPreviousPlusTarget(pct=pct):
                if not isinstance(line.scoring, Percentile) and not -100.0 < pct <= 1000.0:
                    yield self.issue(
                        f"pct is a percentage change, more than -100 and at most 1000; "
                        f"not {fmt(pct)} (10 means last period + 10 %)",
                        f"pct 为百分比变化，须大于 -100 且不超过 1000；不能是 {fmt(pct)}"
                        "（10 表示上期值 +10%）",
                        path=(*here, "target", "pct"))
            case FixedTarget() | TargetsTableTarget() | TeamMedianPreviousTarget() | None:
                pass
            case _:
                assert_never(target)


class FloorRange(LineRule):
    """A floor is a fraction of target from 0 to :data:`MAX_ATTAINMENT`."""

    name = "floor-range"

    def check_line(self, line: Line, here: KeyPath) -> Iterator[Issue]:
        floor = line.scoring.floor
        if not (0.0 <= floor <= MAX_ATTAINMENT):
            yield self.issue(
                f"floor is a fraction of target (0.5 means 50 %) from 0 to "
                f"{fmt(MAX_ATTAINMENT)}; not {fmt(floor)}",
                f"floor 为目标的比例（0.5 表示 50%），须在 0 到 {fmt(MAX_ATTAINMENT)} 之间；"
                f"不能是 {fmt(floor)}",
                path=(*here, "scoring", "floor"))


class CapRange(LineRule):
    """A cap is a fraction of target above 0 and at most :data:`MAX_ATTAINMENT`."""

    name = "cap-range"

    def check_line(self, line: Line, here: KeyPath) -> Iterator[Issue]:
        cap = line.scoring.cap
        if cap is not None and not (0.0 < cap <= MAX_ATTAINMENT):
            yield self.issue(
                f"cap is a fraction of target (1.2 means 120 %) above 0 and at most "
                f"{fmt(MAX_ATTAINMENT)}; not {fmt(cap)}",
                f"cap 为目标的比例（1.2 表示 120%），须大于 0 且不超过 {fmt(MAX_ATTAINMENT)}；"
                f"不能是 {fmt(cap)}",
                path=(*here, "scoring", "cap"))


class FloorCap(LineRule):
    """The floor is not above a (valid) cap."""

    name = "floor-cap"

    def check_line(self, line: Line, here: KeyPath) -> Iterator[Issue]:
        floor, cap = line.scoring.floor, line.scoring.cap
        if cap is not None and 0.0 < cap <= MAX_ATTAINMENT and floor > cap:
            yield self.issue(f"floor {fmt(floor)} is above cap {fmt(cap)}",
                             f"floor {fmt(floor)} 高于 cap {fmt(cap)}",
                             path=(*here, "scoring", "floor"))


def _bands(plan: Plan) -> Iterator[tuple[KeyPath, Bands]]:
    for i, line in enumerate(plan.lines):
        if isinstance(line.scoring, Bands):
            yield ("lines", i, "scoring", "bands"), line.scoring


class BandsRange(Rule[Plan]):
    """A band's ``at`` is a fraction of target up to :data:`MAX_ATTAINMENT`, its points 0–1000."""

    name = "bands-range"

    def check(self, plan: Plan) -> Iterator[Issue]:
        for here, scoring in _bands(plan):
            for j, band in enumerate(scoring.bands):
                if not (0.0 <= band.at <= MAX_ATTAINMENT):
                    yield self.issue(
                        f"at is a fraction of target (0.8 means 80 %) from 0 to "
                        f"{fmt(MAX_ATTAINMENT)}; not {fmt(band.at)}",
                        f"at 为目标的比例（0.8 表示 80%），须在 0 到 {fmt(MAX_ATTAINMENT)} 之间；"
                        f"不能是 {fmt(band.at)}",
                        path=(*here, j, "at"))
                if not (0.0 <= band.points <= 1000.0):
                    yield self.issue(f"points must be from 0 to 1000, not {fmt(band.points)}",
                                     f"points 须在 0 到 1000 之间，不能是 {fmt(band.points)}",
                                     path=(*here, j, "points"))


class BandsOrdered(Rule[Plan]):
    """There is a band; bands go from the highest ``at`` down, points never rising."""

    name = "bands-ordered"

    def check(self, plan: Plan) -> Iterator[Issue]:
        for here, scoring in _bands(plan):
            if not scoring.bands:
                yield self.issue("bands needs at least one band", "bands 至少需要一个档位",
                                 path=here)
            for j, (above, band) in enumerate(pairwise(scoring.bands), 1):
                if band.at >= above.at:
                    yield self.issue(
                        f"bands go from the highest attainment down: at {fmt(band.at)} must "
                        f"be below the band above's {fmt(above.at)}",
                        f"档位须按达成率从高到低排列：at {fmt(band.at)} 须低于上一档的 "
                        f"{fmt(above.at)}",
                        path=(*here, j, "at"))
                elif band.points > above.points:
                    yield self.issue(
                        f"a lower band cannot give more points: {fmt(band.points)} at "
                        f"{fmt(band.at)} is more than {fmt(above.points)} at "
                        f"{fmt(above.at)}",
                        f"较低档位的得分不能更高：at {fmt(band.at)} 得 {fmt(band.points)} 分，"
                        f"高于 at {fmt(above.at)} 的 {fmt(above.points)} 分",
                        path=(*here, j, "points"))


class BandsReachable(Rule[Plan]):
    """The highest band is not above the cap."""

    name = "bands-reachable"

    def check(self, plan: Plan) -> Iterator[Issue]:
        for here, scoring in _bands(plan):
            top = scoring.bands[0].at if scoring.bands else None
            if top is not None and scoring.cap is not None \
                    and top > scoring.cap + ATTAINMENT_TOLERANCE:
                yield self.issue(
                    f"no one can reach the band at {fmt(top)}: attainment is capped at "
                    f"{fmt(scoring.cap)}",
                    f"达成率上限为 {fmt(scoring.cap)}，at {fmt(top)} 的档位永远达不到",
                    path=(*here, 0, "at"))


class BlendRange(Rule[Plan]):
    """The individual and team shares are each from 0 to 1."""

    name = "blend-range"

    def check(self, plan: Plan) -> Iterator[Issue]:
        for key in ("individual", "team"):
            share = getattr(plan.blend, key)
            if not (0.0 <= share <= 1.0):
                yield self.issue(f"blend.{key} is a share from 0 to 1, not {fmt(share)}",
                                 f"blend.{key} 为 0 到 1 之间的比例，不能是 {fmt(share)}",
                                 path=("blend", key))


class BlendSum(Rule[Plan]):
    """The individual and team shares sum to 1."""

    name = "blend-sum"

    def check(self, plan: Plan) -> Iterator[Issue]:
        blend = plan.blend
        total = blend.individual + blend.team
        if not abs(total - 1.0) <= WEIGHT_TOLERANCE:
            yield self.issue(
                f"individual and team must sum to 1; {fmt(blend.individual)} + "
                f"{fmt(blend.team)} = {total:.6g}",
                f"个人与团队占比之和须为 1；{fmt(blend.individual)} + {fmt(blend.team)} = "
                f"{total:.6g}",
                path=("blend",))


class CollaborationRange(Rule[Plan]):
    """The collaboration rates and cap are from 0 to 100 points."""

    name = "collaboration-range"

    def check(self, plan: Plan) -> Iterator[Issue]:
        if plan.collaboration is None:
            return
        for key in ("points_per_assist_point", "points_per_cross_team_assist", "cap"):
            amount = getattr(plan.collaboration, key)
            if not (0.0 <= amount <= 100.0):
                yield self.issue(f"{key} must be from 0 to 100 points, not {fmt(amount)}",
                                 f"{key} 须在 0 到 100 分之间，不能是 {fmt(amount)}",
                                 path=("collaboration", key))


class MinCoverage(Rule[Plan]):
    """``missing.min_coverage`` is a share from 0 to 1."""

    name = "min-coverage"

    def check(self, plan: Plan) -> Iterator[Issue]:
        share = plan.missing.min_coverage
        if not (0.0 <= share <= 1.0):
            yield self.issue(
                f"min_coverage is the share of weight that needs data, from 0 to 1; "
                f"not {fmt(share)}",
                f"min_coverage 为须有数据的权重占比，须在 0 到 1 之间；不能是 {fmt(share)}",
                path=("missing", "min_coverage"))


class RatingsOrdered(Rule[Plan]):
    """There is a rating; labels are unique, ``min`` falls strictly, only the last may leave
    ``min`` out."""

    name = "ratings-ordered"

    def check(self, plan: Plan) -> Iterator[Issue]:
        ratings = plan.ratings
        if not ratings:
            yield self.issue("a plan needs at least one rating", "方案至少需要一个评级",
                             path=("ratings",))
        labels: dict[str, int] = {}
        for j, rating in enumerate(ratings):
            here: KeyPath = ("ratings", j)
            if not rating.label.strip():
                yield self.issue("a rating needs a label", "评级需要标签", path=(*here, "label"))
            elif rating.label in labels:
                yield self.issue(
                    f"rating {rating.label!r} is already ratings[{labels[rating.label]}]",
                    f"评级 {rating.label!r} 与 ratings[{labels[rating.label]}] 重复",
                    path=(*here, "label"))
            labels.setdefault(rating.label, j)
            if rating.min is None:
                if j != len(ratings) - 1:
                    yield self.issue(
                        f"only the last rating may leave out min; {rating.label!r} needs one",
                        f"只有最后一个评级可以省略 min；{rating.label!r} 需要 min", path=here)
                continue
            above = ratings[j - 1] if j > 0 else None
            if above is not None and above.min is not None and rating.min >= above.min:
                yield self.issue(
                    f"ratings go from the highest down: {rating.label!r} min "
                    f"{fmt(rating.min)} must be below {above.label!r} min {fmt(above.min)}",
                    f"评级须从高到低排列：{rating.label!r} 的 min {fmt(rating.min)} 须低于 "
                    f"{above.label!r} 的 min {fmt(above.min)}",
                    path=(*here, "min"))


class RatingsCover(Rule[Plan]):
    """The last rating reaches the lowest score the plan can give."""

    name = "ratings-cover"

    def check(self, plan: Plan) -> Iterator[Issue]:
        last = plan.ratings[-1] if plan.ratings else None
        if last is None or last.min is None or not plan.lines:
            return
        low, _ = plan.points_range()
        if last.min > low + ATTAINMENT_TOLERANCE:
            yield self.issue(
                f"a score can be as low as {fmt(low)}, below the last rating's min "
                f"{fmt(last.min)}; lower that min or leave it out",
                f"分数最低可为 {fmt(low)}，低于最后一个评级的 min {fmt(last.min)}；"
                "请降低该 min 或将其省略",
                path=("ratings", len(plan.ratings) - 1, "min"))


PLAN_RULES: tuple[Rule[Plan], ...] = (
    NameSlug(), Titles(), PlanGrain(), WeightRange(), WeightsSum(), DuplicateKpi(),
    TargetNeeded(), TargetValue(), TargetPct(), FloorRange(), CapRange(), FloorCap(),
    BandsRange(), BandsOrdered(), BandsReachable(), BlendRange(), BlendSum(),
    CollaborationRange(), MinCoverage(), RatingsOrdered(), RatingsCover(),
)
"""The rules every plan must satisfy on its own, run whenever a :class:`Plan` is built."""
