"""Where one ``salescore score show`` spends its CPU time, by phase, in a new process.

    PYTHONPATH=src .venv/bin/python bench/phases_show.py HOME [REP] [PERIOD]

HOME is a scored demo data folder (``bench/bench_explain.py`` keeps one per tree under its
``--home``). Prints the CPU seconds (``time.process_time``: steadier than the wall clock on a
shared machine) of the imports the command needs, by library, then of opening the workspace,
reading the KPI catalogue and explaining the score (first and second time).
"""

from __future__ import annotations

import sys
import time


def main() -> None:
    home = sys.argv[1]
    rep = sys.argv[2] if len(sys.argv) > 2 else "R00268"
    period = sys.argv[3] if len(sys.argv) > 3 else "2026-09"
    clock = time.process_time
    marks = [("start", clock())]
    import rich.console
    import rich.table
    import rich.tree
    import typer

    marks.append(("typer + rich", clock()))
    import sqlalchemy.orm

    marks.append(("SQLAlchemy", clock()))
    import pyarrow

    marks.append(("pyarrow + numpy", clock()))
    import pandas

    marks.append(("pandas", clock()))
    import ibis
    import ibis.backends.duckdb
    import ibis.backends.sql.compilers.duckdb

    marks.append(("Ibis + compilers + DuckDB", clock()))
    import salescore.cli.main
    import salescore.scorecards
    import salescore.workspace.session
    from salescore.workspace import Workspace

    marks.append(("salescore modules", clock()))
    with Workspace.open(home, read_only=True) as ws:
        marks.append(("open the workspace", clock()))
        session = ws.owner()
        _ = session.catalog
        marks.append(("KPI catalogue", clock()))
        cards = session.scorecards
        cards.explain(rep, period)
        marks.append(("explanation (first)", clock()))
        cards.explain(rep, period)
        marks.append(("explanation (again)", clock()))
    del typer, rich, sqlalchemy, pyarrow, pandas, ibis, salescore
    for (_, before), (name, after) in zip(marks, marks[1:], strict=False):
        print(f"{name:28} {after - before:6.2f} s")
    print(f"{'total':28} {marks[-1][1] - marks[0][1]:6.2f} s")


if __name__ == "__main__":
    main()
