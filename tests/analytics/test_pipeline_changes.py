"""Pipeline changes on the organisation of ``pipeline_org.py`` (DuckDB and PostgreSQL), every
figure worked out by hand from its table.

From 2025-02-01 to 2025-02-28, close window 2025-Q1:

- start = p1 100 + p2 200 + p3 300 + p4 400 + p7 600 + p8 (unknown: 0) + p12 80 (first
  imported later: its first values stand in) + p13 (EUR: 0) = 1680;
- new p5 150; pulled in p6 500; up p2 50 + p8 700 = 750; down p3 20 (300 → 280);
  pushed p4 400; won p3 280; lost p7 600;
- end = p1 100 + p2 250 + p5 150 + p6 500 + p8 700 + p12 80 + p13 0 = 1780;
- 1680 + 150 + 500 + 750 − 20 − 400 − 280 − 600 = 1780.

Per rep: ra1 600 + 50 − 20 − 280 = 350; ra2 480 + 150 + 500 − 400 = 730; rb1 600 + 700 − 600
= 700 (two deals moved with an unknown amount: p8 at the start, p13 in EUR).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from tests.analytics.pipeline_org import END, PIPELINE_ORG, START
from tests.backends import fresh_warehouse_url

from salescore.compile.schema import unbound
from salescore.core.scope import OutOfScope, Scope
from salescore.workspace import Workspace


@pytest.fixture(scope="module")
def ws(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    folder = tmp_path_factory.mktemp(f"pipeline-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(folder / "home", PIPELINE_ORG.settings) as workspace:
            PIPELINE_ORG.load(workspace._warehouse)
            yield workspace


def _amounts(row: object) -> list[int]:
    return [int(v) for v in row.amounts().values()]  # type: ignore[attr-defined]


def test_the_whole_pipeline_moves_as_worked_out(ws: Workspace) -> None:
    report = ws.owner().pipeline_changes(start=START, end=END)
    assert (report.close_from, report.close_to, report.close_period) == (
        date(2025, 1, 1), date(2025, 3, 31), "2025-Q1")
    # start, new, pulled in, up, down, pushed, won, lost, end
    assert _amounts(report.total) == [1680, 150, 500, 750, 20, 400, 280, 600, 1780]
    assert report.total.balance == 0
    assert report.total.counts == {"new": 1, "pulled_in": 1, "up": 2, "down": 1, "pushed": 1,
                                   "won": 1, "lost": 1}
    assert report.total.deals == 10 and report.total.unknown == 2
    assert report.currency == "CNY"


def test_per_rep_and_team(ws: Workspace) -> None:
    report = ws.owner().pipeline_changes(start=START, end=END)
    by_rep = {r.id: _amounts(r) for r in report.reps}
    assert by_rep == {"ra1": [600, 0, 0, 50, 20, 0, 280, 0, 350],
                      "ra2": [480, 150, 500, 0, 0, 400, 0, 0, 730],
                      "rb1": [600, 0, 0, 700, 0, 0, 0, 600, 700]}
    by_team = {r.id: _amounts(r) for r in report.teams}
    assert by_team["TA"] == [1080, 150, 500, 50, 20, 400, 280, 0, 1080]
    assert by_team["TB"] == by_rep["rb1"] and by_team["CO"] == _amounts(report.total)
    assert all(r.balance == 0 for r in [*report.reps, *report.teams])


def test_a_narrower_close_window_and_a_day(ws: Workspace) -> None:
    # only March closes: p3 (02-20) leaves the start, so it is neither down nor won here
    march = ws.owner().pipeline_changes(start=START, end=END, close="2025-03")
    assert _amounts(march.total) == [1380, 150, 500, 750, 0, 400, 0, 600, 1780]
    assert march.total.balance == 0
    # within one day (02-10): p2's quote (200 → 250) and p5 created
    day = ws.owner().pipeline_changes(start=date(2025, 2, 10), end=date(2025, 2, 10))
    assert (day.total.up, day.total.new) == (Decimal(50), Decimal(150))


def test_scoped_by_role(ws: Workspace) -> None:
    mine = ws.session(Scope.rep("ra1")).pipeline_changes(start=START, end=END)
    assert [r.id for r in mine.reps] == ["ra1"] and _amounts(mine.total)[-1] == 350
    team = ws.session(Scope.team("TA")).pipeline_changes(start=START, end=END)
    assert [r.id for r in team.reps] == ["ra1", "ra2"] and int(team.total.end) == 1080
    with pytest.raises(OutOfScope):
        ws.session(Scope.rep("ra1")).pipeline_changes(start=START, end=END, rep="rb1")
    only = ws.owner().pipeline_changes(start=START, end=END, team="TB")
    assert [r.id for r in only.teams] == ["TB"] and _amounts(only.total)[-1] == 700


def test_an_import_appends_history_only_where_something_changed(ws: Workspace) -> None:
    session = ws.owner()
    before = session.runner.rows(_history_count())[0]["n"]
    rows = pa.table({"opportunity_id": ["p1", "p14"], "owner_rep_id": ["ra1", "ra1"],
                     "created_at": pa.array([datetime(2025, 1, 5, 10)] * 2, pa.timestamp("us")),
                     "stage": ["lead", "lead"], "amount": [100, 60], "currency": ["CNY", "CNY"],
                     "expected_close_date": [date(2025, 3, 15), date(2025, 3, 2)]})
    first = session.import_arrow("opportunities", rows)
    assert first.loaded
    # p1 unchanged (the values of its last row): none; p14 new and p11, which had no
    # history: their first rows
    assert session.runner.rows(_history_count())[0]["n"] == before + 2
    session.import_arrow("opportunities", rows)  # again: nothing changed, nothing appended
    assert session.runner.rows(_history_count())[0]["n"] == before + 2
    moved = rows.set_column(6, "expected_close_date",
                            pa.array([date(2025, 4, 15), date(2025, 3, 2)]))
    session.import_arrow("opportunities", moved)
    assert session.runner.rows(_history_count())[0]["n"] == before + 3


def _history_count() -> Any:
    history = unbound("opportunity_history")
    return history.aggregate(n=history.count())
