"""Cold wall and CPU time of some analyses, each in a newly opened workspace, in one process.

    PYTHONPATH=<tree>/src .venv/bin/python bench/bench_analytics_cold.py HOME \\
        [strengths,communication,balance,retention,rfm,trends,training] [--period 2026-Q3]

Run it with one tree's ``src`` and then another's, back to back on the same demo (built by
``bench_analytics.py``), to compare two versions under the same load: the CPU time (the
process's, DuckDB's threads included) is what the machine's load does not inflate. Prints the
load average before and after; records nothing.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("analyses", nargs="?", default="strengths,communication,balance")
    parser.add_argument("--period", default="2026-Q3")
    args = parser.parse_args(argv)

    from salescore.core.scope import Scope
    from salescore.workspace import Workspace

    print("load average", os.getloadavg())
    for name in args.analyses.split(","):
        with Workspace.open(args.home, read_only=True) as ws:
            session = ws.session(Scope.everything())
            wall, cpu = time.perf_counter(), time.process_time()
            asked = {"trends": {}, "training": {}}.get(name, {"period": args.period})
            getattr(session, name)(**asked)
            print(f"{name} cold wall {time.perf_counter() - wall:.3f} s "
                  f"cpu {time.process_time() - cpu:.3f} s", flush=True)
            wall = time.perf_counter()
            getattr(session, name)(**asked)
            print(f"{name} again wall {time.perf_counter() - wall:.3f} s", flush=True)
    print("load average", os.getloadavg())


if __name__ == "__main__":
    main()
