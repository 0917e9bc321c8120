"""Coaching adoption per team on the ``KPIS`` organisation (T1: r1, r2, r3; T2: r4, r5; T2X:
r6; REG above them, with no reps), May 2025 against April, worked by hand.

Cadences (sam manages T1, mia T2 and T2X):

========  ===================  ============================  ========================
rep       every, from          due in April                  due in May
========  ===================  ============================  ========================
r1 (T1)   14 days, 7 April     7, 21 April (2)               5, 19 May (2)
r2 (T1)   30 days, 20 April    20 April (1)                  20 May (1)
r4 (T2)   7 days, 1 May        —                             1, 8, 15, 22, 29 (5)
r6 (T2X)  28 days, 10 March    7 April (1)                   5 May (1)
========  ===================  ============================  ========================

Check-ins held, by the day planned: r1 on 7 April and 5 May (21 April planned, not held),
r2 on 20 May, r4 on 1 and 8 May. Feedback and praise (the day written): sam praises r2 on
15 April; sam to r1 on 10 May; rita (r1) to r2 on 12 May; otto (r4) praises r5 on 2 May; mia's
private note on r4 (3 May) is not counted. Actions closed: two of r1's (25 April, 6 May), one
of r4's (9 May); another of r4's is still open.

So, May (April): T1 planned 3 (3), held 2 (1), given 2 (1), received 2 (1), closed 1 (1);
T2 5 (0), 2 (0), 1 (0), 1 (0), 1 (0); T2X 1 (1) and nothing else; REG nothing; all teams
9 (4), 4 (1), 3 (1), 3 (1), 2 (1).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from tests.tiny_org import KPIS

from salescore.appstore import coaching as store
from salescore.core.access import Principal
from salescore.core.scope import AccessError
from salescore.workspace import Workspace
from salescore.workspace.coaching_adoption import Adoption, Figures

SAM = Principal(3, "sam", "Sam", "en", "manager", team_id="T1")
MIA = Principal(4, "mia", "Mia", "en", "manager", team_id="T2")
RITA = Principal(1, "rita", "Rita", "en", "rep", rep_id="r1")
OTTO = Principal(2, "otto", "Otto", "en", "rep", rep_id="r4")
EVE = Principal(5, "eve", "Eve", "en", "executive")
TODAY = date(2025, 6, 1)


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def build(home: Path) -> None:
    """The organisation and the coaching records above, in data folder ``home``."""
    with Workspace.init(home, KPIS.settings) as ws:
        KPIS.load(ws._warehouse)
        cli = ws.accounts.owner()
        for p in (RITA, OTTO, SAM, MIA, EVE):
            ws.accounts.add_user(cli, username=p.username, password="correct horse battery",
                                 role=p.role, rep_id=p.rep_id, team_id=p.team_id)

        def coach(p: Principal):  # type: ignore[no-untyped-def]
            return ws.session(p.scope()).coaching

        for me, rep, every, start in ((SAM, "r1", 14, date(2025, 4, 7)),
                                      (SAM, "r2", 30, date(2025, 4, 20)),
                                      (MIA, "r4", 7, date(2025, 5, 1)),
                                      (MIA, "r6", 28, date(2025, 3, 10))):
            coach(me).set_cadence(me, rep, every, starts_on=start)
        held = {}
        for me, rep, day, hold in ((SAM, "r1", date(2025, 4, 7), True),
                                   (SAM, "r1", date(2025, 4, 21), False),
                                   (SAM, "r1", date(2025, 5, 5), True),
                                   (SAM, "r2", date(2025, 5, 20), True),
                                   (MIA, "r4", date(2025, 5, 1), True),
                                   (MIA, "r4", date(2025, 5, 8), True)):
            made = coach(me).prepare(me, rep, day, today=TODAY)
            if hold:
                coach(me).hold(me, made.id)
            held[rep, day] = made.id
        written = [
            (coach(SAM).give(SAM, "r2", "Well done", kind="praise", visibility="team"),
             date(2025, 4, 15)),
            (coach(SAM).give(SAM, "r1", "Call earlier"), date(2025, 5, 10)),
            (coach(RITA).give(RITA, "r2", "Thanks"), date(2025, 5, 12)),
            (coach(OTTO).give(OTTO, "r5", "Great demo", kind="praise"), date(2025, 5, 2)),
            (coach(MIA).give(MIA, "r4", "Tired?", kind="note"), date(2025, 5, 3)),
        ]
        actions = [
            (coach(SAM).add_action(SAM, held["r1", date(2025, 4, 7)], "a", today=TODAY),
             date(2025, 4, 25)),
            (coach(SAM).add_action(SAM, held["r1", date(2025, 4, 7)], "b", today=TODAY),
             date(2025, 5, 6)),
            (coach(MIA).add_action(MIA, held["r4", date(2025, 5, 1)], "c", today=TODAY),
             date(2025, 5, 9)),
            (coach(MIA).add_action(MIA, held["r4", date(2025, 5, 1)], "d", today=TODAY), None),
        ]
        with ws._app.session() as db:  # written "then": the records' own days
            for item, day in written:
                row = db.get(store.Feedback, item.id)
                assert row is not None
                row.created_at = _noon(day)
            for action, day in actions:
                done = db.get(store.CheckInAction, action.id)
                assert done is not None
                if day is not None:
                    done.done_at, done.done_by = _noon(day), "sam"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    home: Path = tmp_path_factory.mktemp("adoption")
    build(home)
    with Workspace.open(home) as ws:
        yield ws


def _adoption(ws: Workspace, me: Principal, period: str = "2025-05") -> Adoption:
    return ws.session(me.scope()).coaching.adoption(me, period)


def test_adoption_per_team_worked_by_hand(ws: Workspace) -> None:
    got = _adoption(ws, EVE)
    assert (got.period, got.previous) == ("2025-05", "2025-04")
    rows = {r.team_id: (r.now, r.before) for r in got.rows}
    assert list(rows) == ["REG", "T1", "T2", "T2X", None]
    assert rows["T1"] == (Figures(3, 2, 2, 2, 1), Figures(3, 1, 1, 1, 1))
    assert rows["T2"] == (Figures(5, 2, 1, 1, 1), Figures(0, 0, 0, 0, 0))
    assert rows["T2X"] == (Figures(1, 0, 0, 0, 0), Figures(1, 0, 0, 0, 0))
    assert rows["REG"] == (Figures(), Figures())
    assert rows[None] == (Figures(9, 4, 3, 3, 2), Figures(4, 1, 1, 1, 1))
    t1 = next(r for r in got.rows if r.team_id == "T1")
    assert t1.change == Figures(0, 1, 1, 1, 0)
    assert (t1.now.held_rate, t1.before.held_rate) == (2 / 3, 1 / 3)


def test_april_against_march(ws: Workspace) -> None:
    rows = {r.team_id: (r.now, r.before) for r in _adoption(ws, EVE, "2025-04").rows}
    # March: r6's cadence is due on 10 March alone.
    assert rows[None] == (Figures(4, 1, 1, 1, 1), Figures(1, 0, 0, 0, 0))


def test_adoption_is_refused_to_managers_and_reps(ws: Workspace) -> None:
    for me in (SAM, RITA):
        with pytest.raises(AccessError):
            _adoption(ws, me)
