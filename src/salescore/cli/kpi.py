"""``salescore kpi``: list, show, compute, explain and check KPIs; generate their docs.

Registered in :mod:`salescore.cli.main` with ``app.add_typer(kpi_app, name="kpi")``.
"""

from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from salescore.cli.common import HomeOption, console, err_console, fail, open_workspace
from salescore.core.errors import ConfigError, SalescoreError
from salescore.core.spreadsheet import neutralise
from salescore.core.text import is_chinese

# A command imports what it uses when it runs (``salescore --help`` imports none of it).
if TYPE_CHECKING:
    import pyarrow as pa

    from salescore.workspace import Catalog, Kpi, OrgSettings

kpi_app = typer.Typer(
    help="KPIs: list, show, compute, explain. 指标：列出、查看、计算、解释。",
    no_args_is_help=True,
)

CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", envvar="SALESCORE_CATALOG",
                 help="Folder of your own KPI YAML, merged over the shipped catalogue / "
                      "自定义指标 YAML 文件夹（覆盖内置指标）", show_default=False),
]
FORMATS = ("table", "csv", "json", "parquet")
DIALECTS = ("duckdb", "postgres", "pyspark", "trino")


def _lang(lang: str | None, settings: OrgSettings) -> str:
    """The locale to show labels in: ``--lang``, else the organisation's."""
    return lang or settings.organisation.locale


def _type_text(kpi: Kpi) -> str:
    return kpi.type + (" per stage" if kpi.per == "stage" else "")


@kpi_app.command("list")
def list_kpis(
    home: HomeOption = None,
    catalog: CatalogOption = None,
    group: Annotated[str | None, typer.Option(help="Only this group / 只看该分组")] = None,
    lang: Annotated[str | None, typer.Option(help="en | zh")] = None,
) -> None:
    """Every KPI of the catalogue, by group. 按分组列出全部指标。"""
    from salescore.workspace import Group, home_settings, offline_catalog

    try:
        settings = home_settings(home)
        cat = offline_catalog(home, catalog, settings)
    except SalescoreError as exc:
        fail(exc)
    language = _lang(lang, settings)
    grid = Table(title="KPIs / 指标")
    grid.add_column("name / 名称", no_wrap=True, min_width=max(map(len, cat.kpis), default=4))
    for title in ("label / 显示名", "group / 分组", "type / 类型", "unit / 单位", "better / 方向"):
        grid.add_column(title)
    order = {g: i for i, g in enumerate(Group)}
    for kpi in sorted(cat.kpis.values(), key=lambda k: (order[k.group], k.name)):
        if group and kpi.group.value != group:
            continue
        grid.add_row(kpi.name, kpi.label.get(language), kpi.group.label.get(language),
                     _type_text(kpi), kpi.unit.value, kpi.direction.value)
    console.print(grid)


