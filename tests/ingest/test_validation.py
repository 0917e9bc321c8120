"""Each validation rule, with the message a user reads, on every warehouse backend."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from salescore.engine.warehouse import Warehouse
from salescore.ingest import ImportOptions, ImportResult, import_arrow, import_file
from salescore.model.org import Organisation, OrgSettings, Pipeline

from .conftest import rows, write_csv

HEADER = ("opportunity_id,customer_id,owner_rep_id,created_at,stage,status,amount,currency,"
          "closed_at\n")


def rejected(result: ImportResult) -> list[tuple[int, str, str, str]]:
    """(row, field, value, reason) of every reject."""
    return [(r["row"], r["field"], r["value"], r["reason"]) for r in result.rejects.to_pylist()]


def opportunities(tmp_path: Path, body: str) -> Path:
    return write_csv(tmp_path / "deals.csv", HEADER + body)


def test_types_required_allowed_and_ranges(tmp_path: Path, warehouse: Warehouse) -> None:
    path = write_csv(tmp_path / "acts.csv", (
        "activity_id,rep_id,kind,direction,occurred_at,duration_s\n"
        "a1,r1,call,outbound,2025-03-01 10:00,60\n"
        "a2,r1,fax,outbound,2025-03-01 10:00,60\n"
        "a3,,call,inbound,2025-03-01 10:00,-5\n"
        "a4,r1,visit,sideways,yesterday,1.5\n"))
    result = import_file(warehouse, OrgSettings(), "activities", path)
    assert (result.read_rows, result.inserted, result.rejected) == (4, 1, 3)
    assert rejected(result) == [
        (3, "kind", "fax", "not one of: call, email, meeting, visit, demo, message, social"),
        (4, "duration_s", "-5", "below the minimum 0"),
        (4, "rep_id", "", "required value missing"),
        (5, "direction", "sideways", "not one of: outbound, inbound"),
        (5, "duration_s", "1.5", "not a whole number"),
        (5, "occurred_at", "yesterday", "not a date or time"),
    ]
    zh = {r["reason_zh"] for r in result.rejects.to_pylist()}
    assert {"缺少必填值", "小于最小值 0", "不是整数"} <= zh
    surveys = write_csv(tmp_path / "s.csv", "survey_id,customer_id,rep_id,answered_at,csat,nps\n"
                                            "s1,c1,r1,2025-01-01,6,11\n")
    result = import_file(warehouse, OrgSettings(), "surveys", surveys)
    assert rejected(result) == [(2, "csat", "6", "above the maximum 5"),
                                (2, "nps", "11", "above the maximum 10")]


def test_row_rules_on_the_row_as_it_will_be(tmp_path: Path, warehouse: Warehouse) -> None:
    path = opportunities(tmp_path, (
        "o1,c1,r1,2025-03-01,won,,10,CNY,2025-02-01\n"     # closed before created
        "o2,c1,r1,2025-03-01,won,,10,CNY,\n"               # won but never closed
        "o3,c1,r1,2025-03-01,proposal,,10,CNY,2025-03-05\n"  # open but closed
        "o4,c1,r1,2025-03-01,lost,,10,CNY,2025-03-01\n"))  # same moment: fine
    result = import_file(warehouse, OrgSettings(), "opportunities", path)
    assert (result.inserted, result.rejected) == (1, 3)
    assert rejected(result) == [
        (2, "closed_at", "2025-02-01", "closed_at is before created_at"),
        (3, "closed_at", "", "closed_at is required when status is won"),
        (4, "closed_at", "2025-03-05", "closed_at must be empty when status is open"),
    ]
    # A file without closed_at is judged with the stored closed_at: o4 may become won.
    update = write_csv(tmp_path / "u.csv", "opportunity_id,customer_id,owner_rep_id,created_at,"
                                           "stage,amount\n"
                                           "o4,c1,r1,2025-03-01,won,12\n"
                                           "o5,c1,r1,2025-03-01,won,12\n")
    result = import_file(warehouse, OrgSettings(), "opportunities", update)
    assert (result.updated, result.inserted, result.rejected) == (1, 0, 1)
    assert rejected(result) == [(3, "closed_at", "", "closed_at is required when status is won")]
    assert rows(warehouse, "SELECT status, amount, closed_at IS NOT NULL FROM opportunities "
                           "WHERE opportunity_id = 'o4'")[0][0] == "won"


def test_status_is_derived_and_checked_against_the_stage(tmp_path: Path,
                                                         warehouse: Warehouse) -> None:
    path = opportunities(tmp_path, (
        "o1,c1,r1,2025-03-01,Proposal,,10,CNY,\n"           # status derived: open
        "o2,c1,r1,2025-03-01,方案报价,OPEN,10,CNY,\n"         # Chinese label of proposal
        "o3,c1,r1,2025-03-01,proposal,won,10,CNY,2025-03-02\n"  # contradiction
        "o4,c1,r1,2025-03-01,closed won,,10,CNY,2025-03-02\n"  # label of "won"
        "o5,c1,r1,2025-03-01,Closing,,10,CNY,\n"))  # unknown stage
    result = import_file(warehouse, OrgSettings(), "opportunities", path)
    assert rejected(result)[0] == (4, "status", "won",
                                   "status won contradicts stage proposal (open in the pipeline)")
    assert rejected(result)[1][:3] == (6, "stage", "Closing")
    assert rejected(result)[1][3].startswith("stage not in the organisation's pipeline (lead,")
    assert len(rejected(result)) == 2
    assert result.unknown_stages == {"Closing": 1}
    assert rows(warehouse, "SELECT opportunity_id, stage, status FROM opportunities "
                           "ORDER BY 1") == [("o1", "proposal", "open"), ("o2", "proposal", "open"),
                                             ("o4", "won", "won")]


def test_unknown_stages_are_counted_then_added_on_request(tmp_path: Path,
                                                          warehouse: Warehouse) -> None:
    path = opportunities(tmp_path, (
        "o1,c1,r1,2025-03-01,Demo,,10,CNY,\n"
        "o2,c1,r1,2025-03-01,Trial,,10,CNY,\n"
        "o3,c1,r1,2025-03-01,Demo,,10,CNY,\n"
        "o4,c1,r1,2025-03-01,lead,,10,CNY,\n"))
    plain = import_file(warehouse, OrgSettings(), "opportunities", path)
    assert plain.unknown_stages == {"Demo": 2, "Trial": 1}
    assert (plain.inserted, plain.rejected, plain.pipeline) == (1, 3, None)
    added = import_file(warehouse, OrgSettings(), "opportunities", path,
                        options=ImportOptions(add_stages=True))
    assert (added.inserted, added.unchanged, added.rejected) == (3, 1, 0)
    assert added.added_stages == ("Demo", "Trial")
    assert added.pipeline is not None
    assert added.pipeline.stage_names() == ("lead", "qualified", "discovery", "proposal",
                                            "negotiation", "Demo", "Trial", "won", "lost")


def test_references_are_reported_and_rejected_only_when_strict(tmp_path: Path,
                                                               warehouse: Warehouse) -> None:
    settings = OrgSettings()
    import_arrow(warehouse, settings, "teams", pa.table({"team_id": ["t1"], "name": ["East"]}))
    reps = pa.table({"rep_id": ["r1", "r2", "r3"], "name": ["A", "B", "C"],
                     "team_id": ["t1", "t9", "t9"], "manager_rep_id": [None, "r1", "r7"],
                     "active": ["yes", "yes", "no"]})
    kept = import_arrow(warehouse, settings, "reps", reps)
    assert kept.inserted == 3
    assert {(o.column, o.rows, o.examples) for o in kept.orphans} == {
        ("team_id", 2, ("t9",)), ("manager_rep_id", 1, ("r7",))}
    strict = import_arrow(warehouse, settings, "reps", reps.slice(1),
                          options=ImportOptions(strict_refs=True))
    assert rejected(strict) == [(1, "team_id", "t9", "no teams row with team_id t9"),
                                (2, "manager_rep_id", "r7", "no reps row with rep_id r7"),
                                (2, "team_id", "t9", "no teams row with team_id t9")]
    assert (strict.unchanged, strict.rejected) == (0, 2)


def test_keys_repeated_in_one_file(tmp_path: Path, warehouse: Warehouse) -> None:
    path = opportunities(tmp_path, (
        "o1,c1,r1,2025-03-01,lead,,10,CNY,\n"
        "o1,c1,r1,2025-03-01 00:00,lead,,10.00,cny,\n"   # identical once cleaned: collapsed
        "o2,c1,r1,2025-03-01,lead,,10,CNY,\n"
        "o2,c1,r1,2025-03-01,lead,,11,CNY,\n"            # same key, other amount: both out
        "o1,c1,r1,2025-03-01,lead,,10,CNY,\n"))
    result = import_file(warehouse, OrgSettings(), "opportunities", path)
    assert (result.read_rows, result.inserted, result.unchanged, result.rejected,
            result.collapsed) == (5, 1, 2, 2, 2)
    assert rejected(result) == [
        (4, "opportunity_id", "o2 (= row 5)",
         "same key as another row of the file, with different values"),
        (5, "opportunity_id", "o2 (= row 4)",
         "same key as another row of the file, with different values"),
    ]


def test_target_periods_and_multi_column_keys(warehouse: Warehouse) -> None:
    settings = OrgSettings(organisation=Organisation(fiscal_year_start_month=4))
    targets = pa.table({"scope": ["rep", "Team", "rep"], "scope_id": ["r1", "t1", "r1"],
                        "period": ["2025-q1", "fy2025", "spring"], "kpi": ["revenue"] * 3,
                        "value": ["1,000", "5000", "1"]})
    result = import_arrow(warehouse, settings, "targets", targets)
    assert result.inserted == 2
    assert rejected(result)[0][:3] == (3, "period", "spring")
    assert rows(warehouse, "SELECT scope, period, value FROM targets ORDER BY 1") == [
        ("rep", "2025-Q1", 1000.0), ("team", "FY2025", 5000.0)]


def test_missing_required_columns_make_the_file_unusable(tmp_path: Path,
                                                         warehouse: Warehouse) -> None:
    from salescore.ingest import IngestError

    path = write_csv(tmp_path / "deals.csv", "Deal,Value\nx,1\n")
    with pytest.raises(IngestError, match="deals.csv has no column for required "
                                          "opportunity_id, owner_rep_id, created_at, stage"):
        import_file(warehouse, OrgSettings(), "opportunities", path)
    assert rows(warehouse, "SELECT count(*) FROM opportunities") == [(0,)]


def test_custom_pipeline_drives_status(tmp_path: Path, warehouse: Warehouse) -> None:
    settings = OrgSettings(pipeline=Pipeline.model_validate({"stages": [
        {"name": "初步接洽"}, {"name": "赢单", "status": "won"},
        {"name": "输单", "status": "lost"}]}))
    path = opportunities(tmp_path, "o1,c1,r1,2025-03-01,赢单,,10,CNY,2025-03-09\n"
                                   "o2,c1,r1,2025-03-01,初步接洽,,10,CNY,\n")
    assert import_file(warehouse, settings, "opportunities", path).inserted == 2
    assert rows(warehouse, "SELECT status FROM opportunities ORDER BY 1") == [("open",), ("won",)]
