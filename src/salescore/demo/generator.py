"""The demo organisation as a stream of canonical tables, and as Parquet files.

:func:`generate` yields ``(table_name, chunk)`` pairs. Every row a chunk refers to has been yielded
before it (teams and reps first; then, block by block of whole teams, customers, opportunities,
their stage changes, activities, orders and surveys; assists last), so a loader can append the
chunks in order with foreign keys enforced. Chunks hold at most :data:`CHUNK_ROWS` rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from salescore.demo import arrays
from salescore.demo.collaboration import (
    DealIndex,
    Handovers,
    assists_table,
    peer_reviews_table,
)
from salescore.demo.config import DemoConfig
from salescore.demo.deals import (
    customers_table,
    opportunities_table,
    orders_table,
    simulate_deals,
    simulate_orders,
    stage_changes_table,
)
from salescore.demo.history import history_table
from salescore.demo.people import (
    SELLER,
    STREAM_BLOCK,
    Org,
    build_org,
    reps_table,
    teams_table,
    trainings_table,
    traits_table,
)
from salescore.demo.targets import targets_table
from salescore.demo.touches import (
    activities_table,
    simulate_surveys,
    simulate_touches,
    surveys_table,
)
from salescore.demo.vocab import vocabulary
from salescore.model.org import Organisation, OrgSettings
from salescore.model.tables import TABLE_NAMES

Progress = Callable[[str, int, int], None]
CHUNK_ROWS = 1_000_000


def demo_settings(config: DemoConfig) -> OrgSettings:
    """The organisation settings that go with the demo data (name, time zone, currency, locale).

    >>> s = demo_settings(DemoConfig(locale="zh_CN"))
    >>> s.organisation.timezone, s.organisation.currency
    ('Asia/Shanghai', 'CNY')
    """
    words = vocabulary(config.locale)
    return OrgSettings(organisation=Organisation(
        name=words.organisation, timezone=words.timezone, currency=words.currency,
        locale=config.locale))


def rep_traits(config: DemoConfig) -> pa.Table:
    """Every rep's hidden traits: role, skill, diligence, collaboration, training, leaving.

    Not a canonical table: the truth that analytics should recover from the generated data.

    >>> t = rep_traits(DemoConfig())
    >>> t.num_rows, t.column_names[:4]
    (50, ['rep_id', 'role', 'team_id', 'skill'])
    """
    return traits_table(build_org(config))


def _chunks(name: str, data: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    if data.num_rows == 0:
        return
    for offset in range(0, data.num_rows, CHUNK_ROWS):
        yield name, data.slice(offset, CHUNK_ROWS)


def _block(org: Org, index: int, first: int, stop: int, ids: dict[str, int]
           ) -> tuple[list[tuple[str, pa.Table]], DealIndex, Handovers]:
    """Every row of the sellers ``first .. stop - 1``; ``ids`` holds the next free numbers."""
    rng = np.random.default_rng([org.config.seed, STREAM_BLOCK, index])
    reps = np.arange(first, stop, dtype=np.int64)
    reps = reps[org.rep_role[reps] == SELLER]
    deals = simulate_deals(org, reps, rng)
    orders = simulate_orders(org, deals, rng)
    touches = simulate_touches(org, deals, reps, org.config.spec.activity_intensity, rng)
    surveys = simulate_surveys(org, deals, orders, rng)

    # keep the deals the window sees and the accounts some kept row refers to; number them
    kept = np.flatnonzero(deals.o_kept)
    used = np.zeros(deals.n_customers, dtype=bool)
    used[deals.o_customer[kept]] = True
    used[orders.customer] = True
    used[surveys.customer] = True
    used[touches.customer[touches.customer >= 0]] = True
    customers = np.flatnonzero(used)
    c0, o0 = ids["customers"], ids["opportunities"]
    customer_ids = np.cumsum(used) - 1 + c0
    opportunity_ids = np.cumsum(deals.o_kept) - 1 + o0
    tables = [
        ("customers", customers_table(org, deals, customers, c0)),
        ("opportunities", opportunities_table(org, deals, kept, o0, customer_ids)),
        ("stage_changes", stage_changes_table(deals, kept, o0)),
        ("opportunity_history", history_table(org, deals, kept, o0)),
        ("activities", activities_table(org, touches, ids["activities"], customer_ids,
                                        opportunity_ids)),
        ("orders", orders_table(org, orders, ids["orders"], customer_ids, opportunity_ids)),
        ("surveys", surveys_table(org, surveys, ids["surveys"], customer_ids, rng)),
    ]
    ids["customers"] += len(customers)
    ids["opportunities"] += len(kept)
    ids["activities"] += len(touches.t)
    ids["orders"] += len(orders.t)
    ids["surveys"] += len(surveys.t)

    end = org.clock.end_utc
    number = opportunity_ids[kept]
    index_part = DealIndex(number, deals.o_final[kept], deals.o_t[kept], deals.o_end(end)[kept])
    moved = np.flatnonzero(deals.o_final[kept] != deals.o_owner[kept])
    giver = deals.o_owner[kept][moved]
    handed = Handovers(giver, deals.o_final[kept][moved], number[moved],
                       org.clock.business(org.leave_t[giver]))
    return tables, index_part, handed


def generate(config: DemoConfig, progress: Progress | None = None
             ) -> Iterator[tuple[str, pa.Table]]:
    """Yield the demo organisation as ``(table_name, chunk)`` pairs, referenced rows first.

    Deterministic for ``config``; memory stays bounded by one block of teams.
    ``progress(stage, done, total)`` is called as blocks complete.

    >>> names = [name for name, _ in generate(DemoConfig())]
    >>> names[:4]
    ['teams', 'reps', 'trainings', 'targets']
    >>> sorted(set(names)) == sorted(TABLE_NAMES)
    True
    """
    org = build_org(config)
    blocks = org.blocks()
    total = len(blocks) + 2

    def report(stage: str, done: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    report("organisation / 组织架构", 0)
    yield from _chunks("teams", teams_table(org))
    yield from _chunks("reps", reps_table(org))
    yield from _chunks("trainings", trainings_table(org))
    yield from _chunks("targets", targets_table(org))
    yield from _chunks("peer_reviews", peer_reviews_table(org))
    report("deals and activities / 商机与活动", 1)

    ids = {"customers": 1, "opportunities": 1, "activities": 1, "orders": 1, "surveys": 1}
    index_parts: list[DealIndex] = []
    handovers: list[Handovers] = []
    for i, (first, stop) in enumerate(blocks):
        tables, index_part, handed = _block(org, i, first, stop, ids)
        for name, data in tables:
            yield from _chunks(name, data)
        index_parts.append(index_part)
        handovers.append(handed)
        report("deals and activities / 商机与活动", 2 + i)

    yield from _chunks("assists", assists_table(org, DealIndex.concat(index_parts),
                                                Handovers.concat(handovers)))
    yield "fx_rates", arrays.empty("fx_rates")
    report("done / 完成", total)


@dataclass(frozen=True, eq=False)
class DemoData:
    """A whole demo organisation in memory: one Arrow table per canonical table."""

    config: DemoConfig
    tables: dict[str, pa.Table]

    def __getitem__(self, name: str) -> pa.Table:
        return self.tables[name]


def collect(config: DemoConfig) -> DemoData:
    """Every table of the demo organisation in memory (for the small scale, tests, notebooks).

    >>> data = collect(DemoConfig())
    >>> data["reps"].num_rows
    50
    """
    parts: dict[str, list[pa.Table]] = {name: [] for name in TABLE_NAMES}
    for name, chunk in generate(config):
        parts[name].append(chunk)
    return DemoData(config, {name: pa.concat_tables(chunks) if chunks else arrays.empty(name)
                             for name, chunks in parts.items()})


def write_parquet(config: DemoConfig, out_dir: Path, progress: Progress | None = None
                  ) -> dict[str, int]:
    """Write every table to ``out_dir/<table>/part-0000.parquet``; returns rows per table.

    Streams chunk by chunk (one row group each), so memory stays bounded at any scale. Tables
    without rows get a file with the schema and no rows.
    """
    out_dir = Path(out_dir)
    counts = dict.fromkeys(TABLE_NAMES, 0)
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for name, chunk in generate(config, progress):
            writer = writers.get(name)
            if writer is None:
                folder = out_dir / name
                folder.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(folder / "part-0000.parquet",
                                          arrays.arrow_schema(name), compression="zstd")
                writers[name] = writer
            writer.write_table(chunk, row_group_size=CHUNK_ROWS)
            counts[name] += chunk.num_rows
        for name in TABLE_NAMES:
            if name not in writers:
                folder = out_dir / name
                folder.mkdir(parents=True, exist_ok=True)
                writers[name] = pq.ParquetWriter(folder / "part-0000.parquet",
                                                 arrays.arrow_schema(name), compression="zstd")
    finally:
        for writer in writers.values():
            writer.close()
    return counts
