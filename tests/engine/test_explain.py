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
