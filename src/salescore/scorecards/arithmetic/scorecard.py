"""Score every subject of a plan for one period: lines, weights, blend, credit, rating, ranks.

Pure and vectorised: the inputs are the KPI values the engine computed (an Arrow table or a
DataFrame per period), the targets table and the plan; nothing here touches a database, and no
work is done per rep in Python.

The arithmetic, for a rep r (docs/scorecards.md works it through by hand):

1. Each line gets a status (``ok``, ``no_data``, ``no_target``), an attainment and points
   (:mod:`salescore.scorecards.arithmetic.attainment`).
2. Effective weights: a line without data under the ``reweight`` policy gets weight 0 and its
   weight goes to the ``ok`` lines in proportion to theirs; under ``zero`` it keeps its weight and
   scores 0 points. The effective weights always sum to 1. ``coverage`` is the plan weight of the
   ``ok`` lines; below ``missing.min_coverage`` (or at 0) the rep has status ``no_data`` and gets
   no score, rating or rank.
3. individual score = Σ effective weight × points.
4. team score (of r's team): ``members_average`` scores the team's average points per line (over
   the members with points on it, including members too short of data for a score of their
   own) with the same weighting; ``team_kpis`` scores the team's own KPI values against team
   targets. A team without a score leaves its reps on their individual score alone (their
   ``team_share`` becomes 0 and ``individual_share`` 1).
5. score = individual_share × individual score + team_share × team score + credit, where
   credit = min(cap, points_per_assist_point × assist points + points_per_cross_team_assist ×
   cross-team assists), missing assist values counting as none given.
6. A line's ``contribution`` is individual_share × effective weight × points, so that
   Σ contributions + team_part + credit = score, exactly.
7. The rating is the first band (highest first) the score reaches; ranks are 1 for the best
   score, ties sharing the better rank (1, 2, 2, 4), within the team and the whole plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from salescore.core.periods import Period
from salescore.scorecards.arithmetic.attainment import LineValues, evaluate_line
from salescore.scorecards.arithmetic.explanation import Explanation, LineExplanation
from salescore.scorecards.arithmetic.frames import (
    ScoringInputError,
    TableLike,
    kpi_frame,
    members_frame,
    target_values,
)
from salescore.scorecards.arithmetic.line_targets import line_targets
from salescore.semantic.plan import (
    ATTAINMENT_TOLERANCE,
    WEIGHT_TOLERANCE,
    Blend,
    Direction,
    MissingPolicy,
    Plan,
    TeamScore,
)

__all__ = [
    "Explanation",
    "LineExplanation",
    "Scorecard",
    "SubjectStatus",
    "score_period",
]

SubjectStatus = Literal["ok", "no_data"]

_RANK_DECIMALS = 9  # scores equal to 9 decimals tie: floating noise must not split a tie


@dataclass(frozen=True)
class _Weighed:
    status: np.ndarray  # n: "ok" | "no_data"
    coverage: np.ndarray  # n
    weights: np.ndarray  # n × L effective weights (NaN for unscored subjects)
    points: np.ndarray  # n × L points that count (NaN where reweighted away)
    score: np.ndarray  # n, NaN for unscored subjects


def _weigh(plan: Plan, status: np.ndarray, points: np.ndarray) -> _Weighed:
    """Effective weights, coverage and score from per-line statuses and points (n × L)."""
    weight = np.array([line.weight for line in plan.lines])
    zero = np.array([plan.missing_policy(line) is MissingPolicy.ZERO for line in plan.lines])
    ok = status == "ok"
    zero_missing = ~ok & zero[None, :]
    reweighted = ~ok & ~zero[None, :]
    covered = (ok * weight).sum(axis=1)
    moved = (reweighted * weight).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(covered > 0, (covered + moved) / covered, 0.0)
    effective = np.where(ok, weight * factor[:, None], np.where(zero_missing, weight, 0.0))
    counted = np.where(ok, points, np.where(zero_missing, 0.0, np.nan))
    scored = (covered > 0) & (covered + WEIGHT_TOLERANCE >= plan.missing.min_coverage)
    total = (effective * np.nan_to_num(counted, nan=0.0)).sum(axis=1)
    return _Weighed(
        status=np.where(scored, "ok", "no_data").astype(object),
        coverage=covered,
        weights=np.where(scored[:, None], effective, np.nan),
        points=counted,
        score=np.where(scored, total, np.nan),
    )


def _ratings(plan: Plan, score: np.ndarray) -> np.ndarray:
    label = np.full(score.shape, None, dtype=object)
    open_ = ~np.isnan(score)
    for rating in plan.ratings:
        hit = open_ if rating.min is None else open_ & (score + ATTAINMENT_TOLERANCE >= rating.min)
        label[hit] = rating.label
        open_ = open_ & ~hit
    return label


def _ranks(score: np.ndarray, groups: np.ndarray | None = None) -> pd.Series:
    rounded = pd.Series(np.round(score, _RANK_DECIMALS))
    if groups is None:
        ranked = rounded.rank(method="min", ascending=False)
    else:
        ranked = rounded.groupby(pd.Series(groups), sort=False).rank(method="min",
                                                                     ascending=False)
    return ranked.astype("Int64")


@dataclass(frozen=True)
class _Lines:
    """The plan's lines evaluated over some subjects, plus the weighing."""

    values: list[LineValues]
    weighed: _Weighed

    def matrix(self, name: str) -> np.ndarray:
        return np.column_stack([getattr(v, name) for v in self.values])


