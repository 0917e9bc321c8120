"""Each key of the mapping language on its own: what it gives, and where a mistake is named."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from salescore.engine.warehouse import Warehouse
from salescore.ingest import IngestError, import_file, load_mapping, parse_mapping
from salescore.ingest.readers import ROW, ReadOptions, read_source, source_from_arrow
from salescore.ingest.transform import apply_mapping
from salescore.model.org import OrgSettings

from .conftest import rows, write_csv


def _mapped(columns: dict[str, list[str | None]], yaml_text: str, table: str = "reps",
            today: date = date(2025, 3, 15), base: Path | None = None) -> dict[str, list[object]]:
    spec = parse_mapping(yaml_text, "m.yaml", base=base)
    mapped = apply_mapping(source_from_arrow(pa.table(columns)), table, spec, today=today)
    return {name: col.raw.to_pylist() for name, col in mapped.columns.items()} | {
        ROW: mapped.rows.to_pylist()}


def _error(yaml_text: str) -> str:
    with pytest.raises(IngestError) as caught:
        parse_mapping(yaml_text, "m.yaml")
    return caught.value.message


# -- look-ups -------------------------------------------------------------------------------
TEAM_SHEET = ("Agent,Manager,Office\n"
              "Anna Snelling,Dustin Brinkmann,Central\n"
              "Moses Frase,Rocco Neubert,East\n"
              "Jim Hall,Summer Sewald,West\n"
              "Jim Hall,Melvin Marxen,West\n")
LOOKUP = """\
lookups:
  team: {file: team.csv, key: Agent}
columns:
  rep_id: Sales Agent
  manager_rep_id: {lookup: {in: team, match: Sales Agent, take: Manager}}
  team_id: {lookup: {in: team, match: Sales Agent, take: Office}, default: unassigned}
"""


def test_a_lookup_takes_a_column_of_the_row_with_the_same_key(tmp_path: Path) -> None:
    write_csv(tmp_path / "team.csv", TEAM_SHEET)
    spec = parse_mapping(LOOKUP, "m.yaml", base=tmp_path)
    agents = ["Anna Snelling", " moses frase ", "Zane Levy", None, "Jim Hall"]
    mapped = apply_mapping(source_from_arrow(pa.table({"Sales Agent": agents})), "reps", spec)
    # Matched exactly, else ignoring case and spacing; an agent not in the sheet gets nothing
    # (then the default), and one the sheet lists twice with different managers is a problem
    # of the rows that ask for it, not a guess.
    assert mapped.columns["manager_rep_id"].raw.to_pylist() == [
        "Dustin Brinkmann", "Rocco Neubert", None, None, None]
    assert mapped.columns["team_id"].raw.to_pylist() == [
        "Central", "East", "unassigned", "unassigned", "West"]
    [problem] = mapped.columns["manager_rep_id"].problems
    assert problem.mask.to_pylist() == [False, False, False, False, True]
    assert problem.reason.en == ("the lookup file team.csv gives this Sales Agent more than one "
                                 "Manager (Jim Hall: rows 4, 5)")
    assert mapped.columns["team_id"].problems == ()
    assert [n.en for n in mapped.notes] == [
        "1 row(s) whose Sales Agent is not in team.csv (e.g. Zane Levy): manager_rep_id left "
        "empty",
        "1 row(s) whose Sales Agent is not in team.csv (e.g. Zane Levy): team_id left empty"]
    assert mapped.columns["manager_rep_id"].source == "Sales Agent → team.csv:Manager"


def test_lookup_mistakes_name_the_mapping_line(tmp_path: Path) -> None:
    write_csv(tmp_path / "team.csv", TEAM_SHEET)
    source = source_from_arrow(pa.table({"Sales Agent": ["Anna Snelling"]}))

    def error(text: str) -> str:
        with pytest.raises(IngestError) as caught:
            apply_mapping(source, "reps", parse_mapping(text, "m.yaml", base=tmp_path))
        return caught.value.message

    assert error(LOOKUP.replace("key: Agent", "key: Name")) == (
        "m.yaml:2: lookup file team.csv has no column 'Name'; its columns: Agent, Manager, "
        "Office")
    assert error(LOOKUP.replace("take: Manager", "take: Boss")) == (
        "m.yaml:5: lookup file team.csv has no column 'Boss' (for manager_rep_id); its "
        "columns: Agent, Manager, Office")
    assert error(LOOKUP.replace("team.csv", "teams.csv")).startswith(
        "m.yaml:2: lookup file 'team' not found: ")
    assert _error(LOOKUP.replace("in: team, match: Sales Agent, take: Manager",
                                 "in: staff, match: Sales Agent, take: Manager")) == (
        "m.yaml:5: columns.manager_rep_id.lookup.in: 'staff' is not a file declared under "
        "lookups (those are: team)")
    # A mapping may come through the web app: it reads files beside it, nowhere else.
    for outside in ("/etc/passwd", "../salescore.yaml", "C:/secrets.csv"):
        assert "relative to the mapping file" in _error(LOOKUP.replace("team.csv", outside))


# -- cases and conditions --------------------------------------------------------------------
def test_cases_give_the_first_value_whose_test_holds() -> None:
    got = _mapped({"Stage": ["Closed Won", "Negotiation", None, "Closed Lost"],
                   "Won": ["2025-03-01", None, None, None]}, """
