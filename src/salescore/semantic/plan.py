"""Scorecard plans: which KPIs count, how much, against which target, scored how, rated how.

A plan is a YAML document (read by :mod:`salescore.semantic.plan_loader`, which adds file:line)
validated into the frozen :class:`Plan` below. A plan never holds numbers about people: targets
come from the targets table, a fixed value or the previous period, and the scoring itself is done
by :mod:`salescore.scorecards.arithmetic`.

A :class:`Plan` cannot be built from an invalid document: every rule of :data:`PLAN_RULES` runs
when the model is built, and all of their findings are reported together, each with the key path
it concerns (``lines[1].scoring.cap``), so that the loader can say which file and line. Whether
the KPIs exist depends on the catalogue, so that rule is a separate function,
:func:`check_kpis`, which takes the catalogue's names and directions.

>>> plan = Plan.model_validate({
...     "name": "demo", "title": {"en": "Demo", "zh": "演示"}, "grain": "month",
...     "lines": [
...         {"kpi": "revenue_won", "weight": 0.6, "target": {"source": "targets_table"},
...          "scoring": {"method": "linear", "floor": 0, "cap": 1.5}},
...         {"kpi": "csat_avg", "weight": 0.4, "target": {"source": "fixed", "value": 4.5},
...          "scoring": {"method": "linear"}},
...     ],
...     "ratings": [{"label": "A", "min": 90}, {"label": "B", "min": 60}, {"label": "C"}],
... })
>>> plan.kpis(), plan.score_bounds()
(('revenue_won', 'csat_avg'), (0.0, 150.0))
>>> plan.rating_for(72.5).label
'B'
>>> try:
...     Plan.model_validate({**plan.model_dump(), "name": "Demo Plan"})
... except ValueError as exc:
...     print(exc.errors()[0]["ctx"]["error"].findings[0])
name: plan name 'Demo Plan' must be a slug: lower-case letters, digits, '-' and '_', at most 64 characters
"""  # noqa: E501

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal, assert_never

from pydantic import BaseModel, ConfigDict, Field, model_validator

from salescore.core.periods import Grain
from salescore.core.text import Text
from salescore.semantic.specs import Direction

__all__ = [
    "ATTAINMENT_TOLERANCE",
    "PLAN_GRAINS",
    "PLAN_RULES",
    "WEIGHT_TOLERANCE",
    "AppliesTo",
    "Band",
    "Bands",
    "Blend",
    "Collaboration",
    "Direction",
    "Finding",
    "FixedTarget",
    "KeyPath",
    "Line",
    "Linear",
    "Missing",
    "MissingPolicy",
    "OwnPreviousPlusTarget",
    "Percentile",
    "Plan",
    "PlanRulesFailed",
    "Rating",
    "Scoring",
    "Target",
    "TargetsTableTarget",
    "TeamMedianPreviousTarget",
    "TeamScore",
    "check_kpis",
    "format_path",
]

WEIGHT_TOLERANCE = 1e-9
"""How far the weights (and the blend) may sum from 1 and still count as 1."""

ATTAINMENT_TOLERANCE = 1e-9
"""An attainment (or score) this close below a threshold counts as reaching it (floating error:
3.6 / 4.5 is 0.7999999999999999)."""

MAX_ATTAINMENT = 10.0
"""Floors, caps and band thresholds are fractions of target; above this they are surely
percentages written by mistake (``cap: 120`` for 120 %)."""

PLAN_GRAINS: tuple[Grain, ...] = (
    Grain.WEEK,
    Grain.MONTH,
    Grain.QUARTER,
    Grain.YEAR,
    Grain.FISCAL_QUARTER,
    Grain.FISCAL_YEAR,
)
"""The grains a plan may score: every fixed calendar grain except single days."""

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

KeyPath = tuple[str | int, ...]
Severity = Literal["error", "warning"]


class MissingPolicy(StrEnum):
    """What a line with no data (or no usable target) does to the score.

    ``reweight``: the line gets no points and its weight goes to the lines that have data, in
    proportion to their weights. ``zero``: the line keeps its weight and scores 0 points.
    Either way the line's status says ``no_data`` or ``no_target``; nothing is silently zero.
    """

    REWEIGHT = "reweight"
    ZERO = "zero"


