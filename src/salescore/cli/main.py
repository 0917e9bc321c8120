"""``salescore``: the top-level command and the foundation's commands (init, demo, info)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table

from salescore.cli.common import (
    HomeOption,
    console,
    err_console,
    fail,
    is_interactive,
    open_workspace,
)
from salescore.cli.kpi import kpi_app
from salescore.cli.realtime import alerts_app, events_app, schedules_app
from salescore.cli.report import report as report_command
from salescore.core.errors import SalescoreError

if TYPE_CHECKING:
    from rich.progress import Progress

    from salescore.workspace.demo import DemoLogin

app = typer.Typer(
    name="salescore",
    help="Sales performance management: fair, explainable scorecards. "
    "销售绩效管理：公平、可解释的评分卡。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(kpi_app, name="kpi")
app.add_typer(events_app, name="events")
app.add_typer(alerts_app, name="alerts")
app.add_typer(schedules_app, name="schedules")
app.command("report")(report_command)


@app.command()
def init(
    home: HomeOption = None,
    name: Annotated[str | None, typer.Option(help="Organisation name / 组织名称")] = None,
    timezone: Annotated[str, typer.Option(help="IANA time zone / 时区")] = "UTC",
    currency: Annotated[str | None, typer.Option(
        help="Reporting currency (default: from --locale, zh_CN → CNY, en → USD) / "
             "报告币种（默认按界面语言：zh_CN → CNY，en → USD）",
        show_default=False)] = None,
    fiscal_start: Annotated[int, typer.Option(help="Fiscal year's first month / 财年起始月")] = 1,
    locale: Annotated[str, typer.Option(help="en or zh_CN / 界面语言")] = "en",
    force: Annotated[bool, typer.Option(help="Overwrite existing settings / 覆盖已有设置")] = False,
) -> None:
    """Create the data folder with settings, warehouse and app store. 初始化数据目录。"""
    from salescore.workspace import Organisation, OrgSettings, Workspace, currency_for_locale

    assumed = currency is None
    currency = currency or currency_for_locale(locale)
    try:
        organisation = Organisation.model_validate({
            "name": name or Organisation().name, "timezone": timezone,
            "currency": currency.upper(),
            "fiscal_year_start_month": fiscal_start, "locale": locale,
        })
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    try:
        with Workspace.init(home, OrgSettings(organisation=organisation), overwrite=force) as ws:
            console.print(f"Initialised / 已初始化: [bold]{ws.locations.home}[/]")
            console.print(f"  settings / 设置:   {ws.locations.home / 'salescore.yaml'}")
            warehouse, app_store = ws.describe_stores()
            console.print(f"  warehouse / 仓库:  {warehouse}")
            console.print(f"  app store / 应用库: {app_store}")
            shown = ws.settings.organisation.currency
            if assumed:
                console.print(f"  currency / 币种:   {shown} (from the locale {locale}; change "
                              f"with `salescore settings set currency EUR` / 按界面语言设定，"
                              "可用 settings set currency 修改)", highlight=False)
    except SalescoreError as exc:
        fail(exc)


@app.command()
def demo(
    home: HomeOption = None,
    scale: Annotated[str, typer.Option(help="small | medium | large")] = "small",
    seed: Annotated[int, typer.Option(help="Random seed / 随机种子")] = 42,
    locale: Annotated[str, typer.Option(help="en | zh_CN")] = "en",
    out: Annotated[Path | None, typer.Option(help="Write Parquet here instead of the store / "
                                             "输出为 Parquet 文件夹")] = None,
    logins: Annotated[bool, typer.Option(
        "--logins", help="Only make new web log-ins for the demo already in the folder, and "
        "print them / 仅为已有演示数据重新生成网页登录账号并显示")] = False,
    later: Annotated[bool, typer.Option(
        "--logins-later", help="Build without printing log-ins: they are made and shown by "
        "a later `salescore demo --logins` / 生成数据时不显示登录账号，稍后用 --logins 生成并显示"
    )] = False,
    period: Annotated[str | None, typer.Option(
        help="With --logins: the rep's log-in is one scored in this period / "
        "销售账号选在该期间有评分者",
        show_default=False)] = None,
    end: Annotated[str | None, typer.Option(
        help="Last day of the data, YYYY-MM-DD (default: yesterday in the organisation's time "
        "zone; a fixed day gives the same data on any day) / 数据截止日期（默认：组织时区的昨天；"
        "指定日期则每次生成相同数据）",
        show_default=False)] = None,
) -> None:
    """Generate a realistic demo organisation, with a web log-in for each role.
    生成演示组织数据，并为每种角色生成网页登录账号。"""
    from salescore.workspace import Locations, Workspace
    from salescore.workspace.demo import (
        DemoConfig,
        demo_logins,
        demo_settings,
        parse_end,
        write_parquet,
    )

    if logins and end is not None:
        err_console.print("[red]--end is for building a demo, not with --logins / "
                          "--end 用于生成演示数据，不能与 --logins 同用[/]")
        raise typer.Exit(2)
    if logins:
        with open_workspace(home) as ws:
            _print_logins(demo_logins(ws, period=period))
        return

    if scale not in ("small", "medium", "large") or locale not in ("en", "zh_CN"):
        console.print("[red]--scale is small|medium|large and --locale en|zh_CN[/]")
        raise typer.Exit(2)
    try:
        config = DemoConfig(scale=_lit_scale(scale), seed=seed, locale=_lit_locale(locale),
                            end=None if end is None else parse_end(end))  # type: ignore[arg-type]
    except SalescoreError as exc:
        fail(exc)
    with _progress() as progress:
        task = progress.add_task("organisation / 组织架构", total=None)

        def report(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=total)

        if out is not None:
            counts = write_parquet(config, out, progress=report)
            progress.stop()
            _print_counts(counts, f"Parquet in {out}")
            return
        try:
            ws = Workspace.init(home, demo_settings(config), overwrite=True)
        except SalescoreError as exc:
            fail(exc)
        with ws:
            adopted = ws.owner().load_demo(config, progress=report)
            made = []
            if not later:
                progress.update(task, description="web log-ins / 网页登录账号")
                made = demo_logins(ws)
    console.print(f"Data from / 数据自 {config.start} to / 至 {config.end}", highlight=False)
    console.print(f"Plans in force from / 方案生效自 {config.start}: "
                  f"{', '.join(a.plan for a in adopted)}", highlight=False)
    console.print(f"Demo organisation written to / 演示数据已写入 {Locations.resolve(home).home}")
    if made:
        _print_logins(made)


def _print_logins(made: Sequence[DemoLogin]) -> None:
    grid = Table(title="Log-ins for the web app (salescore serve) / 网页登录账号")
    for column in ("user / 用户名", "password / 密码", "role / 角色", "who / 对应人员"):
        grid.add_column(column)
    for login in made:
        grid.add_row(login.username, login.password, login.role, login.who)
    console.print(grid)
    console.print("The passwords are new each time and shown only here (salescore demo --logins "
                  "makes new ones). 密码每次重新生成，仅在此显示"
                  "（salescore demo --logins 可重新生成）。")


def _lit_scale(value: str) -> Literal["small", "medium", "large"]:
    assert value in ("small", "medium", "large")
    return value  # type: ignore[return-value]


def _lit_locale(value: str) -> Literal["en", "zh_CN"]:
    assert value in ("en", "zh_CN")
    return value  # type: ignore[return-value]


def _progress() -> Progress:
    """A progress bar on standard error, while a person watches it (a terminal): the spinner
    moves between the generator's steps, which are few on the small scale."""
    from rich.progress import (  # only the demo shows progress
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=err_console,
                    transient=True, disable=not is_interactive())