def _evaluate(
    plan: Plan,
    directions: Sequence[Direction],
    *,
    ids: pd.Index,
    groups: np.ndarray,
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    table: Mapping[str, pd.Series] | None,
) -> _Lines:
    aligned = current.reindex(ids)
    values = []
    for line, direction in zip(plan.lines, directions, strict=True):
        value = aligned[line.kpi].to_numpy(dtype="float64", na_value=np.nan)
        target = line_targets(line, ids=ids, groups=groups, previous=previous, table=table)
        values.append(evaluate_line(line, direction, value, target))
    status = np.column_stack([v.status for v in values])
    points = np.column_stack([v.points for v in values])
    return _Lines(values, _weigh(plan, status, points))


def _long_lines(
    plan: Plan,
    directions: Sequence[Direction],
    key: str,
    ids: np.ndarray,
    extra: dict[str, np.ndarray],
    columns: dict[str, np.ndarray],
) -> pd.DataFrame:
    """One row per subject and line (subject-major), from n × L matrices in ``columns``."""
    n, count = len(ids), len(plan.lines)
    frame: dict[str, Any] = {key: np.repeat(ids, count)}
    frame.update({name: np.repeat(values, count) for name, values in extra.items()})
    frame["line"] = np.tile(np.arange(count), n)
    frame["kpi"] = np.tile(np.array([line.kpi for line in plan.lines], dtype=object), n)
    frame["direction"] = np.tile(np.array([d.value for d in directions], dtype=object), n)
    frame["method"] = np.tile(
        np.array([line.scoring.method for line in plan.lines], dtype=object), n)
    frame["target_source"] = np.tile(
        np.array([line.target.source if line.target else None for line in plan.lines],
                 dtype=object), n)
    frame["weight"] = np.tile(np.array([line.weight for line in plan.lines]), n)
    for name, matrix in columns.items():
        frame[name] = matrix.reshape(-1) if matrix.size else np.array([], dtype=matrix.dtype)
    return pd.DataFrame(frame)


def _row(frame: pd.DataFrame, key: str, value: str) -> dict[str, Any]:
    found = np.flatnonzero((frame[key] == value).to_numpy())
    if found.size == 0:
        raise KeyError(value)
    # Column by column: a row of mixed types would turn the Int64 ranks into floats.
    return {name: frame[name].iloc[found[0]] for name in frame.columns}


