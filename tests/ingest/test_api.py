"""The Python API: DataFrames and Arrow tables import like files, through the workspace too."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import select

from salescore.appstore.models import ImportRun
from salescore.engine.warehouse import Warehouse
from salescore.ingest import ImportOptions, IngestError, import_arrow
from salescore.model.org import OrgSettings
from salescore.workspace import Workspace

from .conftest import rows


def test_a_pandas_dataframe_imports_with_row_numbers(duck: Warehouse,
                                                     settings: OrgSettings) -> None:
    frame = pd.DataFrame({
        "activity_id": ["a1", "a2", "a3"], "rep_id": ["r1", "r1", "r2"],
        "kind": ["Call", "visit", "telepathy"], "direction": ["outbound"] * 3,
        "occurred_at": pd.to_datetime(["2025-03-01 09:00", "2025-03-02 10:00", None]),
        "duration_s": [60.0, None, 5.0]})
    result = import_arrow(duck, settings, "activities", frame, name="frame")
    assert (result.inserted, result.rejected) == (2, 1)
    assert [(r["file"], r["row"], r["field"]) for r in result.rejects.to_pylist()] == [
        ("frame", 3, "kind"), ("frame", 3, "occurred_at")]
    assert rows(duck, "SELECT activity_id, kind, occurred_at, duration_s FROM activities "
                      "ORDER BY 1") == [("a1", "call", datetime(2025, 3, 1, 9), 60),
                                        ("a2", "visit", datetime(2025, 3, 2, 10), None)]


def test_unknown_table_is_unusable(duck: Warehouse, settings: OrgSettings) -> None:
    with pytest.raises(IngestError, match="unknown table 'deals'; tables: teams, reps"):
        import_arrow(duck, settings, "deals", pa.table({"x": [1]}))


def test_workspace_records_runs_and_saves_added_stages(tmp_path: Path) -> None:
    data = pa.table({"opportunity_id": ["o1"], "customer_id": ["c1"], "owner_rep_id": ["r1"],
                     "created_at": ["2025-03-01"], "stage": ["Pilot"], "amount": ["5"]})
    with Workspace.init(tmp_path / "home") as ws:
        result = ws.owner().import_arrow("opportunities", data,
                                         options=ImportOptions(add_stages=True), actor="alice")
        assert result.inserted == 1 and result.rejects_file is None
        assert "Pilot" in ws.settings.pipeline.stage_names()
        with pytest.raises(IngestError):
            ws.owner().import_arrow("opportunities", pa.table({"x": [1]}))
        with ws._app.session() as session:
            runs = session.scalars(select(ImportRun).order_by(ImportRun.id)).all()
            assert [(r.actor, r.status, r.inserted) for r in runs] == [
                ("alice", "loaded", 1), ("api", "failed", 0)]
            assert "has no column for required" in (runs[1].message or "")
    with Workspace.open(tmp_path / "home") as ws:
        assert "Pilot" in ws.settings.pipeline.stage_names()
