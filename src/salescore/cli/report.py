"""``salescore report KIND``: a rep's scorecard, a team report or the executive report as PDF,
XLSX or HTML (issue 14). Registered in :mod:`salescore.cli.main`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from salescore.cli.common import HomeOption, console, open_workspace


def report(
    kind: Annotated[Literal["rep", "team", "executive"],
                    typer.Argument(help="rep, team or executive / 报告类型")],
    period: Annotated[str, typer.Option(help="Period, e.g. 2025-03 / 期间")],
    subject: Annotated[str | None, typer.Option(help="The rep or team id / 销售或团队 id")] = None,
    format: Annotated[Literal["pdf", "xlsx", "html"], typer.Option(help="pdf, xlsx or html")]
    = "pdf",
    out: Annotated[Path | None, typer.Option(help="Where to write it / 输出文件")] = None,
    locale: Annotated[str | None, typer.Option(help="en or zh_CN (default: the organisation's)"
                                               )] = None,
    home: HomeOption = None,
) -> None:
    """Write a report. 生成报告（PDF、XLSX 或 HTML）。"""
    with open_workspace(home, read_only=True) as ws:
        rt = ws.owner().realtime
        made = rt.report(kind, period=period, subject=subject, locale=locale)
        data = rt.render(made, format)
    target = out or Path(f"{kind}-{subject or 'company'}-{period}.{format}")
    target.write_bytes(data)
    console.print(f"{target} ({len(data):,} bytes)")
