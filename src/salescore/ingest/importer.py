"""One import, end to end: read, map, clean, validate, the table's own rule, de-duplicate, load,
report. No step names a table: what one table adds (an opportunity's status follows from its
stage) is its :class:`~salescore.ingest.validation.TableRule`.

:func:`import_file` and :func:`import_arrow` promise that the warehouse changes only by the good
rows of one source, in one transaction, and that every row that is not loaded is accounted for:
``read_rows == inserted + updated + unchanged + rejected`` (identical repeated rows count as
unchanged), each rejected row with its row number, column, value and reason in ``rejects``.

The rejects file (:meth:`ImportResult.write_rejects`) is made to be corrected and imported again:
one line per rejected row with every problem found in it (:data:`REJECT_NOTES`: the file, the
row, its key, the problems in English and Chinese), then the row's values as the file had them,
under the file's own column names. The importer leaves the note columns out when it reads such a
file, so that, once the bad cells are corrected, it imports as it is, with the same options or
mapping as the first file.

>>> import pyarrow as pa
>>> from salescore.engine.warehouse import Warehouse
>>> from salescore.model.org import OrgSettings
>>> teams = pa.table({"team_id": ["t1", "t2", "t2"], "name": ["East", "West", "West"]})
>>> with Warehouse.open("duckdb://:memory:") as wh:
...     wh.create_tables()
...     first = import_arrow(wh, OrgSettings(), "teams", teams)
...     again = import_arrow(wh, OrgSettings(), "teams", teams)
>>> (first.inserted, first.unchanged), (again.inserted, again.unchanged)
((2, 1), (0, 3))
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, assert_never

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pydantic import BaseModel, ConfigDict, Field

from salescore.engine.warehouse import Warehouse
from salescore.ingest.cleaning import Cleaned, DateOrder, as_text, stated_currency
from salescore.ingest.currency import Unconverted, unconverted_amounts, unconverted_warning
from salescore.ingest.formulas import neutralise_table, restore_table
from salescore.ingest.loading import REJECT_COLUMNS, Orphans, load, rule_reason
from salescore.ingest.mapping import MappingSpec, RepeatedKeys
from salescore.ingest.problems import IngestError, Problem, Reason
from salescore.ingest.readers import (
    ROW,
    Format,
    ReadOptions,
    SourceTable,
    format_of,
    read_source,
    source_from_arrow,
)
from salescore.ingest.transform import MappedColumn, apply_mapping
from salescore.ingest.validation import (
    CleanContext,
    check_column,
    clean_column,
    find_duplicates,
    resolve_stages,
    table_rule,
    unknown_stage_problem,
)
from salescore.model.org import OrgSettings, Pipeline
from salescore.model.tables import (
    TABLE_NAMES,
    DataType,
    ForbiddenWhen,
    NotBefore,
    RequiredWhen,
    Table,
    table,
)
from salescore.semantic.issues import Issue

Progress = Callable[[str, int, int], None]
"""Called with (step, steps done, steps in all) as an import goes along."""

STEPS = ("read", "map", "clean", "validate", "references", "classify", "write", "commit")

REJECTS_SCHEMA = pa.schema([("file", pa.string()), ("row", pa.int64()), ("column", pa.string()),
                            ("field", pa.string()), ("value", pa.string()),
                            ("reason", pa.string()), ("reason_zh", pa.string())])

REJECT_NOTES = ("_file", "_row", "_key", "_problems", "_problems_zh")
"""The columns a rejects file adds before the source's own: the file and row the values came
from, the row's key, and every problem found in the row (English, Chinese). A source that has a
``_problems`` column is a rejects file: these columns are not read as data."""


class ImportOptions(BaseModel):
    """How to import; ``None`` means the mapping's setting, else detection or the default.

    ``timezone`` is the zone of timestamps written without one (default: the mapping's, else the
    organisation's). ``strict`` aborts the whole import on any rejected row; ``strict_refs``
    rejects rows that reference missing rows; ``add_stages`` appends unknown stages to the
    pipeline instead of rejecting them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Format | None = None
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = Field(default=None, ge=1)
    null_values: tuple[str, ...] = ()
    date_order: DateOrder | None = None
    timezone: str | None = None
    strict: bool = False
    strict_refs: bool = False
    add_stages: bool = False


@dataclass(frozen=True)
class ImportResult:
    """What one import did, and everything it did not load with the reason.

    ``notes`` are what the import did to the data unasked (a currency assumed, title rows
    skipped); ``warnings`` what the mapping file should change but that did not stop it being
    used (an old spelling), each at file:line. ``skipped`` rows are the ones the mapping's
    ``skip_rows`` left out (a report's total line): ``read_rows == inserted + updated +
    unchanged + rejected + skipped``.
    """

    table: str
    source: str
    mapping: str | None
    status: Literal["loaded", "aborted"]
    read_rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    collapsed: int
    rejects: pa.Table
    unknown_stages: dict[str, int] = field(default_factory=dict)
    added_stages: tuple[str, ...] = ()
    pipeline: Pipeline | None = None
    orphans: tuple[Orphans, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    notes: tuple[Reason, ...] = ()
    warnings: tuple[Issue, ...] = ()
    seconds: float = 0.0
    rejects_file: Path | None = None
    rejected_rows: pa.Table | None = None
    """One row per rejected row: :data:`REJECT_NOTES`, then the source's columns as text."""
    delimiter: str = ","
    """The delimiter the rejects file is written with: the one the import was told to read."""
    skipped: int = 0
    unconverted: Unconverted = ()
    unconverted_warning: Reason | None = None  # amounts loaded that cannot be converted

    @property
    def loaded(self) -> bool:
        return self.status == "loaded"

    def reasons(self) -> list[dict[str, Any]]:
        """Rejects grouped by column and reason, commonest first, with the first rows."""
        if not self.rejects.num_rows:
            return []
        grouped = self.rejects.group_by(["column", "field", "reason", "reason_zh"]).aggregate(
            [("row", "count"), ("row", "list")])
        out = [{"column": g["column"], "field": g["field"], "reason": g["reason"],
                "reason_zh": g["reason_zh"], "count": g["row_count"],
                "rows": sorted(g["row_list"])[:5]} for g in grouped.to_pylist()]
        return sorted(out, key=lambda g: (-g["count"], min(g["rows"])))

    def write_rejects(self, path: Path | str) -> Path:
        """Write the rejected rows (:attr:`rejected_rows`) as CSV, UTF-8 with a BOM (so that
        Excel shows Chinese), each text that a spreadsheet would run as a formula with a quote
        in front (which the importer takes off again)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        wide = self.rejected_rows if self.rejected_rows is not None else \
            _wide_rejects(self.rejects, None, {}, ())
        with path.open("wb") as out:
            out.write("\ufeff".encode())
            pacsv.write_csv(neutralise_table(wide), out,
                            pacsv.WriteOptions(delimiter=self.delimiter))
        return path

    def with_rejects_file(self, path: Path) -> ImportResult:
        return replace(self, rejects_file=path)


def _rejects_of(file: str, rows: pa.Array, problems: list[Problem], column: str, name: str,
                raw: pa.Array) -> list[pa.Table]:
    """One reject per row and problem of one column, showing the value as the file has it."""
    text = as_text(raw)
    out = []
    for problem in problems:
        if not problem.count:
            continue
        n = problem.count
        out.append(pa.table({
            "file": pa.array([file] * n, pa.string()),
            "row": rows.filter(problem.mask),
            "column": pa.array([column] * n, pa.string()),
            "field": pa.array([name] * n, pa.string()),
            "value": pc.fill_null(text.filter(problem.mask), ""),
            "reason": pa.array([problem.reason.en] * n, pa.string()),
            "reason_zh": pa.array([problem.reason.zh] * n, pa.string()),
        }, schema=REJECTS_SCHEMA))
    return out


def _tuples_table(file: str, rows: list[tuple[int, str, str, str, str, str]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in REJECT_COLUMNS]
    data = {"file": pa.array([file] * len(rows), pa.string())}
    for name, values in zip(REJECT_COLUMNS, columns, strict=True):
        data[name] = pa.array(list(values), REJECTS_SCHEMA.field(name).type)
    return pa.table(data, schema=REJECTS_SCHEMA)


def _missing_columns(declared: Table, provided: set[str], source: SourceTable,
                     spec: MappingSpec | None) -> IngestError:
    """Which required columns the source lacks, and what it has instead."""
    # A column the table derives (an opportunity's status from its stage) is not asked for:
    # asking for both would mislead.
    derived = set(table_rule(declared.name).derives)
    missing = [c.name for c in declared.columns
               if c.required and c.name not in provided and c.name not in derived]
    where = f" (mapping {spec.origin})" if spec else ""
    shown = ", ".join(source.columns)
    return IngestError(
        f"{source.name} has no column for required {', '.join(missing)} of {declared.name}"
        f"{where}; its columns: {shown}. Name the columns as the table does, or map them "
        "with --mapping or --preset",
        message_zh=f"{source.name} 缺少 {declared.name} 的必填列 {', '.join(missing)}{where}；"
                   f"现有列：{shown}。请按表的列名命名，或用 --mapping / --preset 映射")


def import_file(warehouse: Warehouse, settings: OrgSettings, table_name: str, path: Path | str,
                *, mapping: MappingSpec | None = None, options: ImportOptions | None = None,
                name: str | None = None, progress: Progress | None = None) -> ImportResult:
    """Import one file into canonical table ``table_name``; see :func:`import_source`.

    ``name`` is what the rejects, the messages and the result call the file (default: the
    path), e.g. the name of an uploaded file stored under a generated one."""
    options = options or ImportOptions()
    _check_table(table_name)
    src_spec = mapping.source if mapping else None
    read = ReadOptions(
        format=options.format or _named_format(path) or (src_spec.format if src_spec else None),
        encoding=None if _has_bom(path) else
        options.encoding or (src_spec.encoding if src_spec else None),
        delimiter=options.delimiter or (src_spec.delimiter if src_spec else None),
        sheet=options.sheet or (src_spec.sheet if src_spec else None),
        header_row=options.header_row or (src_spec.header_row if src_spec else None),
    )
    started = time.perf_counter()
    _step(progress, "read")
    # Not kept in a local: import_source lets go of the file's text once it is read.
    result = import_source(warehouse, settings, table_name, read_source(path, read, name=name),
                           mapping=mapping,
                           options=options, progress=progress, started=started,
                           source_label=name or str(path))
    told = read.delimiter.replace("\\t", "\t") if read.delimiter else ","
    return replace(result, delimiter=told) if len(told) == 1 else result


def _named_format(path: Path | str) -> Format | None:
    """The format the file's suffix names, if it names one: a mapping written for an Excel
    export still reads the CSV rejects file of that export."""
    try:
        return format_of(Path(path))
    except IngestError:
        return None


def _has_bom(path: Path | str) -> bool:
    """Whether the file starts with a UTF-8 byte-order mark, which says its encoding for sure
    (salescore's rejects files and exports do), whatever the mapping expects."""
    try:
        with Path(path).open("rb") as f:
            return f.read(3) == b"\xef\xbb\xbf"
    except OSError:
        return False


def import_arrow(warehouse: Warehouse, settings: OrgSettings, table_name: str, data: Any, *,
                 mapping: MappingSpec | None = None, options: ImportOptions | None = None,
                 name: str = "(data)", progress: Progress | None = None) -> ImportResult:
    """Import an Arrow table or a pandas DataFrame; row numbers count from 1."""
    _check_table(table_name)
    started = time.perf_counter()
    return import_source(warehouse, settings, table_name, source_from_arrow(data, name),
                         mapping=mapping, options=options, progress=progress, started=started)


def _check_table(name: str) -> None:
    if name not in TABLE_NAMES:
        raise IngestError(f"unknown table {name!r}; tables: {', '.join(TABLE_NAMES)}",
                          message_zh=f"未知的表 {name!r}；可用的表：{', '.join(TABLE_NAMES)}")


def _step(progress: Progress | None, step: str) -> None:
    if progress is not None:
        progress(step, STEPS.index(step), len(STEPS))


def import_source(warehouse: Warehouse, settings: OrgSettings, table_name: str,
                  source: SourceTable, *, mapping: MappingSpec | None = None,
                  options: ImportOptions | None = None, progress: Progress | None = None,
                  started: float | None = None, source_label: str | None = None
                  ) -> ImportResult:
    """Map, clean, validate and load an already read source.

    :class:`IngestError` when the source cannot be used (a required column missing, a mapping
    that does not fit); nothing is loaded then. Otherwise an :class:`ImportResult`.
    """
    options = options or ImportOptions()
    started = started if started is not None else time.perf_counter()
    _check_table(table_name)
    declared = table(table_name)
    notes: list[Reason] = []
    _step(progress, "map")
    source = _without_notes(source)
    mapped = _map(source, declared, settings, mapping, options, notes)
    # The file's own values are kept for the rejects file: its rows are known only once loaded.
    original = source.data
    del source
    _step(progress, "clean")
    cleaned = _clean(declared, mapped, _clean_context(settings, mapping, options))
    _step(progress, "validate")
    _amount_currencies(declared, cleaned, mapped.columns, mapped.currency_defaulted, notes)
    stages = _stages(cleaned, settings.pipeline, options.add_stages, notes)
    mapped, ruled = _apply_table_rule(declared, cleaned, mapped, stages.pipeline)
    problems = _problems(declared, cleaned, ruled)
    good, rejects, collapsed = _good_rows(declared, cleaned, problems, mapped, notes)
    del cleaned  # the good rows are all that is loaded
    loaded = _load(warehouse, declared, good, mapped, rejects, options, progress, notes)
    key = [mapped.columns[k] for k in declared.key if k in mapped.columns]
    wide = _wide_rejects(loaded.rejects, original, {c.name: c.raw for c in key}, mapped.rows)
    del original
    reporting = settings.organisation.currency
    unconverted = unconverted_amounts(warehouse, declared, good, reporting,
                                      loaded.rejects.column("row").to_pylist()) \
        if loaded.status == "loaded" else ()
    return ImportResult(
        table=table_name, source=source_label or mapped.file,
        mapping=mapping.origin if mapping else None, status=loaded.status,
        read_rows=mapped.read_rows, inserted=loaded.inserted, updated=loaded.updated,
        unchanged=loaded.unchanged + (collapsed if loaded.status == "loaded" else 0),
        rejected=_distinct_rows(loaded.rejects), collapsed=collapsed, rejects=loaded.rejects,
        unknown_stages=stages.unknown, added_stages=stages.added,
        pipeline=stages.pipeline if stages.added and loaded.status == "loaded" else None,
        orphans=loaded.orphans, ignored_columns=mapped.ignored, notes=tuple(notes),
        warnings=mapping.warnings if mapping else (), seconds=time.perf_counter() - started,
        rejected_rows=wide, skipped=mapped.skipped, unconverted=unconverted,
        unconverted_warning=unconverted_warning(unconverted, reporting) if unconverted else None)


def _without_notes(source: SourceTable) -> SourceTable:
    """``source`` without a rejects file's note columns (:data:`REJECT_NOTES`), and, from a CSV
    file, with the quote that salescore puts before a would-be formula taken off again
    (:mod:`~salescore.ingest.formulas`)."""
    data = source.data
    if "_problems" in data.column_names:
        data = data.drop_columns([c for c in REJECT_NOTES if c in data.column_names])
    if source.format == "csv":
        data = restore_table(data)
    return replace(source, data=data) if data is not source.data else source


def _wide_rejects(rejects: pa.Table, original: pa.Table | None, key: dict[str, pa.Array],
                  rows: pa.Array | tuple[()]) -> pa.Table:
    """One row per rejected row: the file, the row number, the key, every problem (en, zh),
    then the row's values in ``original`` (the source as read), as text. A record that could not
    be read at all has no values: its problem quotes it."""
    numbers = pc.unique(rejects.column("row").combine_chunks()).sort() if rejects.num_rows \
        else pa.array([], pa.int64())
    problems: dict[int, list[str]] = {}
    problems_zh: dict[int, list[str]] = {}
    files: dict[int, str] = {}
    for r in rejects.to_pylist():
        where = f'{r["column"]} = "{r["value"]}"' if r["column"] else f'"{r["value"]}"'
        problems.setdefault(r["row"], []).append(f"{where}: {r['reason']}")
        problems_zh.setdefault(r["row"], []).append(f"{where}：{r['reason_zh']}")
        files.setdefault(r["row"], r["file"])
    listed = numbers.to_pylist()
    data: dict[str, pa.Array] = {
        "_file": pa.array([files[n] for n in listed], pa.string()),
        "_row": numbers,
        "_key": pa.nulls(len(listed), pa.string()),
        "_problems": pa.array([" | ".join(problems[n]) for n in listed], pa.string()),
        "_problems_zh": pa.array([" | ".join(problems_zh[n]) for n in listed], pa.string()),
    }
    if key and len(rows):
        at = pc.index_in(numbers, value_set=rows)
        parts = [pc.take(as_text(raw), at) for raw in key.values()]
        data["_key"] = pc.binary_join_element_wise(*parts, " | ", null_handling="replace",
                                                   null_replacement="") \
            if len(parts) > 1 else parts[0]
    if original is not None:
        at = pc.index_in(numbers, value_set=original.column(ROW).combine_chunks())
        for name in original.column_names:
            if name != ROW and name not in data:
                data[name] = pc.take(as_text(original.column(name)), at)
    return pa.table(data)


@dataclass(frozen=True, slots=True)
class _Mapped:
    """A source once mapped: everything the import keeps of it, so that the rest can go."""

    file: str
    read_rows: int
    read_rejects: pa.Table  # rows the reader could not read, as :data:`REJECTS_SCHEMA`
    rows: pa.Array  # the source's row number of each row
    columns: dict[str, MappedColumn]
    ignored: tuple[str, ...]
    currency_defaulted: bool
    skipped: int = 0
    repeated_keys: RepeatedKeys = "reject"


def _map(source: SourceTable, declared: Table, settings: OrgSettings,
         mapping: MappingSpec | None, options: ImportOptions, notes: list[Reason]) -> _Mapped:
    """The canonical columns ``source`` provides, with the organisation's currency where it has
    none (noted, as are skipped title rows). :class:`IngestError` when a required column is
    missing and the table's rule cannot derive it from the columns there are."""
    # A mapping's "today" is the organisation's day, wherever the import runs.
    today = dt.datetime.now(zoneinfo.ZoneInfo(settings.organisation.timezone)).date()
    mapped = apply_mapping(source, declared.name, mapping, options.null_values, today=today)
    columns = dict(mapped.columns)
    defaulted = "currency" in declared.column_names and "currency" not in columns
    if defaulted:
        currency = settings.organisation.currency
        columns["currency"] = MappedColumn(
            "currency", pa.array(np.full(len(mapped.rows), currency, dtype=object),
                                 pa.string()), "currency")
        notes.append(Reason(
            f"the file has no currency: amounts are taken to be in {currency}, the "
            "organisation's currency",
            f"文件中没有币种：金额按组织币种 {currency} 处理"))
    if source.titles:
        shown = "; ".join(f"row {row}: {text}" for row, text in source.titles)
        shown_zh = "；".join(f"第 {row} 行：{text}" for row, text in source.titles)
        notes.append(Reason(f"rows above the header skipped as a title ({shown})",
                            f"表头上方的标题行已跳过（{shown_zh}）"))
    if mapped.skipped:
        shown = ", ".join(map(str, mapped.skipped[:5])) + (", …" if len(mapped.skipped) > 5
                                                           else "")
        notes.append(Reason(f"{len(mapped.skipped)} row(s) skipped by the mapping's skip_rows "
                            f"(rows {shown})",
                            f"{len(mapped.skipped)} 行按映射的 skip_rows 跳过（第 {shown} 行）"))
    notes.extend(mapped.notes)
    derivable = {name for name, basis in table_rule(declared.name).derives.items()
                 if basis in columns}
    if any(c.required and c.name not in columns and c.name not in derivable
           for c in declared.columns):
        raise _missing_columns(declared, set(columns), source, mapping)
    return _Mapped(source.name, source.read_rows, _read_rejects(source), mapped.rows, columns,
                   mapped.ignored, defaulted, len(mapped.skipped),
                   mapping.for_table(declared.name).repeated_keys if mapping else "reject")


def _read_rejects(source: SourceTable) -> pa.Table:
    """The rows the reader could not read, as :data:`REJECTS_SCHEMA` (no field: no column was
    mapped yet)."""
    found = source.rejects
    return (found.select(["row", "column", "value", "reason", "reason_zh"])
            .add_column(0, "file", pa.array([source.name] * found.num_rows, pa.string()))
            .add_column(3, "field", pa.array([""] * found.num_rows, pa.string())))


def _clean_context(settings: OrgSettings, mapping: MappingSpec | None,
                   options: ImportOptions) -> CleanContext:
    """How to clean: the options over the mapping over the organisation's settings."""
    org = settings.organisation
    return CleanContext(
        timezone=options.timezone or (mapping.timezone if mapping and mapping.timezone
                                      else org.timezone),
        date_order=options.date_order or (mapping.date_order if mapping else None),
        decimal_separator=mapping.decimal_separator if mapping else ".",
        fiscal_year_start_month=org.fiscal_year_start_month,
    )


def _clean(declared: Table, mapped: _Mapped, ctx: CleanContext) -> dict[str, Cleaned]:
    """Each provided column as its declared type, with the problems cleaning found."""
    return {c.name: clean_column(declared, c, mapped.columns[c.name], ctx)
            for c in declared.columns if c.name in mapped.columns}


def _apply_table_rule(declared: Table, cleaned: dict[str, Cleaned], mapped: _Mapped,
                      pipeline: Pipeline) -> tuple[_Mapped, set[str]]:
    """Run the rule the table adds (:func:`~salescore.ingest.validation.table_rule`; an
    opportunity's status from its stage) once stages are resolved against ``pipeline``.

    Updates ``cleaned`` in place; a column the rule fills in joins the mapped columns, named as
    itself in the rejects. Returns the columns the rule has checked in full."""
    ruled = table_rule(declared.name).derive(declared, cleaned, pipeline)
    cleaned.update(ruled)
    filled = {name: MappedColumn(name, column.values, name) for name, column in ruled.items()
              if name not in mapped.columns}
    return replace(mapped, columns=mapped.columns | filled), set(ruled)


def _good_rows(declared: Table, cleaned: dict[str, Cleaned], problems: dict[str, list[Problem]],
               mapped: _Mapped, notes: list[Reason]) -> tuple[pa.Table, list[pa.Table], int]:
    """The rows with no problem, one per key, as typed declared columns plus :data:`ROW`; the
    rejects found so far (the reader's first); how many identical repeats were collapsed."""
    rejects = [mapped.read_rejects]
    bad = np.zeros(len(mapped.rows), dtype=bool)
    for found in problems.values():
        for p in found:
            bad |= p.mask.to_numpy(zero_copy_only=False)
    for name, found in _rules_of_rejected(declared, cleaned, problems, bad).items():
        problems[name] = problems.get(name, []) + found
    for name, found in problems.items():
        col = mapped.columns[name]
        rejects += _rejects_of(mapped.file, mapped.rows, found, col.source, name, col.raw)
    provided = [c.name for c in declared.columns if c.name in cleaned]
    good = pa.table({name: cleaned[name].values for name in provided} | {ROW: mapped.rows})
    if bad.any():
        good = good.filter(pa.array(~bad))
    good, kept_one = _one_per_key(good, declared, mapped.repeated_keys, notes)
    good, collapsed = _without_repeated_keys(good, declared, mapped.columns, mapped.file,
                                             rejects, notes)
    return good, rejects, collapsed + kept_one


def _one_per_key(good: pa.Table, declared: Table, keep: RepeatedKeys, notes: list[Reason]
                 ) -> tuple[pa.Table, int]:
    """With ``repeated_keys: first`` (or ``last``), the first (last) good row of each key, for
    a sheet at a finer grain than the table (a customer on each of its deals); how many rows
    that left out."""
    if keep == "reject" or not good.num_rows:
        return good, 0
    how = "min" if keep == "first" else "max"
    chosen = good.group_by(list(declared.key)).aggregate([(ROW, how)]).column(f"{ROW}_{how}")
    if len(chosen) == good.num_rows:
        return good, 0
    dropped = good.num_rows - len(chosen)
    notes.append(Reason(
        f"{dropped} row(s) repeat the key of an earlier row: the {keep} row of each key is "
        "kept (repeated_keys)",
        f"{dropped} 行与其他行主键相同：每个主键保留{'第一' if keep == 'first' else '最后一'}行"
        "（repeated_keys）"))
    return good.filter(pc.is_in(good.column(ROW), value_set=chosen)), dropped


def _rules_of_rejected(declared: Table, cleaned: dict[str, Cleaned],
                       problems: dict[str, list[Problem]], bad: np.ndarray
                       ) -> dict[str, list[Problem]]:
    """The row rules (``closed_at`` not before ``created_at``...) that the rows already rejected
    break, on the file's own values, so that a rejects file lists every problem of a row at
    once; the rows that pass are checked when loaded, against the stored rows too. A rule is
    checked on a row only where its columns' values are good."""
    if not bad.any():
        return {}
    ok: dict[str, np.ndarray] = {}
    for name, found in problems.items():
        good = np.ones(len(bad), dtype=bool)
        for p in found:
            good &= ~p.mask.to_numpy(zero_copy_only=False)
        ok[name] = good
    out: dict[str, list[Problem]] = {}
    for rule in declared.rules:
        match rule:
            case NotBefore(earlier=earlier, later=later):
                used, column = (later, earlier), later
            case RequiredWhen(column=column, when_column=when) | \
                    ForbiddenWhen(column=column, when_column=when):
                used = (when, column)
            case _:
                assert_never(rule)
        if not all(c in cleaned for c in used):
            continue
        first, second = (cleaned[c].values for c in used)
        match rule:
            case NotBefore():
                try:
                    fails = pc.less(first, second)
                except pa.ArrowNotImplementedError:  # types the file cannot compare: at load
                    continue
            case RequiredWhen(values=values):
                fails = pc.and_(pc.is_in(first, pa.array(values)), pc.is_null(second))
            case ForbiddenWhen(values=values):
                fails = pc.and_(pc.is_in(first, pa.array(values)), pc.is_valid(second))
        where = bad & pc.fill_null(fails, False).to_numpy(zero_copy_only=False)
        for c in used:
            where &= ok.get(c, True)
        grouped: dict[tuple[str, str], np.ndarray] = {}
        for i in np.flatnonzero(where).tolist():
            _, _, en, zh = rule_reason(rule, (first[i].as_py(), second[i].as_py()))
            grouped.setdefault((en, zh), np.zeros(len(bad), dtype=bool))[i] = True
        out.setdefault(column, []).extend(Problem(pa.array(mask), Reason(en, zh))
                                          for (en, zh), mask in grouped.items())
    return out


@dataclass(frozen=True, slots=True)
class _Loaded:
    """What loading did: counts, every reject of the import (sorted) and orphans found."""

    status: Literal["loaded", "aborted"]
    inserted: int
    updated: int
    unchanged: int
    rejects: pa.Table
    orphans: tuple[Orphans, ...]


def _load(warehouse: Warehouse, declared: Table, good: pa.Table, mapped: _Mapped,
          rejects: list[pa.Table], options: ImportOptions, progress: Progress | None,
          notes: list[Reason]) -> _Loaded:
    """Load ``good`` in one transaction, unless ``strict`` and rows are already rejected (then
    nothing is tried); the rejects found so far joined by those the warehouse finds. Orphans
    that are kept are noted."""
    found_before = pa.concat_tables(rejects)
    rejected_before = _distinct_rows(found_before)
    if options.strict and rejected_before:
        return _Loaded("aborted", 0, 0, 0, _sorted(found_before), ())
    outcome = load(warehouse, declared, good,
                   labels={name: col.source for name, col in mapped.columns.items()},
                   strict=options.strict, strict_refs=options.strict_refs,
                   rejected_before=rejected_before,
                   hook=(lambda step: _step(progress, step)) if progress else None)
    found = _as_written(_tuples_table(mapped.file, outcome.rejects), mapped.rows, mapped.columns)
    if not options.strict_refs:
        notes.extend(_orphan_note(o) for o in outcome.orphans)
    return _Loaded("aborted" if outcome.aborted else "loaded", outcome.inserted,
                   outcome.updated, outcome.unchanged,
                   _sorted(pa.concat_tables([found_before, found])), outcome.orphans)


def _orphan_note(o: Orphans) -> Reason:
    """Orphans kept (not ``strict_refs``), with the commonest values they name."""
    return Reason(
        f"{o.rows} row(s) whose {o.column} is not in {o.table} "
        f"(e.g. {', '.join(o.examples)}): kept, see the quality report",
        f"{o.rows} 行的 {o.column} 在 {o.table} 中不存在（如 {', '.join(o.examples)}）；"
        "已保留，详见数据质量报告")


def _sorted(rejects: pa.Table) -> pa.Table:
    """Rejects in the file's order, a row's reasons by field."""
    return rejects.sort_by([("row", "ascending"), ("field", "ascending")])


def _distinct_rows(rejects: pa.Table) -> int:
    """How many rows ``rejects`` names (a row may be rejected for several reasons)."""
    return int(pc.count_distinct(rejects.column("row")).as_py()) if rejects.num_rows else 0


def _amount_currencies(declared: Table, cleaned: dict[str, Cleaned],
                       columns: dict[str, MappedColumn], defaulted: bool,
                       notes: list[Reason]) -> None:
    """An amount written with its currency (``USD 1,200.00``, ``12,000元``) keeps it: where the
    file has no currency column, that currency is the row's; where the row's currency says
    otherwise, or a ``$`` or ``¥`` cannot be the row's currency, the amount is rejected rather
    than stored under the wrong currency. Updates ``cleaned`` in place."""
    if "currency" not in cleaned:
        return
    currency = cleaned["currency"].values.to_pylist()
    taken, example = 0, ""
    for column in declared.columns:
        if column.type is not DataType.DECIMAL or column.name not in cleaned:
            continue
        raw = columns[column.name].raw
        if not (pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type)):
            continue
        amount = cleaned[column.name]
        # Only amounts that parsed can state a currency; plain numbers state none.
        marked = pc.and_(pc.and_(pc.is_valid(amount.values), pc.invert(amount.bad())),
                         pc.match_substring_regex(raw, r"[^0-9.,\s()+-]"))
        where = np.flatnonzero(pc.fill_null(marked, False).to_numpy(zero_copy_only=False))
        if not len(where):
            continue
        text = raw.take(pa.array(where)).to_pylist()
        stated = {t: stated_currency(t) for t in set(text)}
        clashes: dict[tuple[str, str], list[int]] = {}
        for i, value in zip(where.tolist(), text, strict=True):
            found = stated[value]
            if found is None or currency[i] is None or currency[i] in found[1]:
                continue
            if defaulted and len(found[1]) == 1:
                currency[i] = next(iter(found[1]))
                taken, example = taken + 1, example or value
            else:
                clashes.setdefault((found[0], currency[i]), []).append(i)
        problems = []
        for (symbol, code), at in clashes.items():
            mask = np.zeros(len(currency), dtype=bool)
            mask[at] = True
            problems.append(Problem(pa.array(mask), Reason(
                f"the amount is written in {symbol}, which is not {code} (the currency)",
                f"金额以 {symbol} 标注，与币种 {code} 不符")))
        cleaned[column.name] = Cleaned(amount.values, amount.problems + tuple(problems))
    if taken:
        cleaned["currency"] = Cleaned(pa.array(currency, pa.string()),
                                      cleaned["currency"].problems)
        notes.append(Reason(
            f"{taken} amount(s) state their own currency (e.g. {example}): that one is used",
            f"{taken} 个金额自带币种（如 {example}）：按其自带币种处理"))


@dataclass(frozen=True, slots=True)
class _StageOutcome:
    unknown: dict[str, int]
    added: tuple[str, ...]
    pipeline: Pipeline


def _stages(cleaned: dict[str, Cleaned], pipeline: Pipeline, add_stages: bool,
            notes: list[Reason]) -> _StageOutcome:
    """Stages as the pipeline names them: unknown ones reported, or added to the pipeline.
    Updates ``cleaned`` in place."""
    if "stage" not in cleaned:
        return _StageOutcome({}, (), pipeline)
    stages = resolve_stages(cleaned["stage"].values, pipeline)
    unknown = stages.unknown
    added: tuple[str, ...] = ()
    if unknown and add_stages:
        added = tuple(unknown)
        pipeline = pipeline.with_stages(list(added))
        stages = resolve_stages(cleaned["stage"].values, pipeline)
        notes.append(Reason(f"stages added to the pipeline: {', '.join(added)}",
                            f"已加入销售流程的阶段：{', '.join(added)}"))
    cleaned["stage"] = Cleaned(stages.values, cleaned["stage"].problems
                               + unknown_stage_problem(stages, pipeline))
    return _StageOutcome(unknown, added, pipeline)


def _problems(declared: Table, cleaned: dict[str, Cleaned], checked: set[str]
              ) -> dict[str, list[Problem]]:
    """Every problem of every cleaned column: from cleaning, then required and ranges, except
    for the ``checked`` columns, whose problems the table's rule has already found in full."""
    problems: dict[str, list[Problem]] = {}
    for column in declared.columns:
        if column.name not in cleaned:
            continue
        found = list(cleaned[column.name].problems)
        if column.name not in checked:
            found += check_column(column, cleaned[column.name])
        problems[column.name] = found
    return problems


def _without_repeated_keys(good: pa.Table, declared: Table, columns: dict[str, MappedColumn],
                           file_name: str, rejects: list[pa.Table], notes: list[Reason]
                           ) -> tuple[pa.Table, int]:
    """``good`` with one row per key: identical repeats collapsed (how many is returned),
    repeats that differ rejected (appended to ``rejects``) with the other rows named."""
    duplicates = find_duplicates(good, declared.key, ROW)
    row_numbers = good.column(ROW).combine_chunks()
    dropped = row_numbers.filter(pa.array(duplicates.collapsed))
    if duplicates.conflicts:
        conflict_rows = pa.array(list(duplicates.conflicts), pa.int64())
        clashing = good.filter(pc.is_in(row_numbers, value_set=conflict_rows))
        labels = " + ".join(columns[k].source for k in declared.key)
        key_text = pc.binary_join_element_wise(*[as_text(clashing.column(k)) for k in
                                                 declared.key], " | ")
        entries = []
        for row, value in zip(clashing.column(ROW).to_pylist(), key_text.to_pylist(),
                              strict=True):
            others = ", ".join(map(str, duplicates.conflicts[row]))
            entries.append((row, labels, "+".join(declared.key), f"{value} (= row {others})",
                            "same key as another row of the file, with different values",
                            "与文件中另一行键值相同但内容不同"))
        rejects.append(_tuples_table(file_name, entries))
        dropped = pa.concat_arrays([dropped, conflict_rows])
    collapsed = int(duplicates.collapsed.sum())
    if len(dropped):
        good = good.filter(pc.invert(pc.is_in(row_numbers, value_set=dropped)))
    if collapsed:
        notes.append(Reason(f"{collapsed} repeated identical rows collapsed into one",
                            f"{collapsed} 行完全相同的重复记录已合并"))
    return good, collapsed


def _as_written(rejects: pa.Table, rows: pa.Array, columns: dict[str, MappedColumn]
                ) -> pa.Table:
    """Rejects found in the warehouse carry stored values (UTC); show what the file says."""
    if not rejects.num_rows:
        return rejects
    values = rejects.column("value").combine_chunks()
    fields = rejects.column("field").combine_chunks()
    for name in pc.unique(fields).to_pylist():
        if name not in columns:
            continue
        here = pc.equal(fields, name)
        at = pc.index_in(rejects.column("row"), value_set=rows)
        written = pc.take(as_text(columns[name].raw), at)
        values = pc.if_else(pc.and_(here, pc.is_valid(written)), written, values)
    return rejects.set_column(rejects.schema.get_field_index("value"), "value", values)
