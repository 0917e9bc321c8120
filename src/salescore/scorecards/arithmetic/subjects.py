"""Which reps a plan scores: those in its teams (with their subtrees) and with its titles.

>>> import pandas as pd
>>> from salescore.semantic.plan import AppliesTo
>>> teams = pd.DataFrame({"team_id": ["sales", "north", "south"],
...                       "parent_team_id": [None, "sales", "sales"]})
>>> reps = pd.DataFrame({"rep_id": ["r1", "r2", "r3"], "team_id": ["north", "south", "sales"],
...                      "title": ["Account Executive", "Inside Sales Representative", "VP"]})
>>> select_subjects(AppliesTo(teams=("sales",), titles=("account executive",)), reps, teams)
  rep_id team_id
0     r1   north
"""

from __future__ import annotations

import pandas as pd

from salescore.scorecards.arithmetic.frames import ScoringInputError, TableLike, columns_of
from salescore.semantic.plan import AppliesTo

__all__ = ["select_subjects", "subtree"]


def subtree(teams: TableLike, roots: tuple[str, ...]) -> set[str]:
    """``roots`` and every team below them (``teams``: ``team_id, parent_team_id``).

    Raises :class:`ScoringInputError` for a root the table does not have. A cycle in the parent
    links cannot loop forever: each team is visited once.
    """
    frame = columns_of(teams, ["team_id", "parent_team_id"], "teams")
    ids = frame["team_id"].astype(str).tolist()
    unknown = [root for root in roots if root not in set(ids)]
    if unknown:
        raise ScoringInputError(
            f"the plan applies to teams that do not exist: {', '.join(unknown)}",
            message_zh=f"方案适用的团队不存在：{', '.join(unknown)}",
        )
    children: dict[str, list[str]] = {}
    for team, parent in zip(ids, frame["parent_team_id"].tolist(), strict=True):
        if parent is not None and not pd.isna(parent):
            children.setdefault(str(parent), []).append(team)
    found: set[str] = set()
    stack = list(roots)
    while stack:
        team = stack.pop()
        if team in found:
            continue
        found.add(team)
        stack.extend(children.get(team, ()))
    return found


def select_subjects(applies_to: AppliesTo, reps: TableLike, teams: TableLike) -> pd.DataFrame:
    """The ``rep_id, team_id`` of the reps the plan applies to, in ``reps``' order.

    ``reps`` needs ``rep_id, team_id, title``. Titles match ignoring case and surrounding
    spaces. Whether a rep is active is the caller's concern: a past period scores the reps who
    worked then.
    """
    frame = columns_of(reps, ["rep_id", "team_id", "title"], "reps")
    keep = pd.Series(True, index=frame.index)
    if applies_to.teams:
        allowed = subtree(teams, applies_to.teams)
        keep &= frame["team_id"].astype(str).isin(sorted(allowed))
    if applies_to.titles:
        wanted = {title.strip().casefold() for title in applies_to.titles}
        titles = frame["title"].astype(str).str.strip().str.casefold()
        keep &= titles.isin(sorted(wanted)) & frame["title"].notna()
    chosen = frame.loc[keep.to_numpy() & frame["team_id"].notna().to_numpy(),
                       ["rep_id", "team_id"]]
    return chosen.astype(str).reset_index(drop=True)
