"""``salescore plan``: validate, adopt and list scorecard plans; replay a draft (what-if).

None of these commands writes to the warehouse (plans and scores live in the app store), so
they open it read-only and can run beside another reader.

Registered in :mod:`salescore.cli.main` with ``app.add_typer(plan_app, name="plan")``.
Exit codes: 0 done, 1 the plan document is invalid (every problem listed with file:line),
2 the command cannot be carried out (an unknown plan, a clash of effective dates, a bad period).
"""

from __future__ import annotations

import getpass
import math
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from salescore.cli.common import (
    HomeOption,
    console,
    err_console,
    fail,
    is_pandas_na,
    open_workspace,
)
from salescore.core.errors import ConfigError, SalescoreError

# A command imports what it uses when it runs (``salescore --help`` imports none of it).
if TYPE_CHECKING:
    from salescore.workspace import PlanCheck, Scorecards

plan_app = typer.Typer(
    help="Scorecard plans: validate, adopt, list, what-if. 评分方案：校验、采用、列出、模拟。",
    no_args_is_help=True,
)

FileArgument = Annotated[Path, typer.Argument(help="Plan YAML file / 方案 YAML 文件",
                                              show_default=False)]
CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", envvar="SALESCORE_CATALOG",
                 help="Folder of your own KPI YAML, merged over the shipped catalogue / "
                      "自定义指标 YAML 文件夹", show_default=False),
]
ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who does it, for the audit log (default: your login) / "
                                 "操作人（写入审计日志，默认当前登录名）", show_default=False),
]


def actor_name(given: str | None) -> str:
    """``given``, else the login name, else ``cli``."""
    if given:
        return given
    try:
        return getpass.getuser() or "cli"
    except (OSError, KeyError):
        return "cli"


def print_issues(check: PlanCheck, locale: str) -> None:
    """Errors and warnings, one per line with file:line, in the organisation's language."""
    # Escaped: the rule id in brackets ([weights-sum]) is text, not Rich markup.
    for issue in check.errors:
        err_console.print(f"[red]error / 错误:[/] {escape(issue.localized(locale))}",
                          highlight=False)
    for issue in check.warnings:
        err_console.print(f"[yellow]warning / 警告:[/] {escape(issue.localized(locale))}",
                          highlight=False)


def _require_valid(cards: Scorecards, file: Path, locale: str) -> None:
    """Print the plan file's problems; exit 1 when it cannot be read as a plan."""
    check = cards.check(file)
    print_issues(check, locale)
    if check.plan is None:
        raise typer.Exit(1)


@plan_app.command("validate")
def validate(file: FileArgument, home: HomeOption = None, catalog: CatalogOption = None
             ) -> None:
    """Check a plan document and list every problem with file:line. 校验方案并列出每个问题。"""
    from salescore.workspace import home_settings, offline_catalog, plan_check

    try:
        settings = home_settings(home)
        cat = offline_catalog(home, catalog, settings)
    except SalescoreError as exc:
        fail(exc)
    locale = settings.organisation.locale
    check = plan_check(file, cat)
    print_issues(check, locale)
    if check.plan is None:
        count = len(check.errors)
        err_console.print(f"{file}: {count} problem(s), not valid / {count} 个问题，无效",
                          highlight=False)
        raise typer.Exit(1)
    plan = check.plan
    console.print(f"[green]✓[/] {file}: [bold]{plan.name}[/] · {plan.title.en} / {plan.title.zh}"
                  f" · {plan.grain.value} · {len(plan.lines)} lines / 行: valid / 有效",
                  highlight=False)


@plan_app.command("adopt")
def adopt(
    file: FileArgument,
    effective: Annotated[str | None, typer.Option(
        "--effective", help="First day it is in force, YYYY-MM-DD (default: the start of the "
                            "plan's current period) / 生效日期（默认：本期第一天）",
        show_default=False)] = None,
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log / 原因")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Retire a version adopted from the same date / 替换同日生效的版本")]
    = False,
    actor: ActorOption = None,
    home: HomeOption = None,
    catalog: CatalogOption = None,
) -> None:
    """Adopt a plan document from a date (audited). 自某日起采用方案（记入审计日志）。"""
    from salescore.workspace import PlanValidationError

    when: date | None = None
    if effective is not None:
        try:
            when = date.fromisoformat(effective)
        except ValueError:
            fail(ConfigError(f"--effective is a date written YYYY-MM-DD, not {effective!r}",
                             message_zh=f"--effective 须为 YYYY-MM-DD 格式的日期，而不是 "
                             f"{effective!r}"))
    with open_workspace(home, read_only=True) as ws:
        cards = ws.owner(catalog_dir=catalog).scorecards
        _require_valid(cards, file, ws.locale)
        try:
            done = cards.adopt(file, effective_from=when, actor=actor_name(actor), reason=reason,
                               replace=replace)
        except PlanValidationError as exc:  # changed on disk since it was checked
            fail(exc, ws.locale, 1)
        if not done.created:
            console.print(f"Unchanged / 未更改: {done.plan} v{done.version} is already adopted "
                          f"from {done.effective_from} / 已自 {done.effective_from} 起生效",
                          highlight=False)
            return
        retired = (f"; retired / 已停用 v{', v'.join(map(str, done.retired))}"
                   if done.retired else "")
        console.print(f"Adopted / 已采用 [bold]{done.plan}[/] v{done.version}, in force from / "
                      f"自 {done.effective_from} 起生效{retired}", highlight=False)


