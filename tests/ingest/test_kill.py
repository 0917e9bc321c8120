"""An import killed before it commits leaves the warehouse exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from salescore.engine.warehouse import Warehouse
from salescore.ingest import import_file
from salescore.model.org import OrgSettings

from .conftest import rows

ROWS = 200_000
CHILD = """
import sys, time
from salescore.engine.warehouse import Warehouse
from salescore.ingest import import_file
from salescore.model.org import OrgSettings

def progress(step, done, total):
    print(step, flush=True)
    if step == "commit":
        time.sleep(120)  # every row is written, nothing committed: the parent kills us here

with Warehouse.open(sys.argv[1]) as wh:
    import_file(wh, OrgSettings(), "opportunities", sys.argv[2], progress=progress)
print("finished", flush=True)
"""


def _deals(path: Path, n: int, amount: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("opportunity_id,customer_id,owner_rep_id,created_at,stage,amount,currency\n")
        for i in range(n):
            out.write(f"o{i:07d},c{i % 997},r{i % 31},2025-03-01 09:00,proposal,{amount},CNY\n")
    return path


@pytest.mark.slow
def test_killed_mid_import_changes_nothing(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path}/warehouse.duckdb"
    with Warehouse.open(url) as wh:
        wh.create_tables()
        first = import_file(wh, OrgSettings(), "opportunities",
                            _deals(tmp_path / "first.csv", 1_000, 10))
        assert first.inserted == 1_000
    big = _deals(tmp_path / "big.csv", ROWS, 99)  # updates the 1,000, inserts 199,000
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, str(big)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    seen = []
    for line in child.stdout:
        seen.append(line.strip())
        if line.strip() == "commit":
            child.send_signal(signal.SIGKILL)
            break
    assert child.wait(timeout=60) == -signal.SIGKILL, child.stderr.read() if child.stderr else ""
    assert seen[-3:] == ["classify", "write", "commit"]
    with Warehouse.open(url) as wh:
        assert rows(wh, "SELECT count(*), min(amount), max(amount) FROM opportunities") == \
            [(1_000, 10, 10)]
        again = import_file(wh, OrgSettings(), "opportunities", big)
        assert (again.inserted, again.updated, again.unchanged) == (199_000, 1_000, 0)
