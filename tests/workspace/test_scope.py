"""Every workspace method within a scope, on DuckDB and PostgreSQL: a rep's session returns only
the rep's rows, a manager's only the subtree's, and nothing is had without a scope.

The tiny organisation of the KPI golden tests (``KPIS`` in ``tests/tiny_org.py``)::

    REG ── T1: r1, r2, r3
       └── T2: r4, r5
           └── T2X: r6
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from tests.tiny_org import KPIS, L
from tests.tiny_org import TINY_PLAN as PLAN

from salescore.core.access import Principal
from salescore.core.scope import AccessError, OutOfScope, Scope
from salescore.model.org import Privacy
from salescore.workspace import Session, Workspace

SUBTREE_T2 = {"r4", "r5", "r6"}


@pytest.fixture
def ws(warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
       ) -> Iterator[Workspace]:
    """A workspace (warehouse on each backend, SQLite app store) holding the tiny organisation,
    with plan ``tiny`` adopted and 2025-Q1 scored by the owner."""
    monkeypatch.setenv("SALESCORE_WAREHOUSE_URL", warehouse_url)
    with Workspace.init(tmp_path / "home", KPIS.settings) as workspace:
        KPIS.load(workspace._warehouse)
        owner = workspace.owner()
        owner.adopt_plan(text=PLAN, effective_from=L(2025, 1, 1).date(), actor="test")
        owner.score("2025-Q1")
        yield workspace


def _column(table: object, name: str) -> set[str]:
    return set(table.column(name).to_pylist())  # type: ignore[attr-defined]


def test_no_data_without_a_scope(ws: Workspace) -> None:
    with pytest.raises(TypeError):
        ws.session("everything")  # type: ignore[arg-type]
    for name in ("kpis", "explain", "score", "import_file", "quality", "export", "table_info"):
        assert not hasattr(ws, name), f"Workspace.{name} would read data without a scope"


def test_kpis_by_rep(ws: Workspace) -> None:
    everyone = ws.owner().kpis(["deals_won"], by="rep", period="2025-Q1")
    assert _column(everyone, "rep_id") == {"r1", "r2", "r3", "r4", "r5", "r6"}
    rep = ws.session(Scope.rep("r1")).kpis(["deals_won"], by="rep", period="2025-Q1")
    assert _column(rep, "rep_id") == {"r1"}
    manager = ws.session(Scope.team("T2")).kpis(["deals_won"], by="rep", period="2025-Q1")
    assert _column(manager, "rep_id") == SUBTREE_T2


def test_company_kpis_count_only_what_the_scope_reaches(ws: Workspace) -> None:
    def won(scope: Scope) -> int:
        rows = ws.session(scope).kpis(["deals_won"], by="company", period="2025-Q1").to_pylist()
        return int(rows[0]["deals_won"])

    by_rep = {r["rep_id"]: int(r["deals_won"]) for r in ws.owner().kpis(
        ["deals_won"], by="rep", period="2025-Q1").to_pylist()}
    assert won(Scope.everything()) == sum(by_rep.values())
    assert won(Scope.rep("r1")) == by_rep["r1"]
    assert won(Scope.team("T2")) == sum(by_rep[r] for r in SUBTREE_T2)


def test_team_kpis_reach_the_subtree_only(ws: Workspace) -> None:
    teams = ws.session(Scope.team("T2")).kpis(["deals_won"], by="team", period="2025-Q1")
    assert _column(teams, "team_id") == {"T2", "T2X"}
    owner = {r["team_id"]: r["deals_won"] for r in ws.owner().kpis(
        ["deals_won"], by="team", period="2025-Q1").to_pylist()}
    scoped = {r["team_id"]: r["deals_won"] for r in teams.to_pylist()}
    assert scoped == {"T2": owner["T2"], "T2X": owner["T2X"]}


def test_notices_count_only_the_scopes_rows(ws: Workspace) -> None:
    """r4's open EUR deal o10 has no rate: the organisation and r4 are told of it, r1 (all
    CNY) is not, though a rep's rows come from the organisation's kept result."""
    def said(scope: Scope) -> list[str]:
        result = ws.session(scope).kpi_result(["revenue_won"], by="rep", period="2025-Q1")
        return [n.message for n in result.notices]

    assert any("EUR (1 rows)" in m for m in said(Scope.everything()))
    assert any("EUR (1 rows)" in m for m in said(Scope.rep("r4")))
    assert not any("EUR" in m for m in said(Scope.rep("r1")))


def test_explain_lists_only_the_scopes_records(ws: Workspace) -> None:
    e = ws.session(Scope.rep("r1")).explain("deals_won", subject="r1", period="2025-Q1")
    assert {rep for part in e.parts for rep in part.rows.column("rep")} == {"r1"}
    assert e.value == ws.owner().explain("deals_won", subject="r1", period="2025-Q1").value
    team = ws.session(Scope.team("T2")).explain("deals_won", subject="T2", by="team",
                                                period="2025-Q1")
    reps = {rep for part in team.parts for rep in part.rows.column("rep")}
    assert reps and reps <= SUBTREE_T2
    with pytest.raises(AccessError):
        ws.session(Scope.rep("r1")).explain("deals_won", subject="r2", period="2025-Q1")
    with pytest.raises(AccessError):
        ws.session(Scope.team("T2")).explain("deals_won", subject="T1", by="team",
                                             period="2025-Q1")


def test_stored_scores_are_scoped(ws: Workspace) -> None:
    def subjects(session: Session) -> set[tuple[str, str]]:
        return {(r.subject_kind, r.subject_id)
                for r in session.scorecards.stored("2025-Q1")}

    everything = subjects(ws.owner())
    assert ("rep", "r1") in everything and ("team", "T1") in everything
    assert subjects(ws.session(Scope.rep("r1"))) == {("rep", "r1"), ("team", "T1")}
    manager = subjects(ws.session(Scope.team("T2")))
    assert {s for k, s in manager if k == "rep"} == SUBTREE_T2
    assert {s for k, s in manager if k == "team"} <= {"T2", "T2X"}


def test_score_explanation_is_scoped(ws: Workspace) -> None:
    own = ws.session(Scope.rep("r4")).score_explanation("r4", "2025-Q1")
    assert own.explanation.subject == "r4" and own.stored
    assert ws.session(Scope.team("T2")).score_explanation("r6", "2025-Q1").stored
    with pytest.raises(AccessError):
        ws.session(Scope.rep("r4")).score_explanation("r1", "2025-Q1")
    with pytest.raises(AccessError):
        ws.session(Scope.team("T2")).score_explanation("r1", "2025-Q1")


def test_writes_need_the_writable_everything_scope(ws: Workspace, tmp_path: Path) -> None:
    source = tmp_path / "teams.csv"
    source.write_text("team_id,name\nT9,Nine\n", encoding="utf-8")
    for scope in (Scope.rep("r1", read_only=False), Scope.team("T2", read_only=False),
                  Scope.everything(read_only=True)):
        session = ws.session(scope)
        with pytest.raises(AccessError):
            session.import_file("teams", source)
        with pytest.raises(AccessError):
            session.score("2025-Q1")
        with pytest.raises(AccessError):
            session.adopt_plan(text=PLAN, actor="x")
        with pytest.raises(AccessError):
            session.set_target("rep", "r1", "2025-Q1", "revenue_won", 1.0, actor="x",
                               reason="y")
        with pytest.raises(AccessError):
            session.clear_warehouse()
    assert ws.owner().import_file("teams", source).inserted == 1


def test_a_manager_sets_the_targets_of_their_subtree_alone(ws: Workspace) -> None:
    manager = ws.session(Principal(7, "mia", "Mia", "en", "manager", team_id="T2").scope())
    change = manager.set_target("rep", "r6", "2025-q3", "revenue_won", 300.0, actor="mia",
                                reason="T2X split")
    assert (change.period, change.before, change.after) == ("2025-Q3", None, 300.0)
    assert manager.set_target("team", "T2", "2025-Q3", "deals_won", 4.0, actor="mia",
                              reason="team goal").after == 4.0
    for kind, outside in (("rep", "r1"), ("team", "T1"), ("team", "REG")):
        with pytest.raises(OutOfScope):
            manager.set_target(kind, outside, "2025-Q3", "revenue_won", 1.0, actor="mia",
                               reason="not theirs")
    for scope in (Scope.team("T2"), Scope.rep("r4"), Scope.everything(read_only=True)):
        with pytest.raises(AccessError):
            ws.session(scope).set_target("rep", "r4", "2025-Q3", "revenue_won", 1.0,
                                         actor="x", reason="y")
    assert {(t["scope_id"], t["kpi"], t["value"], t["set_by"]) for t in
            ws.owner().targets(period="2025-Q3")} == {("r6", "revenue_won", 300.0, "mia"),
                                                      ("T2", "deals_won", 4.0, "mia")}


def test_whole_organisation_reports_need_everything(ws: Workspace) -> None:
    for scope in (Scope.rep("r1"), Scope.team("T2")):
        session = ws.session(scope)
        with pytest.raises(AccessError):
            session.quality()
        with pytest.raises(AccessError):
            session.table_info()
        with pytest.raises(AccessError):
            session.whatif(text=PLAN, period="2025-Q1")
    assert ws.session(Scope.everything()).quality().tables


def test_export_writes_only_the_scopes_rows(ws: Workspace, tmp_path: Path) -> None:
    def exported(scope: Scope, table: str) -> list[dict[str, object]]:
        path = tmp_path / f"{table}-{scope.kind}.csv"
        ws.session(scope).export(table, path)
        return pacsv.read_csv(path).to_pylist()

    opportunities = exported(Scope.team("T2"), "opportunities")
    mine = {r["opportunity_id"] for r in KPIS.rows["opportunities"]
            if r["owner_rep_id"] in SUBTREE_T2}
    assert {r["opportunity_id"] for r in opportunities} == mine
    assert {r["team_id"] for r in exported(Scope.team("T2"), "teams")} == {"T2", "T2X"}
    assert {r["rep_id"] for r in exported(Scope.rep("r2"), "reps")} == {"r2"}
    targets = exported(Scope.rep("r1"), "targets")
    assert {(r["scope"], r["scope_id"]) for r in targets} == {("rep", "r1"), ("team", "T1")}
    stages = exported(Scope.rep("r1"), "stage_changes")
    r1_opps = {r["opportunity_id"] for r in KPIS.rows["opportunities"]
               if r["owner_rep_id"] == "r1"}
    assert {r["opportunity_id"] for r in stages} <= r1_opps
    assert len(exported(Scope.rep("r1"), "fx_rates")) == len(KPIS.rows["fx_rates"])


def test_unknown_scope_subject_is_refused(ws: Workspace) -> None:
    with pytest.raises(AccessError, match="no team 'NOPE'"):
        ws.session(Scope.team("NOPE")).kpis(["deals_won"], by="rep", period="2025-Q1")


TEAM_T1 = {"r1", "r2", "r3"}
HIDDEN = ("score", "coverage")
"""What a rep's leaderboard leaves out of a colleague's row by default."""


def _by_subject(session: Session, **kw: str) -> dict[tuple[str, str], dict[str, object]]:
    return {(r.subject_kind, r.subject_id): asdict(r)
            for r in session.stored_scores("2025-Q1", **kw)}


def test_a_reps_leaderboard_shows_colleagues_rank_and_rating_alone(ws: Workspace) -> None:
    assert ws.settings.privacy.leaderboard == "rank_and_rating"  # the default
    every = _by_subject(ws.owner())
    board = _by_subject(ws.session(Scope.rep("r1")))
    assert set(board) == {("rep", r) for r in TEAM_T1} | {("team", "T1")}
    assert board[("rep", "r1")] == every[("rep", "r1")]  # their own: all of it
    assert board[("team", "T1")] == every[("team", "T1")]
    for colleague in TEAM_T1 - {"r1"}:
        row, full = board[("rep", colleague)], every[("rep", colleague)]
        assert row == full | {"score": None, "coverage": None, "shown": "rank_and_rating",
                              "breakdown": None}
        assert full["shown"] == "all" and full["rating"] is not None
    ranks = sorted((board[("rep", r)]["rank_team"], r) for r in TEAM_T1)
    assert [rank for rank, _ in ranks] == [1, 2, 3]
    assert _by_subject(ws.session(Scope.rep("r1")), subject_kind="team") == {
        ("team", "T1"): every[("team", "T1")]}
    other = _by_subject(ws.session(Scope.rep("r4")))
    assert set(other) == {("rep", "r4"), ("rep", "r5"), ("team", "T2")}  # r6 is in T2X
    assert other[("rep", "r5")]["score"] is None and other[("rep", "r4")] == every[("rep", "r4")]


def test_the_settings_may_show_colleagues_scores(ws: Workspace) -> None:
    ws.save_settings(ws.settings.model_copy(update={"privacy": Privacy(leaderboard="scores")}))
    every = _by_subject(ws.owner())
    board = _by_subject(ws.session(Scope.rep("r1")))
    assert board == {key: every[key] for key in
                     {("rep", r) for r in TEAM_T1} | {("team", "T1")}}
    assert all(row["shown"] == "all" for row in board.values())
    with pytest.raises(AccessError):  # a colleague's lines and records: still not theirs
        ws.session(Scope.rep("r1")).score_explanation("r2", "2025-Q1")
    with pytest.raises(AccessError):
        ws.session(Scope.rep("r1")).explain("deals_won", subject="r2", period="2025-Q1")


@pytest.mark.parametrize("privacy", [{"leaderboard": "rank_and_rating"},
                                     {"leaderboard": "scores"}])
def test_managers_and_everyone_else_see_their_scores_whole(ws: Workspace,
                                                           privacy: dict[str, str]) -> None:
    ws.save_settings(ws.settings.model_copy(update={"privacy": Privacy.model_validate(privacy)}))
    every = _by_subject(ws.owner())
    assert all(row["shown"] == "all" and row["coverage"] is not None for row in every.values())
    manager = _by_subject(ws.session(Scope.team("T2")))
    assert manager == {key: row for key, row in every.items()
                       if key in {("rep", r) for r in SUBTREE_T2} | {("team", "T2"),
                                                                      ("team", "T2X")}}
    assert _by_subject(ws.session(Scope.team("T1"))) == {
        key: row for key, row in every.items()
        if key in {("rep", r) for r in TEAM_T1} | {("team", "T1")}}
    assert _by_subject(ws.session(Scope.everything())) == every


def test_the_roster_filtered_by_the_runners_test_is_what_a_scoped_query_gives(
        ws: Workspace) -> None:
    """Reps and teams are read once for the organisation and filtered per scope by
    ``Runner.row_test``: the same rows, in the same order, as the scoped query, for every
    scope; and the test is ``None`` for the tables seen through another one."""
    from salescore.compile.schema import unbound

    scopes = [Scope.everything(), *(Scope.team(t) for t in ("REG", "T1", "T2", "T2X")),
              *(Scope.rep(r) for r in ("r1", "r4", "r6"))]
    for scope in scopes:
        session = ws.session(scope)
        runner = session.runner
        for name, key in (("reps", "rep_id"), ("teams", "team_id")):
            queried = runner.rows(unbound(name).order_by(key))
            listed = session.reps() if name == "reps" else session.teams()
            assert listed == queried, (scope, name)
            assert listed, (scope, name)
        if runner.reach.has_team("T2X"):
            reps = unbound("reps")
            assert session.reps(team_id="T2X") == runner.rows(
                reps.filter(reps.team_id == "T2X").order_by("rep_id")) == [
                    r for r in session.reps() if r["team_id"] == "T2X"]
        else:
            with pytest.raises(OutOfScope):
                session.reps(team_id="T2X")
    manager = ws.session(Scope.team("T2")).runner
    assert {r["rep_id"] for r in ws.session(Scope.team("T2")).reps()} == SUBTREE_T2
    for seen_through_another in ("customers", "stage_changes", "targets"):
        assert manager.row_test(seen_through_another) is None
    assert manager.row_test("fx_rates") is not None  # shared reference data: every row


def test_team_histories_kept_for_all_are_each_pages_own(ws: Workspace) -> None:
    """Team score histories are read once for every team and each caller keeps its teams'
    rows: the same rows, in the same order, as reading those teams alone."""
    owner = ws.owner()
    ws.session(Scope.team("REG")).team_score_history(["REG", "T1", "T2", "T2X"])  # keeps all
    for scope, teams in ((Scope.team("T2"), ["T2", "T2X"]), (Scope.team("REG"), ["T1"]),
                         (Scope.everything(), ["REG", "T2X"])):
        history = ws.session(scope).team_score_history(teams)
        alone = owner.scorecards.teams_stored(teams)
        assert [(s.subject_id, s.period, s.score) for s in history] == \
            [(r.subject_id, r.period, r.score) for r in alone]
        assert history and {s.subject_id for s in history} <= set(teams)
    with pytest.raises(OutOfScope):
        ws.session(Scope.team("T2")).team_score_history(["T1"])
