"""Scorecard plans: which KPIs count, how much, against which target, scored how, rated how.

A plan is a YAML document (read by :mod:`salescore.semantic.plan_loader`, which adds file:line)
validated into the frozen :class:`Plan` below. A plan never holds numbers about people: targets
come from the targets table, a fixed value or the previous period, and the scoring itself is done
by :mod:`salescore.scorecards.arithmetic`.

A :class:`Plan` cannot be built from an invalid document: every rule of
:data:`salescore.semantic.plan_rules.PLAN_RULES` runs when the model is built, and all of their
issues are reported together (:class:`PlanRulesFailed`), each with the key path it concerns
(``lines[1].scoring.cap``), so that the loader can say which file and line. Whether the KPIs
exist depends on the catalogue, so those rules run apart, in
:func:`salescore.semantic.plan_rules.check_kpis`.

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
...     print(exc.errors()[0]["ctx"]["error"].issues[0])
name: plan name 'Demo Plan' must be a slug: lower-case letters, digits, '-' and '_', at most 64 characters [name-slug]
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from salescore.core.periods import Grain
from salescore.core.text import Text
from salescore.semantic.issues import Issue, IssuesFound, KeyPath, format_path
from salescore.semantic.specs import Direction
from salescore.semantic.spelling import Respelling, respell

__all__ = [
    "ATTAINMENT_TOLERANCE",
    "MAX_ATTAINMENT",
    "PLAN_GRAINS",
    "WEIGHT_TOLERANCE",
    "AppliesTo",
    "Band",
    "Bands",
    "Blend",
    "Collaboration",
    "Direction",
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
    "Respelling",
    "Scoring",
    "Target",
    "TargetsTableTarget",
    "TeamMedianPreviousTarget",
    "TeamScore",
    "format_path",
    "respell_plan",
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
        return respell_plan(data)[0]

    @model_validator(mode="after")
    def _rules(self) -> Plan:
        # Imported here: the rules read the spec's classes, so their module imports this one.
        from salescore.semantic.plan_rules import PLAN_RULES

        errors = [issue for rule in PLAN_RULES for issue in rule.check(self)
                  if issue.severity == "error"]
        if errors:
            raise PlanRulesFailed(errors)
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


def respell_plan(data: object) -> tuple[object, list[Respelling]]:
    """``data`` (a plan document) with the old spellings of its texts rewritten, and what was:
    ``title_en``/``title_zh`` and ``description_en``/``description_zh`` of the plan and
    ``title_en``/``title_zh`` of each rating become ``title:``/``description: {en, zh}``.

    >>> respell_plan({"title_en": "P", "title_zh": "甲", "ratings": [{"label": "A"}]})[0]
    {'ratings': [{'label': 'A'}], 'title': {'en': 'P', 'zh': '甲'}}
    """
    if not isinstance(data, Mapping):
        return data, []
    plan, done = respell(data, ("title", "description"), required=("title",))
    ratings = plan.get("ratings")
    if isinstance(ratings, list):
        plan["ratings"] = [
            respell(rating, ("title",), at=("ratings", j), done=done)[0]
            if isinstance(rating, Mapping) else rating for j, rating in enumerate(ratings)]
    return (plan, done) if done else (data, [])


class PlanRulesFailed(IssuesFound):
    """Raised while a :class:`Plan` is built, with every error its rules found (Pydantic wraps
    it in its ``ValidationError``)."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        super().__init__(issues)
