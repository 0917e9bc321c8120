"""One import, end to end: read, map, clean, validate, de-duplicate, load, report.

:func:`import_file` and :func:`import_arrow` promise that the warehouse changes only by the good
rows of one source, in one transaction, and that every row that is not loaded is accounted for:
``read_rows == inserted + updated + unchanged + rejected`` (identical repeated rows count as
unchanged), each rejected row with its row number, column, value and reason in ``rejects``.

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

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pydantic import BaseModel, ConfigDict

from salescore.engine.warehouse import Warehouse
from salescore.ingest.cleaning import Cleaned, DateOrder, as_text, stated_currency
from salescore.ingest.loading import REJECT_COLUMNS, Orphans, load
from salescore.ingest.mapping import MappingSpec
from salescore.ingest.problems import IngestError, Problem, Reason
from salescore.ingest.readers import (
    ROW,
    Format,
    ReadOptions,
    SourceTable,
    read_source,
    source_from_arrow,
)
from salescore.ingest.transform import MappedColumn, apply_mapping
from salescore.ingest.validation import (
    CleanContext,
    check_column,
    clean_column,
    derive_status,
    find_duplicates,
    resolve_stages,
    unknown_stage_problem,
)
from salescore.model.org import OrgSettings, Pipeline
from salescore.model.tables import TABLE_NAMES, DataType, Table, table

Progress = Callable[[str, int, int], None]
"""Called with (step, steps done, steps in all) as an import goes along."""

STEPS = ("read", "map", "clean", "validate", "references", "classify", "write", "commit")

REJECTS_SCHEMA = pa.schema([("file", pa.string()), ("row", pa.int64()), ("column", pa.string()),
                            ("field", pa.string()), ("value", pa.string()),
                            ("reason", pa.string()), ("reason_zh", pa.string())])


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
    null_values: tuple[str, ...] = ()
    date_order: DateOrder | None = None
    timezone: str | None = None
    strict: bool = False
    strict_refs: bool = False
    add_stages: bool = False


@dataclass(frozen=True)
class ImportResult:
    """What one import did, and everything it did not load with the reason."""

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
    seconds: float = 0.0
    rejects_file: Path | None = None

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
        """Write the rejects as CSV (UTF-8 with a BOM, so that Excel shows Chinese)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            out.write("\ufeff".encode())
            pacsv.write_csv(self.rejects, out)
        return path

    def with_rejects_file(self, path: Path) -> ImportResult:
        return replace(self, rejects_file=path)