class TeamScore(StrEnum):
    """Where a team's score comes from.

    ``members_average``: each line's points are the average of the members' points on that line
    (members without data on a reweighted line are left out), weighted like a rep's lines.
    ``team_kpis``: the lines are scored on the team's own KPI values (the team with its subtree)
    against team targets, exactly as a rep's are.
    """

    MEMBERS_AVERAGE = "members_average"
    TEAM_KPIS = "team_kpis"


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- targets -----------------------------------------------------------------------------------


class TargetsTableTarget(_Spec):
    """The subject's own target for the period and KPI, from the ``targets`` table."""

    source: Literal["targets_table"]


class FixedTarget(_Spec):
    """The same target for every subject and period."""

    source: Literal["fixed"]
    value: float


class TeamMedianPreviousTarget(_Spec):
    """The median of the previous period's values of the plan's reps in the subject's team.

    For a team scored on its own KPIs (``team_kpis``): the median over the plan's teams.
    """

    source: Literal["team_median_previous"]


class OwnPreviousPlusTarget(_Spec):
    """The subject's own previous-period value × ``(1 + pct / 100)`` (pct 10 means +10 %)."""

    source: Literal["own_previous_plus"]
    pct: float


Target = Annotated[
    TargetsTableTarget | FixedTarget | TeamMedianPreviousTarget | OwnPreviousPlusTarget,
    Field(discriminator="source"),
]

# --- scoring methods ----------------------------------------------------------------------------


class Linear(_Spec):
    """points = 100 × clamp(attainment, floor, cap)."""

    method: Literal["linear"]
    floor: float = 0.0
    cap: float = 1.2

    def points_range(self) -> tuple[float, float]:
        return 100.0 * self.floor, 100.0 * self.cap


class Band(_Spec):
    """From attainment ``at`` (a fraction of target) on, the line scores ``points``."""

    at: float
    points: float


class Bands(_Spec):
    """Stepped points: those of the first band (highest ``at`` first) the attainment reaches.

    Attainment below the lowest band scores 0. ``floor`` and ``cap`` clamp the attainment first
    (``cap`` left out: no cap).
    """

    method: Literal["bands"]
    bands: tuple[Band, ...]
    floor: float = 0.0
    cap: float | None = None

    def points_at(self, attainment: float) -> float:
        """The points that ``attainment`` (already clamped) earns."""
        for band in self.bands:
            if attainment + ATTAINMENT_TOLERANCE >= band.at:
                return band.points
        return 0.0

    def points_range(self) -> tuple[float, float]:
        if not self.bands:
            return 0.0, 0.0
        top = self.bands[0].points if self.cap is None else self.points_at(self.cap)
        return self.points_at(self.floor), top


class Percentile(_Spec):
    """points = 100 × (floor + (cap − floor) × percentile among the plan's subjects).

    The percentile is the mid-rank one: (rank − 1) / (n − 1) with average ranks for ties, the best
    subject 1, the worst 0, a lone subject 0.5; lower-is-better KPIs are ranked the other way.
    ``floor`` and ``cap`` are where the worst and the best land: scaled, not clamped, so that
    overtaking a teammate never costs the team more than the overtaker gains.
    """

    method: Literal["percentile"]
    floor: float = 0.0
    cap: float = 1.0

    def points_range(self) -> tuple[float, float]:
        return 100.0 * self.floor, 100.0 * self.cap


Scoring = Annotated[Linear | Bands | Percentile, Field(discriminator="method")]

# --- the plan -----------------------------------------------------------------------------------


class Line(_Spec):
    """One KPI of the plan: its weight, its target, and how attainment becomes points."""

    kpi: str
    weight: float
    scoring: Scoring
    target: Target | None = None
    direction: Direction | None = None
    missing: MissingPolicy | None = None

    def points_range(self) -> tuple[float, float]:
        """The least and most points the line can give when it has data."""
        return self.scoring.points_range()


class AppliesTo(_Spec):
    """Which reps the plan scores: those in one of ``teams`` (with their subtrees) and with one
    of ``titles``; an empty list does not restrict."""

    teams: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()


