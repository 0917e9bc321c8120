"""The page views kept per data stamp (:mod:`salescore.workspace.page_views`): the records that
need action are worked out once over the organisation and each scope keeps its reps' rows; a
change of data (an import, scoring, :func:`refresh_page_views`) is never answered from before
it; a server started later reads what was kept on disk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from tests.analytics.action_org import ACTION_ORG, AS_OF, SETTINGS

from salescore.core.scope import Scope
from salescore.workspace import NeedsAction, Workspace, data_stamp, page_views, refresh_page_views


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.init(tmp_path / "home", SETTINGS) as workspace:
        ACTION_ORG.load(workspace._warehouse)
        yield workspace


def surveys(found: NeedsAction) -> list[str]:
    return [i.record_id for i in found.low_surveys]


def survey(sid: str, rep: str, day: int) -> pa.Table:
    return pa.Table.from_pylist([{
        "survey_id": sid, "customer_id": "c1", "rep_id": rep,
        "answered_at": datetime(2025, 6, day, 9), "csat": 1, "nps": 2, "comment": "late"}])


def test_each_scope_keeps_its_reps_rows_of_one_organisation_wide_list(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    computed = []
    real = page_views._org_lists
    monkeypatch.setattr(page_views, "_org_lists",
                        lambda *a: computed.append(a[1:3]) or real(*a))
    assert surveys(ws.owner().needs_action(AS_OF)) == ["v3", "v6", "v1", "v4"]
    assert surveys(ws.session(Scope.team("N")).needs_action(AS_OF)) == ["v3", "v6", "v1"]
    assert surveys(ws.session(Scope.rep("s1")).needs_action(AS_OF)) == ["v4"]
    limited = ws.session(Scope.team("N")).needs_action(AS_OF, limit=1)
    assert (surveys(limited), limited.counts()["low_survey"]) == (["v3"], 3)
    # once for every scope: the deals, then the surveys of the month
    assert computed == [(("no_activity", "stuck"), AS_OF), (("low_survey",), AS_OF)]


def test_an_import_moves_the_stamp_and_the_lists_follow(ws: Workspace) -> None:
    before = data_stamp(ws)
    assert surveys(ws.session(Scope.rep("n1")).needs_action(AS_OF)) == ["v1"]
    ws.owner().import_arrow("surveys", survey("v9", "n1", 21))
    assert data_stamp(ws) != before
    assert surveys(ws.session(Scope.rep("n1")).needs_action(AS_OF)) == ["v9", "v1"]
    assert surveys(ws.session(Scope.rep("s1")).needs_action(AS_OF)) == ["v4"]


def test_rows_written_around_the_import_drop_what_was_kept(ws: Workspace) -> None:
    assert surveys(ws.owner().needs_action(AS_OF)) == ["v3", "v6", "v1", "v4"]
    stamp = data_stamp(ws)
    ws._warehouse.append("surveys", survey("v8", "s1", 22))  # no import run, no audit
    assert data_stamp(ws) != stamp
    # v8: csat 1 like v3, and later
    assert surveys(ws.owner().needs_action(AS_OF)) == ["v8", "v3", "v6", "v1", "v4"]


def test_refresh_drops_what_was_kept(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    computed = []
    real = page_views._org_lists
    monkeypatch.setattr(page_views, "_org_lists",
                        lambda *a: computed.append(a[2]) or real(*a))
    ws.owner().needs_action(AS_OF)
    ws.owner().needs_action(AS_OF)
    stamp = data_stamp(ws)
    assert refresh_page_views(ws, warm=False) != stamp
    ws.owner().needs_action(AS_OF)
    assert computed == [AS_OF] * 4  # deals and surveys, before and after


def test_a_later_server_reads_the_kept_lists_from_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "home" / page_views.KEPT_DIR
    with Workspace.init(tmp_path / "home", SETTINGS) as ws:
        ACTION_ORG.load(ws._warehouse)
        refresh_page_views(ws)  # warm: as of the data's last day, for its month
        stamp = data_stamp(ws)
        kept = sorted(p.name for p in folder.rglob("needs_action-*.parquet"))
        assert kept == ["needs_action-2025-07-05-2025-07-low_survey.parquet",
                        "needs_action-2025-07-05-2025-Q3-low_survey.parquet",
                        "needs_action-2025-07-05-no_activity.parquet",
                        "needs_action-2025-07-05-stuck.parquet"]
        expected = ws.session(Scope.team("N")).needs_action(date(2025, 7, 9))
    with Workspace.open(tmp_path / "home", read_only=True) as later:
        assert data_stamp(later) == stamp
        monkeypatch.setattr(page_views, "_org_lists", lambda *a: pytest.fail("worked out again"))
        # As of the data's last day (a later today is clamped to it), read from the disk.
        found = later.session(Scope.team("N")).needs_action(date(2025, 7, 9))
        assert found == expected and found.as_of == date(2025, 7, 5)
        assert [i.record_id for i in found.no_activity] == ["o2", "o6", "o7"]


def test_an_analysis_asked_again_is_kept_until_the_data_changes(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from salescore.workspace import customer_analyses

    made: list[object] = []
    real = customer_analyses.rfm_report
    monkeypatch.setattr(customer_analyses, "rfm_report",
                        lambda session, **kw: made.append(session.scope) or real(session, **kw))
    first = ws.owner().rfm(period="2025-06")
    assert ws.owner().rfm(period="2025-06") is first
    ws.session(Scope.rep("s1")).rfm(period="2025-06")  # another scope: its own
    assert made == [ws.owner().scope, Scope.rep("s1")]
    ws.owner().import_arrow("surveys", survey("v9", "n1", 21))
    assert ws.owner().rfm(period="2025-06") is not first
    assert len(made) == 3


def test_prepared_the_team_pages_stored_scores_are_not_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the preparation (a server's start, an import's end), every team's score history
    and each plan's latest scored periods are kept: a team page's first visit in any scope
    reads no stored score from the app store."""
    from tests.tiny_org import KPIS, L
    from tests.tiny_org import TINY_PLAN as PLAN

    import salescore.scorecards.service as service

    with Workspace.init(tmp_path / "scored", KPIS.settings) as workspace:
        KPIS.load(workspace._warehouse)
        owner = workspace.owner()
        owner.adopt_plan(text=PLAN, effective_from=L(2025, 1, 1).date(), actor="test")
        owner.score("2025-Q1")
        page_views.prepare_page_views(workspace)
        reads: list[object] = []
        real = service.read_scores
        monkeypatch.setattr(service, "read_scores",
                            lambda *a, **k: reads.append(k) or real(*a, **k))
        for scope, teams in ((Scope.everything(), ["REG", "T1", "T2", "T2X"]),
                             (Scope.team("T2"), ["T2", "T2X"])):
            session = workspace.session(scope)
            history = session.team_score_history(teams)
            assert history
            for score in history:
                assert session.stored_scores(score.period, score.plan, subject_kind="rep")
        assert reads == []
        owner.score("2025-Q1")  # scoring again moves the stamp: read afresh
        workspace.session(Scope.team("T2")).team_score_history(["T2"])
        assert reads


def test_a_sign_in_does_not_send_the_stamp_back_to_the_app_store(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from salescore.appstore.models import LoginAttempt

    reads: list[str] = []
    read = page_views._read_stamp
    monkeypatch.setattr(page_views, "_read_stamp", lambda w: reads.append("read") or read(w))
    first = data_stamp(ws)
    with ws._app.session() as s:  # what a sign-in writes
        s.add(LoginAttempt(login="ann", address="127.0.0.1", outcome="ok"))
    assert data_stamp(ws) == first and reads == ["read"]
    with ws._app.session() as s:  # a target's audit row: read again at once
        ws._app.audit(s, actor="t", action="set", entity="target", entity_id=1)
    assert data_stamp(ws) != first and reads == ["read", "read"]