columns:
  stage:
    cases:
      - {when: {column: Won, empty: false}, then: won}
      - {when: {column: Stage, matches: "(?i)lost"}, then: lost}
    otherwise: {from: Stage}
    default: lead
""", table="opportunities")
    assert got["stage"] == ["won", "Negotiation", "lead", "lost"]


def test_a_status_from_a_date_before_today() -> None:
    got = _mapped({"Agent": ["a", "b", "c", "d"],
                   "Left on": ["2025-03-14", "2025-03-15", None, "someday"]}, """
columns:
  rep_id: Agent
  active:
    cases: [{when: {column: Left on, before: today}, then: "false"}]
    default: "true"
""")
    # Left yesterday: gone; leaving today or not at all: still here. A value that is not a
    # date fails the test rather than guessing (and cleaning never sees it: the case decides).
    assert got["active"] == ["false", "true", "true", "true"]


def test_tests_on_numbers_days_and_several_columns() -> None:
    columns: dict[str, list[str | None]] = {
        "id": ["1", "2", "3", "4"], "Value": ["0", "1.234,5", "abc", "12"],
        "Close": ["01.02.2025", "15.03.2025", "01.04.2025", None]}
    got = _mapped(columns, """
decimal_separator: ","
columns:
  opportunity_id: id
  lost_reason:
    cases:
      - {when: {column: Value, above: 0, below: 100}, then: small}
      - when: {all: [{column: Value, above: 1000}, {column: Close, after: 2025-03-01,
                                                    before: 2025-03-31, format: "%d.%m.%Y"}]}
        then: big in March
      - {when: {any: [{column: Value, in: ["0"]}, {column: Close, empty: true}]}, then: none}
""", table="opportunities")
    assert got["lost_reason"] == ["none", "big in March", None, "small"]


def test_condition_mistakes_name_the_line() -> None:
    assert _error("columns:\n  rep_id: {from: A, when: {column: B, in: [x], empty: true}}\n") \
        .startswith("m.yaml:2: columns.rep_id.when: give one test of: in, not_in, matches")
    assert _error("columns:\n  rep_id:\n    cases:\n      - when: {column: B, before: soon}\n"
                  "        then: x\n") == (
        "m.yaml:4: columns.rep_id.cases[0].when.before: 'soon' is not a day: write today or "
        "YYYY-MM-DD")
    assert _error("columns:\n  rep_id: {from: A, when: {all: [{in: [x]}]}}\n").startswith(
        "m.yaml:2: columns.rep_id.when.all[0]: name the source column the test reads")


# -- dates from another column ---------------------------------------------------------------
def test_add_days_moves_a_date_by_a_column_or_a_number() -> None:
    got = _mapped({"id": ["1", "2", "3", "4", "5"],
                   "Created": ["28.02.2025", "31.12.2024 22:30", "01.03.2025", None,
                               "2025-03-01T08:00:00+08:00"],
                   "Days to Close": ["1", "2", "soon", "5", "0.5"]}, """
