"""What-if: how a draft plan would change each rep's score, rating and rank.

Both scorecards are for the same period; a rep scored by only one of them still appears, with
the other side empty. ``rank_change`` is positive when the rep moves up (a smaller rank number).

>>> import pandas as pd
>>> from salescore.core.periods import parse_period
>>> from salescore.scorecards.arithmetic.scorecard import score_period
>>> from salescore.semantic.plan import Plan
>>> def plan(cap: float) -> Plan:
...     return Plan.model_validate({"name": f"cap{int(cap * 100)}",
...         "title": {"en": "P", "zh": "甲"}, "grain": "month",
...         "ratings": [{"label": "A", "min": 100}, {"label": "B"}],
...         "lines": [{"kpi": "deals_won", "weight": 1, "target": {"source": "fixed",
...                    "value": 10}, "scoring": {"method": "linear", "cap": cap}}]})
>>> kw = dict(members=pd.DataFrame({"rep_id": ["r1", "r2"], "team_id": ["t", "t"]}),
...           values=pd.DataFrame({"rep_id": ["r1", "r2"], "deals_won": [12.0, 9.0]}),
...           directions={"deals_won": "higher"})
>>> before = score_period(plan(1.0), parse_period("2025-03"), **kw)
>>> after = score_period(plan(1.5), parse_period("2025-03"), **kw)
>>> compare(before, after)[["rep_id", "score_before", "score_after", "rating_changed"]]
  rep_id  score_before  score_after  rating_changed
0     r1         100.0        120.0           False
1     r2          90.0         90.0           False
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescore.scorecards.arithmetic.scorecard import Scorecard

__all__ = ["compare", "rating_transitions"]


def compare(before: Scorecard, after: Scorecard) -> pd.DataFrame:
    """Per rep: ``score_before/after``, ``score_change``, ``rating_before/after``,
    ``rating_changed``, ``rank_before/after`` (in the company) and ``rank_change``.

    ValueError if the two scorecards are for different periods.
    """
    if before.period != after.period:
        raise ValueError(f"cannot compare {before.period} with {after.period}")
    wanted = ["rep_id", "team_id", "score", "rating", "rank_in_company"]
    left = before.subjects[wanted].rename(columns={
        "score": "score_before", "rating": "rating_before", "rank_in_company": "rank_before"})
    right = after.subjects[wanted].rename(columns={
        "score": "score_after", "rating": "rating_after", "rank_in_company": "rank_after",
        "team_id": "team_id_after"})
    both = left.merge(right, on="rep_id", how="outer", sort=False)
    both["team_id"] = both["team_id"].fillna(both["team_id_after"])
    both = both.drop(columns="team_id_after")
    both["score_change"] = both["score_after"] - both["score_before"]
    rating_before = both["rating_before"].astype(object).where(both["rating_before"].notna(),
                                                               None)
    rating_after = both["rating_after"].astype(object).where(both["rating_after"].notna(), None)
    both["rating_changed"] = np.array(
        [a != b for a, b in zip(rating_before, rating_after, strict=True)], dtype=bool)
    both["rank_change"] = (both["rank_before"] - both["rank_after"]).astype("Int64")
    order = ["rep_id", "team_id", "score_before", "score_after", "score_change",
             "rating_before", "rating_after", "rating_changed", "rank_before", "rank_after",
             "rank_change"]
    return both[order].reset_index(drop=True)


def rating_transitions(comparison: pd.DataFrame) -> pd.DataFrame:
    """How many reps go from each rating (rows, before) to each rating (columns, after).

    A rep without a rating on one side counts under ``—``.
    """
    before = comparison["rating_before"].astype(object).where(
        comparison["rating_before"].notna(), "—")
    after = comparison["rating_after"].astype(object).where(
        comparison["rating_after"].notna(), "—")
    return pd.crosstab(before.rename("before"), after.rename("after"))