def _rejects_of(file: str, rows: pa.Array, problems: list[Problem], column: str, name: str,
                raw: pa.Array) -> list[pa.Table]:
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
    # An opportunity's status is derived from its stage: asking for both would mislead.
    derived = {"status"} if declared.name == "opportunities" else set()
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
                progress: Progress | None = None) -> ImportResult:
    """Import one file into canonical table ``table_name``; see :func:`import_source`."""
    options = options or ImportOptions()
    _check_table(table_name)
    src_spec = mapping.source if mapping else None
    read = ReadOptions(
        format=options.format or (src_spec.format if src_spec else None),
        encoding=options.encoding or (src_spec.encoding if src_spec else None),
        delimiter=options.delimiter or (src_spec.delimiter if src_spec else None),
        sheet=options.sheet or (src_spec.sheet if src_spec else None),
    )
    started = time.perf_counter()
    _step(progress, "read")
    # Not kept in a local: import_source lets go of the file's text once it is mapped.
    return import_source(warehouse, settings, table_name, read_source(path, read),
                         mapping=mapping,
                         options=options, progress=progress, started=started,
                         source_label=str(path))


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
    org = settings.organisation
    _step(progress, "map")
    mapped = apply_mapping(source, table_name, mapping, options.null_values)
    columns = dict(mapped.columns)
    notes: list[Reason] = []
    n = source.data.num_rows
    currency_defaulted = "currency" in declared.column_names and "currency" not in columns
    if currency_defaulted:
        columns["currency"] = MappedColumn(
            "currency", pa.array(np.full(n, org.currency, dtype=object), pa.string()),
            "currency")
        notes.append(Reason(
            f"the file has no currency: amounts are taken to be in {org.currency}, the "
            "organisation's currency",
            f"文件中没有币种：金额按组织币种 {org.currency} 处理"))
    if source.titles:
        shown = "; ".join(f"row {row}: {text}" for row, text in source.titles)
        shown_zh = "；".join(f"第 {row} 行：{text}" for row, text in source.titles)
        notes.append(Reason(f"rows above the header skipped as a title ({shown})",
                            f"表头上方的标题行已跳过（{shown_zh}）"))
    derivable = {"status"} if table_name == "opportunities" and "stage" in columns else set()
    if any(c.required and c.name not in columns and c.name not in derivable
           for c in declared.columns):
        raise _missing_columns(declared, set(columns), source, mapping)
    file_name, read_rows, read_rejects = source.name, source.read_rows, source.rejects
    del source  # the mapped columns are all that is needed from here: free the rest

    _step(progress, "clean")
    ctx = CleanContext(
        timezone=options.timezone or (mapping.timezone if mapping and mapping.timezone
                                      else org.timezone),
        date_order=options.date_order or (mapping.date_order if mapping else None),
        decimal_separator=mapping.decimal_separator if mapping else ".",
        fiscal_year_start_month=org.fiscal_year_start_month,
    )
    cleaned: dict[str, Cleaned] = {
        c.name: clean_column(declared, c, columns[c.name], ctx)
        for c in declared.columns if c.name in columns
    }

    _step(progress, "validate")
    _amount_currencies(declared, cleaned, columns, currency_defaulted, notes)
    stages = _stages(table_name, cleaned, columns, settings.pipeline, options.add_stages, notes)
    problems = _problems(declared, cleaned, "status" in mapped.columns)

    rows = mapped.rows
    rejects = [read_rejects.select(["row", "column", "value", "reason", "reason_zh"])
               .add_column(0, "file", pa.array([file_name] * read_rejects.num_rows,
                                               pa.string()))
               .add_column(3, "field", pa.array([""] * read_rejects.num_rows, pa.string()))]
    bad = np.zeros(n, dtype=bool)
    for name, found in problems.items():
        col = columns[name]
        rejects += _rejects_of(file_name, rows, found, col.source, name, col.raw)
        for p in found:
            bad |= p.mask.to_numpy(zero_copy_only=False)
    provided = [c.name for c in declared.columns if c.name in cleaned]
    good = pa.table({name: cleaned[name].values for name in provided} | {ROW: rows})
    if bad.any():
        good = good.filter(pa.array(~bad))
    del cleaned
    good, collapsed = _without_repeated_keys(good, declared, columns, file_name, rejects, notes)

    labels_by_field = {name: col.source for name, col in columns.items()}
    found_before = pa.concat_tables(rejects)
    rejected_before = int(pc.count_distinct(found_before.column("row")).as_py()) \
        if found_before.num_rows else 0
    if options.strict and rejected_before:
        outcome_rejects: pa.Table = REJECTS_SCHEMA.empty_table()
        orphans: tuple[Orphans, ...] = ()
        outcome_status: Literal["loaded", "aborted"] = "aborted"
        counts = (0, 0, 0)
    else:
        outcome = load(warehouse, declared, good, labels=labels_by_field,
                       strict=options.strict, strict_refs=options.strict_refs,
                       rejected_before=rejected_before,
                       hook=(lambda step: _step(progress, step)) if progress else None)
        outcome_rejects = _as_written(_tuples_table(file_name, outcome.rejects), rows,
                                      columns)
        orphans = outcome.orphans
        outcome_status = "aborted" if outcome.aborted else "loaded"
        counts = (outcome.inserted, outcome.updated, outcome.unchanged)
    all_rejects = pa.concat_tables([found_before, outcome_rejects])
    all_rejects = all_rejects.sort_by([("row", "ascending"), ("field", "ascending")])
    rejected = int(pc.count_distinct(all_rejects.column("row")).as_py()) \
        if all_rejects.num_rows else 0
    for o in orphans:
        if not options.strict_refs:
            notes.append(Reason(
                f"{o.rows} row(s) whose {o.column} is not in {o.table} "
                f"(e.g. {', '.join(o.examples)}): kept, see the quality report",
                f"{o.rows} 行的 {o.column} 在 {o.table} 中不存在（如 {', '.join(o.examples)}）；"
                "已保留，详见数据质量报告"))
    inserted, updated, unchanged = counts
    return ImportResult(
        table=table_name, source=source_label or file_name,
        mapping=mapping.origin if mapping else None, status=outcome_status,
        read_rows=read_rows, inserted=inserted, updated=updated,
        unchanged=unchanged + (collapsed if outcome_status == "loaded" else 0), rejected=rejected,
        collapsed=collapsed, rejects=all_rejects, unknown_stages=stages.unknown,
        added_stages=stages.added,
        pipeline=stages.pipeline if stages.added and outcome_status == "loaded" else None,
        orphans=orphans,
        ignored_columns=mapped.ignored, notes=tuple(notes),
        seconds=time.perf_counter() - started)


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


def _stages(table_name: str, cleaned: dict[str, Cleaned], columns: dict[str, MappedColumn],
            pipeline: Pipeline, add_stages: bool, notes: list[Reason]) -> _StageOutcome:
    """Stages as the pipeline names them (unknown ones reported, or added), and for
    opportunities the status: derived where missing, checked against the stage where given.
    Updates ``cleaned`` (and ``columns`` with a derived status) in place."""
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
    if table_name == "opportunities":
        given = cleaned.get("status")
        status, clashes = derive_status(stages.values, given.values if given else None,
                                        pipeline)
        cleaned["status"] = Cleaned(status, (given.problems if given else ()) + clashes)
        if given is None:
            columns["status"] = MappedColumn("status", status, "status")
    return _StageOutcome(unknown, added, pipeline)


def _problems(declared: Table, cleaned: dict[str, Cleaned], status_given: bool
              ) -> dict[str, list[Problem]]:
    """Every problem of every cleaned column: from cleaning, then required and ranges."""
    problems: dict[str, list[Problem]] = {}
    for column in declared.columns:
        if column.name not in cleaned:
            continue
        found = list(cleaned[column.name].problems)
        if column.name == "status" and "stage" in cleaned:
            # A status derived from a bad stage is missing because of the stage.
            if status_given:
                found += check_column(column, cleaned["status"], cleaned["stage"].bad())
        else:
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
