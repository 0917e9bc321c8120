"""Export: a canonical table to a file that imports back with zero changes.

Timestamps are written in UTC with an explicit ``Z`` (so that re-importing them does not read
them in the organisation's time zone), amounts with their two decimals, rows ordered by key.
CSV is UTF-8 with a byte-order mark, so that Excel shows Chinese correctly; a text that a
spreadsheet would run as a formula (``=HYPERLINK(...)``) gets a quote in front, which the importer
takes off again (:mod:`salescore.ingest.formulas`). XLSX cells are written as text, never as
formulas.

>>> import tempfile, pathlib, pyarrow as pa
>>> from salescore.engine.warehouse import Warehouse
>>> with Warehouse.open("duckdb://:memory:") as wh, tempfile.TemporaryDirectory() as d:
...     wh.create_tables()
...     _ = wh.append("teams", pa.table({"team_id": ["t1"], "name": ["East"],
...                   "parent_team_id": [None], "department": [None], "region": ["华东"]}))
...     n = export_table(wh, "teams", pathlib.Path(d, "teams.csv"))
...     text = pathlib.Path(d, "teams.csv").read_text(encoding="utf-8-sig")
>>> n, text.splitlines()
(1, ['"team_id","name","parent_team_id","department","region"', '"t1","East",,,"华东"'])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, assert_never

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from salescore.compile.schema import schema, unbound
from salescore.engine.runner import Runner
from salescore.engine.warehouse import Warehouse
from salescore.ingest.formulas import neutralise_table
from salescore.ingest.problems import IngestError
from salescore.model.tables import table

ExportFormat = Literal["csv", "xlsx", "parquet", "json", "ndjson"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "xlsx", "parquet", "json", "ndjson")
_BY_SUFFIX: dict[str, ExportFormat] = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet",
                                       ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson"}
_EXACT_FLOAT = 1e13  # amounts below this keep their cents exactly as an Excel number


def export_format(path: Path) -> ExportFormat:
    suffix = path.suffix.lower()
    if suffix not in _BY_SUFFIX:
        known = ", ".join(_BY_SUFFIX)
        raise IngestError(f"cannot export to {suffix or '(no suffix)'}; use one of {known}",
                          message_zh=f"无法导出为 {suffix or '（无扩展名）'}；请使用 {known}")
    return _BY_SUFFIX[suffix]


def read_table(source: Runner | Warehouse, name: str) -> pa.Table:
    """The rows of canonical table ``name`` that ``source``'s scope reaches (a warehouse: all
    of them), ordered by key, in the declared Arrow types."""
    runner = source if isinstance(source, Runner) else Runner(source.backend)
    declared = table(name)
    data = runner.run(unbound(name).order_by(list(declared.key)))
    target = schema(name).to_pyarrow()
    fields = [pa.field(f.name, f.type) for f in target]
    return data.select(list(declared.column_names)).cast(pa.schema(fields))


def _timestamp_text(column: pa.Array) -> pa.Array:
    """ISO 8601 UTC with ``Z``; microseconds only when some value has them."""
    micros = pc.cast(column, pa.int64())
    fractional = pc.any(pc.not_equal(pc.remainder(micros, 1_000_000), 0)).as_py()
    zoned = column.cast(pa.timestamp("us", "UTC"))
    if fractional:
        return pc.strftime(zoned, format="%Y-%m-%dT%H:%M:%SZ")
    return pc.strftime(zoned.cast(pa.timestamp("s", "UTC")), format="%Y-%m-%dT%H:%M:%SZ")


def as_text_table(data: pa.Table) -> pa.Table:
    """Every column as text the importer reads back to the same value."""
    columns = []
    for name in data.column_names:
        column = data.column(name).combine_chunks()
        kind = column.type
        if pa.types.is_timestamp(kind):
            column = _timestamp_text(column)
        elif pa.types.is_boolean(kind):
            column = pc.if_else(column, "true", "false")
        elif not pa.types.is_string(kind):
            column = column.cast(pa.string())
        columns.append(column)
    return pa.table(dict(zip(data.column_names, columns, strict=True)))


def _json_value(value: Any, kind: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_decimal(kind):
        return str(value)
    return value


def export_table(source: Runner | Warehouse, name: str, path: Path | str,
                 fmt: ExportFormat | None = None) -> int:
    """Write canonical table ``name`` to ``path`` (format from the suffix unless given); the
    number of rows written."""
    path = Path(path)
    fmt = fmt or export_format(path)
    data = read_table(source, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    match fmt:
        case "csv":
            # Numbers stay unquoted (and numbers: a negative amount is no formula); only
            # timestamps need their zone spelled out; text is made safe to open.
            columns = [_timestamp_text(c.combine_chunks()) if pa.types.is_timestamp(c.type)
                       else c for c in neutralise_table(data).columns]
            with path.open("wb") as out:
                out.write("\ufeff".encode())
                pacsv.write_csv(pa.table(dict(zip(data.column_names, columns, strict=True))),
                                out)
        case "parquet":
            columns = [c.cast(pa.timestamp("us", "UTC")) if pa.types.is_timestamp(c.type) else c
                       for c in data.columns]
            pq.write_table(pa.table(dict(zip(data.column_names, columns, strict=True))), path)
        case "json" | "ndjson":
            text = as_text_table(data)
            records = []
            for i in range(data.num_rows):
                records.append({n: (text.column(n)[i].as_py()
                                    if pa.types.is_timestamp(data.schema.field(n).type)
                                    or pa.types.is_date(data.schema.field(n).type)
                                    else _json_value(data.column(n)[i].as_py(),
                                                     data.schema.field(n).type))
                                for n in data.column_names})
            if fmt == "json":
                path.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n",
                                encoding="utf-8")
            else:
                path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                        for r in records), encoding="utf-8")
        case "xlsx":
            _write_xlsx(data, path, name)
        case _:
            assert_never(fmt)
    return data.num_rows


def _write_xlsx(data: pa.Table, path: Path, sheet: str) -> None:
    import xlsxwriter

    text = as_text_table(data)
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False,
                                           "strings_to_formulas": False,
                                           "strings_to_urls": False})
    try:
        ws = book.add_worksheet(sheet[:31])
        ws.write_row(0, 0, data.column_names)
        for j, name in enumerate(data.column_names):
            kind = data.schema.field(name).type
            values = data.column(name).to_pylist()
            shown = text.column(name).to_pylist()
            for i, (value, as_text) in enumerate(zip(values, shown, strict=True), start=1):
                if value is None:
                    continue
                if pa.types.is_boolean(kind):
                    ws.write_boolean(i, j, value)
                elif (pa.types.is_integer(kind) and abs(value) < 2**53) \
                        or pa.types.is_floating(kind) \
                        or (pa.types.is_decimal(kind) and abs(value) < _EXACT_FLOAT):
                    ws.write_number(i, j, float(value))
                else:
                    ws.write_string(i, j, as_text)
    finally:
        book.close()