def _line_explanations(lines: pd.DataFrame) -> tuple[LineExplanation, ...]:
    return tuple(
        LineExplanation(
            kpi=str(r.kpi), direction=str(r.direction), method=str(r.method),
            target_source=_opt(r.target_source), status=str(r.status),
            value=_opt(r.value), target=_opt(r.target), attainment=_opt(r.attainment),
            points=_opt(r.points), weight=float(r.weight),
            effective_weight=_opt(r.effective_weight), contribution=_opt(r.contribution),
        )
        for r in lines.itertuples(index=False)
    )


def _opt(x: Any) -> Any:
    if x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x)):
        return None
    if isinstance(x, np.generic):
        return x.item()
    return x


@dataclass(frozen=True)
class Scorecard:
    """The scores of one plan for one period.

    ``subjects``: one row per rep (in the members' order) with ``rep_id, team_id, status,
    coverage, individual_score, team_score, individual_share, team_share, individual_part,
    team_part, credit, score, rating, rank_in_team, rank_in_company``.
    ``lines``: one row per rep and plan line with ``rep_id, team_id, line, kpi, direction,
    method, target_source, weight, status, value, target, attainment, points,
    effective_weight, contribution``.
    ``teams``: one row per team (``team_id, status, coverage, score, rating, rank, members,
    members_scored``), ``team_lines`` its lines (``members``: how many members' points a
    ``members_average`` line averages).
    """

    plan: Plan
    period: Period
    subjects: pd.DataFrame
    lines: pd.DataFrame
    teams: pd.DataFrame
    team_lines: pd.DataFrame

    def explain(self, rep_id: str) -> Explanation:
        """The decomposition of ``rep_id``'s score (KeyError if the rep was not scored)."""
        row = _row(self.subjects, "rep_id", rep_id)
        return Explanation(
            subject=rep_id,
            team_id=_opt(row["team_id"]),
            plan=self.plan.name,
            period=str(self.period),
            status=str(row["status"]),
            score=_opt(row["score"]),
            rating=_opt(row["rating"]),
            individual_score=_opt(row["individual_score"]),
            individual_share=_opt(row["individual_share"]),
            team_score=_opt(row["team_score"]),
            team_share=_opt(row["team_share"]),
            team_part=_opt(row["team_part"]),
            credit=_opt(row["credit"]),
            rank_in_team=_opt(row["rank_in_team"]),
            rank_in_company=_opt(row["rank_in_company"]),
            lines=_line_explanations(self.lines.loc[self.lines["rep_id"] == rep_id]),
        )

    def explain_team(self, team_id: str) -> Explanation:
        """The decomposition of a team's score into its lines (KeyError for an unknown team).

        The team's score is its own "individual" score here: share 1, no team part, no credit.
        """
        row = _row(self.teams, "team_id", team_id)
        scored = row["status"] == "ok"
        return Explanation(
            subject=team_id,
            team_id=team_id,
            plan=self.plan.name,
            period=str(self.period),
            status=str(row["status"]),
            score=_opt(row["score"]),
            rating=_opt(row["rating"]),
            individual_score=_opt(row["score"]),
            individual_share=1.0 if scored else None,
            team_score=None,
            team_share=None,
            team_part=None,
            credit=None,
            rank_in_team=None,
            rank_in_company=_opt(row["rank"]),
            lines=_line_explanations(self.team_lines.loc[self.team_lines["team_id"] == team_id]),
        )

    def to_arrow(self) -> dict[str, pa.Table]:
        """The four frames as Arrow tables, each with ``plan`` and ``period`` columns added."""
        out: dict[str, pa.Table] = {}
        for name in ("subjects", "lines", "teams", "team_lines"):
            frame = getattr(self, name).copy()
            frame.insert(0, "period", str(self.period))
            frame.insert(0, "plan", self.plan.name)
            out[name] = pa.Table.from_pandas(frame, preserve_index=False)
        return out


