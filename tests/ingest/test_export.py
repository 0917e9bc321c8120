"""A table exported by salescore re-imports with zero changes, in every format."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from salescore.engine.warehouse import Warehouse
from salescore.ingest import IngestError, export_table, import_arrow, import_file
from salescore.model.org import Organisation, OrgSettings
from salescore.model.tables import TABLES

from .conftest import rows

SHANGHAI = OrgSettings(organisation=Organisation(timezone="Asia/Shanghai"))


def _seed(warehouse: Warehouse) -> None:
    """Rows with every type and the awkward values: line breaks, quotes, commas, Chinese,
    microseconds, nulls."""
    import_arrow(warehouse, SHANGHAI, "reps", pa.table({
        "rep_id": ["r1", "r2"], "name": ["张伟", 'Li "Lee", Jr.'],
        "email": ["zw@example.cn", None], "team_id": ["t1", "t1"],
        "manager_rep_id": [None, "r1"], "title": ["经理", None],
        "hire_date": [date(2020, 2, 29), None], "active": [True, False]}))
    import_arrow(warehouse, SHANGHAI, "surveys", pa.table({
        "survey_id": ["s1", "s2"], "customer_id": ["c1", "c2"], "rep_id": ["r1", "r2"],
        "answered_at": pa.array([datetime(2025, 3, 1, 8, 5, 7, 123456),
                                 datetime(2025, 12, 31, 23, 59)], pa.timestamp("us", "UTC")),
        "csat": [5, None], "nps": [10, 0],
        "comment": ["很好，谢谢！\n第二行", "a, \"quoted\" value"]}))
    import_arrow(warehouse, SHANGHAI, "opportunities", pa.table({
        "opportunity_id": ["o1", "o2"], "customer_id": ["c1", "c2"], "owner_rep_id": ["r1", "r2"],
        "created_at": ["2025-01-01T00:00:00Z", "2025-02-01T10:00:00Z"],
        "stage": ["won", "lead"], "amount": ["1234567890.12", "0.1"],
        "currency": ["CNY", "EUR"], "closed_at": ["2025-01-31T16:00:00Z", None],
        "expected_close_date": [None, "2025-06-30"], "lost_reason": [None, None]}))
    import_arrow(warehouse, SHANGHAI, "trainings", pa.table({
        "training_id": ["x1"], "rep_id": ["r1"], "course": ["VR 演示"], "kind": ["vr_simulation"],
        "completed_at": ["2025-03-01T00:00:00Z"], "hours": [1.25], "score": [87.5]}))


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "parquet", "json", "ndjson"])
def test_round_trip_changes_nothing(tmp_path: Path, warehouse: Warehouse, suffix: str) -> None:
    _seed(warehouse)
    for name, expected in (("reps", 2), ("surveys", 2), ("opportunities", 2), ("trainings", 1)):
        before = rows(warehouse, f"SELECT * FROM {name} ORDER BY 1")
        path = tmp_path / f"{name}.{suffix}"
        assert export_table(warehouse, name, path) == expected
        result = import_file(warehouse, SHANGHAI, name, path)
        assert (result.inserted, result.updated, result.unchanged, result.rejected) == \
            (0, 0, expected, 0), (name, result.rejects.to_pylist())
        assert rows(warehouse, f"SELECT * FROM {name} ORDER BY 1") == before


def test_exported_csv_reads_as_people_expect(tmp_path: Path, duck: Warehouse) -> None:
    _seed(duck)
    export_table(duck, "surveys", tmp_path / "s.csv")
    text = (tmp_path / "s.csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    lines = text.decode("utf-8-sig").splitlines()
    assert lines[0] == '"survey_id","customer_id","rep_id","answered_at","csat","nps","comment"'
    assert lines[1].startswith('"s1","c1","r1","2025-03-01T08:05:07.123456Z",5,10,"很好')
    export_table(duck, "opportunities", tmp_path / "o.csv")
    second = (tmp_path / "o.csv").read_text(encoding="utf-8-sig").splitlines()[1]
    assert '"2025-01-01T00:00:00Z"' in second and "1234567890.12" in second
    assert rows(duck, "SELECT amount FROM opportunities ORDER BY opportunity_id") == \
        [(Decimal("1234567890.12"),), (Decimal("0.10"),)]
    with pytest.raises(IngestError, match="cannot export to .txt"):
        export_table(duck, "teams", tmp_path / "t.txt")


@pytest.mark.slow
def test_the_demo_organisation_round_trips_through_csv(tmp_path: Path, duck: Warehouse) -> None:
    demo = pytest.importorskip("salescore.demo")
    config = demo.DemoConfig(scale="small", seed=3, locale="zh_CN",
                           end=date(2026, 10, 31))
    settings = demo.demo_settings(config)
    with duck.transaction():
        for name, chunk in demo.generate(config):
            duck.append(name, chunk)
    for declared in TABLES:
        path = tmp_path / f"{declared.name}.csv"
        written = export_table(duck, declared.name, path)
        result = import_file(duck, settings, declared.name, path)
        assert (result.read_rows, result.unchanged, result.rejected) == (written, written, 0), \
            (declared.name, result.reasons()[:3])


# (A tab or carriage return in front is trimmed on import, so it never reaches an export;
# tests/core/test_spreadsheet.py has those.)
FORMULAS = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
            "'=already quoted", "-", "+86 10 6552 9988"]


def test_csv_export_is_safe_to_open_and_reads_back_unchanged(tmp_path: Path,
                                                             duck: Warehouse) -> None:
    import_arrow(duck, SHANGHAI, "targets", pa.table({
        "scope": ["rep"] * len(FORMULAS), "scope_id": [f"r{i}" for i in range(len(FORMULAS))],
        "period": ["2025-03"] * len(FORMULAS), "kpi": ["revenue_won"] * len(FORMULAS),
        "value": [-5.5] + [1.0] * (len(FORMULAS) - 1), "set_by": FORMULAS,
        "reason": ["-12.5"] * len(FORMULAS)}))
    before = rows(duck, "SELECT * FROM targets ORDER BY scope_id")
    assert [r[5] for r in before] == FORMULAS
    path = tmp_path / "targets.csv"
    export_table(duck, "targets", path)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    # No cell starts with a formula character: each such text has a quote in front; a number in
    # a number column, and a text that is a plain number, are left as they are.
    assert lines[1] == ('"rep","r0","2025-03","revenue_won",-5.5,'
                        '"\'=HYPERLINK(""http://x"",""y"")","-12.5"')
    with path.open(encoding="utf-8-sig", newline="") as f:
        cells = [r["set_by"] for r in csv.DictReader(f)]
    assert cells == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1+cmd|' /C calc'!A0", "'-2+3",
                     "'@SUM(A1)", "''=already quoted", "'-", "'+86 10 6552 9988"]
    result = import_file(duck, SHANGHAI, "targets", path)
    assert (result.unchanged, result.updated, result.rejected) == (len(FORMULAS), 0, 0), \
        result.rejects.to_pylist()
    assert rows(duck, "SELECT * FROM targets ORDER BY scope_id") == before
    # XLSX keeps writing text: the cell is a string, never a formula.
    from python_calamine import CalamineWorkbook

    export_table(duck, "targets", tmp_path / "targets.xlsx")
    sheet = CalamineWorkbook.from_path(str(tmp_path / "targets.xlsx")).get_sheet_by_index(0)
    data = sheet.to_python()
    assert data[1][4] == -5.5 and data[1][5] == FORMULAS[0]
