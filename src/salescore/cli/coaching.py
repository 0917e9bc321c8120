"""``salescore coaching``: the coaching loop's figures for the data folder's owner.

``coaching adoption --period P`` shows, per team, the 1:1 check-ins held against planned,
feedback given and received and actions closed, against the period before; ``coaching
reviews`` lists the 360 review cycles and ``coaching reviews --cycle N`` a cycle's answered
reviews per person and kind; ``coaching wall`` the recent kudos and team-wide praise. Each
reads through the workspace as the owner (the admin); ``--format csv`` or ``json`` writes
the rows for a spreadsheet or a script.

Registered in :mod:`salescore.cli.main` with ``app.add_typer(coaching_app, name="coaching")``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.table import Table

from salescore.cli.common import HomeOption, console, open_workspace
from salescore.core.spreadsheet import neutralise

coaching_app = typer.Typer(
    help="The coaching loop: adoption per team, review cycles, the team wall. "
    "辅导闭环：各团队采用情况、评价周期、团队荣誉墙。",
    no_args_is_help=True,
)

FormatOption = Annotated[str, typer.Option(
    "--format", help="table | csv | json / 输出格式", case_sensitive=False)]
FIGURES = ("planned", "held", "held_rate", "given", "received", "actions_closed")


def _emit(title: str, columns: Sequence[str], rows: list[dict[str, Any]], fmt: str) -> None:
    match fmt.lower():
        case "json":
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        case "csv":
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: neutralise(v) if isinstance(v, str) else v
                                 for k, v in row.items()})
            typer.echo(buffer.getvalue(), nl=False)
        case "table":
            grid = Table(title=title)
            for name in columns:
                grid.add_column(name, justify="right" if name in FIGURES or
                                name.endswith(("_now", "_before", "_change", "answered",
                                               "collaboration", "communication")) else "left")
            for row in rows:
                grid.add_row(*(_cell(row.get(c)) for c in columns))
            console.print(grid)
        case other:
            raise typer.BadParameter(f"unknown format {other!r}: table, csv or json",
                                     param_hint="--format")


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


@coaching_app.command()
def adoption(
    period: Annotated[str, typer.Option("--period", help="e.g. 2025-05, 2025-Q2, last-month "
                                        "/ 期间")],
    home: HomeOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Per team: check-ins held vs planned, feedback given and received, actions closed,
    against the previous period. 各团队辅导采用情况（与上期对比）。"""
    with open_workspace(home, read_only=True) as ws:
        me = ws.accounts.owner()
        found = ws.session(me.scope()).coaching.adoption(me, period)
    rows = []
    for r in found.rows:
        row: dict[str, Any] = {"team_id": r.team_id or "(all)", "name": r.name}
        for name in FIGURES:
            now, before = getattr(r.now, name), getattr(r.before, name)
            row[f"{name}_now"], row[f"{name}_before"] = now, before
            if name != "held_rate":
                row[f"{name}_change"] = now - before
        rows.append(row)
    columns = ["team_id", "name"] + [f"{n}_{w}" for n in FIGURES
                                     for w in ("now", "before", "change")
                                     if (n, w) != ("held_rate", "change")]
    if fmt.lower() == "table":  # the change alone for the wide figures, to fit a terminal
        columns = ["team_id", "name", "planned_now", "held_now", "held_rate_now",
                   "held_change", "given_now", "given_change", "received_now",
                   "received_change", "actions_closed_now", "actions_closed_change"]
    _emit(f"Coaching adoption / 辅导采用情况 {found.period} vs {found.previous}", columns, rows,
          fmt)


@coaching_app.command()
def reviews(
    cycle: Annotated[int | None, typer.Option("--cycle", help="A cycle's id: its answers per "
                                              "person and kind / 周期编号")] = None,
    home: HomeOption = None,
    fmt: FormatOption = "table",
) -> None:
    """The 360 review cycles, or one cycle's answered reviews. 360 评价周期及结果。"""
    with open_workspace(home, read_only=True) as ws:
        me = ws.accounts.owner()
        part = ws.session(me.scope()).coaching.reviews
        if cycle is None:
            cycles: list[dict[str, Any]] = [
                {"id": c.id, "name": c.name, "period": c.period, "team_id": c.team_id,
                     "kinds": ",".join(c.kinds), "status": c.status, "reviews": c.reviews,
                     "answered": c.answered, "created_by": c.created_by}
                    for c in part.cycles(me)]
            _emit("Review cycles / 评价周期", ["id", "name", "period", "team_id", "kinds",
                                             "status", "reviews", "answered", "created_by"],
                  cycles, fmt)
            return
        rows: list[dict[str, Any]] = [
            {"reviewee": s.reviewee, "kind": s.kind, "answered": s.answered,
                 "collaboration": s.collaboration, "communication": s.communication}
                for s in part.summary(me, cycle)]
    _emit(f"Review cycle {cycle} / 评价周期 {cycle}",
          ["reviewee", "kind", "answered", "collaboration", "communication"], rows, fmt)


@coaching_app.command()
def wall(
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="How many / 条数")] = 50,
    home: HomeOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Recent kudos for assists and team-wide praise. 最近的协助致谢与团队表扬。"""
    with open_workspace(home, read_only=True) as ws:
        me = ws.accounts.owner()
        items = ws.session(me.scope()).coaching.kudos.wall(me, limit=limit)
    rows = [{"kind": w.kind, "when": str(w.created_at)[:16], "author": w.author,
             "rep_id": w.rep_id, "helped_rep_id": w.helped_rep_id,
             "assist_kind": w.assist_kind, "points": w.points, "body": w.body}
            for w in items]
    _emit("Team wall / 团队荣誉墙", ["kind", "when", "author", "rep_id", "helped_rep_id",
                                    "assist_kind", "points", "body"], rows, fmt)
