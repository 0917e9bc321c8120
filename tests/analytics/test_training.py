"""Training impact on the organisation of ``training_org.py`` (DuckDB and PostgreSQL), every
figure worked out by hand from its table, through sessions of each scope.

Window one month: before 2025-02, after 2025-04 (2025-03, the training month, is left out:
t1's deal of that month is in no cell). Win rates (won / closed):

    trainees  before  after  change  h      peers  before  after  change  h
    t1        1/2     2/2    +0.5    1      c1     1/2     1/2     0      (AR demo)
    t2        0/2     1/2    +0.5    1      c2     1/2     0/2    −0.5    1
    t3        1/2     1/2     0      1      c3     2/2     1/2    −0.5    1
    t4        1/4     3/4    +0.5    2      c4     0/2     1/2    +0.5    1
    t5        2/2     1/2    −0.5    1      c5     1/2     1/2     0      1

The plain means beside the estimate: trainees 0.45 → 0.65, their peers (c1…c5, none took
Negotiation) 0.5 → 0.4.

The estimate is the regression's: value = rep + month + effect·after + AR demo·after, each cell
weighted by its closed deals. With two months, the rep effects leave each rep's change,
weighted h = w₁·w₂ / (w₁ + w₂) (1 for 2 and 2 deals, 2 for t4's 4 and 4). c1's change is
AR demo's own (its indicator fits it exactly), so the month effect is the mean change of
c2…c5: (−0.5 − 0.5 + 0.5 + 0) / 4 = −0.125, and the trainees' weighted mean change is
(0.5 + 0.5 + 0 + 2·0.5 − 0.5) / 6 = 0.25: effect 0.25 + 0.125 = 0.375 (the plain comparison
with c1 among the peers said 0.3).

Its variance, clustered by rep (CR1): residuals of the trainees 0.25, 0.25, −0.25, 0.25 (t4,
h 2), −0.75: Σ h²e² = 0.0625·3 + 2²·0.0625 + 0.5625 = 1, over (Σ h)² = 36; of c2…c5
−0.375, −0.375, 0.625, 0.125: Σ e² = 0.6875, over 16; c1's is 0. Sum 1/36 + 0.6875/16 =
0.0707465, times G/(G − 1) = 10/9: 0.0786073, standard error 0.2803699. Five trainees:
t(0.975, 4) = 2.776445, interval 0.375 ± 0.778431. Deals are created and closed in the same
month, so the lead-to-win rate's cells are the same.

Revenue won per month (100 a won deal; every cell weight 1, so h = 1/2 for all and the plain
means): trainees' changes 100, 100, 0, 200, −100 (mean 60), c2…c5 −100, −100, 100, 0
(mean −25): effect 85. Residuals 40, 40, −60, 140, −160 (Σ e² = 52000, over 5² = 25: 2080)
and −75, −75, 125, 25 (27500 over 16: 1718.75); (2080 + 1718.75)·10/9 = 4220.833, standard
error 64.96794, interval 85 ± 180.3799.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from tests.analytics.training_org import TRAINING
from tests.backends import fresh_warehouse_url

from salescore.analytics.training import training_impacts
from salescore.core.scope import OutOfScope, Scope
from salescore.workspace import Workspace

T975_4 = 2.7764451051977934


@pytest.fixture(scope="module")
def ws(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    folder = tmp_path_factory.mktemp(f"training-{backend}")
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(folder / "home", TRAINING.settings) as workspace:
            TRAINING.load(workspace._warehouse)
            yield workspace


def test_the_difference_in_differences_worked_out_by_hand(ws: Workspace) -> None:
    report = ws.owner().training(window=1)
    assert (report.first_month, report.last_month) == ("2025-02", "2025-04")
    course = next(c for c in report.courses if c.course == "Negotiation")
    assert course.kind == "coaching" and course.trainees == 5
    win = course.effect("win_rate")
    assert (win.trainees, win.peers) == (5, 5)
    assert win.before == pytest.approx(0.45) and win.after == pytest.approx(0.65)
    assert win.peers_before == pytest.approx(0.5) and win.peers_after == pytest.approx(0.4)
    se = ((1 / 36 + 0.6875 / 16) * 10 / 9) ** 0.5
    assert se == pytest.approx(0.2803699, abs=1e-7)
    assert win.estimate == pytest.approx(0.375)
    assert win.low == pytest.approx(0.375 - T975_4 * se)
    assert win.high == pytest.approx(0.375 + T975_4 * se)
    # deals are created and closed in the same month: the creation cohort says the same
    lead = course.effect("lead_to_win_rate")
    assert lead.estimate == pytest.approx(0.375) and lead.low == pytest.approx(win.low)
    revenue = course.effect("revenue_won")
    half = T975_4 * ((2080 + 1718.75) * 10 / 9) ** 0.5
    assert revenue.estimate == pytest.approx(85)
    assert (revenue.low, revenue.high) == (pytest.approx(85 - half), pytest.approx(85 + half))
    assert half == pytest.approx(180.3799, abs=1e-4)
    # the kind pooled is the one course of it
    assert report.kinds[1].kind == "coaching" and report.kinds[1].effect("win_rate") == win


def test_one_trainee_is_not_enough_data(ws: Workspace) -> None:
    report = ws.owner().training(window=1)
    ar = next(c for c in report.courses if c.course == "AR demo")
    assert ar.kind == "ar_demo" and ar.trainees == 1
    for e in ar.effects:
        assert e.trainees == 1 and not e.enough
        assert (e.estimate, e.low, e.high) == (None, None, None)
    assert "fewer than 5 trainees" in report.note.en and "少于 5 人" in report.note.zh


def test_a_window_that_leaves_the_months_of_data_counts_nobody(ws: Workspace) -> None:
    course = ws.owner().training(window=2).courses[1]  # 2025-01 is before the first close
    assert course.trainees == 5 and all(e.trainees == 0 for e in course.effects)


def test_a_manager_sees_their_subtree_and_a_rep_their_own(ws: Workspace) -> None:
    team = ws.session(Scope.team("TA")).training(window=1)
    course = next(c for c in team.courses if c.course == "Negotiation")
    assert course.trainees == 3  # t1, t2, t3; their peers in reach are c1, c2 alone
    win = course.effect("win_rate")
    assert (win.trainees, win.peers) == (3, 2) and not win.enough
    mine = ws.session(Scope.rep("t4")).training(window=1)
    assert [(c.course, c.trainees) for c in mine.courses] == [("Negotiation", 1)]
    peer = ws.session(Scope.rep("c1")).training(window=1)
    assert [(c.course, c.trainees) for c in peer.courses] == [("AR demo", 1)]
    with pytest.raises(OutOfScope):
        ws.session(Scope.team("TA")).training(rep="t4")
    assert ws.owner().training(window=1, team="TB").courses[0].trainees == 2


def test_the_pure_function_takes_each_reps_first_completion() -> None:
    monthly = [{"rep_id": r, "period": p, "deals_won": 1, "deals_lost": 1, "revenue_won": 100}
               for r in ("a", "b") for p in ("2025-01", "2025-02", "2025-03")]
    trainings = [{"rep_id": "a", "course": "X", "kind": "workshop", "month": "2025-03"},
                 {"rep_id": "a", "course": "X", "kind": "workshop", "month": "2025-02"}]
    courses, kinds = training_impacts(trainings, monthly, first_month="2025-01",
                                      last_month="2025-03", window=1)
    assert courses[0].trainees == 1 and courses[0].effect("win_rate").trainees == 0


def _cohort(rep: str, period: str, won: int, lost: int) -> dict[str, object]:
    return {"rep_id": rep, "period": period, "deals_won": won, "deals_lost": lost,
            "revenue_won": 100 * won, "opportunities_created": won + lost,
            "lead_to_win_rate": won / (won + lost), "cohort_won": won, "cohort_lost": lost}


def test_a_peer_trained_on_another_course_is_not_read_as_untrained() -> None:
    """Five reps take course A and five course B in 2025-02; five take none. Every rep wins 2
    of 5 deals in 2025-01; in 2025-03 the untrained win 1 of 5 (the market fell by 0.2), the
    trainees still 2 of 5: each course's effect is +0.2 exactly (+100 of revenue a month, one
    won deal of 100). Compared course by course,
    A's peers would be the untrained and B's trainees, whose mean change is −0.1, and A's
    effect +0.1; in one regression B's trainees are B's, and A's effect is +0.2."""
    groups = {"A": [f"a{i}" for i in range(5)], "B": [f"b{i}" for i in range(5)],
              None: [f"u{i}" for i in range(5)]}
    monthly = [_cohort(rep, "2025-01", 2, 3) for reps in groups.values() for rep in reps]
    monthly += [_cohort(rep, "2025-03", 2 if course else 1, 3 if course else 4)
                for course, reps in groups.items() for rep in reps]
    trainings = [{"rep_id": rep, "course": course, "kind": "workshop" if course == "A"
                  else "coaching", "month": "2025-02"}
                 for course in ("A", "B") for rep in groups[course]]
    courses, kinds = training_impacts(trainings, monthly, first_month="2025-01",
                                      last_month="2025-03", window=1)
    for impact in courses + kinds:
        for kpi in ("win_rate", "lead_to_win_rate"):
            e = impact.effect(kpi)
            assert (e.trainees, e.peers) == (5, 10)
            assert e.estimate == pytest.approx(0.2) and e.low == pytest.approx(0.2)
            assert e.peers_after == pytest.approx(0.3)  # the plain mean: 0.2 and 0.4
        assert impact.effect("revenue_won").estimate == pytest.approx(100)  # a deal of 100


