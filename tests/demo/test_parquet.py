"""write_parquet streams the same rows to one Parquet file per table, with the declared schema."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from salescore.demo import DemoData, arrow_schema, write_parquet
from salescore.model.tables import TABLE_NAMES


def test_parquet_holds_every_table_with_the_declared_schema(small_en: DemoData,
                                                            tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    counts = write_parquet(small_en.config, tmp_path,
                           progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert counts == {name: small_en[name].num_rows for name in TABLE_NAMES}
    for name in TABLE_NAMES:
        path = tmp_path / name / "part-0000.parquet"
        data = pq.read_table(path)
        assert data.schema.equals(arrow_schema(name)), name
        assert data.equals(small_en[name]), name
    # progress counts up to its total, and ends there
    assert [done for _, done, _ in calls] == sorted(done for _, done, _ in calls)
    assert calls[-1][1] == calls[-1][2] and calls[0][1] == 0
