"""``salescore settings show`` and ``settings set KEY VALUE``: the organisation's settings after
``init`` (currency, time zone, fiscal start, stages, ...), validated and audited."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from salescore.cli.common import HomeOption, console, open_workspace
from salescore.core.text import is_chinese
from salescore.workspace import SETTING_KEYS, setting_values

settings_app = typer.Typer(
    help="Show or change the organisation's settings. 查看或修改组织设置。",
    no_args_is_help=True)


@settings_app.command("show")
def show(home: HomeOption = None) -> None:
    """Every setting and its value. 显示全部设置。"""
    with open_workspace(home, read_only=True) as ws:
        zh = is_chinese(ws.locale)
        grid = Table(title=f"Settings / 设置 · {ws.locations.home / 'salescore.yaml'}")
        grid.add_column("key / 键")
        grid.add_column("value / 值")
        grid.add_column("what / 说明")
        for key, value in setting_values(ws.settings).items():
            en, cn = SETTING_KEYS[key]
            grid.add_row(key, escape(value), cn if zh else en)
        console.print(grid)


@settings_app.command("set")
def set_(
    key: Annotated[str, typer.Argument(help=f"One of / 可用: {', '.join(SETTING_KEYS)}",
                                       show_default=False)],
    value: Annotated[str, typer.Argument(help="The new value / 新值", show_default=False)],
    home: HomeOption = None,
) -> None:
    """Change one setting, validated and kept in the audit log. 修改一项设置（校验并记入审计日志）。

    Examples: settings set currency USD · settings set timezone Asia/Shanghai ·
    settings set fiscal_start 4 · settings set stages "lead, demo, won:won, lost:lost"
    """
    with open_workspace(home) as ws:
        before, after = ws.owner().change_setting(key, value, actor="cli")
        console.print(f"{key}: {escape(before)} → [bold]{escape(after)}[/]", highlight=False)
        if key == "currency" and before != after:
            console.print("Money KPIs now report in / 金额类指标现以此币种报告: "
                          f"{after}; amounts in other currencies need fx_rates / "
                          "其他币种金额需要 fx_rates 汇率", highlight=False)


__all__ = ["settings_app"]
