"""Models as records (issue 12, part 7) on the tiny organisation (one quarter of history):
each kind is stored as a version with its window, features and metrics, says "not enough
data" and falls back to its baseline; predictions name the record trained on the data as it
is; training again makes version 2; an import trains again (a setting); the records are the
organisation's (a manager may not list them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from tests.tiny_org import KPIS

from salescore.core.scope import AccessError, Scope
from salescore.ml.features import FEATURES
from salescore.ml.records import KINDS
from salescore.workspace import Workspace

AS_OF = date(2025, 3, 31)
CUTOFF = datetime(2025, 3, 31, 16, 0)  # the end of 31 March in Asia/Shanghai, UTC


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.init(tmp_path / "home", KPIS.settings) as workspace:
        KPIS.load(workspace._warehouse)
        yield workspace


def test_a_trained_model_comes_back_from_the_app_store_as_it_was_stored(ws: Workspace) -> None:
    ml = ws.owner().ml
    run = ml.train(AS_OF, kinds=["win"], actor="ann")
    assert [r.kind for r in run.records] == ["win"] and run.skipped == []
    stored = run.records[0]
    back = ml.models(kind="win")
    assert back == [stored]
    assert (stored.version, stored.name, stored.trained_by) == (1, "win-baseline", "ann")
    assert stored.cutoff == ml.cutoff(AS_OF) == CUTOFF
    assert stored.features == list(FEATURES)
    assert stored.data_stamp == ml.data_stamp() and len(stored.data_stamp) == 16
    assert stored.params["random_state"] == 0
    assert stored.window_start is not None and stored.window_start < stored.cutoff


def test_with_one_quarter_every_record_says_not_enough_data_and_predictions_show_baselines(
        ws: Workspace) -> None:
    ml = ws.owner().ml
    run = ml.train(AS_OF)
    assert [r.kind for r in run.records] == list(KINDS)
    for r in run.records:
        assert not r.enough, r.kind
        assert r.name.endswith("-baseline"), r.name
        assert "Not enough data" in r.note.en and "数据不足" in r.note.zh
    win = ml.win(AS_OF)
    assert win.record is not None and win.record.kind == "win" and not win.record.enough
    assert all(p.probability == p.baseline for p in win.predictions)
    forecast = ml.forecast(AS_OF, by="company", horizon=2)
    assert forecast.record is not None and forecast.record.name == "forecast-baseline"
    assert all(n.base.method == "naive" for n in forecast.nodes)
    assert ml.attainment(AS_OF).record is not None
    assert ml.customers(AS_OF).record is not None


def test_every_prediction_names_its_model_and_training_again_makes_version_2(
        ws: Workspace) -> None:
    ml = ws.owner().ml
    assert ml.win(AS_OF).record is None, "nothing trained yet: no record to name"
    kinds = ["win", "forecast"]
    first = {r.kind: r for r in ml.train(AS_OF, kinds=kinds).records}
    assert {k: r.version for k, r in first.items()} == dict.fromkeys(kinds, 1)
    assert ml.win(AS_OF).record == first["win"]
    assert ml.actions(AS_OF).record == first["win"]
    second = {r.kind: r for r in ml.train(AS_OF, kinds=kinds).records}
    assert {k: r.version for k, r in second.items()} == dict.fromkeys(kinds, 2)
    assert ml.win(AS_OF).record == second["win"]
    assert ml.forecast(AS_OF).record == second["forecast"]
    assert [r.version for r in ml.models(kind="forecast")] == [2, 1]
    # Another cut-off has no model trained at it.
    assert ml.win(date(2025, 2, 28)).record is None


def test_an_import_trains_again_and_a_prediction_names_no_model_of_older_data(
        ws: Workspace, tmp_path: Path) -> None:
    owner = ws.owner()
    owner.ml.train(AS_OF, kinds=["win"])
    before = owner.ml.win(AS_OF).record
    assert before is not None and before.version == 1
    # Setting off: the import changes the data, the stored models are of older data.
    ws.save_settings(ws.settings.model_copy(update={"ml": ws.settings.ml.model_copy(
        update={"train_after_import": False})}))
    path = tmp_path / "activities.csv"
    path.write_text("activity_id,rep_id,customer_id,opportunity_id,kind,direction,"
                    "occurred_at,duration_s,outcome\n"
                    "new1,r1,,,call,outbound,2025-03-20T10:00:00,60,\n", encoding="utf-8")
    assert ws.owner().import_file("activities", path, actor="ann").loaded
    assert len(ws.owner().ml.models(kind="win")) == 1
    assert ws.owner().ml.win(AS_OF).record is None
    # Setting on (the default): the import trains every kind again.
    ws.save_settings(ws.settings.model_copy(update={"ml": ws.settings.ml.model_copy(
        update={"train_after_import": True})}))
    path.write_text(path.read_text(encoding="utf-8")
                    + "new2,r1,,,call,outbound,2025-03-21T10:00:00,60,\n", encoding="utf-8")
    assert ws.owner().import_file("activities", path, actor="ann").loaded
    ml = ws.owner().ml
    by_import = [r for r in ml.models() if r.trained_by == "ann"]
    assert sorted(r.kind for r in by_import) == sorted(KINDS)
    assert {r.version for r in by_import if r.kind == "win"} == {2}
    now = ml.win(_last_day(ws))  # the import trained at the data's last day
    assert now.record is not None and now.record.version == 2


def _last_day(ws: Workspace) -> date:
    last = ws.owner().data_last_day()
    assert last is not None
    return last


def test_the_records_are_the_organisations(ws: Workspace) -> None:
    manager = ws.session(Scope.team("T2"))
    with pytest.raises(AccessError):
        manager.ml.models()
    with pytest.raises(AccessError):
        manager.ml.train(AS_OF)


def test_a_time_budget_leaves_out_the_kinds_not_started(ws: Workspace) -> None:
    run = ws.owner().ml.train(AS_OF, budget=0.0)
    assert [r.kind for r in run.records] == ["win"]  # the first starts before any time passes
    assert run.skipped == ["forecast", "attainment", "potential"]