class Blend(_Spec):
    """score = individual × individual score + team × team score (+ collaboration credit)."""

    individual: float = 1.0
    team: float = 0.0
    team_score: TeamScore = TeamScore.MEMBERS_AVERAGE


class Collaboration(_Spec):
    """A bonus on top of the blended score for helping others, never more than ``cap`` points.

    credit = min(cap, points_per_assist_point × assist points given
                      + points_per_cross_team_assist × assists given to other teams)
    """

    points_per_assist_point: float = 0.0
    points_per_cross_team_assist: float = 0.0
    cap: float
    assist_points_kpi: str = "assist_points"
    cross_team_assists_kpi: str = "cross_team_assists"

    def kpis(self) -> tuple[str, ...]:
        """The KPIs the credit reads (only those with a non-zero rate)."""
        used: list[str] = []
        if self.points_per_assist_point:
            used.append(self.assist_points_kpi)
        if self.points_per_cross_team_assist:
            used.append(self.cross_team_assists_kpi)
        return tuple(used)


class Rating(_Spec):
    """A rating band: scores from ``min`` on (no ``min``: every score below the others).

    ``title`` is what a person reads beside the label (``A``: Outstanding / 卓越), if given.
    """

    label: str
    min: float | None = None
    title: Text | None = None

    def title_in(self, locale: str) -> str:
        """The title in ``locale``, or the label when the rating has no title."""
        return self.title.get(locale) if self.title is not None else self.label


class Missing(_Spec):
    """The plan's missing-data policy: the default for its lines, and the least coverage.

    ``min_coverage``: the share of the plan's weight that must have data for a subject to get a
    score at all; below it the subject's status is ``no_data`` and it gets no score or rating.
    """

    policy: MissingPolicy = MissingPolicy.REWEIGHT
    min_coverage: float = 0.5


class Plan(_Spec):
    """A scorecard plan; docs/scorecards.md describes the document and works the arithmetic."""

    name: str
    title: Text
    description: Text | None = None
    applies_to: AppliesTo = AppliesTo()
    grain: Grain
    lines: tuple[Line, ...]
    blend: Blend = Blend()
    collaboration: Collaboration | None = None
    ratings: tuple[Rating, ...]
    missing: Missing = Missing()

    @model_validator(mode="before")
    @classmethod
    def _old_spellings(cls, data: object) -> object:
        return respell(data)[0]

    @model_validator(mode="after")
    def _rules(self) -> Plan:
        errors = [f for rule in PLAN_RULES for f in rule(self) if f.severity == "error"]
        if errors:
            raise PlanRulesFailed(tuple(errors))
        return self

    def kpis(self) -> tuple[str, ...]:
        """Every KPI the plan reads, lines first, each once: what to ask the engine for."""
        names = [line.kpi for line in self.lines]
        if self.collaboration is not None:
            names.extend(self.collaboration.kpis())
        return tuple(dict.fromkeys(names))

    def missing_policy(self, line: Line) -> MissingPolicy:
        """The missing-data policy that applies to ``line``."""
        return line.missing if line.missing is not None else self.missing.policy

    def needs_previous(self) -> bool:
        """Whether some target needs the previous period's KPI values."""
        return any(
            isinstance(line.target, TeamMedianPreviousTarget | OwnPreviousPlusTarget)
            for line in self.lines
        )

    def needs_targets(self) -> bool:
        """Whether some target comes from the targets table."""
        return any(isinstance(line.target, TargetsTableTarget) for line in self.lines)

    def needs_team_values(self) -> bool:
        """Whether team scores are computed from the teams' own KPI values (``team_kpis``)."""
        return self.blend.team_score is TeamScore.TEAM_KPIS

    def points_range(self) -> tuple[float, float]:
        """The least and most a subject's individual (or team) score can be."""
        lows, highs = [], []
        for line in self.lines:
            low, high = line.points_range()
            if self.missing_policy(line) is MissingPolicy.ZERO:
                low = min(low, 0.0)
            lows.append(low)
            highs.append(high)
        return (min(lows), max(highs)) if lows else (0.0, 0.0)

    def score_bounds(self) -> tuple[float, float]:
        """The least and most a score can be: the points range, plus the credit cap on top."""
        low, high = self.points_range()
        credit = self.collaboration.cap if self.collaboration is not None else 0.0
        return low, high + credit

    def rating_for(self, score: float) -> Rating:
        """The first rating (highest first) whose ``min`` the score reaches."""
        for rating in self.ratings:
            if rating.min is None or score + ATTAINMENT_TOLERANCE >= rating.min:
                return rating
        # The ratings-cover rule makes the last rating reach the lowest possible score.
        return self.ratings[-1]


