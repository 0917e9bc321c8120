"""The runner's scoping: a narrowed scope's queries compiled once for every scope of the same
shape (a marked reach whose ids each run fills with its own) give exactly the rows of
compiling for each scope, for every canonical table and the whole catalogue; what cannot be
filled safely is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ibis
import pytest
from tests.tiny_org import KPIS, REPS, TEAMS

from salescore.compile.schema import unbound
from salescore.core.scope import AccessError, Scope
from salescore.engine import runner as runner_module
from salescore.engine.kpis import KpiEngine, KpiRequest
from salescore.engine.maintain import rebuild
from salescore.engine.runner import MARKED_REACH, Reach, Runner
from salescore.engine.warehouse import Warehouse
from salescore.model.tables import TABLES
from salescore.semantic.catalog import shipped_catalog

CATALOG = shipped_catalog()
SCOPES = [Scope.rep(r["rep_id"]) for r in REPS] + [Scope.team(t["team_id"]) for t in TEAMS]


class Unmarked(Runner):
    """A runner compiling for its own reach (the path before shapes): the reference."""

    @property
    def shape(self) -> Reach:  # type: ignore[override]
        return self.reach


@pytest.fixture(scope="module")
def wh() -> Iterator[Warehouse]:
    with Warehouse.open("duckdb://:memory:") as warehouse:
        KPIS.load(warehouse)
        # a quote in an id must survive the filling (a rep of its own team)
        warehouse.execute_sql("INSERT INTO teams (team_id, name, parent_team_id) "
                              "VALUES ('T''Q', 'Quoted', 'REG')")
        warehouse.execute_sql("INSERT INTO reps (rep_id, name, team_id, active) "
                              "VALUES ('r''7', 'O''Neil', 'T''Q', true)")
        warehouse.execute_sql("INSERT INTO activities (activity_id, rep_id, kind, direction, "
                              "occurred_at) VALUES ('a''q', 'r''7', 'call', 'outbound', "
                              "TIMESTAMP '2025-03-04 02:00:00')")
        rebuild(warehouse, CATALOG, KPIS.settings)
        yield warehouse


def _sorted(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(repr(sorted(r.items())) for r in rows)


def test_every_scope_of_the_marked_shape_sees_what_compiling_for_it_sees(wh: Warehouse
                                                                        ) -> None:
    scopes = [*SCOPES, Scope.rep("r'7"), Scope.team("T'Q")]
    marked = 0
    for scope in scopes:
        runner, reference = Runner(wh.backend, scope), Unmarked(wh.backend, scope)
        marked += runner.shape is MARKED_REACH
        for declared in TABLES:
            expr = unbound(declared.name)
            got = runner.run(expr).to_pylist()
            assert _sorted(got) == _sorted(reference.run(expr).to_pylist()), \
                (scope, declared.name)
        assert runner.rows(unbound("reps").select("rep_id")) == [
            {"rep_id": r} for r in sorted(runner.reach.reps or ())] or scope.kind == "team"
    assert marked == len(scopes)  # every tiny scope has a rep and a team: all marked
    # r'7 sees its own activity and nobody else's
    assert [a["activity_id"] for a in Runner(wh.backend, Scope.rep("r'7")).run(
        unbound("activities")).to_pylist()] == ["a'q"]


def test_the_whole_catalogue_in_each_scope_equals_compiling_for_it(wh: Warehouse) -> None:
    for by in ("rep", "team"):
        request = KpiRequest.of(list(CATALOG.kpis), by=by, period="2025-Q1", grain="month")
        for scope in (Scope.rep("r4"), Scope.team("T2"), Scope.team("REG")):
            got = KpiEngine(Runner(wh.backend, scope), KPIS.settings, CATALOG).compute(request)
            want = KpiEngine(Unmarked(wh.backend, scope), KPIS.settings,
                             CATALOG).compute(request)
            assert got.table.to_pylist() == want.table.to_pylist(), (by, scope)


def test_a_query_is_compiled_once_for_every_scope_of_the_shape(
        wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[Reach] = []
    prepare = Runner.prepare

    def counting(self: Runner, expr: ibis.Expr) -> Any:
        compiled.append(self.shape)
        return prepare(self, expr)

    monkeypatch.setattr(Runner, "prepare", counting)
    runner_module._RUN.clear()
    expr = unbound("opportunities").select("opportunity_id", "owner_rep_id")
    seen = {s: Runner(wh.backend, s).run(expr).column("owner_rep_id").to_pylist()
            for s in SCOPES}
    assert compiled == [MARKED_REACH]
    assert sorted(set(seen[Scope.rep("r4")])) == ["r4"]
    assert sorted(set(seen[Scope.team("T2")])) == ["r4", "r5", "r6"]


def test_a_marked_query_is_refused_where_it_cannot_be_filled(wh: Warehouse) -> None:
    prepared = Runner(wh.backend, Scope.rep("r1")).prepare(unbound("activities"))
    with pytest.raises(AccessError, match="another"):
        Runner(wh.backend, Scope.everything()).run_prepared(prepared)
    # the marked ids met outside their lists (here, asked for by name) cannot be filled
    stray = unbound("reps").filter(unbound("reps").rep_id == sorted(MARKED_REACH.reps or ())[0])
    with pytest.raises(AccessError, match="outside their lists"):
        Runner(wh.backend, Scope.rep("r1")).prepare(stray)