def _directions(plan: Plan, known: Mapping[str, Direction | str]) -> tuple[Direction, ...]:
    resolved = []
    for line in plan.lines:
        if line.direction is not None:
            resolved.append(line.direction)
        elif line.kpi in known:
            resolved.append(Direction(known[line.kpi]))
        else:
            raise ScoringInputError(
                f"no direction for KPI {line.kpi}: it is not in the directions given",
                message_zh=f"指标 {line.kpi} 没有方向（越高/越低越好）信息",
            )
    return tuple(resolved)


def score_period(
    plan: Plan,
    period: Period,
    *,
    members: TableLike,
    values: TableLike,
    directions: Mapping[str, Direction | str],
    previous: TableLike | None = None,
    targets: TableLike | None = None,
    team_values: TableLike | None = None,
    team_previous: TableLike | None = None,
) -> Scorecard:
    """Score every rep in ``members`` (``rep_id, team_id``) under ``plan`` for ``period``.

    ``values``: the reps' KPI values (``rep_id``, the plan's KPIs; a ``period`` column, if any,
    selects ``period``'s rows). ``previous``: the same for the period before (needed by
    ``team_median_previous`` and ``own_previous_plus`` targets; may be the same table as
    ``values`` when it has a ``period`` column). ``targets``: rows of the targets table.
    ``team_values`` / ``team_previous``: the teams' own KPI values (``team_id`` key), needed
    when the plan's team score is ``team_kpis``. ``directions``: the catalogue's direction of each
    KPI (a line's own ``direction`` overrides it).

    Raises :class:`ScoringInputError` when a needed table or column is missing or when the
    period's grain is not the plan's; a missing *value* is never an error (it is ``no_data``).

    >>> from salescore.core.periods import parse_period
    >>> from salescore.semantic.plan import Plan
    >>> plan = Plan.model_validate({"name": "p", "title": {"en": "P", "zh": "甲"},
    ...     "grain": "month", "ratings": [{"label": "A", "min": 90}, {"label": "B"}],
    ...     "lines": [{"kpi": "revenue_won", "weight": 1, "target": {"source": "fixed",
    ...                "value": 100}, "scoring": {"method": "linear", "cap": 1.2}}]})
    >>> card = score_period(plan, parse_period("2025-03"),
    ...     members=pd.DataFrame({"rep_id": ["r1", "r2"], "team_id": ["t1", "t1"]}),
    ...     values=pd.DataFrame({"rep_id": ["r1", "r2"], "revenue_won": [95.0, 130.0]}),
    ...     directions={"revenue_won": "higher"})
    >>> card.subjects[["rep_id", "score", "rating", "rank_in_team"]].to_dict("records")
    [{'rep_id': 'r1', 'score': 95.0, 'rating': 'A', 'rank_in_team': 2}, {'rep_id': 'r2', \
'score': 120.0, 'rating': 'A', 'rank_in_team': 1}]
    """
    if period.grain != plan.grain:
        raise ScoringInputError(
            f"plan {plan.name} scores {plan.grain.value}s; {period} is a {period.grain.value}",
            message_zh=f"方案 {plan.name} 按{plan.grain.zh}评分；{period} 是"
            f"{period.grain.zh}",
        )
    lines = plan.lines
    kpis = plan.kpis()
    line_kpis = [line.kpi for line in lines]
    dirs = _directions(plan, directions)
    people = members_frame(members)
    rep_ids = pd.Index(people["rep_id"].to_numpy(dtype=object), name="rep_id")
    team_of = people["team_id"].to_numpy(dtype=object)
    current = kpi_frame(values, key="rep_id", kpis=kpis, period=period, what="values")
    before = (
        None if previous is None
        else kpi_frame(previous, key="rep_id", kpis=line_kpis, period=period.previous(),
                       what="previous")
    )
    rep_targets = (
        None if targets is None
        else target_values(targets, scope="rep", period=period, kpis=line_kpis)
    )
    reps = _evaluate(plan, dirs, ids=rep_ids, groups=team_of, current=current, previous=before,
                     table=rep_targets)

    team_ids = pd.Index(pd.unique(team_of), name="team_id")
    teams, team_lines = _teams(plan, dirs, period, reps, team_of, team_ids, targets,
                               team_values, team_previous)

    team_score_of = teams.set_index("team_id")["score"].reindex(team_of).to_numpy(
        dtype="float64", na_value=np.nan)
    scored = reps.weighed.status == "ok"
    individual = reps.weighed.score
    credit = _credit(plan, current.reindex(rep_ids))
    individual_share, team_share, individual_part, team_part, score = _blend(
        plan.blend, scored, individual, team_score_of, credit)

    subjects = pd.DataFrame({
        "rep_id": rep_ids.to_numpy(),
        "team_id": team_of,
        "status": reps.weighed.status,
        "coverage": reps.weighed.coverage,
        "individual_score": individual,
        "team_score": team_score_of,
        "individual_share": individual_share,
        "team_share": team_share,
        "individual_part": individual_part,
        "team_part": team_part,
        "credit": credit,
        "score": score,
        "rating": _ratings(plan, score),
    })
    subjects["rank_in_team"] = _ranks(score, team_of).array
    subjects["rank_in_company"] = _ranks(score).array

    counted = reps.weighed.points
    contribution = np.where(
        scored[:, None],
        individual_share[:, None] * reps.weighed.weights * np.nan_to_num(counted, nan=0.0),
        np.nan,
    )
    line_frame = _long_lines(
        plan, dirs, "rep_id", rep_ids.to_numpy(), {"team_id": team_of},
        {
            "status": reps.matrix("status"),
            "value": reps.matrix("value"),
            "target": reps.matrix("target"),
            "attainment": reps.matrix("attainment"),
            "points": counted,
            "effective_weight": reps.weighed.weights,
            "contribution": contribution,
        },
    )
    return Scorecard(plan, period, subjects, line_frame, teams, team_lines)


