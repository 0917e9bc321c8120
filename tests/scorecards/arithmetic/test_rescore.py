"""The re-scorer gives what :func:`score_period` gives, to the last bit: on the random plans and
organisations of ``test_properties`` (every method, target source, missing policy, team score
and collaboration credit), with one or two values changed (a missing one included; equal to
rounding, the changed team's average summed by NumPy) and under another blend (exactly); and
many reps' questions on one KPI answered at once give each rep what one re-scoring with only
their value changed gives (to rounding)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.scorecards.arithmetic.test_properties import PERIOD, Scenario, scenarios

from salescore.scorecards.arithmetic.rescore import Rescorer


def _rescorer(scenario: Scenario) -> Rescorer:
    return Rescorer(scenario.plan, PERIOD, members=scenario.members, values=scenario.values,
                    previous=scenario.previous, targets=scenario.targets,
                    team_values=scenario.team_values, team_previous=scenario.team_previous,
                    directions=scenario.directions)


def _same(got: pd.DataFrame, card: pd.DataFrame, exact: bool = True) -> None:
    assert list(got.index) == list(card["rep_id"])
    scores, expected = (got["score"].to_numpy(dtype="float64"),
                        card["score"].to_numpy(dtype="float64"))
    if exact:
        np.testing.assert_array_equal(scores, expected)
    else:  # a team's average summed by NumPy rather than pandas
        np.testing.assert_allclose(scores, expected, rtol=1e-12, atol=1e-9)
    assert list(got["rating"]) == list(card["rating"])


@settings(max_examples=40, deadline=None)
@given(scenarios(), st.data())
def test_changed_values_score_as_score_period(scenario: Scenario, data: st.DataObject) -> None:
    again = _rescorer(scenario)
    _same(again.scores(), scenario.score().subjects)
    kpis = [line.kpi for line in scenario.plan.lines]
    changed: dict[tuple[str, str], float] = {}
    for _ in range(data.draw(st.integers(1, 2))):
        rep = data.draw(st.sampled_from(list(scenario.members["rep_id"])))
        kpi = data.draw(st.sampled_from(kpis))
        changed[(rep, kpi)] = data.draw(st.one_of(
            st.just(np.nan), st.floats(min_value=0, max_value=200, allow_nan=False)))
    values = scenario.values.set_index("rep_id")
    for (rep, kpi), value in changed.items():
        values.loc[rep, kpi] = value
    _same(again.scores(changed), scenario.score(values=values.reset_index()).subjects,
          exact=False)
    _same(again.scores(), scenario.score().subjects)  # the inputs read are left as they were


@settings(max_examples=20, deadline=None)
@given(scenarios(), st.sampled_from([1.0, 0.8, 0.6, 0.5, 0.0]))
def test_another_blend_scores_as_score_period(scenario: Scenario, individual: float) -> None:
    blend = scenario.plan.blend.model_copy(update={"individual": individual,
                                                   "team": 1.0 - individual})
    other = Scenario(scenario.plan.model_copy(update={"blend": blend}),
                     *[getattr(scenario, f) for f in ("directions", "members", "values",
                                                      "previous", "targets", "team_values",
                                                      "team_previous")])
    _same(_rescorer(scenario).scores(blend=blend), other.score().subjects)


@settings(max_examples=40, deadline=None)
@given(scenarios(), st.data())
def test_each_alone_scores_as_one_rescoring_per_rep(scenario: Scenario,
                                                     data: st.DataObject) -> None:
    again = _rescorer(scenario)
    kpi = data.draw(st.sampled_from(sorted({line.kpi for line in scenario.plan.lines})))
    everyone = list(scenario.members["rep_id"])
    reps = data.draw(st.lists(st.sampled_from(everyone), min_size=1, unique=True))
    values = {rep: data.draw(st.one_of(st.just(np.nan), st.floats(
        min_value=0, max_value=200, allow_nan=False))) for rep in reps}
    got = again.each_alone(kpi, values)
    assert list(got.index) == reps
    for rep, value in values.items():
        one = again.scores({(rep, kpi): value}).loc[rep]
        np.testing.assert_allclose(float(got.loc[rep, "score"]), float(one["score"]),
                                   rtol=1e-12, atol=1e-9)
        rating, expected = got.loc[rep, "rating"], one["rating"]
        assert rating == expected or (pd.isna(rating) and pd.isna(expected))  # none: unscored
    _same(again.scores(), scenario.score().subjects)  # the inputs read are left as they were