@plan_app.command("list")
def list_plans(home: HomeOption = None) -> None:
    """Every plan and its versions. 列出所有方案及其版本。"""
    with open_workspace(home, read_only=True) as ws:
        versions = ws.owner().plans()
        today = date.today()
        grid = Table(title="Scorecard plans / 评分方案")
        for title in ("plan / 方案", "title / 名称", "version / 版本", "status / 状态",
                      "effective from / 生效日期", "in force / 当前生效", "adopted by / 采用人",
                      "checksum / 校验和"):
            grid.add_column(title)
        # In force today: the adopted version with the latest effective date not after today.
        current: dict[str, tuple[date, int]] = {}
        for info in versions:
            when = info.effective_from
            if info.status == "adopted" and when is not None and when <= today \
                    and when >= current.get(info.plan, (date.min, 0))[0]:
                current[info.plan] = (when, info.version)
        for info in versions:
            grid.add_row(info.plan, info.title.get(ws.locale), str(info.version),
                         _STATUS[info.status], str(info.effective_from or "—"),
                         "✓" if current.get(info.plan, (None, 0))[1] == info.version else "",
                         info.adopted_by or "—", info.checksum[:12])
        if not versions:
            console.print("No plans yet / 尚无方案: salescore plan adopt FILE")
            return
        console.print(grid)


_STATUS = {"draft": "draft / 草稿", "adopted": "adopted / 已采用", "retired": "retired / 已停用"}


def _num(x: Any, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{float(x):.{digits}f}"


def _rank(x: Any) -> str:
    if x is None or is_pandas_na(x):
        return "—"
    try:
        return str(int(x))
    except (TypeError, ValueError):
        return "—"


def _rating(x: Any) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)


@plan_app.command("whatif")
def whatif(
    file: FileArgument,
    period: Annotated[str, typer.Option(help="The period to replay, e.g. 2025-03 / 模拟的期间")],
    against: Annotated[str | None, typer.Option(
        help="Compare with this adopted plan (default: the one with the draft's name) / "
             "与该已采用方案比较（默认：同名方案）", show_default=False)] = None,
    home: HomeOption = None,
    catalog: CatalogOption = None,
) -> None:
    """Replay a draft plan on a past period and compare it with the adopted plan.
    在历史期间重放草稿方案，并与已采用方案比较。"""
    with open_workspace(home, read_only=True) as ws:
        cards = ws.owner(catalog_dir=catalog).scorecards
        _require_valid(cards, file, ws.locale)
        result = cards.whatif(file, period=period, against=against)
        draft, base = result.draft, result.baseline
        whose = (f"reps of {base.name} / 按 {base.name} 的销售" if result.subjects == "baseline"
                 else "each plan's own reps / 各方案各自的销售")
        console.print(f"What-if / 模拟 · {result.period}: [bold]{draft.name}[/] (draft / 草稿) "
                      f"vs [bold]{base.name}[/] v{result.baseline_version} (adopted / 已采用) · "
                      f"{whose}", highlight=False)
        grid = Table()
        for title, justify in (("rep / 销售", "left"), ("team / 团队", "left"),
                               ("score before / 原得分", "right"),
                               ("score after / 新得分", "right"), ("change / 变化", "right"),
                               ("rating / 评级", "center"), ("rank / 排名", "center"),
                               ("rank change / 名次变化", "right")):
            grid.add_column(title, justify=justify)  # type: ignore[arg-type]
        frame = result.comparison.sort_values(["score_change", "rep_id"], na_position="last")
        for row in frame.to_dict("records"):
            change = row["score_change"]
            shown = "—" if change is None or (isinstance(change, float) and math.isnan(change)) \
                else f"{change:+.1f}"
            rating = f"{_rating(row['rating_before'])} → {_rating(row['rating_after'])}"
            if row["rating_changed"]:
                rating = f"[bold]{rating}[/]"
            rank_change = _rank(row["rank_change"])
            grid.add_row(str(row["rep_id"]), str(row["team_id"]), _num(row["score_before"]),
                         _num(row["score_after"]), shown, rating,
                         f"{_rank(row['rank_before'])} → {_rank(row['rank_after'])}",
                         rank_change if rank_change in ("—", "0") else f"{int(rank_change):+d}")
        console.print(grid)
        matrix = Table(title="Rating transitions / 评级变化 (rows: before / 行：原评级; "
                             "columns: after / 列：新评级)")
        transitions = result.transitions
        matrix.add_column("before \\ after / 原 \\ 新")
        for column in transitions.columns:
            matrix.add_column(str(column), justify="right")
        for label, counts in transitions.iterrows():
            matrix.add_row(str(label), *(str(int(v)) for v in counts.tolist()))
        console.print(matrix)
        changes = result.comparison["score_change"].dropna()
        mean = f"{changes.mean():+.1f}" if len(changes) else "—"
        console.print(f"{result.reps} reps / 名销售 · {result.changed_ratings} rating changes / "
                      f"个评级变化 · mean score change / 平均得分变化 {mean}", highlight=False)

