"""Training impact on the organisation of ``training_org.py`` (DuckDB and PostgreSQL), every
figure worked out by hand from its table, through sessions of each scope.

Window one month: before 2025-02, after 2025-04. Win rates (won / closed):

    trainees  before  after  change      peers  before  after  change
    t1        1/2     2/2    +0.5        c1     1/2     1/2     0
    t2        0/2     1/2    +0.5        c2     1/2     0/2    −0.5
    t3        1/2     1/2     0          c3     2/2     1/2    −0.5
    t4        1/4     3/4    +0.5        c4     0/2     1/2    +0.5
    t5        2/2     1/2    −0.5        c5     1/2     1/2     0

Every trainee has the same five peers (mean change −0.1), so the differences are 0.6, 0.6,
0.1, 0.6, −0.4: mean 0.3, sample variance (0.09·3 + 0.04 + 0.49) / 4 = 0.2, standard error
√(0.2 / 5) = 0.2, t(0.975, 4) = 2.776445: interval 0.3 ± 0.555289. Trainees' mean before
0.45, after 0.65; peers' 0.5 and 0.4.

Revenue won per month (100 a won deal): changes 100, 100, 0, 200, −100; peers 0, −100, −100,
100, 0 (mean −20); differences 120, 120, 20, 220, −80: mean 80, variance 52000 / 4 = 13000,
standard error √(13000 / 5) = 50.990195, interval 80 ± 141.5715.
"""

from __future__ import annotations

from collections.abc import Iterator

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
    assert win.estimate == pytest.approx(0.3)
    assert win.low == pytest.approx(0.3 - T975_4 * 0.2)
    assert win.high == pytest.approx(0.3 + T975_4 * 0.2)
    # deals are created and closed in the same month: the creation cohort says the same
    lead = course.effect("lead_to_win_rate")
    assert lead.estimate == pytest.approx(0.3) and lead.low == pytest.approx(win.low)
    revenue = course.effect("revenue_won")
    half = T975_4 * (13000 / 5) ** 0.5
    assert revenue.estimate == pytest.approx(80)
    assert (revenue.low, revenue.high) == (pytest.approx(80 - half), pytest.approx(80 + half))
    assert half == pytest.approx(141.5715, abs=1e-4)
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
    assert course.effect("win_rate").trainees == 0 and not course.effect("win_rate").enough
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
