"""docs/import.md's mapping examples cannot rot: every YAML block on the page parses as a
mapping, and the examples that come with files import as the page shows."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from salescore.engine.warehouse import Warehouse
from salescore.ingest import import_file, load_mapping, parse_mapping
from salescore.model.org import OrgSettings

from .conftest import rows

DOC = Path(__file__).resolve().parents[2] / "docs" / "import.md"
_BLOCK = re.compile(r"<!-- mapping-(file|example): ([\w./-]+) -->\n```\w+\n(.*?)```", re.S)


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def _write_examples(folder: Path, example: str) -> Path:
    """The files and mappings of one example (``lookups``) written into ``folder``."""
    for _, name, body in _BLOCK.findall(DOC.read_text(encoding="utf-8")):
        if name.startswith(f"{example}/"):
            (folder / name.split("/", 1)[1]).write_text(body, encoding="utf-8")
    return folder


def test_the_page_has_an_example_of_every_mapping_feature() -> None:
    text = DOC.read_text(encoding="utf-8")
    for key in ("lookups:", "tables:", "cases:", "add_days:", "default:", "skip_rows:",
                "header_row:", "repeated_keys:", "before: today"):
        assert any(key in block for block in _yaml_blocks()), key
    for heading in ("### Look-ups into a second file / 从第二个文件查找取值",
                    "### One sheet, several tables / 一张表导入多张数据表",
                    "### A status from a stage or a date / 由阶段或日期得出状态",
                    "### A close date from \"days to close\" / 由成交天数得出成交日期",
                    "### Default values / 默认值", "### Rows filtered out / 过滤行",
                    "### The header row below title rows / 标题行之下的表头"):
        assert heading in text, heading


@pytest.mark.parametrize("block", _yaml_blocks(), ids=lambda b: b.splitlines()[0][:40])
def test_every_yaml_block_of_the_page_parses_as_a_mapping(block: str) -> None:
    parse_mapping(block, "docs/import.md")


def test_the_lookup_and_several_tables_examples_import_as_shown(tmp_path: Path,
                                                                duck: Warehouse) -> None:
    folder = _write_examples(tmp_path, "lookups")
    pipeline = folder / "sales_pipeline.csv"
    reps = import_file(duck, OrgSettings(), "reps", pipeline,
                       mapping=load_mapping(folder / "reps.yaml"))
    assert (reps.inserted, reps.unchanged, reps.rejected) == (3, 1, 0)
    assert rows(duck, "SELECT rep_id, team_id, manager_rep_id, active FROM reps ORDER BY 1") == [
        ("Anna Snelling", "Central", "Dustin Brinkmann", True),
        ("Darcel Schlecht", "West", "Summer Sewald", True),
        ("Moses Frase", "East", "Rocco Neubert", True)]
    mapping = load_mapping(folder / "pipeline.yaml")
    counts = {name: import_file(duck, OrgSettings(), name, pipeline, mapping=mapping)
              for name in mapping.table_names}
    assert {name: (r.inserted, r.unchanged, r.rejected) for name, r in counts.items()} == {
        "teams": (3, 1, 0), "reps": (0, 4, 0), "customers": (3, 1, 0),
        "opportunities": (4, 0, 0)}
    assert rows(duck, "SELECT customer_id, owner_rep_id, created_at FROM customers "
                      "ORDER BY 1") == [
        ("Cancity", "Moses Frase", datetime(2016, 10, 20)),
        ("Isdom", "Darcel Schlecht", datetime(2016, 10, 25)),
        ("Ron-tech", "Anna Snelling", datetime(2016, 10, 29))]
    assert rows(duck, "SELECT sum(amount) FROM opportunities WHERE status = 'won'") == [
        (Decimal("5618"),)]


def test_the_funnel_example_imports_as_shown(tmp_path: Path, duck: Warehouse) -> None:
    folder = _write_examples(tmp_path, "funnel")
    result = import_file(duck, OrgSettings(), "opportunities", folder / "funnel.csv",
                         mapping=load_mapping(folder / "funnel.yaml"))
    assert (result.read_rows, result.inserted, result.rejected, result.skipped) == (3, 2, 0, 1)
    notes = [n.en for n in result.notes]
    assert "rows above the header skipped as a title (row 1: Marketing Funnel Report; row 2: " \
           "Period: 2025-01-01 - 2025-03-31; row 3: Exported by: ops@example.com)" in notes
    assert "1 row(s) skipped by the mapping's skip_rows (rows 8)" in notes
    assert rows(duck, "SELECT opportunity_id, stage, status, created_at, expected_close_date, "
                      "closed_at, amount FROM opportunities ORDER BY 1") == [
        ("L-1001", "qualified", "open", datetime(2025, 1, 6), date(2025, 2, 20), None,
         Decimal("1200.00")),
        ("L-1003", "won", "won", datetime(2025, 1, 15), date(2025, 2, 5),
         datetime(2025, 2, 3, 18), Decimal("4300.00"))]
    # Without header_row, the titles are found by themselves, as the page says.
    (folder / "auto.yaml").write_text(
        (folder / "funnel.yaml").read_text(encoding="utf-8").replace(
            "source:\n  header_row: 5", "source: {}"), encoding="utf-8")
    again = import_file(duck, OrgSettings(), "opportunities", folder / "funnel.csv",
                        mapping=load_mapping(folder / "auto.yaml"))
    assert (again.read_rows, again.unchanged, again.skipped) == (3, 2, 1)
