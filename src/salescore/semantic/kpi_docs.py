"""``docs/kpis.md``: the KPI reference in English and Chinese, generated from the catalogue.

A test regenerates it and fails when the committed file differs, so the docs never go stale.
Regenerate with ``salescore kpi docs`` (or ``python -m salescore.semantic.kpi_docs``).

>>> from salescore.semantic.catalog import shipped_catalog
>>> text = render_docs(shipped_catalog())
>>> "## Results / 业绩结果" in text and "`win_rate`" in text
True
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import assert_never

from salescore.semantic.catalog import Catalog
from salescore.semantic.specs import (
    ConversionKpi,
    DerivedKpi,
    Filter,
    Group,
    Kpi,
    Measure,
    Op,
    PeriodOverPeriodKpi,
    RatioKpi,
    SimpleKpi,
)

_HEADER = """\
# KPI reference / 指标参考

<!-- Generated from src/salescore/catalog/kpis/*.yaml by `salescore kpi docs`; do not edit. -->
<!-- 由 `salescore kpi docs` 根据 src/salescore/catalog/kpis/*.yaml 生成，请勿手工修改。 -->

Every KPI can be computed for any grain (`--by rep`, `team` with its whole subtree, `company`, or
a dimension such as `product`, `channel`, `region`, `segment`, `industry`, `customer`, `stage`)
and any period (`--period 2025-Q1 --grain month`).

每个指标都可以按任意统计对象（`--by rep` 个人、`team` 团队（含全部下级团队）、`company` 全公司，
或 `product`、`channel`、`region`、`segment`、`industry`、`customer`、`stage` 等维度）和任意期间
（`--period 2025-Q1 --grain month`）计算。

## Conventions / 约定

- **Periods and time zone.** A row belongs to the period of its local date in the organisation's
  time zone (`organisation.timezone`); fiscal years follow `fiscal_year_start_month`.
  **期间与时区**：一条记录按其在组织时区下的本地日期归入期间；
  财年按 `fiscal_year_start_month` 计算。
- **Ratios are computed from sums at every grain**: a team's win rate is the team's won over the
  team's closed, never an average of its reps' rates. Ratios are fractions (0.25, not 25 %).
  **比率在每个粒度上都由合计值计算**：团队赢单率为团队赢单数除以团队关闭数，
  而非成员比率的平均；
  比率以小数表示（0.25 而非 25%）。
- **Missing values.** A count or sum of a subject without rows in a period is 0; an average,
  median or ratio is empty (NULL) when there is nothing to average or the denominator is 0.
  **缺失值**：某对象在某期间没有记录时，计数和求和为 0；
  平均值、中位数和比率在无数据或分母为 0 时为空。
- **Money** is in the reporting currency (`organisation.currency`). Other currencies are converted
  with `fx_rates` at the nearest earlier day's rate (the day that places the row: the close date
  for revenue won, the creation date for pipeline); an amount without any earlier rate is left
  out, and the result says so.
  **金额**以报告币种计。其他币种按 `fx_rates` 中不晚于该日的最近汇率折算
  （以归期日期为准：赢单金额取关闭日，新增商机取创建日）；
  没有可用汇率的金额不计入，并在结果中提示。
- **Snapshots** (open pipeline, stale opportunities) count what is open at the end of the
  period's last local day.
  **快照类指标**（在途商机、停滞商机）统计本期最后一个本地日结束时仍未关闭的记录。
- **Targets** come from the `targets` table (scope `rep`); a target counts in a period that contains
  its own period, and where targets of several lengths fall within one period only the longest
  count (a quarter's own target, not the sum of its months'). A team's target is the sum of its
  reps'. **目标**取自 `targets` 表（scope 为 rep）；目标计入包含其目标周期的期间，
  若同一期间内有不同长度的目标，只计最长的（季度目标而非各月目标之和）；
  团队目标为成员个人目标之和。
"""

_TYPES = {
    "simple": ("one measure", "单一度量"),
    "ratio": ("ratio of two measures", "两个度量之比"),
    "derived": ("expression of other KPIs", "其他指标的表达式"),
    "conversion": ("conversion", "转化"),
    "period_over_period": ("period over period", "环比"),
}
_BETTER = {"higher": ("higher is better", "越高越好"), "lower": ("lower is better", "越低越好")}


def _filters(filters: tuple[Filter, ...]) -> str:
    out = []
    for f in filters:
        if f.op in (Op.IS_NULL, Op.NOT_NULL):
            out.append(f"{f.column} {f.op.value}")
        else:
            out.append(f"{f.column} {f.op.value} {', '.join(str(v) for v in f.values)}")
    return " and ".join(out)


def _measure(m: Measure) -> str:
    text = f"`{m.name}` = {m.agg.value}({m.column or '*'}) of `{m.source}`"
    if m.filters:
        text += f" where {_filters(m.filters)}"
    if m.time:
        text += f", by `{m.time}`"
    if m.snapshot:
        text += f", open at the period's {m.snapshot} (`{m.valid_from}` .. `{m.valid_to}`)"
    if not m.time and not m.snapshot:
        text += ", by period label"
    return text


def _definition(cat: Catalog, kpi: Kpi) -> list[str]:
    match kpi:
        case SimpleKpi():
            return [_measure(cat.measure(kpi.measure))]
        case RatioKpi():
            return [f"`{kpi.numerator}` / `{kpi.denominator}`",
                    _measure(cat.measure(kpi.numerator)), _measure(cat.measure(kpi.denominator))]
        case DerivedKpi():
            return [f"`{kpi.expression}`"]
        case ConversionKpi():
            return [f"distinct `{kpi.entity}` of `{kpi.source}` with a row where "
                    f"{_filters(kpi.to)}, among those with a row where {_filters(kpi.from_)} "
                    f"(by `{kpi.time}`)"]
        case PeriodOverPeriodKpi():
            return [f"{kpi.output.replace('_', ' ')} of "
                    + _measure(cat.measure(kpi.measure)) + ", this period against the previous"]
        case _:
            assert_never(kpi)


def render_docs(cat: Catalog) -> str:
    """The whole reference as Markdown; deterministic for a given catalogue."""
    lines = [_HEADER]
    order = list(Group)
    for group in order:
        kpis = sorted((k for k in cat.kpis.values() if k.group is group), key=lambda k: k.name)
        if not kpis:
            continue
        lines.append(f"## {group.label.en} / {group.label.zh}\n")
        lines.append("| KPI | en | zh | unit / 单位 | better / 方向 |")
        lines.append("|---|---|---|---|---|")
        for k in kpis:
            lines.append(f"| [`{k.name}`](#{k.name.replace('_', '-')}) | {k.label.en} | "
                         f"{k.label.zh} | {k.unit.value} | {k.direction.value} |")
        lines.append("")
        for k in kpis:
            type_en, type_zh = _TYPES[k.type]
            better_en, better_zh = _BETTER[k.direction.value]
            per = " · per stage / 按阶段" if k.per == "stage" else ""
            lines.append(f"### {k.name}\n")
            lines.append(f"**{k.label.en}** / **{k.label.zh}** — {type_en} / {type_zh} · "
                         f"{k.unit.value} · {better_en} / {better_zh}{per}\n")
            lines.append(f"- en: {k.description.en}")
            lines.append(f"- zh: {k.description.zh}")
            lines.append("- definition / 定义: " + "; ".join(_definition(cat, k)))
            lines.append("")
    lines.append("## Sources / 数据源\n")
    lines.append("| source | table | rep | times | dimensions |")
    lines.append("|---|---|---|---|---|")
    for s in sorted(cat.sources.values(), key=lambda s: s.name):
        dims = ", ".join(f"{d}" for d in sorted(s.dimensions))
        times = ", ".join(s.times) or f"label `{s.period_label}`"
        lines.append(f"| `{s.name}` | {s.table} | `{s.rep}` | {times} | {dims} |")
    lines.append("")
    for s in sorted(cat.sources.values(), key=lambda s: s.name):
        lines.append(f"- `{s.name}`: {s.description.en} / {s.description.zh}")
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    from salescore.semantic.catalog import shipped_catalog

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/kpis.md")
    out.write_text(render_docs(shipped_catalog()), encoding="utf-8")


if __name__ == "__main__":
    main()
