"""Which reps a plan applies to: teams with their subtrees, and titles."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from salescore.scorecards.arithmetic import ScoringInputError, select_subjects, subtree
from salescore.semantic.plan import AppliesTo

TEAMS = pd.DataFrame({
    "team_id": ["sales", "field", "north", "south", "inside", "loop_a", "loop_b"],
    "parent_team_id": [None, "sales", "field", "field", "sales", "loop_b", "loop_a"],
})
REPS = pd.DataFrame({
    "rep_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
    "team_id": ["north", "south", "field", "inside", "inside", None],
    "title": ["Account Executive", "Senior Account Executive", "Sales Manager",
              "Inside Sales Representative", " inside sales representative ", "Account Executive"],
})


def test_a_team_brings_its_whole_subtree() -> None:
    assert subtree(TEAMS, ("field",)) == {"field", "north", "south"}
    assert subtree(TEAMS, ("sales",)) == {"sales", "field", "north", "south", "inside"}


def test_a_cycle_in_the_team_tree_does_not_loop() -> None:
    assert subtree(TEAMS, ("loop_a",)) == {"loop_a", "loop_b"}


def test_teams_and_titles_both_restrict() -> None:
    chosen = select_subjects(AppliesTo(teams=("field",)), REPS, TEAMS)
    assert chosen.to_dict("list") == {"rep_id": ["r1", "r2", "r3"],
                                      "team_id": ["north", "south", "field"]}
    both = select_subjects(AppliesTo(teams=("field",), titles=("Account Executive",
                                                               "Senior Account Executive")),
                           REPS, TEAMS)
    assert both["rep_id"].tolist() == ["r1", "r2"]


def test_titles_ignore_case_and_spaces_and_reps_without_a_team_are_left_out() -> None:
    chosen = select_subjects(AppliesTo(titles=("Inside Sales Representative",)),
                             pa.Table.from_pandas(REPS), TEAMS)
    assert chosen["rep_id"].tolist() == ["r4", "r5"]
    everyone = select_subjects(AppliesTo(), REPS, TEAMS)
    assert everyone["rep_id"].tolist() == ["r1", "r2", "r3", "r4", "r5"]


def test_an_unknown_team_is_an_error() -> None:
    with pytest.raises(ScoringInputError, match="teams that do not exist: east"):
        select_subjects(AppliesTo(teams=("east",)), REPS, TEAMS)
