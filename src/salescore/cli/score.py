"""``salescore score``: score a period under the plans in force, explain a score, export scores.

None of these commands writes to the warehouse (plans and scores live in the app store), so
they open it read-only and can run beside another reader.

Registered in :mod:`salescore.cli.main` with ``app.add_typer(score_app, name="score")``:

* ``salescore score --period P [--plan NAME]`` scores and stores every adopted plan (or one);
* ``salescore score show --rep ID --period P [--plan NAME]`` draws score → lines → records;
* ``salescore score export --period P --format csv|xlsx [--out FILE]`` writes stored scores.

Labels are in English and Chinese; explanations, KPI names and rating titles follow the
organisation's locale.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.tree import Tree

from salescore.cli.common import HomeOption, console, err_console, is_pandas_na, open_workspace
from salescore.cli.plan import CatalogOption
from salescore.core.text import is_chinese

# A command imports what it uses when it runs (``salescore --help`` imports none of it).
if TYPE_CHECKING:
    from salescore.workspace import (
        Catalog,
        ExplainRows,
        KpiExplanation,
        LineExplanation,
        PlanPeriodScore,
        ScoreExplanation,
    )

score_app = typer.Typer(
    help="Scores: compute and store, explain, export. 评分：计算并保存、解释、导出。",
    invoke_without_command=True,
)


@score_app.callback()
def score(
    ctx: typer.Context,
    period: Annotated[str | None, typer.Option(
        help="Period to score: 2025-03, 2025-Q1, 2025 (every plan period in it), this-month, "
             "last-quarter, … / 评分期间",
        show_default=False)] = None,
    plan: Annotated[str | None, typer.Option(help="Only this plan / 只评该方案",
                                             show_default=False)] = None,
    top: Annotated[int, typer.Option(help="Reps listed per plan and period / 每个方案列出的人数")]
    = 20,
    home: HomeOption = None,
    catalog: CatalogOption = None,
) -> None:
    """Score a period under every plan in force (or one) and store the scores.
    按生效方案为期间评分并保存。"""
    if ctx.invoked_subcommand is not None:
        return
    if period is None:
        err_console.print("[red]--period is needed, e.g. --period 2025-03 / 请指定 --period[/]")
        raise typer.Exit(2)
    with open_workspace(home, read_only=True) as ws:
        run = ws.owner(catalog_dir=catalog).score(period, plan)
        locale = ws.locale
        for skipped in run.skipped:
            err_console.print(f"[yellow]skipped / 跳过:[/] {skipped.localized(locale)}",
                              highlight=False)
        if not run.results:
            err_console.print(f"nothing scored for {run.period} / {run.period} 没有可评分的方案"
                              " (salescore plan list)", highlight=False)
            raise typer.Exit(1)
        console.print(_summary(run.period, run.results))
        if len(run.results) <= 4:
            for result in run.results:
                console.print(_ranking(result, top))


def _summary(period: str, results: tuple[PlanPeriodScore, ...]) -> Table:
    """One line per plan and period, narrow enough for an 80-column terminal: what was stored
    says only the counts that are not zero."""
    grid = Table(title=f"Scores / 评分 · {period}", box=box.SIMPLE_HEAD, pad_edge=False,
                 show_edge=False,
                 padding=(0, 1), collapse_padding=True)
    for title, justify in (("plan\n方案", "left"), ("ver.\n版本", "right"),
                           ("period\n期间", "left"), ("reps\n销售", "right"),
                           ("scored\n有得分", "right"), ("ratings\n评级", "left"),
                           ("stored\n保存", "left")):
        grid.add_column(title, justify=justify)  # type: ignore[arg-type]
    # A plan's name is what a person looks for: never cut; the counts wrap instead.
    grid.columns[0].no_wrap = True
    grid.columns[0].min_width = max((len(r.plan) for r in results), default=4)
    for result in results:
        subjects = result.card.subjects
        ratings = Counter(r for r in subjects["rating"].tolist() if isinstance(r, str))
        order = [r.label for r in result.card.plan.ratings]
        shown = " ".join(f"{label}:{ratings[label]}" for label in order if ratings[label])
        grid.add_row(result.plan, f"v{result.version}", result.period, str(len(subjects)),
                     str(int((subjects["status"] == "ok").sum())), shown or "—",
                     _stored(result))
    return grid


def _stored(result: PlanPeriodScore) -> str:
    """What storing did, e.g. ``12 new/新增``: the counts that are not zero (``0 same/未变``
    when all are)."""
    stored = result.stored
    if stored is None:
        return "—"
    counts = ((stored.inserted, "new/新增"), (stored.updated, "changed/更新"),
              (stored.unchanged, "same/未变"), (stored.deleted, "removed/删除"))
    return " · ".join(f"{n} {what}" for n, what in counts if n) or "0 same/未变"


def _ranking(result: PlanPeriodScore, top: int) -> Table:
    subjects = result.card.subjects.sort_values(["rank_in_company", "rep_id"],
                                                na_position="last")
    grid = Table(title=f"{result.plan} v{result.version} · {result.period}")
    for title, justify in (("rank / 排名", "right"), ("rep / 销售", "left"),
                           ("team / 团队", "left"), ("score / 得分", "right"),
                           ("rating / 评级", "center"), ("rank in team / 团队排名", "right"),
                           ("coverage / 覆盖率", "right")):
        grid.add_column(title, justify=justify)  # type: ignore[arg-type]
    shown = subjects.head(top) if top > 0 else subjects
    for row in shown.to_dict("records"):
        grid.add_row(_int(row["rank_in_company"]), str(row["rep_id"]), str(row["team_id"]),
                     _num(row["score"], 1), _text(row["rating"]), _int(row["rank_in_team"]),
                     f"{100 * float(row['coverage']):.0f}%")
    rest = len(subjects) - len(shown)
    if rest > 0:
        grid.caption = f"… {rest} more / 另有 {rest} 人 (--top, score export)"
    return grid


def _missing(x: Any) -> bool:
    return x is None or is_pandas_na(x) or (isinstance(x, float) and math.isnan(x))


def _int(x: Any) -> str:
    return "—" if _missing(x) else str(int(x))


def _text(x: Any) -> str:
    return "—" if _missing(x) else str(x)


def _num(x: Any, digits: int = 2) -> str:
    """A number as a person reads it: thousands separated, fewer decimals when large."""
    if _missing(x):
        return "—"
    value = float(x)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


# -- show --------------------------------------------------------------------------------------

_WORDS = {
    "value": ("value", "实际"), "target": ("target", "目标"),
    "attainment": ("attainment", "达成率"), "points": ("points", "得分"),
    "weight": ("weight", "权重"),
}


def _label(key: str) -> str:
    en, cn = _WORDS[key]
    return f"{en} / {cn}"


def _line_text(line: LineExplanation, catalog: Catalog, locale: str) -> str:
    kpi = catalog.kpis.get(line.kpi)
    name = kpi.label.get(locale) if kpi is not None else line.kpi
    head = f"[bold]{line.kpi}[/] ({name})"
    weight = f"{_label('weight')} {_num(line.effective_weight, 3)} → {_num(line.contribution)}"
    if line.status != "ok":
        why = {"no_data": "no data / 无数据", "no_target": "no target / 无目标"}.get(
            line.status, line.status)
        return f"{head}: {why} · {weight}"
    attained = None if line.attainment is None else 100 * line.attainment
    target = _num(line.target)
    if line.target_source:
        target += f" ({line.target_source})"
    return (f"{head}: {_label('value')} {_num(line.value)} · {_label('target')} {target} · "
            f"{_label('attainment')} {_num(attained, 1)}% · {_label('points')} "
            f"{_num(line.points, 1)} · {weight}")


def _records(node: Tree, found: KpiExplanation | None, locale: str, limit: int) -> None:
    if found is None:
        return
    branch = node.add(f"records / 记录: {found.arithmetic}", highlight=False)
    for part in found.parts:
        what = part.description_zh if is_chinese(locale) else part.description
        value = "NULL" if part.value is None else f"{part.value:g}"
        leaf = branch.add(f"{part.name} = {value} · {what} · {part.rows.num_rows} rows / 行",
                          highlight=False)
        if limit > 0 and part.rows.num_rows:
            leaf.add(_rows_table(part.rows, limit))


def _rows_table(rows: ExplainRows, limit: int) -> Table:
    grid = Table(show_edge=False, pad_edge=False)
    for column in rows.column_names:
        grid.add_column(column)
    for row in rows.slice(0, limit).to_pylist():
        grid.add_row(*("—" if v is None else str(v) for v in row.values()))
    if rows.num_rows > limit:
        grid.caption = f"… {rows.num_rows - limit} more / 另有 {rows.num_rows - limit} 行"
    return grid


def render_tree(explained: ScoreExplanation, catalog: Catalog, locale: str, limit: int) -> Tree:
    """score → lines → the records behind each KPI, as a Rich tree."""
    e = explained.explanation
    plan = explained.plan
    source = ("stored / 已保存" if explained.stored
              else "not scored yet, computed now / 尚未评分，即时计算")
    tree = Tree(f"[bold]{e.subject}[/] · {plan.name} v{explained.version} "
                f"({plan.title.get(locale)}) · {e.period} · {source}", highlight=False)
    if e.status != "ok" or e.score is None:
        tree.add("no score: too little data / 无得分：数据不足（coverage）")
    else:
        title = explained.rating_title(locale)
        rating = f"{e.rating} {title}" if title and title != e.rating else str(e.rating)
        tree.label = f"{tree.label}\nscore / 得分 [bold]{e.score:.1f}[/] · rating / 评级 " \
                     f"[bold]{rating}[/]"
        if e.rank_in_team is not None:
            tree.add(f"rank / 排名: {e.rank_in_team} in team / 团队内, {e.rank_in_company} in "
                     "company / 全公司")
    share = _num(e.individual_share, 2)
    individual = tree.add(f"individual / 个人 {_num(e.individual_score, 1)} × {share}",
                          highlight=False)
    for line in e.lines:
        node = individual.add(_line_text(line, catalog, locale), highlight=False)
        _records(node, explained.records.get(line.kpi), locale, limit)
    if e.team_share:
        tree.add(f"team / 团队 {_num(e.team_score, 1)} × {_num(e.team_share, 2)} → "
                 f"{_num(e.team_part)}", highlight=False)
    if explained.credit_kpis:
        credit = tree.add(f"collaboration credit / 协作加分 → {_num(e.credit)}", highlight=False)
        for kpi in explained.credit_kpis:
            _records(credit, explained.records.get(kpi), locale, limit)
    return tree


@score_app.command("show")
def show(
    rep: Annotated[str, typer.Option(help="Rep id / 销售编号")],
    period: Annotated[str, typer.Option(help="Period, e.g. 2025-03 / 期间")],
    plan: Annotated[str | None, typer.Option(help="Plan (when several score the rep) / 方案",
                                             show_default=False)] = None,
    limit: Annotated[int, typer.Option(help="Records shown per KPI input / 每项最多显示记录数")]
    = 5,
    records: Annotated[bool, typer.Option("--records/--no-records",
                                          help="Show the records behind each KPI / 显示记录")]
    = True,
    home: HomeOption = None,
    catalog: CatalogOption = None,
) -> None:
    """A score, its lines and the records behind each KPI, as a tree.
    以树形展示得分、各行及其背后的记录。"""
    with open_workspace(home, read_only=True) as ws:
        session = ws.owner(catalog_dir=catalog)
        explained = session.score_explanation(rep, period, plan, records=records)
        console.print(render_tree(explained, session.catalog, ws.locale, limit))


@score_app.command("export")
def export(
    period: Annotated[str, typer.Option(help="Period, e.g. 2025-03 or 2025 / 期间")],
    fmt: Annotated[str, typer.Option("--format", help="csv | xlsx")] = "csv",
    out: Annotated[Path | None, typer.Option(
        help="File to write (csv: standard output when left out; xlsx: scores-PERIOD.xlsx) / "
             "输出文件", show_default=False)] = None,
    plan: Annotated[str | None, typer.Option(help="Only this plan / 只导出该方案",
                                             show_default=False)] = None,
    home: HomeOption = None,
) -> None:
    """Write stored scores to CSV or Excel (scores and lines sheets). 导出已保存的评分。"""
    from salescore.workspace import EXPORT_FORMATS

    if fmt not in EXPORT_FORMATS:
        err_console.print(f"[red]--format is one of {', '.join(EXPORT_FORMATS)} / "
                          "--format 只能是 csv 或 xlsx[/]")
        raise typer.Exit(2)
    with open_workspace(home, read_only=True) as ws:
        cards = ws.owner().scorecards
        if fmt == "csv" and out is None:
            import tempfile

            with tempfile.TemporaryDirectory() as folder:
                target = Path(folder) / "scores.csv"
                cards.export(period, target, "csv", plan)
                sys.stdout.write(target.read_text(encoding="utf-8"))
            return
        target = out or Path(f"scores-{period}.xlsx")
        written = cards.export(period, target, "csv" if fmt == "csv" else "xlsx", plan)
        console.print(f"{written} rows written to / 行已写入 {target}", highlight=False)
