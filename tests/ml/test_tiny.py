"""The models on the tiny organisation (one quarter of history): every feature says "not
enough data" and shows its baseline; forecasts are coherent; the scope is kept; no feature
uses data after the cut-off.

The organisation (``KPIS`` in ``tests/tiny_org.py``): REG ── T1: r1, r2, r3; T2: r4, r5 ──
T2X: r6; deals from December 2024 to May 2025, times in Asia/Shanghai.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.tiny_org import KPIS

from salescore.compile.schema import unbound
from salescore.core.scope import Scope
from salescore.engine.runner import Runner
from salescore.ml.features import FEATURES, snapshot
from salescore.ml.history import read_history, truncate
from salescore.workspace import Workspace

AS_OF = date(2025, 3, 31)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    home = tmp_path_factory.mktemp("ml") / "home"
    with Workspace.init(Path(home), KPIS.settings) as workspace:
        KPIS.load(workspace._warehouse)
        yield workspace


def test_forecast_with_one_quarter_says_not_enough_data_and_shows_the_baseline(
        ws: Workspace) -> None:
    report = ws.owner().ml.forecast(AS_OF, by="all", horizon=2)
    assert not report.enough
    assert "Not enough data" in report.note.en and "数据不足" in report.note.zh
    assert report.ahead == ["2025-03", "2025-04"]
    assert report.nodes, "every rep, team and the company has a row"
    for node in report.nodes:
        assert not node.base.enough and node.base.accuracy is None
        assert node.base.method == "naive"
        assert node.base.point == [node.history[-1]] * 2 if node.history else True


def test_reps_add_up_to_their_teams_and_the_company(ws: Workspace) -> None:
    nodes = ws.owner().ml.forecast(AS_OF, by="all", horizon=2).nodes
    by_key = {(n.level, n.key): n for n in nodes}
    reps = [n for n in nodes if n.level == "rep"]
    company = by_key[("company", None)]
    for h in range(2):
        assert company.point[h] == pytest.approx(sum(r.point[h] for r in reps))
        t2 = [r for r in reps if r.key in ("r4", "r5", "r6")]
        assert by_key[("team", "T2")].point[h] == pytest.approx(sum(r.point[h] for r in t2))
        assert by_key[("team", "T2X")].point[h] == pytest.approx(by_key[("rep", "r6")].point[h])


def test_win_with_one_quarter_says_not_enough_data_and_shows_stage_rates(
        ws: Workspace) -> None:
    report = ws.owner().ml.win(AS_OF)
    assert not report.enough and report.metrics is None
    assert "Not enough data" in report.note.en and "数据不足" in report.note.zh
    assert report.model == "win-baseline@2025-03-31"
    # Open on 31 March 2025 (local): o4, o5, o10, o11 (o5 closes 1 April, o11 on 20 April).
    assert {p.opportunity_id for p in report.predictions} == {"o4", "o5", "o10", "o11"}
    for p in report.predictions:
        assert p.probability == p.baseline
        assert p.probability is not None and 0 <= p.probability <= 1


def test_a_rep_sees_only_their_own_deals_and_series(ws: Workspace) -> None:
    session = ws.session(Scope.rep("r1"))
    assert {p.owner_rep_id for p in session.ml.win(AS_OF).predictions} == {"r1"}
    nodes = session.ml.forecast(AS_OF, by="all", horizon=1).nodes
    assert {(n.level, n.key) for n in nodes if n.level == "rep"} == {("rep", "r1")}
    assert all(n.level != "company" for n in nodes)
    manager = ws.session(Scope.team("T2")).ml.win(AS_OF)
    assert {p.owner_rep_id for p in manager.predictions} <= {"r4", "r5", "r6"}


@pytest.mark.parametrize("at", [datetime(2025, 1, 25), datetime(2025, 2, 16),
                                datetime(2025, 3, 2)])
def test_moving_the_cut_off_never_changes_the_features_at_an_instant(
        ws: Workspace, at: datetime) -> None:
    """Features at ``at`` from histories cut at ``at``, a week later and at the end of the
    data (read from the warehouse each time, and truncated in memory) are the same: nothing
    recorded after ``at`` is used."""
    runner = Runner(ws._warehouse.backend, Scope.everything())
    order = [s.name for s in KPIS.settings.pipeline.stages]
    late = read_history(runner, datetime(2025, 7, 1))
    frames = [snapshot(read_history(runner, c), at, order)
              for c in (at, datetime(2025, 3, 9), datetime(2025, 7, 1))]
    frames.append(snapshot(truncate(late, at), at, order))
    assert len(frames[0]) > 0
    first = frames[0].sort_values("opportunity_id").reset_index(drop=True)
    for other in frames[1:]:
        pd.testing.assert_frame_equal(
            first[["opportunity_id", *FEATURES]],
            other.sort_values("opportunity_id").reset_index(drop=True)[
                ["opportunity_id", *FEATURES]])


def test_a_history_holds_nothing_after_its_cut_off(ws: Workspace) -> None:
    runner = Runner(ws._warehouse.backend, Scope.everything())
    cut = datetime(2025, 2, 16)
    h = read_history(runner, cut)
    assert (h.opportunities["created_at"] < cut).all()
    assert (h.opportunities["closed_at"].dropna() < cut).all()
    assert (h.stage_changes["entered_at"] < cut).all()
    assert (h.activities["occurred_at"] < cut).all()
    assert (h.orders["ordered_at"] < cut).all()
    # o3 (created 1 February, lost 5 March local) is open at the cut-off
    assert h.opportunities.set_index("opportunity_id").loc["o3", "status"] == "open"


def test_attainment_with_one_quarter_says_not_enough_data_and_shows_the_run_rate(
        ws: Workspace) -> None:
    report = ws.owner().ml.attainment(AS_OF, grain="quarter")
    assert report.period == "2025-Q1" and not report.enough
    assert report.backtest.periods == [] and report.backtest.tested == []
    assert "Not enough data" in report.note.en and "数据不足" in report.note.zh
    by_rep = {r.rep_id: r for r in report.reps}
    r1 = by_rep["r1"]
    assert r1.target == 800.0  # the quarter's own target wins over the months' sum (600)
    assert r1.expected == pytest.approx(r1.won + r1.run)  # the baseline: the run rate alone
    assert r1.attainment == pytest.approx(r1.expected / 800.0) == pytest.approx(r1.baseline)
    assert r1.low is None and r1.high is None
    assert r1.at_risk == (r1.attainment < 0.8)
    assert by_rep["r2"].target == 7000.0 and by_rep["r2"].at_risk is True
    assert all(r.target is None and r.attainment is None and r.at_risk is None
               for r in report.reps if r.rep_id not in ("r1", "r2"))
    month = ws.owner().ml.attainment(AS_OF, grain="month")
    assert month.period == "2025-03" and not month.enough
    assert {r.rep_id: r.target for r in month.reps}["r1"] == 300.0


def test_attainment_is_scoped(ws: Workspace) -> None:
    assert {r.rep_id for r in ws.session(Scope.rep("r1")).ml.attainment(AS_OF).reps} == {"r1"}
    assert {r.rep_id for r in ws.session(Scope.team("T2")).ml.attainment(AS_OF).reps} <= {
        "r4", "r5", "r6"}


def test_actions_with_one_quarter_say_not_enough_data_and_show_the_baseline(
        ws: Workspace) -> None:
    report = ws.owner().ml.actions(AS_OF)
    assert not report.enough and report.courses == 0
    assert "Not enough data" in report.note.en and "数据不足" in report.note.zh
    kinds = {a.kind for r in report.reps for a in r.actions}
    assert kinds <= {"stale_deal", "quiet_customer"}
    assert {r.rep_id for r in ws.session(Scope.rep("r1")).ml.actions(AS_OF).reps} == {"r1"}


def test_targets_with_one_quarter_say_not_enough_data_and_split_evenly(ws: Workspace) -> None:
    report = ws.owner().ml.targets(AS_OF)
    assert report.period == "2025-Q2" and not report.enough and report.fairness == []
    assert "Not enough data" in report.note.en and "数据不足" in report.note.zh
    assert report.rows and report.total_from == "history"
    values = {r.recommended for r in report.rows}
    assert len(values) == 1  # the baseline: flat
    assert sum(r.recommended for r in report.rows) == pytest.approx(report.total)
    assert all(r.potential is None and "split evenly" in r.explanation.en for r in report.rows)
    mine = ws.session(Scope.rep("r1")).ml.targets(AS_OF)
    assert [r.rep_id for r in mine.rows] == ["r1"]


def test_customers_with_one_quarter_say_not_enough_data_and_rank_by_revenue(
        ws: Workspace) -> None:
    report = ws.owner().ml.customers(AS_OF, limit=None)
    assert not report.enough and report.check == {}
    assert report.model == "potential-baseline@2025-03-31"
    assert "Not enough data" in report.note.en and "数据不足" in report.note.zh
    scores = [c.score for c in report.customers]
    assert scores == sorted(scores, reverse=True)
    assert all(c.score == c.revenue_year for c in report.customers)
    mine = ws.session(Scope.rep("r1")).ml.customers(AS_OF, limit=None)
    assert {c.owner_rep_id for c in mine.customers} <= {"r1"}


@pytest.mark.parametrize("at", [datetime(2025, 2, 16), datetime(2025, 3, 2)])
def test_attainment_and_customer_features_ignore_what_came_after_the_cut_off(
        ws: Workspace, at: datetime) -> None:
    """The inputs of the attainment prediction and the customer features at ``at`` are the
    same from a history cut at ``at`` as from one reaching months later."""
    from salescore.ml.attainment import PeriodWindow, rep_inputs
    from salescore.ml.potential import customer_features

    runner = Runner(ws._warehouse.backend, Scope.everything())
    order = [s.name for s in KPIS.settings.pipeline.stages]
    window = PeriodWindow("2025-Q1", datetime(2025, 1, 1), datetime(2025, 4, 1),
                          date(2025, 3, 31), {})

    def half(_: datetime, frame: pd.DataFrame) -> Any:
        return [0.5] * len(frame)

    cut, late = read_history(runner, at), read_history(runner, datetime(2025, 7, 1))
    assert rep_inputs(late, window, at, order, half).equals(
        rep_inputs(cut, window, at, order, half))
    customers = pd.DataFrame(runner.rows(unbound("customers").select(
        "customer_id", "owner_rep_id", "segment", "created_at")))
    pd.testing.assert_frame_equal(customer_features(late, customers, at),
                                  customer_features(cut, customers, at))


def test_snapshots_kept_with_a_history_are_those_of_a_fresh_read(ws: Workspace) -> None:
    """A history and its truncations share what is derived from the rows (the snapshot index,
    the monthly snapshots): whichever of them is asked first, and whatever cut-offs follow,
    the snapshots are those of a history read afresh at each cut-off."""
    from salescore.ml.features import snapshots

    runner = Runner(ws._warehouse.backend, Scope.everything())
    order = [s.name for s in KPIS.settings.pipeline.stages]
    early, mid = datetime(2025, 2, 1), datetime(2025, 3, 1)
    late = read_history(runner, datetime(2025, 7, 1))
    # The truncation asks first (the index is built from its rows), then the whole history
    # asks at instants after the truncation's cut-off.
    cut = truncate(late, early)
    got = [snapshots(cut, [datetime(2025, 1, 1), early], order),
           snapshots(late, [early, mid, datetime(2025, 5, 1)], order)]
    fresh = [snapshots(read_history(runner, early), [datetime(2025, 1, 1), early], order),
             snapshots(read_history(runner, datetime(2025, 7, 1)),
                       [early, mid, datetime(2025, 5, 1)], order)]
    assert len(got[1]) > len(got[0]) > 0
    for a, b in zip(got, fresh, strict=True):
        pd.testing.assert_frame_equal(a, b)
    # Asked again from a truncation at the middle cut-off: the kept frames, unchanged.
    pd.testing.assert_frame_equal(snapshots(truncate(late, mid), [early, mid], order),
                                  fresh[1][fresh[1]["at"] < datetime(2025, 5, 1)]
                                  .reset_index(drop=True))
