"""A scorecard as stored rows, and a stored row back as an explanation.

Everything :meth:`salescore.scorecards.arithmetic.Scorecard.explain` shows is kept in a row's
``breakdown``, so
that a stored score can be explained as it was computed, without computing it again.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from salescore.appstore.scores import ScoreRecord
from salescore.scorecards.arithmetic import Scorecard
from salescore.scorecards.kept import LINE_FIELDS, explanation_from_row

__all__ = ["explanation_from_row", "score_records"]



def _value(x: Any) -> Any:
    """A frame cell as plain JSON-able Python: NaN and NA are None, numpy scalars unwrapped."""
    if x is None or x is pd.NA:
        return None
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _float(x: Any) -> float | None:
    value = _value(x)
    return None if value is None else float(value)


def _int(x: Any) -> int | None:
    value = _value(x)
    return None if value is None else int(value)


def _column(series: pd.Series) -> list[Any]:
    """A frame column as plain Python values, NaN and NA as None (thousands of rows are
    stored per period, so no pandas call per cell)."""
    if series.dtype.kind == "f":
        values = series.to_numpy().tolist()
    else:
        values = series.to_numpy(dtype=object, na_value=None).tolist()
    return [_value(v) if isinstance(v, float | np.generic) else v for v in values]


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    data = [_column(frame[name]) for name in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*data, strict=True)]


def _lines(frame: pd.DataFrame, key: str, extra: tuple[str, ...] = ()
           ) -> dict[str, list[dict[str, Any]]]:
    by_subject: dict[str, list[dict[str, Any]]] = {}
    columns = [name for name in (*LINE_FIELDS, *extra) if name in frame.columns]
    keys = frame[key].astype(str).tolist()
    for subject, line in zip(keys, _records(frame, columns), strict=True):
        by_subject.setdefault(subject, []).append(line)
    return by_subject


def score_records(card: Scorecard) -> list[ScoreRecord]:
    """One record per rep and per team of ``card``, with everything needed to explain it."""
    out: list[ScoreRecord] = []
    rep_lines = _lines(card.lines, "rep_id")
    for row in _records(card.subjects, list(card.subjects.columns)):
        rep = str(row["rep_id"])
        out.append(ScoreRecord(
            subject_kind="rep", subject_id=rep, team_id=_value(row["team_id"]),
            status="ok" if row["status"] == "ok" else "no_data",
            score=_float(row["score"]), rating=_value(row["rating"]),
            rank_team=_int(row["rank_in_team"]), rank_company=_int(row["rank_in_company"]),
            coverage=_float(row["coverage"]) or 0.0,
            breakdown={
                "individual_score": _float(row["individual_score"]),
                "individual_share": _float(row["individual_share"]),
                "individual_part": _float(row["individual_part"]),
                "team_score": _float(row["team_score"]),
                "team_share": _float(row["team_share"]),
                "team_part": _float(row["team_part"]),
                "credit": _float(row["credit"]),
                "lines": rep_lines.get(rep, []),
            },
        ))
    team_lines = _lines(card.team_lines, "team_id", ("members",))
    for row in _records(card.teams, list(card.teams.columns)):
        team = str(row["team_id"])
        out.append(ScoreRecord(
            subject_kind="team", subject_id=team, team_id=team,
            status="ok" if row["status"] == "ok" else "no_data",
            score=_float(row["score"]), rating=_value(row["rating"]),
            rank_team=None, rank_company=_int(row["rank"]),
            coverage=_float(row["coverage"]) or 0.0,
            breakdown={
                "individual_score": _float(row["score"]),
                "individual_share": 1.0 if row["status"] == "ok" else None,
                "members": _int(row["members"]),
                "members_scored": _int(row["members_scored"]),
                "lines": team_lines.get(team, []),
            },
        ))
    return out