def _print_counts(counts: dict[str, int], title: str) -> None:
    grid = Table(title=title)
    grid.add_column("table / 表")
    grid.add_column("rows / 行数", justify="right")
    for name, rows in counts.items():
        grid.add_row(name, f"{rows:,}")
    console.print(grid)


@app.command()
def info(home: HomeOption = None) -> None:
    """Row counts and date ranges of every warehouse table. 各数据表的行数与时间范围。"""
    with open_workspace(home, read_only=True) as ws:
        org = ws.settings.organisation
        grid = Table(title=f"{org.name} · {ws.describe_stores()[0]} · {org.timezone} · "
                           f"{org.currency}")
        grid.add_column("table / 表")
        grid.add_column("rows / 行数", justify="right")
        grid.add_column("first / 最早 (UTC)")
        grid.add_column("last / 最新 (UTC)")
        for t in ws.owner().table_info():
            grid.add_row(t.name, f"{t.rows:,}", _when(t.first), _when(t.last))
        console.print(grid)


def _when(value: object) -> str:
    return "" if value is None else str(value)[:19]


from salescore.cli.analyze import register as register_analyze  # noqa: E402
from salescore.cli.coaching import coaching_app  # noqa: E402
from salescore.cli.forecast import register as register_forecast  # noqa: E402
from salescore.cli.ingest import register as register_ingest  # noqa: E402
from salescore.cli.plan import plan_app  # noqa: E402
from salescore.cli.score import score_app  # noqa: E402
from salescore.cli.serve import serve  # noqa: E402
from salescore.cli.settings import settings_app  # noqa: E402
from salescore.cli.user import user_app  # noqa: E402

register_ingest(app)
app.add_typer(plan_app, name="plan")
app.add_typer(score_app, name="score")
app.command("serve")(serve)
app.add_typer(user_app, name="user")
app.add_typer(settings_app, name="settings")
app.add_typer(coaching_app, name="coaching")
register_analyze(app)
register_forecast(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
