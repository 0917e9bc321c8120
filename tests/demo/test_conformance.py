"""The generated tables obey the canonical declarations: columns, types, keys, references, rules."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from salescore.compile.schema import schema
from salescore.demo import CHUNK_ROWS, DemoData, demo_settings
from salescore.model.org import Pipeline
from salescore.model.tables import (
    TABLE_NAMES,
    DataType,
    ForbiddenWhen,
    NotBefore,
    RequiredWhen,
    table,
)


def test_every_table_has_exactly_the_declared_schema(small: DemoData) -> None:
    for name in TABLE_NAMES:
        got = small[name].schema
        assert got.names == list(table(name).column_names), name
        assert got.equals(schema(name).to_pyarrow()), f"{name}: {got} != declared"


def test_every_table_but_fx_rates_has_rows(small: DemoData) -> None:
    empty = [name for name in TABLE_NAMES if small[name].num_rows == 0]
    assert empty == ["fx_rates"]


def test_required_columns_have_no_nulls(small: DemoData) -> None:
    for declared in (table(n) for n in TABLE_NAMES):
        for column in declared:
            if column.required:
                nulls = small[declared.name].column(column.name).null_count
                assert nulls == 0, f"{declared.name}.{column.name}: {nulls} nulls"


def test_allowed_values_and_ranges(small: DemoData) -> None:
    for declared in (table(n) for n in TABLE_NAMES):
        data = small[declared.name]
        for column in declared:
            values = data.column(column.name)
            if column.allowed:
                seen = set(pc.unique(values).drop_null().to_pylist())
                assert seen <= set(column.allowed), f"{declared.name}.{column.name}: {seen}"
            if data.num_rows and column.type in (DataType.INTEGER, DataType.FLOAT,
                                                 DataType.DECIMAL):
                low = pc.min(values).as_py()
                high = pc.max(values).as_py()
                if column.minimum is not None and low is not None:
                    assert low >= column.minimum, f"{declared.name}.{column.name} min {low}"
                if column.maximum is not None and high is not None:
                    assert high <= column.maximum, f"{declared.name}.{column.name} max {high}"


def test_orders_may_be_negative_but_deals_are_not(small: DemoData) -> None:
    assert pc.min(small["orders"].column("amount")).as_py() < 0  # a refund
    assert pc.min(small["opportunities"].column("amount")).as_py() > 0


def test_keys_are_unique(small: DemoData) -> None:
    for declared in (table(n) for n in TABLE_NAMES):
        data = small[declared.name]
        if not data.num_rows:
            continue
        grouped = data.group_by(list(declared.key)).aggregate([])
        assert grouped.num_rows == data.num_rows, declared.name


def test_every_reference_resolves(small: DemoData) -> None:
    checked = 0
    for declared in (table(n) for n in TABLE_NAMES):
        for column in declared:
            if column.references is None:
                continue
            target = small[column.references.table].column(column.references.column)
            values = small[declared.name].column(column.name).drop_null()
            missing = pc.sum(pc.invert(pc.is_in(values, value_set=target))).as_py() or 0
            assert missing == 0, f"{declared.name}.{column.name}: {missing} dangling"
            checked += 1
    assert checked == 22  # every declared reference of the 14 tables


def test_referenced_rows_are_yielded_first_and_chunks_are_bounded(
        small_en_chunks: list[tuple[str, pa.Table]]) -> None:
    seen: dict[str, set[str]] = {}
    for name, chunk in small_en_chunks:
        assert 0 < chunk.num_rows <= CHUNK_ROWS or name == "fx_rates"
        declared = table(name)
        if len(declared.key) == 1:  # self references (teams, reps) resolve within the chunk
            seen.setdefault(name, set()).update(chunk.column(declared.key[0]).to_pylist())
        for column in declared:
            if column.references is None:
                continue
            known = seen.get(column.references.table, set())
            values = set(chunk.column(column.name).drop_null().to_pylist())
            assert values <= known, f"{name}.{column.name} before its rows"


def test_row_rules_hold(small: DemoData) -> None:
    for declared in (table(n) for n in TABLE_NAMES):
        data = small[declared.name]
        for rule in declared.rules:
            match rule:
                case NotBefore(earlier=a, later=b):
                    bad = pc.sum(pc.less(data.column(b), data.column(a))).as_py() or 0
                case RequiredWhen(column=c, when_column=w, values=v):
                    when = pc.is_in(data.column(w), value_set=pa.array(v))
                    bad = pc.sum(pc.and_(when, pc.is_null(data.column(c)))).as_py() or 0
                case ForbiddenWhen(column=c, when_column=w, values=v):
                    when = pc.is_in(data.column(w), value_set=pa.array(v))
                    bad = pc.sum(pc.and_(when, pc.is_valid(data.column(c)))).as_py() or 0
            assert bad == 0, f"{declared.name}: {rule}"


def test_stage_and_status_agree_with_the_pipeline(small: DemoData) -> None:
    pipeline = Pipeline()
    opps = small["opportunities"].to_pydict()
    for stage, status in zip(opps["stage"], opps["status"], strict=True):
        assert pipeline.status_of(stage) == status
    lost_reason = [r is not None for r in opps["lost_reason"]]
    assert lost_reason == [s == "lost" for s in opps["status"]]


def test_money_comes_with_the_organisation_currency(small: DemoData) -> None:
    currency = "CNY" if small.config.locale == "zh_CN" else "EUR"
    for name in ("opportunities", "orders"):
        assert pc.unique(small[name].column("currency")).to_pylist() == [currency]


def _local_midnight(day: date, zone: str) -> int:
    """Microseconds since the epoch (naive UTC) of local midnight starting ``day``."""
    return int(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).timestamp()) * 10**6


def test_times_lie_in_the_window(small: DemoData) -> None:
    """Activities, orders, surveys, reviews, assists and trainings fall inside the window.

    Opportunities open when the window starts keep their earlier creation and stage history.
    """
    zone = demo_settings(small.config).organisation.timezone
    start = _local_midnight(date(2024, 11, 1), zone)
    end = _local_midnight(date(2026, 11, 1), zone)
    # 2024-11-01 00:00 CET is 2024-10-31 23:00 UTC; CST is UTC+8 all year
    assert (start // 10**6, end // 10**6) == {"en": (1730415600, 1793487600),
                                              "zh_CN": (1730390400, 1793462400)}[
        small.config.locale]
    for name, col in [("activities", "occurred_at"), ("orders", "ordered_at"),
                      ("surveys", "answered_at"), ("peer_reviews", "reviewed_at"),
                      ("assists", "occurred_at"), ("trainings", "completed_at"),
                      ("opportunities", "closed_at"), ("opportunities", "created_at"),
                      ("stage_changes", "entered_at")]:
        values = pc.cast(small[name].column(col), pa.int64())
        assert pc.max(values).as_py() < end, f"{name}.{col} after the window"
        if name not in ("stage_changes", "opportunities") or col == "closed_at":
            assert pc.min(values).as_py() >= start, f"{name}.{col} before the window"


def test_customers_exist_before_their_deals(small: DemoData) -> None:
    con = duckdb.connect()
    con.register("customers", small["customers"])
    con.register("opportunities", small["opportunities"])
    early, = con.sql("""SELECT count(*) FROM opportunities o JOIN customers c USING (customer_id)
                        WHERE o.created_at < c.created_at""").fetchall()[0]
    assert early == 0
