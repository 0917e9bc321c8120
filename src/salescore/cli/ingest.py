"""``salescore import``, ``export`` and ``quality``: getting data in, out, and checking it.

Exit codes of ``import``: 0 when it loaded (even with rejected rows, which go to the rejects
file), 1 when ``--strict`` aborted it (nothing changed), 2 when the arguments cannot be used (an
unknown table, a missing file, a mapping that does not fit, naming file and line).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import JustifyMethod
from rich.markup import escape
from rich.table import Table

from salescore.cli.common import (
    EXIT_ABORTED,
    EXIT_USAGE,
    HomeOption,
    console,
    err_console,
    fail,
    is_interactive,
    open_workspace,
)
from salescore.core.text import is_chinese
from salescore.workspace import TABLE_NAMES

# A command imports what it uses when it runs (``salescore --help`` imports none of it).
if TYPE_CHECKING:
    from salescore.workspace import ImportResult, QualityReport

_LARGE_FILE = 4 << 20  # bytes; smaller files import faster than a progress bar draws
_MAX_REASONS = 12

OutputFormat = Literal["table", "json"]


def _output(value: str) -> OutputFormat:
    from salescore.workspace import IngestError

    if value not in ("table", "json"):
        raise IngestError(f"--format is table or json, not {value!r}",
                          message_zh=f"--format 只能是 table 或 json，而不是 {value!r}")
    return "table" if value == "table" else "json"


def _null_values(given: list[str] | None) -> tuple[str, ...]:
    """``--null-values`` repeated or comma-separated: ``--null-values NULL,N/A --null-values -``."""
    out: list[str] = []
    for item in given or []:
        out += [v.strip() for v in item.split(",")] if "," in item else [item]
    return tuple(v for v in out if v != "")


def import_command(
    table: Annotated[str, typer.Argument(
        help=f"Canonical table / 目标表: {', '.join(TABLE_NAMES)}; or all: every table the "
             "mapping maps / 或 all：映射中的全部表", show_default=False)],
    file: Annotated[Path, typer.Argument(help="csv, tsv, xlsx, xls, parquet, json, ndjson",
                                         show_default=False)],
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", help="Mapping file (YAML) / 映射文件")] = None,
    preset: Annotated[str | None, typer.Option(
        "--preset", help="Shipped mapping, e.g. salesforce-opportunities / 内置映射预设")] = None,
    sheet: Annotated[str | None, typer.Option(
        "--sheet", help="Excel sheet name or number / 工作表名称或序号")] = None,
    encoding: Annotated[str | None, typer.Option(
        "--encoding", help="Text encoding, e.g. utf-8, gbk, cp1252 (default: detected) / 文件编码")
    ] = None,
    delimiter: Annotated[str | None, typer.Option(
        "--delimiter", help="CSV delimiter (default: detected) / 分隔符")] = None,
    header_row: Annotated[int | None, typer.Option(
        "--header-row", help="Row of the column names, from 1 (default: found below any title "
                             "rows) / 表头所在行（默认自动识别）")] = None,
    null_values: Annotated[list[str] | None, typer.Option(
        "--null-values", help="Values that mean empty, e.g. 'NULL,N/A,-' / 表示空值的取值")] = None,
    date_order: Annotated[str | None, typer.Option(
        "--date-order", help="dmy or mdy, for dates like 03/01/2025 / 日月顺序")] = None,
    timezone: Annotated[str | None, typer.Option(
        "--timezone", help="Zone of timestamps written without one (default: the organisation's)"
                           " / 无时区时间戳所在时区")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Abort the whole import on any rejected row / 任一行被拒即整体中止")
    ] = False,
    strict_refs: Annotated[bool, typer.Option(
        "--strict-refs", help="Reject rows that reference missing rows / 拒绝引用不存在记录的行")
    ] = False,
    add_stages: Annotated[bool, typer.Option(
        "--add-stages", help="Append unknown stages to the pipeline / 将未知阶段加入销售流程")
    ] = False,
    rejects: Annotated[Path | None, typer.Option(
        "--rejects", help="Where to write rejected rows (CSV) / 被拒行输出文件")] = None,
    output: Annotated[str, typer.Option(
        "--format", help="table or json / 输出格式")] = "table",
    home: HomeOption = None,
) -> None:
    """Import a file into a canonical table: map, clean, validate, upsert. 导入数据文件。"""
    from salescore.workspace import IMPORT_STEPS, ImportOptions, IngestError

    with open_workspace(home) as ws:
        fmt = _output(output)
        if date_order not in (None, "ymd", "dmy", "mdy"):
            raise IngestError(f"--date-order is dmy or mdy, not {date_order!r}",
                              message_zh=f"--date-order 只能是 dmy 或 mdy，而不是 {date_order!r}")
        try:
            options = ImportOptions.model_validate({
                "sheet": sheet, "encoding": encoding, "delimiter": delimiter,
                "header_row": header_row, "null_values": _null_values(null_values),
                "date_order": date_order,
                "timezone": timezone, "strict": strict, "strict_refs": strict_refs,
                "add_stages": add_stages})
        except ValueError as exc:
            raise IngestError(str(exc)) from None
        large = file.is_file() and file.stat().st_size >= _LARGE_FILE
        if table == "all":
            results = ws.owner().import_tables(file, mapping=mapping, preset=preset,
                                               options=options, rejects=rejects)
            if fmt == "json":
                sys.stdout.write(json.dumps([_result_dict(r) for r in results],
                                            ensure_ascii=False, indent=2) + "\n")
            else:
                for each in results:
                    _print_result(each, ws.locale)
            result = next((r for r in results if not r.loaded), results[-1])
        elif large and is_interactive() and fmt == "table":
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                          console=err_console, transient=True) as bar:
                task = bar.add_task("import", total=len(IMPORT_STEPS))

                def report(step: str, done: int, total: int) -> None:
                    bar.update(task, description=step, completed=done, total=total)

                result = ws.owner().import_file(table, file, mapping=mapping, preset=preset,
                                        options=options, rejects=rejects, progress=report)
        else:
            result = ws.owner().import_file(table, file, mapping=mapping, preset=preset,
                                    options=options, rejects=rejects)
        if table != "all":
            if fmt == "json":
                sys.stdout.write(json.dumps(_result_dict(result), ensure_ascii=False, indent=2)
                                 + "\n")
            else:
                _print_result(result, ws.locale)
    if not result.loaded:
        raise typer.Exit(EXIT_ABORTED)


def _result_dict(result: ImportResult) -> dict[str, Any]:
    return {
        "table": result.table, "source": result.source, "mapping": result.mapping,
        "status": result.status, "read": result.read_rows, "inserted": result.inserted,
        "updated": result.updated, "unchanged": result.unchanged, "rejected": result.rejected,
        "collapsed": result.collapsed, "skipped": result.skipped,
        "unknown_stages": result.unknown_stages,
        "added_stages": list(result.added_stages),
        "orphans": {o.column: o.rows for o in result.orphans},
        "ignored_columns": list(result.ignored_columns),
        "rejects_file": str(result.rejects_file) if result.rejects_file else None,
        "reasons": result.reasons(), "notes": [n.en for n in result.notes],
        "warnings": [str(w) for w in result.warnings] + (
            [result.unconverted_warning.en] if result.unconverted_warning else []),
        "unconverted": {code or "": n for code, n in result.unconverted},
        "seconds": round(result.seconds, 3),
    }


def _print_result(result: ImportResult, locale: str) -> None:
    zh = is_chinese(locale)
    verb = "Imported / 已导入" if result.loaded else \
        "[bold red]Aborted (--strict): nothing was changed / 已中止：未做任何更改[/]"
    via = f" (mapping / 映射 {result.mapping})" if result.mapping else ""
    console.print(f"{verb} [bold]{result.table}[/] ← {result.source}{via}", highlight=False)
    grid = Table(show_header=False, box=None, padding=(0, 2))
    grid.add_column()
    grid.add_column(justify="right")
    for label, value in (("read / 读取", result.read_rows), ("inserted / 新增", result.inserted),
                         ("updated / 更新", result.updated),
                         ("unchanged / 未变", result.unchanged),
                         ("rejected / 拒绝", result.rejected),
                         *((("skipped / 跳过", result.skipped),) if result.skipped else ())):
        style = "red" if label.startswith("rejected") and value else ""
        grid.add_row(label, f"[{style}]{value:,}[/]" if style else f"{value:,}")
    console.print(grid)
    if result.unknown_stages:
        shown = ", ".join(f"{k} ({v})" for k, v in result.unknown_stages.items())
        console.print(f"[yellow]Unknown stages / 未知阶段:[/] {shown}", highlight=False)
    reasons = result.reasons()
    if reasons:
        table = Table(title="Rejected / 被拒原因", title_justify="left")
        table.add_column("column / 列")
        table.add_column("reason / 原因")
        table.add_column("rows / 行数", justify="right")
        table.add_column("e.g. row / 如第几行")
        for r in reasons[:_MAX_REASONS]:
            table.add_row(r["column"] or "(record)", r["reason_zh"] if zh else r["reason"],
                          f"{r['count']:,}", ", ".join(map(str, r["rows"])))
        console.print(table)
        if len(reasons) > _MAX_REASONS:
            console.print(f"… {len(reasons) - _MAX_REASONS} more / 另有 "
                          f"{len(reasons) - _MAX_REASONS} 种原因")
    for note in result.notes:
        console.print(f"· {note.get(locale)}", highlight=False)
    if result.unconverted_warning is not None:
        console.print(f"[yellow]warning / 警告:[/] "
                      f"{escape(result.unconverted_warning.get(locale))}",
                      highlight=False, soft_wrap=True)
    for warning in result.warnings:
        # Escaped: the rule id in brackets ([deprecated-spelling]) is text, not Rich markup.
        console.print(f"[yellow]warning / 警告:[/] {escape(warning.localized(locale))}",
                      highlight=False, soft_wrap=True)
    if result.ignored_columns:
        console.print(f"· ignored columns / 未使用的列: {', '.join(result.ignored_columns)}",
                      highlight=False)
    if result.rejects_file:
        console.print(f"Rejected rows written to / 被拒行已写入: {result.rejects_file}",
                      highlight=False, soft_wrap=True)
        console.print("  one line per row with its problems: correct the cells there and import "
                      "that file again / 每行附问题说明：在该文件中修正后可直接再次导入",
                      highlight=False)


def export_command(
    table: Annotated[str, typer.Argument(help="Canonical table / 表", show_default=False)],
    file: Annotated[Path, typer.Argument(help="csv, xlsx, parquet, json, ndjson",
                                         show_default=False)],
    home: HomeOption = None,
) -> None:
    """Export a canonical table to a file that re-imports unchanged. 导出数据表。"""
    from salescore.workspace import IngestError

    if table not in TABLE_NAMES:
        fail(IngestError(f"unknown table {table!r}; tables: {', '.join(TABLE_NAMES)}",
                         message_zh=f"未知的表 {table!r}；可用的表：{', '.join(TABLE_NAMES)}"),
             code=EXIT_USAGE)
    with open_workspace(home, read_only=True) as ws:
        rows = ws.owner().export(table, file)
        console.print(f"Exported / 已导出 {rows:,} rows of [bold]{table}[/] → {file}",
                      highlight=False)


def quality_command(
    tables: Annotated[list[str] | None, typer.Argument(
        help="Tables to check (default: all) / 要检查的表（默认全部）", show_default=False)] = None,
    output: Annotated[str, typer.Option("--format", help="table or json / 输出格式")] = "table",
    save: Annotated[bool, typer.Option(
        "--save/--no-save", help="Keep the report in the app store / 保存到应用库")] = True,
    home: HomeOption = None,
) -> None:
    """Data quality: completeness, validity, duplicates, orphans, freshness. 数据质量报告。"""
    from salescore.workspace import IngestError

    unknown = [t for t in tables or [] if t not in TABLE_NAMES]
    if unknown:
        fail(IngestError(f"unknown table {', '.join(unknown)}; tables: {', '.join(TABLE_NAMES)}",
                         message_zh=f"未知的表 {', '.join(unknown)}；"
                                    f"可用的表：{', '.join(TABLE_NAMES)}"))
    with open_workspace(home, read_only=True) as ws:
        fmt = _output(output)
        report = ws.owner().quality(tables or None, save=save)
        if fmt == "json":
            sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
        else:
            _print_quality(report, ws.locale)


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _print_quality(report: QualityReport, locale: str) -> None:
    grid = Table(title=f"Data quality / 数据质量 · {report.created_at:%Y-%m-%d %H:%M} UTC")
    headers: list[tuple[str, JustifyMethod]] = [
        ("table / 表", "left"), ("rows / 行数", "right"), ("complete / 完整度", "right"),
        ("weakest column / 最缺列", "left"), ("valid / 有效率", "right"),
        ("dup. keys / 重复键", "right"), ("orphans / 孤立引用", "right"),
        ("newest / 最新 (UTC)", "left")]
    for label, justify in headers:
        grid.add_column(label, justify=justify)
    for t in report.tables:
        average = sum(c.completeness for c in t.columns) / len(t.columns)
        weakest = min(t.columns, key=lambda c: c.completeness)
        grid.add_row(t.name, f"{t.rows:,}", _percent(average),
                     f"{weakest.name} {_percent(weakest.completeness)}" if t.rows else "",
                     _percent(t.validity), f"{t.duplicate_keys:,}",
                     f"{sum(t.orphans.values()):,}",
                     "" if t.newest is None else f"{t.newest:%Y-%m-%d %H:%M}")
    console.print(grid)
    unknown = [(t.name, c) for t in report.tables for c in t.columns if c.unknown]
    if unknown:
        table = Table(title="Unknown values (loaded as unknown, left out of sums) / "
                            "未知值（按未知载入，不计入合计）", title_justify="left")
        table.add_column("table / 表")
        table.add_column("column / 列")
        table.add_column("unknown / 未知", justify="right")
        table.add_column("of rows / 占比", justify="right")
        for name, c in unknown:
            rows = report.table(name).rows
            table.add_row(name, c.name, f"{c.unknown:,}", _percent(c.unknown / rows))
        console.print(table)
    issues = [(t.name, i) for t in report.tables for i in t.issues]
    if issues:
        table = Table(title="Issues / 问题", title_justify="left")
        table.add_column("table / 表")
        table.add_column("check / 检查")
        table.add_column("rows / 行数", justify="right")
        table.add_column("e.g. / 示例")
        for name, issue in issues:
            color = "red" if issue.severity == "invalid" else "yellow"
            table.add_row(name, f"[{color}]{issue.text.get(locale)}[/]", f"{issue.rows:,}",
                          ", ".join(issue.examples))
        console.print(table)
    if report.likely_duplicate_customers:
        console.print(f"Likely duplicate customers / 疑似重复客户: "
                      f"{report.duplicate_customer_rows:,} rows / 行", highlight=False)
        for group in report.likely_duplicate_customers[:10]:
            shown = "; ".join(f"{cid} {name}" for cid, name in group.customers)
            console.print(f"  · {shown}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``import``, ``export`` and ``quality`` to the ``salescore`` command."""
    app.command("import")(import_command)
    app.command("export")(export_command)
    app.command("quality")(quality_command)


__all__ = ["export_command", "import_command", "quality_command", "register"]
