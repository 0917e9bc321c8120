"""Score a plan's reps again with a few values changed, or under another blend, without
reading and checking the inputs again.

:func:`~salescore.scorecards.arithmetic.scorecard.score_period` spends most of its time on
its inputs (the KPI tables cut to the period, the targets table searched per KPI, the lines'
frames); an improvement lever ("what if this rep reached the peers' median on this KPI?") or
a blend replay changes one value or two shares. :class:`Rescorer` reads the inputs once and
then, per question, evaluates again only the lines whose KPI changed, the weighing, the
team's average where the plan's team score is its members' average, the blend and the credit:
the same functions as :func:`score_period` (a changed rep's team average in NumPy, equal
to pandas' to rounding), so the same scores.

>>> from salescore.core.periods import parse_period
>>> from salescore.semantic.plan import Plan
>>> plan = Plan.model_validate({"name": "p", "title": {"en": "P", "zh": "甲"},
...     "grain": "month", "ratings": [{"label": "A", "min": 90}, {"label": "B"}],
...     "lines": [{"kpi": "revenue_won", "weight": 1, "target": {"source": "fixed",
...                "value": 100}, "scoring": {"method": "linear", "cap": 1.2}}]})
>>> again = Rescorer(plan, parse_period("2025-03"),
...     members=pd.DataFrame({"rep_id": ["r1", "r2"], "team_id": ["t1", "t1"]}),
...     values=pd.DataFrame({"rep_id": ["r1", "r2"], "revenue_won": [95.0, 130.0]}),
...     directions={"revenue_won": "higher"})
>>> again.scores().to_dict("index")
{'r1': {'score': 95.0, 'rating': 'A'}, 'r2': {'score': 120.0, 'rating': 'A'}}
>>> float(again.scores({("r1", "revenue_won"): 80.0}).loc["r1", "score"])
80.0
>>> again.each_alone("revenue_won", {"r1": 80.0, "r2": 100.0})["score"].tolist()
[80.0, 100.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Set

import numpy as np
import pandas as pd

from salescore.core.periods import Period
from salescore.scorecards.arithmetic.attainment import LineValues, evaluate_line
from salescore.scorecards.arithmetic.frames import (
    ScoringInputError,
    TableLike,
    kpi_frame,
    members_frame,
    target_values,
)
from salescore.scorecards.arithmetic.line_targets import line_targets
from salescore.scorecards.arithmetic.scorecard import (
    _blend,
    _credit,
    _directions,
    _Lines,
    _members_average,
    _ratings,
    _teams,
    _weigh,
)
from salescore.semantic.plan import Blend, Direction, Percentile, Plan, TeamScore

__all__ = ["Rescorer"]


class Rescorer:
    """The inputs of one :func:`score_period` call, read once; :meth:`scores` answers with
    some reps' values changed or another blend (the arguments are :func:`score_period`'s)."""

    def __init__(self, plan: Plan, period: Period, *, members: TableLike, values: TableLike,
                 directions: Mapping[str, Direction | str], previous: TableLike | None = None,
                 targets: TableLike | None = None, team_values: TableLike | None = None,
                 team_previous: TableLike | None = None) -> None:
        if period.grain != plan.grain:
            raise ScoringInputError(
                f"plan {plan.name} scores {plan.grain.value}s; {period} is a "
                f"{period.grain.value}",
                message_zh=f"方案 {plan.name} 按{plan.grain.zh}评分；{period} 是"
                f"{period.grain.zh}")
        self.plan = plan
        self._dirs = _directions(plan, directions)
        line_kpis = [line.kpi for line in plan.lines]
        people = members_frame(members)
        self.rep_ids = pd.Index(people["rep_id"].to_numpy(dtype=object), name="rep_id")
        self._team_of = people["team_id"].to_numpy(dtype=object)
        self._team_ids = pd.Index(pd.unique(self._team_of), name="team_id")
        self._row = {rep: i for i, rep in enumerate(self.rep_ids)}
        current = kpi_frame(values, key="rep_id", kpis=plan.kpis(), period=period,
                            what="values").reindex(self.rep_ids)
        self._columns = {k: current[k].to_numpy(dtype="float64", na_value=np.nan)
                         for k in plan.kpis()}
        before = (None if previous is None
                  else kpi_frame(previous, key="rep_id", kpis=line_kpis,
                                 period=period.previous(), what="previous"))
        table = (None if targets is None
                 else target_values(targets, scope="rep", period=period, kpis=line_kpis))
        self._targets = [line_targets(line, ids=self.rep_ids, groups=self._team_of,
                                      previous=before, table=table) for line in plan.lines]
        self._lines = [evaluate_line(line, d, self._columns[line.kpi], t)
                       for line, d, t in zip(plan.lines, self._dirs, self._targets,
                                             strict=True)]
        reps = self._reps = self._weighed(self._lines)
        self._credit = (np.zeros(len(self.rep_ids)) if plan.collaboration is None
                        else _credit(plan, pd.DataFrame(self._columns, index=self.rep_ids)))
        self._averaged = plan.blend.team_score is not TeamScore.TEAM_KPIS
        if self._averaged:
            weighed, _, _ = _members_average(plan, reps, self._team_of, self._team_ids)
            self._team_base = self._per_rep(weighed.score)
        else:  # the teams' own values: the same whatever a rep's values
            teams, _ = _teams(plan, self._dirs, period, reps, self._team_of, self._team_ids,
                              targets, team_values, team_previous)
            self._team_base = self._per_rep(teams["score"].to_numpy(dtype="float64"))

    def _weighed(self, lines: list[LineValues]) -> _Lines:
        status = np.column_stack([v.status for v in lines])
        points = np.column_stack([v.points for v in lines])
        return _Lines(lines, _weigh(self.plan, status, points))

    def _team_average(self, reps: _Lines, rows: np.ndarray) -> float:
        """One team's score as :func:`_members_average` gives it (the mean of the members'
        counted points per line, over those with points), for the members ``rows``."""
        return self._team_score(reps.weighed.points[rows], reps.matrix("status")[rows])

    def _team_score(self, points: np.ndarray, status: np.ndarray) -> float:
        """:meth:`_team_average` from the members' counted points and line statuses."""
        known = ~np.isnan(points)
        count = known.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, np.where(known, points, 0.0).sum(axis=0) / count,
                            np.nan)
        ok = (status == "ok").any(axis=0)
        no_data = (status == "no_data").any(axis=0)
        team_status = np.where(ok, "ok", np.where(no_data, "no_data", "no_target")).astype(
            object)
        weighed = _weigh(self.plan, team_status[None, :], np.where(ok, mean, np.nan)[None, :])
        return float(weighed.score[0])

    def _per_rep(self, team_scores: np.ndarray) -> np.ndarray:
        return pd.Series(team_scores, index=self._team_ids).reindex(self._team_of).to_numpy(
            dtype="float64", na_value=np.nan)

    def scores(self, changed: Mapping[tuple[str, str], float] | None = None,
               blend: Blend | None = None) -> pd.DataFrame:
        """Every member's ``score`` and ``rating`` (indexed by ``rep_id``) with ``changed``
        ((rep, KPI) → value) in place of the values read, under ``blend`` (the plan's own
        when ``None``), as :func:`score_period` would give them."""
        columns, lines = self._columns, self._lines
        touched: set[str] = set()
        if changed:
            columns = dict(columns)
            for (rep, kpi), value in changed.items():
                if kpi not in touched:
                    columns[kpi] = columns[kpi].copy()
                    touched.add(kpi)
                columns[kpi][self._row[rep]] = value
            lines = self._lines_with(columns, touched)
        reps = self._weighed(lines)
        team_score_of = self._team_base
        if changed and self._averaged:
            if any(isinstance(line.scoring, Percentile) and line.kpi in touched
                   for line in self.plan.lines):  # everyone's points move: every team
                weighed, _, _ = _members_average(self.plan, reps, self._team_of,
                                                 self._team_ids)
                team_score_of = self._per_rep(weighed.score)
            else:  # the changed reps' teams average again
                team_score_of = team_score_of.copy()
                for team in {self._team_of[self._row[rep]] for rep, _ in changed}:
                    rows = self._team_of == team
                    team_score_of[rows] = self._team_average(reps, rows)
        credit = self._credit_with(columns, touched)
        scored = reps.weighed.status == "ok"
        *_, score = _blend(blend or self.plan.blend, scored, reps.weighed.score,
                           team_score_of, credit)
        return pd.DataFrame({"score": score, "rating": _ratings(self.plan, score)},
                            index=self.rep_ids)

    def _lines_with(self, columns: Mapping[str, np.ndarray], touched: Set[str]
                    ) -> list[LineValues]:
        """Every line's values with ``columns``: the lines on a ``touched`` KPI evaluated
        again, the rest as read."""
        return [evaluate_line(line, d, columns[line.kpi], t) if line.kpi in touched else found
                for line, d, t, found in zip(self.plan.lines, self._dirs, self._targets,
                                             self._lines, strict=True)]

    def _credit_with(self, columns: Mapping[str, np.ndarray], touched: Set[str]
                     ) -> np.ndarray:
        """Every member's collaboration credit with ``columns``: worked out again only when
        a ``touched`` KPI is one the credit reads."""
        collab = self.plan.collaboration
        if collab is None or not touched & {collab.assist_points_kpi,
                                            collab.cross_team_assists_kpi}:
            return self._credit
        return _credit(self.plan, pd.DataFrame(columns, index=self.rep_ids))

    def each_alone(self, kpi: str, values: Mapping[str, float]) -> pd.DataFrame:
        """For each rep of ``values``, their own ``score`` and ``rating`` (indexed by
        ``rep_id``, in the order given) with their ``kpi`` at that value and everyone else's
        as read: ``scores({(rep, kpi): value}).loc[rep]`` for each, answered at once.

        A line's points on another scoring than a percentile depend on the rep's own value
        and target alone, so every rep's question is evaluated in one column; a team's
        average is taken again with only that rep's points changed. A percentile line on
        ``kpi`` moves everyone's points: each rep is then scored one by one, over their team's
        rows alone (:meth:`_alone`)."""
        reps_asked = list(values)
        if any(isinstance(line.scoring, Percentile) and line.kpi == kpi
               for line in self.plan.lines):
            score = np.array([self._alone(kpi, rep, value) for rep, value in values.items()])
            return pd.DataFrame({"score": score, "rating": _ratings(self.plan, score)},
                                index=pd.Index(reps_asked, name="rep_id"))
        at = np.array([self._row[rep] for rep in reps_asked], dtype=np.int64)
        columns = dict(self._columns)
        columns[kpi] = columns[kpi].copy()
        columns[kpi][at] = np.array([values[rep] for rep in reps_asked], dtype="float64")
        reps = self._weighed(self._lines_with(columns, {kpi}))
        team_score_of = self._team_base[at]
        if self._averaged:
            team_score_of = self._teams_alone(reps, at)
        credit = self._credit_with(columns, {kpi})[at]
        scored = reps.weighed.status[at] == "ok"
        *_, score = _blend(self.plan.blend, scored, reps.weighed.score[at], team_score_of,
                           credit)
        return pd.DataFrame({"score": score, "rating": _ratings(self.plan, score)},
                            index=pd.Index(reps_asked, name="rep_id"))

    def _teams_alone(self, reps: _Lines, at: np.ndarray) -> np.ndarray:
        """The team score of each row of ``at`` with that row's points from ``reps`` and
        everyone else's as read (:meth:`_team_average` once per row, in one array)."""
        base = self._reps
        old_points, new_points = base.weighed.points[at], reps.weighed.points[at]
        old_status, new_status = base.matrix("status")[at], reps.matrix("status")[at]
        known = ~np.isnan(base.weighed.points)
        status = base.matrix("status")
        teams = pd.Index(self._team_of)

        def per_team(a: np.ndarray) -> np.ndarray:  # each row's team's sum, line by line
            summed = pd.DataFrame(a).groupby(teams, sort=False).sum()
            return summed.reindex(self._team_of[at]).to_numpy(dtype="float64")
        total = per_team(np.where(known, base.weighed.points, 0.0))
        count = per_team(known.astype("float64"))
        ok = per_team((status == "ok").astype("float64"))
        no_data = per_team((status == "no_data").astype("float64"))
        old_known, new_known = ~np.isnan(old_points), ~np.isnan(new_points)
        total = (total - np.where(old_known, old_points, 0.0)
                 + np.where(new_known, new_points, 0.0))
        count = count - old_known + new_known
        ok = ok - (old_status == "ok") + (new_status == "ok")
        no_data = no_data - (old_status == "no_data") + (new_status == "no_data")
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, total / np.where(count > 0, count, 1.0), np.nan)
        team_status = np.where(ok > 0, "ok", np.where(no_data > 0, "no_data", "no_target")
                               ).astype(object)
        return _weigh(self.plan, team_status, np.where(ok > 0, mean, np.nan)).score

    def _alone(self, kpi: str, rep: str, value: float) -> float:
        """``rep``'s score with their ``kpi`` at ``value``: the lines on ``kpi`` evaluated
        again over everyone (a percentile moves every point), then only the rep's team
        weighed, averaged and blended (what :meth:`scores` gives that rep)."""
        i = self._row[rep]
        columns = dict(self._columns)
        columns[kpi] = columns[kpi].copy()
        columns[kpi][i] = value
        lines = self._lines_with(columns, {kpi})
        rows = np.flatnonzero(self._team_of == self._team_of[i])
        me = int(np.flatnonzero(rows == i)[0])
        status = np.column_stack([v.status[rows] for v in lines])
        weighed = _weigh(self.plan, status,
                         np.column_stack([v.points[rows] for v in lines]))
        team = (self._team_score(weighed.points, status) if self._averaged
                else float(self._team_base[i]))
        credit = self._credit_with(columns, {kpi})[i:i + 1]
        *_, score = _blend(self.plan.blend, weighed.status[me:me + 1] == "ok",
                           weighed.score[me:me + 1], np.array([team]), credit)
        return float(score[0])
