"""The worked example of docs/import.md runs as the page says it does."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from salescore.engine.warehouse import Warehouse
from salescore.ingest import import_file, parse_mapping
from salescore.model.org import Organisation, OrgSettings

from .conftest import rows

DOC = Path(__file__).resolve().parents[2] / "docs" / "import.md"


def _block(marker: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- worked-example: {re.escape(marker)} -->\n```\w+\n(.*?)```", text,
                      re.S)
    assert found, marker
    return found.group(1)


def test_the_pipedrive_example(tmp_path: Path, duck: Warehouse) -> None:
    path = tmp_path / "deals.csv"
    path.write_bytes(_block("deals.csv").encode("cp1252"))
    mapping_text = _block("mapping")
    settings = OrgSettings(organisation=Organisation(timezone="Asia/Shanghai"))
    first = import_file(duck, settings, "opportunities", path,
                        mapping=parse_mapping(mapping_text, "deals.yaml"))
    assert (first.read_rows, first.inserted, first.rejected) == (5, 3, 2)
    assert first.unknown_stages == {"Testphase": 1}
    assert [(r["row"], r["column"], r["value"]) for r in first.rejects.to_pylist()] == [
        (5, "Deal - Value", "ca. 5k"), (6, "Deal - Stage", "Testphase")]
    fixed = mapping_text.replace("      Angebot: proposal\n",
                                 "      Angebot: proposal\n      Testphase: proposal\n")
    second = import_file(duck, settings, "opportunities", path,
                         mapping=parse_mapping(fixed, "deals.yaml"))
    assert (second.inserted, second.unchanged, second.rejected) == (1, 3, 1)
    assert rows(duck, "SELECT opportunity_id, created_at, stage, status, amount, currency, "
                      "expected_close_date, closed_at, lost_reason FROM opportunities "
                      "ORDER BY 1") == [
        ("101", datetime(2025, 2, 3, 8, 15), "negotiation", "open", Decimal("12500.00"), "EUR",
         date(2025, 4, 30), None, None),
        ("102", datetime(2025, 1, 10, 13), "won", "won", Decimal("1234.50"), "EUR", None,
         datetime(2025, 2, 28, 15, 30), None),
        ("103", datetime(2025, 1, 15, 9), "lost", "lost", Decimal("8000.00"), "EUR", None,
         datetime(2025, 2, 20, 10), "Preis"),
        ("105", datetime(2025, 2, 21, 12), "proposal", "open", Decimal("950.00"), "EUR", None,
         None, None),
    ]