# --- old spellings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Respelling:
    """An old spelling of a bilingual text read as the new one: ``title_en``/``title_zh`` (at
    ``old``, the key paths the document has) became ``title: {en, zh}`` (at ``new``)."""

    old: tuple[KeyPath, ...]
    new: KeyPath

    def moved(self) -> dict[KeyPath, KeyPath]:
        """Each new key path → the old key path it was read from (for file:line)."""
        moves: dict[KeyPath, KeyPath] = {self.new: self.old[0]}
        for path in self.old:
            moves[(*self.new, str(path[-1]).rsplit("_", 1)[1])] = path
        return moves


_BILINGUAL = ("title", "description")


def respell(data: object) -> tuple[object, tuple[Respelling, ...]]:
    """``data`` (a plan document) with the old bilingual keys written the one way, and what was
    rewritten: ``title_en``/``title_zh`` and ``description_en``/``description_zh`` of the plan,
    ``title_en``/``title_zh`` of each rating, become ``title: {en, zh}`` / ``description:``.

    A document that has the new key keeps its old keys (they are then unknown keys). A rating
    or description that gave one language only reads the same words in the other, as before.

    >>> respell({"title_en": "P", "title_zh": "甲", "ratings": [{"label": "A"}]})[0]
    {'ratings': [{'label': 'A'}], 'title': {'en': 'P', 'zh': '甲'}}
    """
    if not isinstance(data, Mapping):
        return data, ()
    done: list[Respelling] = []
    plan = _respelled(data, (), ("title", "description"), done, both=("title",))
    ratings = plan.get("ratings")
    if isinstance(ratings, list):
        plan["ratings"] = [_respelled(r, ("ratings", j), ("title",), done) if isinstance(
            r, Mapping) else r for j, r in enumerate(ratings)]
    return (plan, tuple(done)) if done else (data, ())


def _respelled(data: Mapping[object, object], at: KeyPath, keys: tuple[str, ...],
               done: list[Respelling], both: tuple[str, ...] = ()) -> dict[object, object]:
    out = dict(data)
    for key in keys:
        old = [f"{key}_{lang}" for lang in ("en", "zh") if f"{key}_{lang}" in out]
        if not old or key in out:
            continue
        words = {lang: out.pop(f"{key}_{lang}") for lang in ("en", "zh")
                 if f"{key}_{lang}" in out}
        if key not in both:
            given = [w for w in words.values() if isinstance(w, str) and w]
            if not given:
                done.append(Respelling(tuple((*at, k) for k in old), (*at, key)))
                continue
            words = {lang: words.get(lang) or given[0] for lang in ("en", "zh")}
        out[key] = words
        done.append(Respelling(tuple((*at, k) for k in old), (*at, key)))
    return out