def _blend(blend: Blend, scored: np.ndarray, individual: np.ndarray, team_score_of: np.ndarray,
           credit: np.ndarray) -> tuple[np.ndarray, ...]:
    """Individual and team shares and parts, and the score, of each rep (step 5): a rep whose
    team has no score stands on the individual score alone."""
    with_team = ~np.isnan(team_score_of) & (blend.team > 0)
    individual_share = np.where(with_team, blend.individual, 1.0)
    team_share = np.where(with_team, blend.team, 0.0)
    individual_part = np.where(scored, individual_share * individual, np.nan)
    team_part = np.where(scored, team_share * np.nan_to_num(team_score_of, nan=0.0), np.nan)
    score = np.where(scored, individual_part + team_part + credit, np.nan)
    return individual_share, team_share, individual_part, team_part, score


def _credit(plan: Plan, current: pd.DataFrame) -> np.ndarray:
    collab = plan.collaboration
    n = len(current)
    if collab is None:
        return np.zeros(n)
    raw = np.zeros(n)
    for kpi, rate in ((collab.assist_points_kpi, collab.points_per_assist_point),
                      (collab.cross_team_assists_kpi, collab.points_per_cross_team_assist)):
        if rate:
            # No assist recorded means none given: the credit is a bonus, never a penalty.
            given = np.nan_to_num(current[kpi].to_numpy(dtype="float64", na_value=np.nan),
                                  nan=0.0)
            raw = raw + rate * given
    return np.clip(raw, 0.0, collab.cap)