@kpi_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="KPI name / 指标名")],
    home: HomeOption = None,
    catalog: CatalogOption = None,
    dialect: Annotated[str, typer.Option(help="SQL dialect: duckdb|postgres|pyspark|trino")]
    = "duckdb",
    by: Annotated[str, typer.Option(help="Grain for the SQL / SQL 的统计对象")] = "rep",
    period: Annotated[str | None, typer.Option(help="Period for the SQL (default: this "
                                               "quarter) / SQL 的期间")] = None,
    sql: Annotated[bool, typer.Option("--sql/--no-sql", help="Print the compiled SQL")] = True,
    plan: Annotated[bool, typer.Option(
        "--plan", help="Say where each measure is answered from on this warehouse: daily "
        "roll-ups or raw rows / 显示每个度量取自汇总表还是原始记录")] = False,
) -> None:
    """A KPI's definition in both languages and its compiled SQL. 查看指标定义与编译后的 SQL。"""
    from salescore.workspace import home_settings, kpi_sql, offline_catalog

    if dialect not in DIALECTS:
        err_console.print(f"[red]--dialect is one of {', '.join(DIALECTS)}[/]")
        raise typer.Exit(2)
    try:
        settings = home_settings(home)
        cat = offline_catalog(home, catalog, settings)
        kpi = cat.kpi(name)
    except SalescoreError as exc:
        fail(exc)
    console.print(f"[bold]{kpi.name}[/] — {kpi.label.en} / {kpi.label.zh}")
    console.print(f"  type / 类型: {_type_text(kpi)}    unit / 单位: {kpi.unit.value}    "
                  f"better / 方向: {kpi.direction.value}    group / 分组: {kpi.group.value}")
    console.print(f"  en: {kpi.description.en}", highlight=False, soft_wrap=True)
    console.print(f"  zh: {kpi.description.zh}", highlight=False, soft_wrap=True)
    console.print(f"  defined at / 定义位置: {cat.where('kpi', name)}", highlight=False)
    for line in _definition_lines(cat, kpi):
        console.print(f"  {line}", highlight=False, markup=False)
    if plan:
        with open_workspace(home, read_only=True) as ws:
            session = ws.owner(catalog_dir=catalog)
            console.print(f"\n-- plan by {by} / 查询计划（{by}）", highlight=False, markup=False)
            for column, where in session.kpi_plan([name], by=by):
                shown = {"rollup": "roll-up / 汇总表",
                         "items": "kept items per rep and month / 按销售和月份保存的去重明细",
                         }.get(where, "raw rows / 原始记录")
                console.print(f"  {column}: {shown}", highlight=False, markup=False)
    if not sql:
        return
    try:
        chosen, text = kpi_sql(cat, settings, name, by=by, period=period, dialect=dialect)
    except SalescoreError as exc:
        fail(exc)
    except Exception as exc:  # an Ibis compiler that lacks an operation: a declared gap
        err_console.print(f"[yellow]cannot compile {name} for {dialect}: "
                          f"{type(exc).__name__}: {exc}[/]")
        raise typer.Exit(1) from None
    console.print(f"\n-- {dialect}, by {by}, period {chosen}", highlight=False, markup=False)
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def _definition_lines(cat: Catalog, kpi: Kpi) -> list[str]:
    from salescore.workspace import (
        ConversionKpi,
        DerivedKpi,
        PeriodOverPeriodKpi,
        RatioKpi,
        SimpleKpi,
    )

    def measure(name: str) -> str:
        m = cat.measure(name)
        parts = [f"{m.agg.value}({m.column or '*'}) of {m.source}"]
        if m.filters:
            parts.append("where " + " and ".join(
                f"{f.column} {f.op.value} {', '.join(map(str, f.values))}".rstrip()
                for f in m.filters))
        if m.time:
            parts.append(f"by {m.time}")
        if m.snapshot:
            parts.append(f"open at period {m.snapshot} ({m.valid_from} .. {m.valid_to})")
        return f"{name} = " + " ".join(parts)

    match kpi:
        case SimpleKpi():
            return [measure(kpi.measure)]
        case RatioKpi():
            return [f"= {kpi.numerator} / {kpi.denominator}", measure(kpi.numerator),
                    measure(kpi.denominator)]
        case DerivedKpi():
            return [f"= {kpi.expression}"]
        case ConversionKpi():
            return [f"share of distinct {kpi.entity} of {kpi.source} with a row where "
                    + " and ".join(f"{f.column} {f.op.value} {', '.join(map(str, f.values))}"
                                   for f in kpi.to)
                    + " among those with a row where "
                    + " and ".join(f"{f.column} {f.op.value} {', '.join(map(str, f.values))}"
                                   for f in kpi.from_) + f", by {kpi.time}"]
        case PeriodOverPeriodKpi():
            return [f"{kpi.output} of {measure(kpi.measure)} against the previous period"]
    return []


