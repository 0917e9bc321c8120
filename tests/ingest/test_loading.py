"""Upsert by key in one transaction: idempotent, exact counts, updates, strict aborts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from salescore.engine.warehouse import Warehouse
from salescore.ingest import ImportOptions, import_file
from salescore.model.org import OrgSettings

from .conftest import rows, write_csv

DEALS = ("Opportunity ID,Customer ID,Owner Rep ID,Created At,Stage,Amount,Currency,Lost Reason\n"
         "o1,c1,r1,2025-03-01 09:00,lead,100,CNY,\n"
         "o2,c1,r2,2025-03-02 10:00,proposal,\"¥2,000.50\",CNY,\n"
         "o3,c2,r2,2025-03-03 11:00,negotiation,300,EUR,\n")


def counts(result: object) -> tuple[int, ...]:
    return tuple(getattr(result, k) for k in ("read_rows", "inserted", "updated", "unchanged",
                                              "rejected"))


def test_same_file_twice_changes_nothing(tmp_path: Path, warehouse: Warehouse) -> None:
    path = write_csv(tmp_path / "deals.csv", DEALS)
    first = import_file(warehouse, OrgSettings(), "opportunities", path)
    assert counts(first) == (3, 3, 0, 0, 0) and first.loaded
    before = rows(warehouse, "SELECT * FROM opportunities ORDER BY opportunity_id")
    again = import_file(warehouse, OrgSettings(), "opportunities", path)
    assert counts(again) == (3, 0, 0, 3, 0)
    assert rows(warehouse, "SELECT * FROM opportunities ORDER BY opportunity_id") == before
    assert before[1][:9] == ("o2", "c1", "r2", None, None, datetime(2025, 3, 2, 10), "proposal",
                             "open", Decimal("2000.50"))


def test_changed_rows_are_updated_and_new_ones_inserted(tmp_path: Path,
                                                        warehouse: Warehouse) -> None:
    import_file(warehouse, OrgSettings(), "opportunities", write_csv(tmp_path / "a.csv", DEALS))
    changed = DEALS.replace("o2,c1,r2,2025-03-02 10:00,proposal", "o2,c1,r2,2025-03-02 10:00,"
                            "negotiation") + "o4,c3,r1,2025-03-04 12:00,lead,5,CNY,\n"
    result = import_file(warehouse, OrgSettings(), "opportunities",
                         write_csv(tmp_path / "b.csv", changed))
    assert counts(result) == (4, 1, 1, 2, 0)
    assert rows(warehouse, "SELECT opportunity_id, stage FROM opportunities ORDER BY 1") == [
        ("o1", "lead"), ("o2", "negotiation"), ("o3", "negotiation"), ("o4", "lead")]


def test_a_file_without_a_column_leaves_it_alone(tmp_path: Path, warehouse: Warehouse) -> None:
    lost = DEALS.replace("o3,c2,r2,2025-03-03 11:00,negotiation,300,EUR,",
                         "o3,c2,r2,2025-03-03 11:00,negotiation,300,EUR,too expensive")
    import_file(warehouse, OrgSettings(), "opportunities", write_csv(tmp_path / "a.csv", lost))
    narrow = write_csv(tmp_path / "n.csv", "opportunity_id,customer_id,owner_rep_id,created_at,"
                                           "stage,amount,currency\n"
                                           "o3,c2,r2,2025-03-03 11:00,proposal,300,EUR\n")
    result = import_file(warehouse, OrgSettings(), "opportunities", narrow)
    assert counts(result) == (1, 0, 1, 0, 0)
    assert rows(warehouse, "SELECT stage, lost_reason FROM opportunities "
                           "WHERE opportunity_id = 'o3'") == [("proposal", "too expensive")]


def test_the_currency_defaults_to_the_organisations(tmp_path: Path,
                                                    warehouse: Warehouse) -> None:
    path = write_csv(tmp_path / "orders.csv", "order_id,customer_id,rep_id,ordered_at,amount\n"
                                              "x1,c1,r1,2025-01-05,99.9\n")
    result = import_file(warehouse, OrgSettings(), "orders", path)
    assert result.inserted == 1
    assert "the file has no currency: amounts are taken to be in CNY" in result.notes[0].en
    assert rows(warehouse, "SELECT amount, currency FROM orders") == [(Decimal("99.90"), "CNY")]


def test_strict_aborts_on_any_rejected_row(tmp_path: Path, warehouse: Warehouse) -> None:
    import_file(warehouse, OrgSettings(), "opportunities", write_csv(tmp_path / "a.csv", DEALS))
    before = rows(warehouse, "SELECT * FROM opportunities ORDER BY 1")
    bad = DEALS.replace(",300,", ",lots,").replace(",100,", ",150,")
    result = import_file(warehouse, OrgSettings(), "opportunities",
                         write_csv(tmp_path / "b.csv", bad), options=ImportOptions(strict=True))
    assert result.status == "aborted" and result.rejected == 1
    assert (result.inserted, result.updated) == (0, 0)
    assert rows(warehouse, "SELECT * FROM opportunities ORDER BY 1") == before
    # A rejection found inside the transaction (a row rule) rolls back the writes too.
    closed = DEALS.replace("o1,c1,r1,2025-03-01 09:00,lead,100", "o1,c1,r1,2025-03-01 09:00,"
                           "won,150")
    result = import_file(warehouse, OrgSettings(), "opportunities",
                         write_csv(tmp_path / "c.csv", closed), options=ImportOptions(strict=True))
    assert result.status == "aborted"
    assert rows(warehouse, "SELECT * FROM opportunities ORDER BY 1") == before


def test_an_amounts_own_currency_is_not_relabelled(tmp_path: Path, warehouse: Warehouse) -> None:
    # A Salesforce report writes "USD 1,200.00" and has no currency column: the amount says
    # which currency it is in, and storing it as the organisation's CNY would be wrong.
    path = write_csv(tmp_path / "report.csv",
                     "opportunity_id,customer_id,owner_rep_id,created_at,stage,amount\n"
                     "o1,c1,r1,2025-03-01,lead,\"USD 1,200.00\"\n"
                     "o2,c1,r1,2025-03-01,lead,\"¥2,000\"\n"
                     "o3,c1,r1,2025-03-01,lead,300\n"
                     "o4,c1,r1,2025-03-01,lead,\"$ 50\"\n"
                     "o5,c1,r1,2025-03-01,lead,12.5 €\n")
    result = import_file(warehouse, OrgSettings(), "opportunities", path)
    assert counts(result) == (5, 4, 0, 0, 1)
    assert rows(warehouse, "SELECT opportunity_id, amount, currency FROM opportunities "
                           "ORDER BY 1") == [
        ("o1", Decimal("1200.00"), "USD"), ("o2", Decimal("2000.00"), "CNY"),
        ("o3", Decimal("300.00"), "CNY"), ("o5", Decimal("12.50"), "EUR")]
    # A bare $ is some dollar, never CNY: rejected, not guessed.
    [bad] = result.rejects.to_pylist()
    assert (bad["row"], bad["column"], bad["value"]) == (5, "amount", "$ 50")
    assert bad["reason"] == "the amount is written in $, which is not CNY (the currency)"
    assert bad["reason_zh"] == "金额以 $ 标注，与币种 CNY 不符"
    assert any("2 amount(s) state their own currency (e.g. USD 1,200.00): that one is used"
               in n.en for n in result.notes)


def test_an_amount_that_contradicts_its_currency_column_is_rejected(
        tmp_path: Path, warehouse: Warehouse) -> None:
    path = write_csv(tmp_path / "orders.csv",
                     "order_id,customer_id,rep_id,ordered_at,amount,currency\n"
                     "x1,c1,r1,2025-01-05,\"USD 10\",EUR\n"
                     "x2,c1,r1,2025-01-05,\"$10\",USD\n"
                     "x3,c1,r1,2025-01-05,€10,EUR\n"
                     "x4,c1,r1,2025-01-05,10,EUR\n")
    result = import_file(warehouse, OrgSettings(), "orders", path)
    assert counts(result) == (4, 3, 0, 0, 1)
    [bad] = result.rejects.to_pylist()
    assert (bad["row"], bad["value"], bad["reason"]) == (
        2, "USD 10", "the amount is written in USD, which is not EUR (the currency)")
    assert rows(warehouse, "SELECT order_id, currency FROM orders ORDER BY 1") == [
        ("x2", "USD"), ("x3", "EUR"), ("x4", "EUR")]
