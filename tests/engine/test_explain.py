"""An explanation's value is the KPI's value: for every catalogue KPI, every rep and team of the
tiny organisation and several periods, the value that :func:`explain_kpis` (every rep at once
through :func:`explain_reps`, as scoring keeps them) works out from the rows it lists equals the
one the compiled query gives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.backends import fresh_warehouse_url
from tests.tiny_org import KPIS

from salescore.engine.explain import explain_kpis, explain_reps
from salescore.engine.kpis import KpiEngine, KpiRequest
from salescore.engine.warehouse import Warehouse
from salescore.semantic.catalog import shipped_catalog


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KpiEngine]:
    with fresh_warehouse_url("duckdb", tmp_path_factory.mktemp("explain")) as url, \
            Warehouse.open(url) as warehouse:
        KPIS.load(warehouse)
        yield KpiEngine(warehouse.backend, KPIS.settings, shipped_catalog())


@pytest.mark.parametrize(("by", "period"), [("rep", "2025-Q1"), ("team", "2025-02")])
def test_explained_values_equal_computed_values(engine: KpiEngine, by: str, period: str
                                                ) -> None:
    names = sorted(engine.catalog.kpis)
    computed = engine.compute(KpiRequest.of(names, by=by, period=period))
    rows = computed.table.to_pylist()
    assert rows, "the tiny organisation has subjects in this period"
    compared = 0
    subjects = [row[computed.subject] for row in rows]
    # Every rep at once (as scoring keeps them); the first also alone, as a page asks.
    each = explain_reps(engine, names, subjects, period=period) if by == "rep" else {
        s: explain_kpis(engine, names, subject=s, period=period, by=by) for s in subjects}
    if by == "rep":
        alone = explain_kpis(engine, names, subject=subjects[0], period=period)
        assert {n: e.value for n, e in alone.items()} == \
            {n: e.value for n, e in each[subjects[0]].items()}
    for row in rows:
        subject = row[computed.subject]
        explained = each[subject]
        for name in names:
            got, want = explained[name].value, row[explained[name].output]
            if want is None:
                assert got is None, (name, subject)
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-9), (name, subject)
                compared += 1
            assert explained[name].period == row["period"]
    # Most values are known: the comparison is not vacuous.
    assert compared > len(rows) * len(names) // 2


@pytest.mark.parametrize(("by", "period"), [("rep", "2025-Q1"), ("team", "2025-02")])
def test_one_subjects_queries_are_compiled_once_for_every_subject(
        engine: KpiEngine, by: str, period: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A drill-down for one subject runs queries compiled once for its KPIs, grain, period and
    scope, the subject put in as a literal: the same rows, parts and values as compiling them
    for that subject, for every subject (one with a quote in its id included)."""
    import salescore.engine.explain as explain

    names = ["revenue_won", "win_rate", "activities", "customer_retention_rate"]
    rows = engine.compute(KpiRequest.of(names, by=by, period=period)).table
    subjects = [*rows.column("rep_id" if by == "rep" else "team_id").to_pylist(), "O'Neil"]
    built = []
    real = explain.explain_rows
    monkeypatch.setattr(explain, "explain_rows", lambda *a: built.append(a[2]) or real(*a))
    shared = {s: explain_kpis(engine, names, subject=s, period=period, by=by) for s in subjects}
    assert len(built) == 1  # built and compiled for the first subject alone
    monkeypatch.setattr(explain, "_for_one", lambda *a: None)
    for subject in subjects:
        alone = explain_kpis(engine, names, subject=subject, period=period, by=by)
        for name in names:
            a, b = shared[subject][name], alone[name]
            assert (a.value, a.arithmetic) == (b.value, b.arithmetic), (subject, name)
            assert [p.rows.to_pylist() for p in a.parts] == \
                [p.rows.to_pylist() for p in b.parts], (subject, name)
    assert all(e.value in (None, 0) for e in shared["O'Neil"].values())
