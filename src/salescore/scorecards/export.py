"""Stored scores as tables, for a spreadsheet: one row per subject, and one row per line.

``scores``: ``plan, version, period, subject_kind, subject_id, team_id, status, score, rating,
rank_in_team, rank_in_company, coverage, individual_score, team_score, credit``, then for each KPI
of the plans (in plan order) ``<kpi>.value``, ``<kpi>.target``, ``<kpi>.points`` and
``<kpi>.contribution``. ``lines``: the same key columns and every field of each line. CSV holds
the ``scores`` table, its text made safe to open in a spreadsheet (a would-be formula gets a quote
in front: :mod:`salescore.ingest.formulas`); XLSX holds both, one sheet each, text as text.
Column names are the same words as everywhere else (docs/scorecards.md), in both files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, assert_never

import pyarrow as pa
import pyarrow.csv as pa_csv

from salescore.appstore.models import Score
from salescore.scorecards.records import LINE_FIELDS

__all__ = ["EXPORT_FORMATS", "ExportFormat", "export_scores", "score_tables"]

ExportFormat = Literal["csv", "xlsx"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "xlsx")
PER_KPI = ("value", "target", "points", "contribution")


def _key(row: Score) -> dict[str, Any]:
    return {
        "plan": row.plan_version.plan.name,
        "version": row.plan_version.version,
        "period": row.period,
        "subject_kind": row.subject_kind,
        "subject_id": row.subject_id,
        "team_id": row.team_id,
    }


def score_tables(rows: Sequence[Score]) -> tuple[pa.Table, pa.Table]:
    """The ``scores`` (wide) and ``lines`` (long) tables of stored score rows."""
    kpis: list[str] = []
    for row in rows:
        for line in (row.breakdown or {}).get("lines", []):
            if line["kpi"] not in kpis:
                kpis.append(line["kpi"])
    wide: list[dict[str, Any]] = []
    long: list[dict[str, Any]] = []
    for row in rows:
        parts = row.breakdown or {}
        record = {
            **_key(row), "status": row.status, "score": row.score, "rating": row.rating,
            "rank_in_team": row.rank_team, "rank_in_company": row.rank_company,
            "coverage": row.coverage, "individual_score": parts.get("individual_score"),
            "team_score": parts.get("team_score"), "credit": parts.get("credit"),
        }
        by_kpi = {line["kpi"]: line for line in parts.get("lines", [])}
        for kpi in kpis:
            line = by_kpi.get(kpi, {})
            for name in PER_KPI:
                record[f"{kpi}.{name}"] = line.get(name)
        wide.append(record)
        for line in parts.get("lines", []):
            long.append({**_key(row), **{name: line.get(name) for name in LINE_FIELDS}})
    return _table(wide, _wide_schema(kpis)), _table(long, _long_schema())


def _key_fields() -> list[pa.Field]:
    return [pa.field("plan", pa.string()), pa.field("version", pa.int64()),
            pa.field("period", pa.string()), pa.field("subject_kind", pa.string()),
            pa.field("subject_id", pa.string()), pa.field("team_id", pa.string())]


def _wide_schema(kpis: list[str]) -> pa.Schema:
    fields = [*_key_fields(), pa.field("status", pa.string()), pa.field("score", pa.float64()),
              pa.field("rating", pa.string()), pa.field("rank_in_team", pa.int64()),
              pa.field("rank_in_company", pa.int64()), pa.field("coverage", pa.float64()),
              pa.field("individual_score", pa.float64()), pa.field("team_score", pa.float64()),
              pa.field("credit", pa.float64())]
    fields += [pa.field(f"{kpi}.{name}", pa.float64()) for kpi in kpis for name in PER_KPI]
    return pa.schema(fields)


def _long_schema() -> pa.Schema:
    text = {"kpi", "direction", "method", "target_source", "status"}
    return pa.schema([*_key_fields(), *(pa.field(name, pa.string() if name in text
                                                 else pa.float64()) for name in LINE_FIELDS)])


def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


def export_scores(rows: Sequence[Score], path: Path | str, fmt: ExportFormat) -> int:
    """Write stored score rows to ``path`` as ``fmt`` (csv or xlsx); the number of subjects."""
    scores, lines = score_tables(rows)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    match fmt:
        case "csv":
            # Here, not above: importing it loads the whole ingest package, which reading or
            # explaining a score does not need.
            from salescore.ingest.formulas import neutralise_table

            pa_csv.write_csv(neutralise_table(scores), target)
        case "xlsx":
            _write_xlsx(target, {"scores": scores, "lines": lines})
        case _:
            assert_never(fmt)
    return scores.num_rows


def _write_xlsx(path: Path, sheets: dict[str, pa.Table]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False,
                                           "strings_to_formulas": False,
                                           "strings_to_urls": False})
    try:
        for name, table in sheets.items():
            sheet = book.add_worksheet(name)
            sheet.write_row(0, 0, table.column_names)
            for j, column in enumerate(table.column_names):
                numeric = not pa.types.is_string(table.schema.field(column).type)
                for i, value in enumerate(table.column(column).to_pylist(), start=1):
                    if value is None:
                        continue
                    if numeric:
                        sheet.write_number(i, j, float(value))
                    else:
                        sheet.write_string(i, j, str(value))
            sheet.freeze_panes(1, 0)
    finally:
        book.close()