def test_a_new_hire_ramping_up_and_an_open_cohort_are_left_out() -> None:
    """As above, and u5, hired on 2025-01-15 (untrained), climbs from 1 of 5 to 4 of 5 as they
    ramp up. Counted, the untrained's mean change is (5·(−0.2) + 0.6) / 6 = −0.0667 and each
    course's effect +0.0667; with u5's hire date, their first six months (to 2025-06) are left
    out and the effect is +0.2 again. When 2025-03's cohort has only half its deals closed
    (10 created, 5 closed), its rates are left out and no trainee has an after-window."""
    groups = {"A": [f"a{i}" for i in range(5)], "B": [f"b{i}" for i in range(5)],
              None: [f"u{i}" for i in range(5)]}
    monthly = [_cohort(rep, "2025-01", 2, 3) for reps in groups.values() for rep in reps]
    monthly += [_cohort(rep, "2025-03", 2 if course else 1, 3 if course else 4)
                for course, reps in groups.items() for rep in reps]
    monthly += [_cohort("u5", "2025-01", 1, 4), _cohort("u5", "2025-03", 4, 1)]
    trainings = [{"rep_id": rep, "course": course, "kind": course, "month": "2025-02"}
                 for course in ("A", "B") for rep in groups[course]]
    months = {"first_month": "2025-01", "last_month": "2025-03", "window": 1}
    courses, _ = training_impacts(trainings, monthly, **months)
    assert courses[0].effect("win_rate").estimate == pytest.approx(0.4 / 6)
    courses, _ = training_impacts(trainings, monthly, **months,
                                  hired={"u5": date(2025, 1, 15), "a0": None})
    assert courses[0].effect("win_rate").estimate == pytest.approx(0.2)
    assert courses[0].effect("win_rate").peers == 10  # u5 has no cell left
    for row in monthly:
        if row["period"] == "2025-03":
            row["opportunities_created"] = 10
    courses, _ = training_impacts(trainings, monthly, **months)
    for kpi in ("win_rate", "lead_to_win_rate"):
        assert courses[0].effect(kpi).trainees == 0 and not courses[0].effect(kpi).enough
    assert courses[0].effect("revenue_won").estimate is not None  # by close date: kept