columns:
  opportunity_id: id
  expected_close_date: {from: Created, format: ["%d.%m.%Y", "%d.%m.%Y %H:%M"],
                        add_days: Days to Close}
  closed_at: {from: Created, format: ["%d.%m.%Y", "%d.%m.%Y %H:%M"], add_days: 30}
""", table="opportunities")
    assert got["expected_close_date"] == [
        "2025-03-01T00:00:00", "2025-01-02T22:30:00", None, None, "2025-03-01T12:00:00Z"]
    assert got["closed_at"][:2] == ["2025-03-30T00:00:00", "2025-01-30T22:30:00"]


def test_add_days_lands_on_the_local_calendar_day(tmp_path: Path, duck: Warehouse) -> None:
    write_csv(tmp_path / "deals.csv",
              "id,cust,rep,created,days\n"
              "o1,c1,r1,2025-03-29 09:00,1\n"    # the night Berlin moves its clocks on
              "o2,c1,r1,2025-03-01 09:00,x\n")
    (tmp_path / "m.yaml").write_text("""
timezone: Europe/Berlin
columns:
  opportunity_id: id
  customer_id: cust
  owner_rep_id: rep
  created_at: created
  stage: {constant: won}
  amount: {constant: "1"}
  expected_close_date: {from: created, add_days: days}
  closed_at: {from: created, add_days: days, optional: true}
""", encoding="utf-8")
    result = import_file(duck, OrgSettings(), "opportunities", tmp_path / "deals.csv",
                         mapping=load_mapping(tmp_path / "m.yaml"))
    assert [(r["row"], r["column"], r["field"], r["reason"]) for r in
            result.rejects.to_pylist()] == [
        (3, "created + days", "closed_at", "days is not a number of days"),
        (3, "created + days", "expected_close_date", "days is not a number of days")]
    # 09:00 in Berlin the next day is 07:00 UTC (summer time), not 08:00: a day, not 24 hours.
    assert rows(duck, "SELECT expected_close_date, closed_at FROM opportunities") == [
        (date(2025, 3, 30), datetime(2025, 3, 30, 7))]


def test_add_days_only_on_dates() -> None:
    assert _error("table: opportunities\ncolumns:\n  amount: {from: A, add_days: 3}\n") == (
        "m.yaml:3: columns.amount.add_days: add_days moves a date or a time, and "
        "opportunities.amount is neither")


# -- rows skipped, one sheet for several tables, repeated keys -------------------------------
def test_skip_rows_leaves_out_footers_and_counts_them(tmp_path: Path, duck: Warehouse) -> None:
    write_csv(tmp_path / "teams.csv", "Team,Name\nt1,East\nt2,West\nGrand Total,2\n,\n")
    spec = parse_mapping("skip_rows: [{column: Team, matches: '^Grand Total'}]\n"
                         "columns: {team_id: Team, name: Name}\n", "m.yaml")
    result = import_file(duck, OrgSettings(), "teams", tmp_path / "teams.csv", mapping=spec)
    assert (result.read_rows, result.inserted, result.skipped, result.rejected) == (3, 2, 1, 0)
    assert rows(duck, "SELECT team_id, name FROM teams ORDER BY 1") == [
        ("t1", "East"), ("t2", "West")]


def test_one_mapping_for_several_tables_names_lines_within_its_section() -> None:
    text = """\