def _teams(
    plan: Plan,
    dirs: Sequence[Direction],
    period: Period,
    reps: _Lines,
    team_of: np.ndarray,
    team_ids: pd.Index,
    targets: TableLike | None,
    team_values: TableLike | None,
    team_previous: TableLike | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Team scores and their lines, by the plan's ``team_score`` method."""
    members_count = pd.Series(team_of).value_counts().reindex(team_ids).to_numpy()
    scored_count = (
        pd.Series(reps.weighed.status == "ok").groupby(pd.Series(team_of), sort=False).sum()
        .reindex(team_ids).to_numpy()
    )
    count = len(plan.lines)
    if plan.blend.team_score is TeamScore.TEAM_KPIS:
        if team_values is None:
            raise ScoringInputError(
                f"plan {plan.name} scores teams on their own KPIs (team_kpis); "
                "pass team_values=",
                message_zh=f"方案 {plan.name} 按团队自身指标评分（team_kpis）；"
                "请提供 team_values=",
            )
        kpis = [line.kpi for line in plan.lines]
        current = kpi_frame(team_values, key="team_id", kpis=kpis, period=period,
                            what="team_values")
        before = (
            None if team_previous is None
            else kpi_frame(team_previous, key="team_id", kpis=kpis, period=period.previous(),
                           what="team_previous")
        )
        table = (None if targets is None
                 else target_values(targets, scope="team", period=period, kpis=kpis))
        evaluated = _evaluate(plan, dirs, ids=team_ids, groups=np.zeros(len(team_ids)),
                              current=current, previous=before, table=table)
        weighed = evaluated.weighed
        columns = {
            "status": evaluated.matrix("status"),
            "value": evaluated.matrix("value"),
            "target": evaluated.matrix("target"),
            "attainment": evaluated.matrix("attainment"),
            "points": weighed.points,
        }
        averaged = np.full((len(team_ids), count), np.nan)
    else:
        weighed, columns, averaged = _members_average(plan, reps, team_of, team_ids)
    scores = weighed.score
    teams = pd.DataFrame({
        "team_id": team_ids.to_numpy(),
        "status": weighed.status,
        "coverage": weighed.coverage,
        "score": scores,
        "rating": _ratings(plan, scores),
        "rank": _ranks(scores).array,
        "members": members_count,
        "members_scored": scored_count,
    })
    contribution = np.where(
        (weighed.status == "ok")[:, None],
        weighed.weights * np.nan_to_num(weighed.points, nan=0.0),
        np.nan,
    )
    team_lines = _long_lines(
        plan, dirs, "team_id", team_ids.to_numpy(), {},
        {**columns, "effective_weight": weighed.weights, "contribution": contribution,
         "members": averaged},
    )
    return teams, team_lines


def _members_average(
    plan: Plan, reps: _Lines, team_of: np.ndarray, team_ids: pd.Index
) -> tuple[_Weighed, dict[str, np.ndarray], np.ndarray]:
    """Team lines as the average of the members' counted points, weighed like a rep's."""
    counted = pd.DataFrame(reps.weighed.points)
    by_team = counted.groupby(pd.Series(team_of), sort=False)
    mean = by_team.mean().reindex(team_ids).to_numpy()
    averaged = by_team.count().reindex(team_ids).to_numpy(dtype="float64")
    status = reps.matrix("status")
    any_ok = pd.DataFrame(status == "ok").groupby(pd.Series(team_of), sort=False).any()
    any_no_data = pd.DataFrame(status == "no_data").groupby(pd.Series(team_of),
                                                            sort=False).any()
    ok = any_ok.reindex(team_ids).to_numpy()
    no_data = any_no_data.reindex(team_ids).to_numpy()
    team_status = np.where(ok, "ok", np.where(no_data, "no_data", "no_target")).astype(object)
    points = np.where(ok, mean, np.nan)
    weighed = _weigh(plan, team_status, points)
    nothing = np.full(points.shape, np.nan)
    columns = {"status": team_status, "value": nothing, "target": nothing,
               "attainment": nothing, "points": weighed.points}
    return weighed, columns, averaged
