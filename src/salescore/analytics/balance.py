"""Team and individual balance: who helps whom, how much of a team's revenue comes from
assisted deals, and how a plan's individual/team blend spreads scores.

:func:`assists_in` is an unbound expression (the workspace runs it through a runner; the
revenue and assist counts come from the catalogue's KPIs through the engine);
:func:`blend_spread` is arithmetic over scores. An *assisted* deal is a won deal with
at least one assist recorded on it (at any time); a *cross-team* assist is one whose helper's
team is not the helped rep's team.

>>> blend_spread([10.0, 20.0, 60.0])
(50.0, 21.602468994692867)
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime

import ibis.expr.types as ir

from salescore.compile.schema import unbound

__all__ = ["BLENDS", "assists_in", "blend_spread"]

BLENDS = (1.0, 0.8, 0.6, 0.5)
"""The individual shares every plan is replayed with (the rest: the team score)."""


def assists_in(start: datetime, end: datetime) -> ir.Table:
    """The assists of ``[start, end)``: ``assist_id, helper_rep_id, helped_rep_id,
    helper_team_id, helped_team_id, points`` (a team unknown where the rep has none)."""
    assists = unbound("assists")
    assists = assists.filter(assists.occurred_at >= start, assists.occurred_at < end)
    reps = unbound("reps").select("rep_id", "team_id")
    helper = reps.rename(helper_team_id="team_id", helper_id="rep_id")
    helped = reps.rename(helped_team_id="team_id", helped_id="rep_id")
    joined = assists.left_join(helper, assists.helper_rep_id == helper.helper_id).left_join(
        helped, assists.helped_rep_id == helped.helped_id)
    return joined.select("assist_id", "helper_rep_id", "helped_rep_id", "helper_team_id",
                         "helped_team_id", "points")


def blend_spread(scores: Sequence[float]) -> tuple[float | None, float | None]:
    """The range (highest − lowest) and the population standard deviation of ``scores``."""
    if not scores:
        return None, None
    return max(scores) - min(scores), statistics.pstdev(scores)
