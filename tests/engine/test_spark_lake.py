"""The lake's publish protocol without Spark: a transaction stopped before its commit point is
removed, one stopped after it is finished, and an append never rewrites a file."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from salescore.core.errors import StoreError
from salescore.engine.spark import Lake, SparkURL


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*.parquet")}


def _part(folder: Path, name: str, ids: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"team_id": ids}), folder / name)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path / "lake")
    _part(lake.folder("teams"), "part-0.parquet", ["t1"])
    return lake


def test_a_transaction_without_its_commit_point_is_removed(lake: Lake) -> None:
    before = _files(lake.root)
    txn = lake.new_transaction()
    _part(txn / "teams", "part-1.parquet", ["t2"])  # written, then the process died
    with lake.writing():
        pass
    assert _files(lake.root) == before
    assert not txn.exists()


def test_a_committed_transaction_is_finished_by_the_next_writer(
        lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    txn = lake.new_transaction()
    _part(txn / "teams", "part-1.parquet", ["t2"])
    _part(txn / "reps", "part-1.parquet", ["r1"])
    monkeypatch.setattr(Lake, "apply", lambda self, txn: None)  # dies right after the commit
    lake.commit(txn, {"teams": "append", "reps": "rewrite"})
    monkeypatch.undo()
    assert (txn / "COMMITTED").exists() and not lake.has("reps")
    with lake.writing():
        pass
    assert sorted(_files(lake.root)) == ["reps/part-1.parquet", "teams/part-0.parquet",
                                         "teams/part-1.parquet"]
    assert not txn.exists()


def test_a_rewrite_swaps_the_folder(lake: Lake) -> None:
    txn = lake.new_transaction()
    _part(txn / "teams", "part-2.parquet", ["t9"])
    lake.commit(txn, {"teams": "rewrite"})
    assert sorted(_files(lake.root)) == ["teams/part-2.parquet"]
    assert pq.read_table(lake.folder("teams")).column("team_id").to_pylist() == ["t9"]


def test_urls() -> None:
    assert SparkURL.parse("sc://h:15002?lake=/l").mode == "connect"
    with pytest.raises(StoreError, match="names no lake folder"):
        SparkURL.parse("spark://h:7077")
    with pytest.raises(StoreError, match="unknown parameter"):
        SparkURL.parse("spark://h:7077?lake=/l&memory=1g")
