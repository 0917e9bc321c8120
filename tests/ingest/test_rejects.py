"""The rejects file: one line per rejected row, every problem, the row as the file had it, and
importable again as it is once the bad cells are corrected."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from salescore.engine.warehouse import Warehouse
from salescore.ingest import import_file, parse_mapping
from salescore.model.org import OrgSettings

from .conftest import rows, write_csv

HEADER = ("Opportunity ID,Customer ID,Owner Rep ID,Created At,Stage,Amount,Currency,Closed At,"
          "Lost Reason\n")
DEALS = (HEADER
         + "o1,c1,r1,2025-03-01 09:00,lead,100,CNY,,\n"
         # row 3: a negative amount and a won deal without its close date: two problems
         + "o2,c1,r2,2025-03-02 10:00,won,-50,CNY,,\n"
         # row 4: an amount and a date that cannot be read, and a would-be formula
         + 'o3,c2,r2,someday,lead,$ 12k,CNY,,"=HYPERLINK(""http://x"",""y"")"\n'
         + "o4,c2,r1,2025-03-04 08:00,proposal,400,CNY,,\n"
         # row 6: a stage the pipeline does not know
         + "o5,c2,r1,2025-03-05 08:00,Testphase,500,CNY,,\n")


def _read(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def _write(path: Path, table: list[dict[str, str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(table[0]), delimiter=delimiter)
        out.writeheader()
        out.writerows(table)
    return path


def test_one_line_per_rejected_row_with_its_key_every_problem_and_its_values(
        tmp_path: Path, duck: Warehouse) -> None:
    result = import_file(duck, OrgSettings(), "opportunities", write_csv(tmp_path / "d.csv",
                                                                          DEALS))
    assert (result.read_rows, result.inserted, result.rejected) == (5, 2, 3)
    out = _read(result.write_rejects(tmp_path / "rejects.csv"))
    assert list(out[0]) == ["_file", "_row", "_key", "_problems", "_problems_zh",
                            *HEADER.strip().split(",")]
    assert [(r["_file"], r["_row"], r["_key"]) for r in out] == [
        ("d.csv", "3", "o2"), ("d.csv", "4", "o3"), ("d.csv", "6", "o5")]
    # Every problem of the row, not only the first; each names the column as the file does.
    assert out[0]["_problems"] == ('Amount = "-50": below the minimum 0 | '
                                   'Closed At = "": closed_at is required when status is won')
    assert out[0]["_problems_zh"] == ('Amount = "-50"：小于最小值 0 | '
                                      'Closed At = ""：status 为 won 时必须填写 closed_at')
    assert out[1]["_problems"].count(" | ") == 1
    assert 'Created At = "someday": not a date or time' in out[1]["_problems"]
    # The values as the file has them; a negative number stays a number, a formula is text.
    assert (out[0]["Amount"], out[0]["Stage"], out[1]["Amount"]) == ("-50", "won", "$ 12k")
    assert out[1]["Lost Reason"] == "'=HYPERLINK(\"http://x\",\"y\")"
    # How many rows each problem hit, as the CLI shows it.
    hits = {(r["column"], r["reason"]): r["count"] for r in result.reasons()}
    assert hits[("Amount", "below the minimum 0")] == 1
    assert hits[("Closed At", "closed_at is required when status is won")] == 1
    assert len(hits) == 5


def test_the_corrected_rejects_file_imports_as_it_is_and_nothing_is_doubled(
        tmp_path: Path, duck: Warehouse) -> None:
    first = import_file(duck, OrgSettings(), "opportunities", write_csv(tmp_path / "d.csv",
                                                                         DEALS))
    table = _read(first.write_rejects(tmp_path / "rejects.csv"))
    fixes = {"3": {"Amount": "50", "Closed At": "2025-03-20 12:00"},
             "4": {"Created At": "2025-03-03 11:00", "Amount": "12000"},
             "6": {"Stage": "proposal"}}
    for row in table:
        row.update(fixes[row["_row"]])
    again = import_file(duck, OrgSettings(), "opportunities",
                        _write(tmp_path / "fixed.csv", table))
    assert (again.read_rows, again.inserted, again.updated, again.unchanged, again.rejected) == \
        (3, 3, 0, 0, 0), again.rejects.to_pylist()
    assert again.ignored_columns == ()  # the note columns are not data, nor unused columns
    assert rows(duck, "SELECT opportunity_id, amount, stage, lost_reason FROM opportunities "
                      "ORDER BY 1") == [
        ("o1", Decimal("100.00"), "lead", None), ("o2", Decimal("50.00"), "won", None),
        ("o3", Decimal("12000.00"), "lead", '=HYPERLINK("http://x","y")'),
        ("o4", Decimal("400.00"), "proposal", None), ("o5", Decimal("500.00"), "proposal", None)]
    # The first file again: nothing new, nothing written twice.
    once_more = import_file(duck, OrgSettings(), "opportunities", tmp_path / "fixed.csv")
    assert (once_more.inserted, once_more.updated, once_more.unchanged) == (0, 0, 3)
    assert rows(duck, "SELECT count(*), count(DISTINCT opportunity_id) FROM opportunities") == \
        [(5, 5)]


def test_a_rejects_file_reimports_through_the_mapping_of_its_source(
        tmp_path: Path, duck: Warehouse) -> None:
    # A German export: semicolons, Windows-1252, and a mapping that says so.
    mapping = parse_mapping(
        "source: {delimiter: ';', encoding: cp1252}\n"
        "columns:\n"
        "  team_id: Team-Nr.\n"
        "  name: Bezeichnung\n"
        "  region: Region\n", origin="teams.yaml")
    source = write_csv(tmp_path / "teams.csv",
                       "Team-Nr.;Bezeichnung;Region;Notiz\n"
                       "T1;Süd;Bayern;ok\n"
                       ";Nord;Hamburg;ohne Nummer\n"
                       "T3;;Köln;ohne Namen\n", encoding="cp1252")
    first = import_file(duck, OrgSettings(), "teams", source, mapping=mapping)
    assert (first.inserted, first.rejected) == (1, 2)
    path = first.write_rejects(tmp_path / "rejects.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table = _read(path, ";")
    assert [(r["_row"], r["_key"], r["Team-Nr."], r["Region"], r["Notiz"]) for r in table] == [
        ("3", "", "", "Hamburg", "ohne Nummer"), ("4", "T3", "T3", "Köln", "ohne Namen")]
    table[0]["Team-Nr."] = "T2"
    table[1]["Bezeichnung"] = "West"
    again = import_file(duck, OrgSettings(), "teams", _write(tmp_path / "fixed.csv", table, ";"),
                        mapping=mapping)
    assert (again.inserted, again.rejected) == (2, 0), again.rejects.to_pylist()
    assert again.ignored_columns == ("Notiz",)
    assert rows(duck, "SELECT team_id, name, region FROM teams ORDER BY 1") == [
        ("T1", "Süd", "Bayern"), ("T2", "Nord", "Hamburg"), ("T3", "West", "Köln")]


def test_a_record_that_cannot_be_read_and_a_clashing_key_are_rows_of_the_file_too(
        tmp_path: Path, duck: Warehouse) -> None:
    path = write_csv(tmp_path / "t.csv", "team_id,name,region\n"
                                         "T1,East,North\n"
                                         "T2,West\n"
                                         "T1,Other,South\n")
    result = import_file(duck, OrgSettings(), "teams", path)
    out = _read(result.write_rejects(tmp_path / "rejects.csv"))
    assert [(r["_row"], r["_key"], r["name"]) for r in out] == [
        ("2", "T1", "East"), ("3", "", ""), ("4", "T1", "Other")]
    assert out[0]["_problems"] == ('team_id = "T1 (= row 4)": same key as another row of the '
                                   "file, with different values")
    assert out[1]["_problems"] == '"T2,West": expected 3 fields, found 2'