tables:
  teams:
    columns: {team_id: Office, name: Office}
  reps:
    columns:
      rep_id: Agent
      colour: Colour
"""
    assert _error(text) == ("m.yaml:7: tables.reps.columns.colour: reps has no column "
                            "'colour'; its columns: rep_id, name, email, team_id, "
                            "manager_rep_id, title, hire_date, active")
    spec = parse_mapping(text.replace("      colour: Colour\n", ""), "m.yaml")
    assert spec.table_names == ("teams", "reps")
    assert spec.for_table("reps").line_of("columns", "rep_id") == 6
    with pytest.raises(IngestError, match=r"m.yaml:1: this mapping maps teams, reps, not "
                                          r"customers"):
        spec.for_table("customers")
    assert _error("table: reps\ntables: {reps: {columns: {rep_id: A}}}\n").startswith(
        "m.yaml:1: with tables, each table is named under it")
    assert _error("columns: {rep_id: A}\ntables: {reps: {columns: {rep_id: A}}}\n").startswith(
        "m.yaml:1: give columns (one table) or tables (several), not both")
    assert _error("tables: {deals: {columns: {rep_id: A}}}\n").startswith(
        "m.yaml:1: tables: unknown table 'deals'")


def test_repeated_keys_keep_the_last_row(tmp_path: Path, duck: Warehouse) -> None:
    write_csv(tmp_path / "teams.csv", "Team,Name\nt1,East\nt1,East (new)\nt2,West\n")
    spec = parse_mapping("repeated_keys: last\ncolumns: {team_id: Team, name: Name}\n")
    result = import_file(duck, OrgSettings(), "teams", tmp_path / "teams.csv", mapping=spec)
    assert (result.inserted, result.unchanged, result.rejected) == (2, 1, 0)
    assert rows(duck, "SELECT team_id, name FROM teams ORDER BY 1") == [
        ("t1", "East (new)"), ("t2", "West")]


# -- the header row --------------------------------------------------------------------------
def test_an_explicit_header_row_keeps_file_line_numbers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", "Sales report,,\nQ1 2025,total,3\nid,name,n\n"
                                         "a,Anna,1\nb,Ben,2\n")
    src = read_source(path, ReadOptions(header_row=3))
    assert src.columns == ["id", "name", "n"]
    assert src.data.column(ROW).to_pylist() == [4, 5]
    assert src.titles == ((1, "Sales report"), (2, "Q1 2025 total 3"))
    with pytest.raises(IngestError, match="header row 9 is below the end of r.csv"):
        read_source(path, ReadOptions(header_row=9))
    spec = parse_mapping("source: {header_row: 3}\ncolumns: {team_id: id}\n")
    assert spec.source.header_row == 3
    assert _error("source: {header_row: 0}\ncolumns: {team_id: id}\n").startswith(
        "m.yaml:1: source.header_row: ")


def test_title_lines_above_a_csv_header_are_found(tmp_path: Path) -> None:
    # Titles as a report writes them (one field), and as a spreadsheet saves them (padded).
    for text in ("Pipeline by owner\nRun 2025-04-01 08:00\n\nOwner;Deals;Value\nr1;3;1,5\n"
                 "r2;1;2\n",
                 "Pipeline by owner;;\nRun 2025-04-01 08:00;;\n;;\nOwner;Deals;Value\n"
                 "r1;3;1,5\nr2;1;2\n"):
        src = read_source(write_csv(tmp_path / "p.csv", text))
        assert src.columns == ["Owner", "Deals", "Value"]
        assert src.data.column(ROW).to_pylist() == [5, 6]
        assert src.titles == ((1, "Pipeline by owner"), (2, "Run 2025-04-01 08:00"))
    # A plain file is read from its first line, as always.
    src = read_source(write_csv(tmp_path / "q.csv", "id\nr1\nr2,extra\n"))
    assert src.columns == ["id"] and src.titles == ()