@kpi_app.command("compute")
def compute(
    names: Annotated[str, typer.Argument(help="KPI names, comma-separated, or 'all' / "
                                         "指标名（逗号分隔），或 all")],
    by: Annotated[str, typer.Option(help="rep | team | company | a dimension (product, "
                                    "channel, region, segment, industry, ...)")] = "rep",
    period: Annotated[str, typer.Option(help="2025-Q1, 2025-03, FY2025, a..b, "
                                               "this-month, last-quarter, … or all")] = "all",
    grain: Annotated[str | None, typer.Option(help="Split the period: day|week|month|quarter|"
                                              "year|fiscal_quarter|fiscal_year")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table | csv | json | parquet")] = "table",
    out: Annotated[Path | None, typer.Option(help="Write to this file / 输出文件")] = None,
    subject: Annotated[list[str] | None, typer.Option(help="Only these subject keys (repeat) / "
                                                      "仅这些对象")] = None,
    home: HomeOption = None,
    catalog: CatalogOption = None,
) -> None:
    """Compute KPIs per subject and period. 按对象和期间计算指标。

    CSV columns: the subject key (rep_id, team_id, …; none for the company), period, then one
    column per KPI; ratios are fractions (0.25, not 25 %).
    """
    if fmt not in FORMATS:
        err_console.print(f"[red]--format is one of {', '.join(FORMATS)}[/]")
        raise typer.Exit(2)
    if fmt == "parquet" and out is None:
        err_console.print("[red]--format parquet needs --out FILE / parquet 需要 --out 文件[/]")
        raise typer.Exit(2)
    with open_workspace(home, read_only=True) as ws:
        session = ws.owner(catalog_dir=catalog)
        chosen = list(session.catalog.kpis) if names.strip() == "all" else \
            [n.strip() for n in names.split(",") if n.strip()]
        try:
            result = session.kpi_result(chosen, by=by, period=period, grain=grain,
                                        subjects=subject or None)
        except ValueError as exc:
            if isinstance(exc, SalescoreError):
                raise
            raise ConfigError(str(exc)) from None
        explained = set(result.reasons.values())
        for notice in result.notices:
            if notice not in explained:
                err_console.print(f"[yellow]note / 提示:[/] {notice.localized(ws.locale)}",
                                  highlight=False)
        for output, reason in result.reasons.items():
            # Null, not 0: each money KPI that is unknown somewhere says why, once.
            err_console.print(f"[yellow]{output} — (null / 空):[/] {reason.localized(ws.locale)}",
                              highlight=False, soft_wrap=True)
        _write(result.table, fmt, out)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _write(table: pa.Table, fmt: str, out: Path | None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    match fmt:
        case "table":
            grid = Table()
            for name in table.column_names:
                grid.add_column(name, justify="left" if name in ("period",) or
                                pa.types.is_string(table.schema.field(name).type) else "right")
            for row in table.to_pylist():
                grid.add_row(*(_cell(v) for v in row.values()))
            if out is not None:
                with out.open("w", encoding="utf-8") as fh:
                    from rich.console import Console

                    Console(file=fh, width=400).print(grid)
            else:
                console.print(grid)
        case "csv":
            buffer = io.StringIO()
            # A name such as =HYPERLINK(...) must not run when the file is opened.
            safe = table.to_pandas()
            for name in table.column_names:
                if pa.types.is_string(table.schema.field(name).type):
                    safe[name] = safe[name].map(
                        lambda v: neutralise(v) if isinstance(v, str) else v)
            safe.to_csv(buffer, index=False, lineterminator="\n")
            _emit(buffer.getvalue(), out)
        case "json":
            rows = [{k: _plain(v) for k, v in row.items()} for row in table.to_pylist()]
            _emit(json.dumps(rows, ensure_ascii=False, indent=1, default=str) + "\n", out)
        case "parquet":
            assert out is not None
            pq.write_table(table, out)
        case _:
            raise AssertionError(fmt)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.2f}"
    return str(value)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


@kpi_app.command("explain")
def explain(
    name: Annotated[str, typer.Argument(help="KPI name / 指标名")],
    period: Annotated[str, typer.Option(help="Period, e.g. 2025-Q1 / 期间")],
    rep: Annotated[str | None, typer.Option(help="Rep id / 销售编号")] = None,
    team: Annotated[str | None, typer.Option(help="Team id (its whole subtree) / 团队编号")]
    = None,
    by: Annotated[str | None, typer.Option(help="Another grain (company, product, ...)")]
    = None,
    subject: Annotated[str | None, typer.Option(help="The subject key for --by")] = None,
    stage: Annotated[str | None, typer.Option(help="For a per-stage KPI / 按阶段指标的阶段")]
    = None,
    limit: Annotated[int, typer.Option(help="Rows shown per input / 每项最多显示行数")] = 50,
    home: HomeOption = None,
    catalog: CatalogOption = None,
) -> None:
    """The records behind a number and how they add up. 列出数字背后的记录及计算过程。"""
    grain, key = _who(rep, team, by, subject)
    with open_workspace(home, read_only=True) as ws:
        e = ws.owner(catalog_dir=catalog).explain(name, subject=key, period=period, by=grain,
                                                  stage=stage)
        shown = "NULL" if e.value is None else f"{e.value:g}"
        console.print(f"[bold]{e.output}[/] · {grain} {e.subject} · {e.period} = [bold]{shown}"
                      "[/]", highlight=False)
        console.print(f"  {e.arithmetic}", highlight=False, markup=False)
        if e.reason is not None:
            console.print(f"  [yellow]{escape(e.reason.localized(ws.locale))}[/]",
                          highlight=False, soft_wrap=True)
        for part in e.parts:
            value = "NULL" if part.value is None else f"{part.value:g}"
            console.print(f"\n[bold]{part.name}[/] = {value}", highlight=False)
            console.print(f"  {part.description_zh if is_chinese(ws.locale) else part.description}",
                          highlight=False, markup=False)
            grid = Table()
            for col in part.rows.column_names:
                grid.add_column(col)
            for row in part.rows.slice(0, limit).to_pylist():
                grid.add_row(*(_cell(v) for v in row.values()))
            console.print(grid)
            if part.rows.num_rows > limit:
                console.print(f"  … {part.rows.num_rows - limit} more rows / 另有 "
                              f"{part.rows.num_rows - limit} 行（--limit）")


def _who(rep: str | None, team: str | None, by: str | None, subject: str | None
         ) -> tuple[str, str]:
    given = [x for x in (rep, team, subject) if x]
    if by == "company":
        return "company", "company"
    if len(given) != 1 or (subject and not by) or (by and not subject):
        err_console.print("[red]give one of --rep ID, --team ID, or --by GRAIN --subject KEY "
                          "(--by company needs no key) / "
                          "请指定 --rep、--team 或 --by 与 --subject[/]")
        raise typer.Exit(2)
    if rep:
        return "rep", rep
    if team:
        return "team", team
    assert by and subject
    return by, subject


@kpi_app.command("check")
def check(home: HomeOption = None, catalog: CatalogOption = None) -> None:
    """Validate the catalogue (shipped + yours) and list every problem with file:line.
    校验指标目录并列出每个问题的文件与行号。"""
    from salescore.workspace import catalog_check, home_settings

    try:
        settings = home_settings(home)
    except SalescoreError as exc:
        fail(exc)
    cat, issues = catalog_check(home, catalog, settings)
    for issue in issues:
        err_console.print(issue.localized(settings.organisation.locale), highlight=False,
                          markup=False, soft_wrap=True)
    if issues:
        raise typer.Exit(1)
    console.print(f"{len(cat.kpis)} KPIs, {len(cat.measures)} measures, {len(cat.sources)} "
                  "sources: no problems / 无问题")


@kpi_app.command("docs")
def docs(
    out: Annotated[Path, typer.Option(help="Where to write / 输出文件")] = Path("docs/kpis.md"),
) -> None:
    """Write the KPI reference (en and zh-CN) from the shipped catalogue. 生成指标文档。"""
    from salescore.workspace import kpi_docs

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(kpi_docs(), encoding="utf-8")
    console.print(f"wrote / 已写入 {out}")


@kpi_app.command("rebuild-rollups")
def rebuild_rollups(home: HomeOption = None, catalog: CatalogOption = None) -> None:
    """Rebuild derived facts and daily roll-ups from the canonical rows.
    由原始记录重建派生事实与日汇总表。

    Imports keep them up to date; rebuild after changing the time zone or the pipeline.
    """
    with open_workspace(home) as ws:
        session = ws.owner(catalog_dir=catalog)
        derived, rollups = session.rebuild_kept()
    console.print(f"Rebuilt / 已重建: {derived} derived facts / 派生事实, "
                  f"{rollups} roll-ups / 汇总表", highlight=False)