# --- findings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One problem of a plan: the rule, the key path it concerns, and what (en, zh-CN).

    The loader turns it into a :class:`salescore.semantic.issues.Issue` with file:line.
    """

    rule: str
    path: KeyPath
    message: str
    message_zh: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{format_path(self.path)}: {self.message}"


class PlanRulesFailed(ValueError):
    """Raised while a :class:`Plan` is built; carries every error finding (pydantic wraps it)."""

    def __init__(self, findings: tuple[Finding, ...]) -> None:
        super().__init__("; ".join(str(finding) for finding in findings))
        self.findings = findings


def format_path(path: KeyPath) -> str:
    """``("lines", 1, "weight")`` → ``lines[1].weight``; the empty path → ``(plan)``.

    >>> format_path(("lines", 1, "scoring", "bands", 0, "at"))
    'lines[1].scoring.bands[0].at'
    """
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(plan)"


# --- rules --------------------------------------------------------------------------------------

Rule = Callable[[Plan], Iterator[Finding]]


def _fmt(x: float) -> str:
    return f"{x:g}"


def _name_and_titles(plan: Plan) -> Iterator[Finding]:
    if not _SLUG.fullmatch(plan.name):
        yield Finding(
            "name-slug",
            ("name",),
            f"plan name {plan.name!r} must be a slug: lower-case letters, digits, '-' and '_', "
            "at most 64 characters",
            f"方案名 {plan.name!r} 须为短名：小写字母、数字、'-' 与 '_'，最多 64 个字符",
        )
    for key in ("en", "zh"):
        if not getattr(plan.title, key).strip():
            yield Finding("titles", ("title", key),
                          "the plan needs a title in English and in Chinese", "方案需要中英文标题")


def _grain(plan: Plan) -> Iterator[Finding]:
    if plan.grain not in PLAN_GRAINS:
        names = ", ".join(g.value for g in PLAN_GRAINS)
        yield Finding(
            "grain",
            ("grain",),
            f"a plan scores whole periods of one of: {names}; not {plan.grain.value}",
            f"方案须按以下周期粒度之一评分：{names}；不能是 {plan.grain.value}",
        )


def _weights(plan: Plan) -> Iterator[Finding]:
    if not plan.lines:
        yield Finding("weights-sum", ("lines",), "a plan needs at least one line",
                      "方案至少需要一行指标")
        return
    for i, line in enumerate(plan.lines):
        if not (0.0 < line.weight <= 1.0):
            yield Finding(
                "weight-range",
                ("lines", i, "weight"),
                f"weight {_fmt(line.weight)} must be more than 0 and at most 1 "
                "(drop the line rather than weighting it 0)",
                f"权重 {_fmt(line.weight)} 须大于 0 且不超过 1（不需要的指标请删除该行）",
            )
    total = math.fsum(line.weight for line in plan.lines)
    if not abs(total - 1.0) <= WEIGHT_TOLERANCE:
        parts = " + ".join(_fmt(line.weight) for line in plan.lines)
        yield Finding(
            "weights-sum",
            ("lines",),
            f"the weights must sum to 1; they sum to {total:.6g} ({parts})",
            f"各行权重之和须为 1；当前为 {total:.6g}（{parts}）",
        )


def _duplicate_kpis(plan: Plan) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for i, line in enumerate(plan.lines):
        if line.kpi in seen:
            yield Finding(
                "duplicate-kpi",
                ("lines", i, "kpi"),
                f"KPI {line.kpi!r} is already scored in lines[{seen[line.kpi]}]; "
                "merge the two lines",
                f"指标 {line.kpi!r} 已在 lines[{seen[line.kpi]}] 中评分，请合并这两行",
            )
        else:
            seen[line.kpi] = i


def _targets(plan: Plan) -> Iterator[Finding]:
    for i, line in enumerate(plan.lines):
        here: KeyPath = ("lines", i)
        scoring = line.scoring
        target = line.target
        match scoring:
            case Percentile():
                if target is not None:
                    yield Finding(
                        "target-needed",
                        (*here, "target"),
                        "a percentile line is scored against peers, not a target; remove target",
                        "百分位评分与同一方案的同事比较，不使用目标；请删除 target",
                    )
                continue
            case Linear() | Bands():
                if target is None:
                    yield Finding(
                        "target-needed",
                        here,
                        f"line {line.kpi!r} is scored {scoring.method} and needs a target "
                        "(source: targets_table, fixed, team_median_previous or "
                        "own_previous_plus)",
                        f"指标 {line.kpi!r} 采用 {scoring.method} 评分，需要 target（source 取 "
                        "targets_table、fixed、team_median_previous 或 own_previous_plus）",
                    )
                    continue
            case _:
                assert_never(scoring)
        match target:
            case FixedTarget(value=value):
                if not (value > 0 and math.isfinite(value)):
                    yield Finding(
                        "target-value",
                        (*here, "target", "value"),
                        f"a fixed target must be a positive number, not {_fmt(value)}: "
                        "attainment is a ratio of value and target",
                        f"固定目标须为正数，不能是 {_fmt(value)}：达成率是实际值与目标之比",
                    )
            case OwnPreviousPlusTarget(pct=pct):
                if not (-100.0 < pct <= 1000.0):
                    yield Finding(
                        "target-pct",
                        (*here, "target", "pct"),
                        f"pct is a percentage change, more than -100 and at most 1000; "
                        f"not {_fmt(pct)} (10 means last period + 10 %)",
                        f"pct 为百分比变化，须大于 -100 且不超过 1000；不能是 {_fmt(pct)}"
                        "（10 表示上期值 +10%）",
                    )
            case TargetsTableTarget() | TeamMedianPreviousTarget() | None:
                pass
            case _:
                assert_never(target)


def _floor_cap(plan: Plan) -> Iterator[Finding]:
    for i, line in enumerate(plan.lines):
        scoring = line.scoring
        here: KeyPath = ("lines", i, "scoring")
        floor, cap = scoring.floor, scoring.cap
        if not (0.0 <= floor <= MAX_ATTAINMENT):
            yield Finding(
                "floor-range",
                (*here, "floor"),
                f"floor is a fraction of target (0.5 means 50 %) from 0 to "
                f"{_fmt(MAX_ATTAINMENT)}; not {_fmt(floor)}",
                f"floor 为目标的比例（0.5 表示 50%），须在 0 到 {_fmt(MAX_ATTAINMENT)} 之间；"
                f"不能是 {_fmt(floor)}",
            )
        if cap is not None and not (0.0 < cap <= MAX_ATTAINMENT):
            yield Finding(
                "cap-range",
                (*here, "cap"),
                f"cap is a fraction of target (1.2 means 120 %) above 0 and at most "
                f"{_fmt(MAX_ATTAINMENT)}; not {_fmt(cap)}",
                f"cap 为目标的比例（1.2 表示 120%），须大于 0 且不超过 {_fmt(MAX_ATTAINMENT)}；"
                f"不能是 {_fmt(cap)}",
            )
        elif cap is not None and floor > cap:
            yield Finding(
                "floor-cap",
                (*here, "floor"),
                f"floor {_fmt(floor)} is above cap {_fmt(cap)}",
                f"floor {_fmt(floor)} 高于 cap {_fmt(cap)}",
            )


def _bands(plan: Plan) -> Iterator[Finding]:
    for i, line in enumerate(plan.lines):
        scoring = line.scoring
        if not isinstance(scoring, Bands):
            continue
        here: KeyPath = ("lines", i, "scoring", "bands")
        if not scoring.bands:
            yield Finding("bands-ordered", here, "bands needs at least one band",
                          "bands 至少需要一个档位")
            continue
        for j, band in enumerate(scoring.bands):
            if not (0.0 <= band.at <= MAX_ATTAINMENT):
                yield Finding(
                    "bands-range",
                    (*here, j, "at"),
                    f"at is a fraction of target (0.8 means 80 %) from 0 to "
                    f"{_fmt(MAX_ATTAINMENT)}; not {_fmt(band.at)}",
                    f"at 为目标的比例（0.8 表示 80%），须在 0 到 {_fmt(MAX_ATTAINMENT)} 之间；"
                    f"不能是 {_fmt(band.at)}",
                )
            if not (0.0 <= band.points <= 1000.0):
                yield Finding(
                    "bands-range",
                    (*here, j, "points"),
                    f"points must be from 0 to 1000, not {_fmt(band.points)}",
                    f"points 须在 0 到 1000 之间，不能是 {_fmt(band.points)}",
                )
            if j == 0:
                continue
            above = scoring.bands[j - 1]
            if band.at >= above.at:
                yield Finding(
                    "bands-ordered",
                    (*here, j, "at"),
                    f"bands go from the highest attainment down: at {_fmt(band.at)} must be "
                    f"below the band above's {_fmt(above.at)}",
                    f"档位须按达成率从高到低排列：at {_fmt(band.at)} 须低于上一档的 "
                    f"{_fmt(above.at)}",
                )
            elif band.points > above.points:
                yield Finding(
                    "bands-ordered",
                    (*here, j, "points"),
                    f"a lower band cannot give more points: {_fmt(band.points)} at "
                    f"{_fmt(band.at)} is more than {_fmt(above.points)} at {_fmt(above.at)}",
                    f"较低档位的得分不能更高：at {_fmt(band.at)} 得 {_fmt(band.points)} 分，"
                    f"高于 at {_fmt(above.at)} 的 {_fmt(above.points)} 分",
                )
        if scoring.cap is not None and scoring.bands[0].at > scoring.cap + ATTAINMENT_TOLERANCE:
            yield Finding(
                "bands-reachable",
                (*here, 0, "at"),
                f"no one can reach the band at {_fmt(scoring.bands[0].at)}: attainment is "
                f"capped at {_fmt(scoring.cap)}",
                f"达成率上限为 {_fmt(scoring.cap)}，at {_fmt(scoring.bands[0].at)} 的档位"
                "永远达不到",
            )


def _blend(plan: Plan) -> Iterator[Finding]:
    blend = plan.blend
    for key in ("individual", "team"):
        share = getattr(blend, key)
        if not (0.0 <= share <= 1.0):
            yield Finding(
                "blend-range",
                ("blend", key),
                f"blend.{key} is a share from 0 to 1, not {_fmt(share)}",
                f"blend.{key} 为 0 到 1 之间的比例，不能是 {_fmt(share)}",
            )
    total = blend.individual + blend.team
    if not abs(total - 1.0) <= WEIGHT_TOLERANCE:
        yield Finding(
            "blend-sum",
            ("blend",),
            f"individual and team must sum to 1; {_fmt(blend.individual)} + "
            f"{_fmt(blend.team)} = {total:.6g}",
            f"个人与团队占比之和须为 1；{_fmt(blend.individual)} + {_fmt(blend.team)} = "
            f"{total:.6g}",
        )


def _collaboration(plan: Plan) -> Iterator[Finding]:
    collab = plan.collaboration
    if collab is None:
        return
    for key in ("points_per_assist_point", "points_per_cross_team_assist", "cap"):
        amount = getattr(collab, key)
        if not (0.0 <= amount <= 100.0):
            yield Finding(
                "collaboration-range",
                ("collaboration", key),
                f"{key} must be from 0 to 100 points, not {_fmt(amount)}",
                f"{key} 须在 0 到 100 分之间，不能是 {_fmt(amount)}",
            )


def _coverage(plan: Plan) -> Iterator[Finding]:
    share = plan.missing.min_coverage
    if not (0.0 <= share <= 1.0):
        yield Finding(
            "min-coverage",
            ("missing", "min_coverage"),
            f"min_coverage is the share of weight that needs data, from 0 to 1; "
            f"not {_fmt(share)}",
            f"min_coverage 为须有数据的权重占比，须在 0 到 1 之间；不能是 {_fmt(share)}",
        )


def _ratings(plan: Plan) -> Iterator[Finding]:
    ratings = plan.ratings
    if not ratings:
        yield Finding("ratings-ordered", ("ratings",), "a plan needs at least one rating",
                      "方案至少需要一个评级")
        return
    labels: dict[str, int] = {}
    for j, rating in enumerate(ratings):
        here: KeyPath = ("ratings", j)
        if not rating.label.strip():
            yield Finding("ratings-ordered", (*here, "label"), "a rating needs a label",
                          "评级需要标签")
        elif rating.label in labels:
            yield Finding(
                "ratings-ordered",
                (*here, "label"),
                f"rating {rating.label!r} is already ratings[{labels[rating.label]}]",
                f"评级 {rating.label!r} 与 ratings[{labels[rating.label]}] 重复",
            )
        labels.setdefault(rating.label, j)
        if rating.min is None:
            if j != len(ratings) - 1:
                yield Finding(
                    "ratings-ordered",
                    here,
                    f"only the last rating may leave out min; {rating.label!r} needs one",
                    f"只有最后一个评级可以省略 min；{rating.label!r} 需要 min",
                )
            continue
        above = ratings[j - 1].min if j > 0 else None
        if above is not None and rating.min >= above:
            yield Finding(
                "ratings-ordered",
                (*here, "min"),
                f"ratings go from the highest down: {rating.label!r} min {_fmt(rating.min)} "
                f"must be below {ratings[j - 1].label!r} min {_fmt(above)}",
                f"评级须从高到低排列：{rating.label!r} 的 min {_fmt(rating.min)} 须低于 "
                f"{ratings[j - 1].label!r} 的 min {_fmt(above)}",
            )
    last = ratings[-1]
    if last.min is not None and plan.lines:
        low, _ = plan.points_range()
        if last.min > low + ATTAINMENT_TOLERANCE:
            yield Finding(
                "ratings-cover",
                ("ratings", len(ratings) - 1, "min"),
                f"a score can be as low as {_fmt(low)}, below the last rating's min "
                f"{_fmt(last.min)}; lower that min or leave it out",
                f"分数最低可为 {_fmt(low)}，低于最后一个评级的 min {_fmt(last.min)}；"
                "请降低该 min 或将其省略",
            )


PLAN_RULES: tuple[Rule, ...] = (
    _name_and_titles,
    _grain,
    _weights,
    _duplicate_kpis,
    _targets,
    _floor_cap,
    _bands,
    _blend,
    _collaboration,
    _coverage,
    _ratings,
)
"""The rules every plan must satisfy on its own, run whenever a :class:`Plan` is built."""

_DIRECTION_ZH: dict[Direction, str] = {Direction.HIGHER: "越高越好", Direction.LOWER: "越低越好"}


def check_kpis(plan: Plan, known: Mapping[str, Direction | str]) -> list[Finding]:
    """The problems of ``plan`` against the KPI catalogue ``known`` (name → direction).

    Errors: a line or credit that names a KPI the catalogue does not have (with the closest
    names). Warnings: a direction override that contradicts the catalogue, and an
    own-previous-plus target that asks for a worse value than last period.

    >>> plan = Plan.model_validate({"name": "p", "title": {"en": "P", "zh": "甲"},
    ...     "grain": "month", "ratings": [{"label": "A"}],
    ...     "lines": [{"kpi": "revenu_won", "weight": 1, "scoring": {"method": "percentile"}}]})
    >>> [str(finding) for finding in check_kpis(plan, {"revenue_won": "higher"})]
    ["lines[0].kpi: unknown KPI 'revenu_won' (did you mean revenue_won?)"]
    """
    findings: list[Finding] = []
    names = sorted(known)

    def unknown(name: str, path: KeyPath) -> None:
        close = difflib.get_close_matches(name, names, n=3)
        hint_en = f" (did you mean {', '.join(close)}?)" if close else ""
        hint_zh = f"（是否想写 {'、'.join(close)}？）" if close else ""
        findings.append(Finding("unknown-kpi", path, f"unknown KPI {name!r}{hint_en}",
                                f"未知指标 {name!r}{hint_zh}"))

    for i, line in enumerate(plan.lines):
        if line.kpi not in known:
            unknown(line.kpi, ("lines", i, "kpi"))
            continue
        catalogue = Direction(known[line.kpi])
        if line.direction is not None and line.direction is not catalogue:
            findings.append(Finding(
                "direction-override",
                ("lines", i, "direction"),
                f"{line.kpi} is {catalogue.value}-is-better in the catalogue; this plan scores "
                f"it {line.direction.value}-is-better",
                f"目录中 {line.kpi} 为{_DIRECTION_ZH[catalogue]}；本方案按"
                f"{_DIRECTION_ZH[line.direction]}评分",
                "warning",
            ))
        direction = line.direction or catalogue
        target = line.target
        if isinstance(target, OwnPreviousPlusTarget):
            worse = target.pct > 0 if direction is Direction.LOWER else target.pct < 0
            if worse:
                findings.append(Finding(
                    "target-direction",
                    ("lines", i, "target", "pct"),
                    f"{line.kpi} is {direction.value}-is-better, so pct {_fmt(target.pct)} "
                    "sets a target worse than last period",
                    f"{line.kpi} 为{_DIRECTION_ZH[direction]}，pct {_fmt(target.pct)} 使目标"
                    "比上期更差",
                    "warning",
                ))
    collab = plan.collaboration
    if collab is not None:
        for key, name in (("assist_points_kpi", collab.assist_points_kpi),
                          ("cross_team_assists_kpi", collab.cross_team_assists_kpi)):
            if name in collab.kpis() and name not in known:
                unknown(name, ("collaboration", key))
    return findings
