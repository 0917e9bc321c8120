"""``salescore analyze``: the analyses of the organisation's data, through the workspace.

``salescore analyze funnel --rep R --period 2025-Q1`` (or ``--team T``, or neither for the
company) prints each step of the funnel with its conversion and drop-off, the peers' rate and
the bottleneck in words; ``salescore analyze cycle`` the cycle lengths of the deals closed in
the period and the days spent in each stage. ``--format csv|json`` writes the same figures
for a spreadsheet or a program; an unknown figure is empty in CSV and null in JSON, never 0.

Registered in :mod:`salescore.cli.main` with ``register(app)``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from salescore.cli.common import HomeOption, console, err_console, open_workspace
from salescore.core.spreadsheet import neutralise
from salescore.core.text import is_chinese

if TYPE_CHECKING:
    from salescore.workspace.analyses import (
        CycleReport,
        FunnelReport,
        TrainingReport,
        TrendReport,
    )

__all__ = ["analyze_app", "register"]

analyze_app = typer.Typer(
    help="Analyses: funnel, sales cycle, retention, RFM, strengths, communication, balance, "
         "training impact, market trends. "
         "分析：销售漏斗、销售周期、客户留存、RFM、优势与短板、沟通效果、团队与个人平衡、"
         "培训效果、市场趋势。",
    no_args_is_help=True,
)

FORMATS = ("table", "csv", "json")
MISSING = "—"

RepOption = Annotated[str | None, typer.Option("--rep", help="A rep's id / 销售编号")]
TeamOption = Annotated[str | None, typer.Option(
    "--team", help="A team's id, with the teams under it / 团队编号（含下属团队）")]
PeriodOption = Annotated[str, typer.Option(
    "--period", help="2025-Q1, 2025-03, FY2025, a..b / 期间")]
FormatOption = Annotated[str, typer.Option("--format", help="table | csv | json")]
LangOption = Annotated[str | None, typer.Option(
    "--lang", help="en or zh_CN (default: the organisation's) / 语言")]


def register(app: typer.Typer) -> None:
    """Add ``analyze`` to the top-level command."""
    app.add_typer(analyze_app, name="analyze")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        err_console.print(f"[red]--format is one of {', '.join(FORMATS)} / "
                          f"--format 取值：{', '.join(FORMATS)}[/]")
        raise typer.Exit(2)


def _pct(value: float | None) -> str:
    return MISSING if value is None else f"{value * 100:.1f}%"


def _days(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1f}"


def _csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) if isinstance(v, str) else v
                         for v in row])
    return buffer.getvalue()


def _subject_words(kind: str, subject: str | None, zh: bool) -> str:
    match kind:
        case "rep":
            return f"销售 {subject}" if zh else f"rep {subject}"
        case "team":
            return f"团队 {subject}" if zh else f"team {subject}"
        case _:
            return "公司" if zh else "the company"


FUNNEL_COLUMNS = ("stage", "reached", "went_on", "conversion", "drop_off", "dropped", "lost",
                  "still_open", "peer_conversion")


def _funnel_rows(report: FunnelReport) -> list[list[Any]]:
    peers = {s.stage: s for s in report.peers.steps} if report.peers else {}
    return [[s.stage, s.reached, s.went_on, s.conversion, s.drop_off, s.dropped, s.lost,
             s.still_open, peers[s.stage].conversion if s.stage in peers else None]
            for s in report.funnel.steps]


@analyze_app.command()
def funnel(period: PeriodOption, rep: RepOption = None, team: TeamOption = None,
           by: Annotated[str | None, typer.Option(
               "--by", help="Split by channel, product or segment / 按渠道、产品或客户分层拆分")
           ] = None,
           fmt: FormatOption = "table", lang: LangOption = None, home: HomeOption = None
           ) -> None:
    """The funnel: deals that entered the pipeline in the period, stage by stage, with the
    bottleneck against the peers.
    销售漏斗：本期进入销售流程的商机逐阶段的转化与流失，以及相对同级的瓶颈。

    CSV columns: stage, reached, went_on, conversion, drop_off, dropped, lost, still_open,
    peer_conversion (fractions: 0.25, not 25 %); with --by, the value first.
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        report = ws.owner().funnel(period=period, rep=rep, team=team, by=by)
        zh = is_chinese(lang or ws.locale)
    rows = _funnel_rows(report)
    match fmt:
        case "json":
            typer.echo(json.dumps(_funnel_json(report), ensure_ascii=False, indent=1))
        case "csv":
            if report.breakdown is not None:
                split = [[value, s.stage, s.reached, s.went_on, s.conversion, s.drop_off,
                          s.dropped, s.lost, s.still_open, None]
                         for value, f in report.by_value for s in f.steps]
                typer.echo(_csv((report.breakdown, *FUNNEL_COLUMNS), split), nl=False)
            else:
                typer.echo(_csv(FUNNEL_COLUMNS, rows), nl=False)
        case _:
            title = (f"漏斗：{_subject_words(report.subject_kind, report.subject_id, True)}，"
                     f"{report.period}（{report.funnel.deals} 个商机）") if zh else \
                (f"Funnel of {_subject_words(report.subject_kind, report.subject_id, False)}, "
                 f"{report.period} ({report.funnel.deals} deals)")
            grid = Table(title=title)
            heads = ("阶段", "到达", "推进", "转化率", "流失率", "流失", "输单", "仍在进行",
                     "同级转化率") if zh else (
                "Stage", "Reached", "Went on", "Conversion", "Drop-off", "Dropped", "Lost",
                "Still open", "Peers' conversion")
            for i, head in enumerate(heads):
                grid.add_column(head, justify="left" if i == 0 else "right")
            for r in rows:
                label = report.labels[r[0]].get("zh_CN" if zh else "en")
                grid.add_row(label, str(r[1]), MISSING if r[2] is None else str(r[2]),
                             _pct(r[3]), _pct(r[4]), MISSING if r[5] is None else str(r[5]),
                             str(r[6]), str(r[7]), _pct(r[8]))
            console.print(grid)
            console.print(report.words.get("zh_CN" if zh else "en"), highlight=False)


def _funnel_json(report: FunnelReport) -> dict[str, Any]:
    def steps(rows: Sequence[Any]) -> list[dict[str, Any]]:
        return [{"stage": s.stage, "reached": s.reached, "went_on": s.went_on,
                 "conversion": s.conversion, "drop_off": s.drop_off, "dropped": s.dropped,
                 "lost": s.lost, "still_open": s.still_open} for s in rows]

    b = report.bottleneck
    return {
        "period": report.period, "subject_kind": report.subject_kind,
        "subject_id": report.subject_id, "deals": report.funnel.deals,
        "steps": steps(report.funnel.steps),
        "peers": steps(report.peers.steps) if report.peers else None,
        "peers_kind": report.peers_kind,
        "bottleneck": None if b is None else {
            "stage": b.stage, "next_stage": b.next_stage, "conversion": b.conversion,
            "peer_conversion": b.peer_conversion, "shortfall": b.shortfall},
        "bottleneck_text": {"en": report.words.en, "zh": report.words.zh},
        "breakdown": report.breakdown,
        "by_value": [{"value": v, "deals": f.deals, "steps": steps(f.steps)}
                     for v, f in report.by_value],
    }


@analyze_app.command()
def cycle(period: PeriodOption, rep: RepOption = None, team: TeamOption = None,
          fmt: FormatOption = "table", lang: LangOption = None, home: HomeOption = None
          ) -> None:
    """The sales cycle of the deals won or lost in the period, and the days in each stage.
    销售周期：本期赢单与输单商机的周期长度分布，以及各阶段停留天数。

    CSV columns: section (won, lost or stage), name (a bin or a stage), deals (per bin, or the
    stage entries), median_days, mean_days.
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        report = ws.owner().cycle(period=period, rep=rep, team=team)
        zh = is_chinese(lang or ws.locale)
    match fmt:
        case "json":
            typer.echo(json.dumps(_cycle_json(report), ensure_ascii=False, indent=1))
        case "csv":
            rows: list[list[Any]] = []
            for stats in (report.won, report.lost):
                rows.append([stats.status, "all", stats.deals, stats.median_days,
                             stats.mean_days])
                rows.append([stats.status, "unknown", stats.unknown, None, None])
                rows += [[stats.status, name, n, None, None]
                         for name, n in zip(report.bins, stats.bins, strict=True)]
            rows += [["stage", s.stage, s.entries, s.median_days, s.mean_days]
                     for s in report.stages]
            typer.echo(_csv(("section", "name", "deals", "median_days", "mean_days"), rows),
                       nl=False)
        case _:
            who = _subject_words(report.subject_kind, report.subject_id, zh)
            grid = Table(title=f"销售周期：{who}，{report.period}（天）" if zh
                         else f"Sales cycle of {who}, {report.period} (days)")
            heads = ("周期（天）", "赢单", "输单") if zh else ("Cycle (days)", "Won", "Lost")
            for i, head in enumerate(heads):
                grid.add_column(head, justify="left" if i == 0 else "right")
            for name, w, lo in zip(report.bins, report.won.bins, report.lost.bins, strict=True):
                grid.add_row(name, str(w), str(lo))
            grid.add_row("未知" if zh else "unknown", str(report.won.unknown),
                         str(report.lost.unknown))
            grid.add_row("中位数" if zh else "median", _days(report.won.median_days),
                         _days(report.lost.median_days))
            grid.add_row("平均" if zh else "mean", _days(report.won.mean_days),
                         _days(report.lost.mean_days))
            console.print(grid)
            stages = Table(title="各阶段停留天数" if zh else "Days in each stage")
            for i, head in enumerate(("阶段", "次数", "中位数", "平均") if zh else
                                     ("Stage", "Entries", "Median", "Mean")):
                stages.add_column(head, justify="left" if i == 0 else "right")
            for s in report.stages:
                stages.add_row(report.labels[s.stage].get("zh_CN" if zh else "en"),
                               str(s.entries), _days(s.median_days), _days(s.mean_days))
            console.print(stages)


def _cycle_json(report: CycleReport) -> dict[str, Any]:
    def stats(s: Any) -> dict[str, Any]:
        return {"deals": s.deals, "known": s.known, "unknown": s.unknown,
                "median_days": s.median_days, "mean_days": s.mean_days,
                "bins": dict(zip(report.bins, s.bins, strict=True))}

    return {"period": report.period, "subject_kind": report.subject_kind,
            "subject_id": report.subject_id, "won": stats(report.won),
            "lost": stats(report.lost),
            "stages": [{"stage": s.stage, "entries": s.entries, "median_days": s.median_days,
                        "mean_days": s.mean_days} for s in report.stages]}


# -- retention and customer behaviour (issue 11, parts 3 and 4) --------------------------------
def _retention_json(report: Any) -> dict[str, Any]:
    return {"period": report.period, "grain": report.grain,
            "subject_kind": report.subject_kind, "subject_id": report.subject_id,
            "churn_days": report.churn_days, "customers": report.customers,
            "repeat_rate": report.repeat_rate, "churn_rate": report.churn_rate,
            "cohorts": [{"period": c.period, "customers": c.customers, "retained": c.retained,
                         "shares": c.shares, "repeat_rate": c.repeat_rate,
                         "churn_rate": c.churn_rate} for c in report.cohorts]}


@analyze_app.command()
def retention(period: PeriodOption, rep: RepOption = None, team: TeamOption = None,
              grain: Annotated[str, typer.Option(
                  "--grain", help="month or quarter / 按月或按季度")] = "month",
              fmt: FormatOption = "table", lang: LangOption = None, home: HomeOption = None
              ) -> None:
    """Customer cohorts by first-purchase period and the share of each buying again later,
    with the repeat-purchase and churn rates.
    客户同期群：按首次购买期间分组，各组在之后每期再次购买的比例，以及复购率与流失率。

    CSV columns: cohort, customers, repeat_rate, churn_rate, then offset_0, offset_1, … (the
    share buying in that later period; empty where not yet observed).
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        report = ws.owner().retention(period=period, grain=grain, rep=rep, team=team)
        zh = is_chinese(lang or ws.locale)
    offsets = [f"offset_{k}" for k in range(report.offsets)]
    rows = [[c.period, c.customers, c.repeat_rate, c.churn_rate, *c.shares]
            for c in report.cohorts]
    match fmt:
        case "json":
            typer.echo(json.dumps(_retention_json(report), ensure_ascii=False, indent=1))
        case "csv":
            typer.echo(_csv(("cohort", "customers", "repeat_rate", "churn_rate", *offsets),
                            rows), nl=False)
        case _:
            who = _subject_words(report.subject_kind, report.subject_id, zh)
            grid = Table(title=f"客户留存：{who}，{report.period}（{report.customers} 位新客户）"
                         if zh else f"Retention of {who}, {report.period} "
                         f"({report.customers} new customers)")
            heads = ["同期群", "客户", "复购率", "流失率"] if zh else \
                ["Cohort", "Customers", "Repeat", "Churn"]
            # As many periods after the first purchase as the terminal holds whole (up to 9
            # characters each beside the 4 first columns); the rest are in --format csv.
            fits = max(1, min(report.offsets, (console.width - 42) // 9))
            heads += [f"+{k}" for k in range(fits)]
            for i, head in enumerate(heads):
                grid.add_column(head, justify="left" if i == 0 else "right", no_wrap=True)
            for c in report.cohorts:
                grid.add_row(c.period, str(c.customers), _pct(c.repeat_rate), _pct(c.churn_rate),
                             *[_pct(s) for s in c.shares[:fits]])
            console.print(grid)
            if fits < report.offsets:
                console.print(
                    f"显示购买后前 {fits} 个期间（共 {report.offsets} 个）；全部请用 --format csv"
                    if zh else f"The first {fits} of {report.offsets} periods after the first "
                    "purchase are shown; --format csv has them all", highlight=False)
            console.print(
                f"复购率 {_pct(report.repeat_rate)}；流失率（最近 {report.churn_days} 天无购买）"
                f"{_pct(report.churn_rate)}" if zh else
                f"Repeat-purchase rate {_pct(report.repeat_rate)}; churn rate (no purchase in "
                f"the last {report.churn_days} days) {_pct(report.churn_rate)}",
                highlight=False)


def _rfm_json(report: Any) -> dict[str, Any]:
    def shares(items: Any) -> list[dict[str, Any]]:
        return [{"key": s.key, "label": {"en": s.label.en, "zh": s.label.zh},
                 "customers": s.customers, "revenue": s.revenue, "share": s.share}
                for s in items]

    return {"period": report.period, "as_of": report.as_of.isoformat(),
            "subject_kind": report.subject_kind, "subject_id": report.subject_id,
            "customers": [dict(vars(c)) for c in report.customers],
            "segments": shares(report.segments), "channels": shares(report.channels),
            "gaps": report.gaps, "median_gap_days": report.median_gap_days,
            "mean_gap_days": report.mean_gap_days, "buyers": report.buyers,
            "pairs": [dict(vars(p)) for p in report.pairs]}


@analyze_app.command()
def rfm(period: PeriodOption, rep: RepOption = None, team: TeamOption = None,
        top: Annotated[int, typer.Option("--top", help="Product pairs shown / 显示的产品组合数")
                       ] = 10,
        fmt: FormatOption = "table", lang: LangOption = None, home: HomeOption = None
        ) -> None:
    """RFM segments of the customers who bought in the period, their revenue shares and the
    channels', the median days between purchases and the products bought together.
    客户行为：RFM 分群及各群、各渠道的收入占比，购买间隔中位数，以及常被一起购买的产品。

    CSV columns: customer_id, name, channel, recency_days, frequency, monetary, r, f, m,
    segment (one row per customer).
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        report = ws.owner().rfm(period=period, rep=rep, team=team, top=top)
        zh = is_chinese(lang or ws.locale)
    lang_key = "zh_CN" if zh else "en"
    match fmt:
        case "json":
            typer.echo(json.dumps(_rfm_json(report), ensure_ascii=False, indent=1))
        case "csv":
            typer.echo(_csv(("customer_id", "name", "channel", "recency_days", "frequency",
                             "monetary", "r", "f", "m", "segment"),
                            [[c.customer_id, c.name, c.channel, c.recency_days, c.frequency,
                              c.monetary, c.r, c.f, c.m, c.segment]
                             for c in report.customers]), nl=False)
        case _:
            who = _subject_words(report.subject_kind, report.subject_id, zh)
            grid = Table(title=f"RFM 分群：{who}，{report.period}" if zh
                         else f"RFM segments of {who}, {report.period}")
            for i, head in enumerate(("分群", "客户", "收入", "收入占比") if zh else
                                     ("Segment", "Customers", "Revenue", "Share")):
                grid.add_column(head, justify="left" if i == 0 else "right")
            for s in report.segments:
                grid.add_row(s.label.get(lang_key), str(s.customers), f"{s.revenue:,.2f}",
                             _pct(s.share))
            console.print(grid)
            channels = Table(title="各渠道收入" if zh else "Revenue by channel")
            for i, head in enumerate(("渠道", "客户", "收入", "收入占比") if zh else
                                     ("Channel", "Customers", "Revenue", "Share")):
                channels.add_column(head, justify="left" if i == 0 else "right")
            for s in report.channels:
                channels.add_row(s.label.get(lang_key), str(s.customers), f"{s.revenue:,.2f}",
                                 _pct(s.share))
            console.print(channels)
            pairs = Table(title="产品关联（按提升度）" if zh else "Product affinity (by lift)")
            for i, head in enumerate(("产品 A", "产品 B", "共同客户", "先 A 后 B", "支持度",
                                      "置信度", "提升度") if zh else
                                     ("Product A", "Product B", "Both", "A then B", "Support",
                                      "Confidence", "Lift")):
                pairs.add_column(head, justify="left" if i < 2 else "right")
            for p in report.pairs:
                pairs.add_row(p.a, p.b, str(p.both), str(p.then), _pct(p.support),
                              _pct(p.confidence), f"{p.lift:.2f}")
            console.print(pairs)
            console.print(
                f"购买间隔中位数 {_days(report.median_gap_days)} 天（{report.gaps} 个间隔）" if zh
                else f"Median days between purchases {_days(report.median_gap_days)} "
                f"({report.gaps} gaps)", highlight=False)
# -- training impact and market trends (issue 11, parts 8 and 9) ------------------------------
TRAINING_COLUMNS = ("kind", "course", "completed_by", "kpi", "trainees", "peers", "before",
                    "after", "peers_before", "peers_after", "effect", "low", "high")
KPI_WORDS = {"win_rate": ("Win rate", "赢单率"),
             "lead_to_win_rate": ("Lead-to-win rate", "线索赢单率"),
             "revenue_won": ("Revenue won / month", "月均赢单收入"),
             "opportunities_created": ("Deals created", "新建商机数")}


def _num(value: float | None, kpi: str) -> str:
    if value is None:
        return MISSING
    return f"{value * 100:+.1f} pt" if kpi.endswith("rate") else f"{value:+,.0f}"


def _training_rows(report: TrainingReport) -> list[list[Any]]:
    return [[c.kind, c.course, c.trainees, e.kpi, e.trainees, e.peers, e.before, e.after,
             e.peers_before, e.peers_after, e.estimate, e.low, e.high]
            for c in [*report.courses, *report.kinds] for e in c.effects]


@analyze_app.command()
def training(rep: RepOption = None, team: TeamOption = None,
             window: Annotated[int, typer.Option(
                 "--window", help="Months before and after the training / 培训前后的月数")] = 6,
             fmt: FormatOption = "table", lang: LangOption = None, home: HomeOption = None
             ) -> None:
    """Training impact: each course's effect on its trainees' win rate, lead-to-win rate and
    revenue won per month, against untrained peers (difference in differences, 95 % interval).
    培训效果：每门课程对受训者赢单率、线索赢单率和月均赢单收入的影响
    （对比未受训同级的双重差分，95% 置信区间）。

    CSV columns: kind, course (empty: every course of the kind), completed_by, kpi, trainees
    (counted), peers, before, after, peers_before, peers_after, effect, low, high (empty: not
    enough data).
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        report = ws.owner().training(window=window, rep=rep, team=team)
        zh = is_chinese(lang or ws.locale)
    rows = _training_rows(report)
    match fmt:
        case "json":
            typer.echo(json.dumps({
                "first_month": report.first_month, "last_month": report.last_month,
                "window": report.window, "note": {"en": report.note.en, "zh": report.note.zh},
                "effects": [dict(zip(TRAINING_COLUMNS, r, strict=True)) for r in rows]},
                ensure_ascii=False, indent=1))
        case "csv":
            typer.echo(_csv(TRAINING_COLUMNS, rows), nl=False)
        case _:
            grid = Table(title="培训效果（双重差分）" if zh else
                         "Training impact (difference in differences)")
            heads = ("课程", "类型", "完成人数", "指标", "计入人数", "效果", "95% 区间") if zh \
                else ("Course", "Kind", "Completed", "KPI", "Counted", "Effect", "95 % interval")
            for i, head in enumerate(heads):
                grid.add_column(head, justify="left" if i in (0, 1, 3) else "right")
            for r in rows:
                kind, course, done, kpi, n, _, _, _, _, _, est, low, high = r
                words = KPI_WORDS[kpi][1 if zh else 0]
                shown = course or ("（全部）" if zh else "(all)")
                effect = _num(est, kpi) if est is not None else (
                    "数据不足" if zh else "not enough data")
                interval = MISSING if est is None else f"{_num(low, kpi)} … {_num(high, kpi)}"
                grid.add_row(shown, kind, str(done), words, str(n), effect, interval)
            console.print(grid)
            console.print(report.note.get("zh_CN" if zh else "en"), highlight=False)


@analyze_app.command()
def trends(by: Annotated[str, typer.Option(
               "--by", help="company, segment, product, region or channel / "
                            "按全公司、客户分层、产品、区域或渠道")] = "segment",
           months: Annotated[int, typer.Option(
               "--months", help="How many complete months / 完整月份数")] = 24,
           fmt: FormatOption = "table", lang: LangOption = None, home: HomeOption = None
           ) -> None:
    """Market trends: revenue won, deals created and win rate per month, seasonally adjusted
    with two years of history; the fastest-growing and -shrinking named.
    市场趋势：每月赢单收入、新建商机数和赢单率，满两年历史时做季节调整；指出增长最快和萎缩最快者。

    CSV columns: value, measure, month, raw, adjusted (empty when not adjusted).
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        report = ws.owner().trends(by=by, months=months)
        zh = is_chinese(lang or ws.locale)
    rows = [[s.value, s.measure, m, s.raw[i], s.adjusted[i] if s.adjusted else None]
            for s in report.series for i, m in enumerate(report.months)]
    match fmt:
        case "json":
            typer.echo(json.dumps(_trends_json(report), ensure_ascii=False, indent=1))
        case "csv":
            typer.echo(_csv(("value", "measure", "month", "raw", "adjusted"), rows), nl=False)
        case _:
            grid = Table(title=(f"市场趋势：按 {report.by}，{report.months[0]}–{report.months[-1]}"
                                if zh else f"Market trends by {report.by}, "
                                f"{report.months[0]}–{report.months[-1]}")
                         if report.months else ("市场趋势" if zh else "Market trends"))
            heads = ("对象", "指标", "首月", "末月", "变化") if zh else (
                "Value", "Measure", "First month", "Last month", "Change")
            for i, head in enumerate(heads):
                grid.add_column(head, justify="left" if i < 2 else "right")
            for s in report.series:
                shown = s.adjusted or s.raw
                g = MISSING if s.growth is None else (
                    f"{s.growth * 100:+.1f} pt" if s.measure == "win_rate"
                    else f"{s.growth * 100:+.0f}%")
                fmt_v = _pct if s.measure == "win_rate" else (
                    lambda v: MISSING if v is None else f"{v:,.0f}")
                grid.add_row(str(s.value if s.value is not None else (
                    "公司" if zh and report.by == "company" else
                    "company" if report.by == "company" else MISSING)),
                    KPI_WORDS[s.measure][1 if zh else 0].replace(" / month", ""),
                    fmt_v(shown[0]), fmt_v(shown[-1]), g)
            console.print(grid)
            console.print(report.note.get("zh_CN" if zh else "en"), highlight=False)
            for words in report.words.values():
                console.print(words.get("zh_CN" if zh else "en"), highlight=False)


def _trends_json(report: TrendReport) -> dict[str, Any]:
    return {"by": report.by, "months": report.months, "adjusted": report.adjusted,
            "note": {"en": report.note.en, "zh": report.note.zh},
            "words": {m: {"en": t.en, "zh": t.zh} for m, t in report.words.items()},
            "series": [{"value": s.value, "measure": s.measure, "raw": s.raw,
                        "adjusted": s.adjusted, "growth": s.growth} for s in report.series]}


# -- strengths and weaknesses (issue 11, part 5) -----------------------------------------------
STRENGTH_COLUMNS = ("rep_id", "plan", "kpi", "value", "peers", "peer_median", "percentile",
                    "lever_gain", "lever_score")


def _strength_rows(report: Any) -> list[list[Any]]:
    rows = []
    for r in report.reps:
        levers = {lv.kpi: lv for lv in r.levers}
        for s in r.kpis:
            lever = levers.get(s.kpi)
            rows.append([r.rep_id, r.plan, s.kpi, s.value, s.peers, s.peer_median,
                         s.percentile, lever.gain if lever else None,
                         lever.new_score if lever else None])
    return rows


def _strengths_json(report: Any) -> dict[str, Any]:
    def standing(s: Any) -> dict[str, Any]:
        return {"kpi": s.kpi, "direction": s.direction, "value": s.value, "peers": s.peers,
                "peer_median": s.peer_median, "percentile": s.percentile}

    return {"period": report.period, "plans": report.plans,
            "note": {"en": report.note.en, "zh": report.note.zh},
            "reps": [{"rep_id": r.rep_id, "team_id": r.team_id, "plan": r.plan,
                      "peers": r.peers, "score": r.score, "rating": r.rating,
                      "strongest": [s.kpi for s in r.strongest],
                      "weakest": [s.kpi for s in r.weakest],
                      "levers": [dict(vars(lv)) for lv in r.levers],
                      "kpis": [standing(s) for s in r.kpis]} for r in report.reps]}


def _pctile(value: float | None) -> str:
    return MISSING if value is None else f"{value:.0f}"


@analyze_app.command()
def strengths(period: PeriodOption, rep: RepOption = None, team: TeamOption = None,
              plan: Annotated[str | None, typer.Option(
                  "--plan", help="Only this plan's reps / 仅此方案的销售")] = None,
              kpi: Annotated[list[str] | None, typer.Option(
                  "--kpi", help="Only these KPIs (repeat) / 仅这些指标（可重复）")] = None,
              fmt: FormatOption = "table", lang: LangOption = None, home: HomeOption = None
              ) -> None:
    """Strengths and weaknesses: each rep's percentile on every KPI against the peers under the
    same plan, the three strongest and weakest, and the improvement levers (what raising a
    plan line to the peers' median adds to the score, scored by the plan).
    优势与短板：每位销售在每个指标上相对同一方案同级的百分位、最强与最弱的三项，
    以及提升杠杆（将方案指标提升到同级中位数后，按方案重新评分所增加的分数）。

    CSV columns: rep_id, plan, kpi, value, peers, peer_median, percentile (0–100; empty:
    unknown), lever_gain, lever_score (empty: not a lever).
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        report = ws.owner().strengths(period=period, rep=rep, team=team, plan=plan,
                                      kpis=kpi or None)
        zh = is_chinese(lang or ws.locale)
    key = "zh_CN" if zh else "en"
    match fmt:
        case "json":
            typer.echo(json.dumps(_strengths_json(report), ensure_ascii=False, indent=1))
        case "csv":
            typer.echo(_csv(STRENGTH_COLUMNS, _strength_rows(report)), nl=False)
        case _:
            def named(items: Sequence[Any]) -> str:
                return ("、" if zh else ", ").join(
                    f"{report.labels[s.kpi].get(key)} {_pctile(s.percentile)}" for s in items)

            grid = Table(title=f"优势与短板，{report.period}" if zh
                         else f"Strengths and weaknesses, {report.period}")
            heads = ("销售", "方案", "得分", "最强", "最弱", "首要杠杆") if zh else (
                "Rep", "Plan", "Score", "Strongest", "Weakest", "Top lever")
            for i, head in enumerate(heads):
                grid.add_column(head, justify="right" if i == 2 else "left")
            for r in report.reps:
                lever = r.levers[0] if r.levers else None
                grid.add_row(r.rep_id, r.plan, _days(r.score), named(r.strongest),
                             named(r.weakest), MISSING if lever is None else
                             f"{report.labels[lever.kpi].get(key)} +{lever.gain:.1f}")
            console.print(grid)
            if rep is not None and report.reps:
                one = report.reps[0]
                detail = Table(title=f"{one.rep_id}：各指标百分位" if zh
                               else f"{one.rep_id}: percentile on each KPI")
                for i, head in enumerate(("指标", "数值", "同级中位数", "百分位") if zh else
                                         ("KPI", "Value", "Peers' median", "Percentile")):
                    detail.add_column(head, justify="left" if i == 0 else "right")
                for s in sorted(one.kpis, key=lambda s: (s.percentile is None,
                                                         -(s.percentile or 0), s.kpi)):
                    detail.add_row(report.labels[s.kpi].get(key), _num2(s.value),
                                   _num2(s.peer_median), _pctile(s.percentile))
                console.print(detail)
                if one.levers:
                    levers = Table(title="提升杠杆" if zh else "Improvement levers")
                    for i, head in enumerate(("指标", "现值", "同级中位数", "得分增加", "新得分")
                                             if zh else ("KPI", "Now", "Peers' median",
                                                         "Score gain", "New score")):
                        levers.add_column(head, justify="left" if i == 0 else "right")
                    for lv in one.levers:
                        levers.add_row(report.labels[lv.kpi].get(key), _num2(lv.value),
                                       _num2(lv.peer_median), f"+{lv.gain:.1f}",
                                       _days(lv.new_score))
                    console.print(levers)
            console.print(report.note.get(key), highlight=False)


def _num2(value: float | None) -> str:
    return MISSING if value is None else f"{value:,.2f}"


# -- communication effectiveness (issue 11, part 6) --------------------------------------------
COMMUNICATION_COLUMNS = ("rep_id", "deals", "won", "win_rate", "touches_per_deal",
                         "median_gap_days", "avg_response_hours", "reply_rate",
                         "follow_up_rate")


def _communication_json(report: Any) -> dict[str, Any]:
    def bins(items: Any) -> list[dict[str, Any]]:
        return [{"label": b.label, "deals": b.deals, "won": b.won, "win_rate": b.win_rate}
                for b in items]

    return {"period": report.period, "subject_kind": report.subject_kind,
            "subject_id": report.subject_id,
            "note": {"en": report.note.en, "zh": report.note.zh},
            "reps": [{c: getattr(r, c) for c in COMMUNICATION_COLUMNS} for r in report.reps],
            "touch_bins": bins(report.touch_bins), "gap_bins": bins(report.gap_bins),
            "no_gap": bins([report.no_gap])[0],
            "relations": [dict(vars(r)) for r in report.relations]}


@analyze_app.command()
def communication(period: PeriodOption, rep: RepOption = None, team: TeamOption = None,
                  fmt: FormatOption = "table", lang: LangOption = None,
                  home: HomeOption = None) -> None:
    """Communication effectiveness: touches per closed deal, days between touches, response
    time, reply and follow-up rates per rep, the win rate by cadence, and each measure's rank
    correlation with the reps' win rates.
    沟通效果：每个已关闭商机的接触次数、接触间隔、响应时长、回复率和及时跟进率，
    按跟进节奏的赢单率，以及各指标与赢单率的等级相关。

    CSV columns: rep_id, deals, won, win_rate, touches_per_deal, median_gap_days,
    avg_response_hours, reply_rate, follow_up_rate (empty: unknown).
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        report = ws.owner().communication(period=period, rep=rep, team=team)
        zh = is_chinese(lang or ws.locale)
    key = "zh_CN" if zh else "en"
    match fmt:
        case "json":
            typer.echo(json.dumps(_communication_json(report), ensure_ascii=False, indent=1))
        case "csv":
            typer.echo(_csv(COMMUNICATION_COLUMNS, [[getattr(r, c) for c in
                                                     COMMUNICATION_COLUMNS]
                                                    for r in report.reps]), nl=False)
        case _:
            who = _subject_words(report.subject_kind, report.subject_id, zh)
            grid = Table(title=f"沟通效果：{who}，{report.period}" if zh
                         else f"Communication of {who}, {report.period}")
            heads = ("销售", "已关闭", "赢单率", "接触/单", "间隔天数", "响应小时", "回复率",
                     "跟进率") if zh else ("Rep", "Closed", "Win rate", "Touches/deal",
                                           "Gap days", "Response h", "Reply rate",
                                           "Follow-up")
            for i, head in enumerate(heads):
                grid.add_column(head, justify="left" if i == 0 else "right")
            for r in report.reps:
                grid.add_row(r.rep_id, str(r.deals), _pct(r.win_rate), _days(r.touches_per_deal),
                             _days(r.median_gap_days), _days(r.avg_response_hours),
                             _pct(r.reply_rate), _pct(r.follow_up_rate))
            console.print(grid)
            bins = Table(title="按接触次数的赢单率" if zh else "Win rate by touches per deal")
            for i, head in enumerate(("接触次数", "商机", "赢单", "赢单率") if zh else
                                     ("Touches", "Deals", "Won", "Win rate")):
                bins.add_column(head, justify="left" if i == 0 else "right")
            for b in report.touch_bins:
                bins.add_row(b.label, str(b.deals), str(b.won), _pct(b.win_rate))
            console.print(bins)
            rel = Table(title="与赢单率的等级相关" if zh else "Rank correlation with win rate")
            for i, head in enumerate(("指标", "销售数", "相关系数") if zh else
                                     ("Measure", "Reps", "Spearman rho")):
                rel.add_column(head, justify="left" if i == 0 else "right")
            for r in report.relations:
                rel.add_row(report.labels[r.measure].get(key), str(r.reps),
                            ("数据不足" if zh else "not enough data") if r.rho is None
                            else f"{r.rho:+.2f}")
            console.print(rel)
            console.print(report.note.get(key), highlight=False)


# -- team and individual balance (issue 11, part 7) --------------------------------------------
BALANCE_COLUMNS = ("section", "id", "revenue_won", "assisted_revenue_won", "assisted_share",
                   "assists_given", "assists_received", "cross_team_given")


def _balance_json(report: Any) -> dict[str, Any]:
    return {"period": report.period, "note": {"en": report.note.en, "zh": report.note.zh},
            "teams": [dict(vars(t)) for t in report.teams],
            "reps": [dict(vars(r)) for r in report.reps],
            "flows": [{"helper_team_id": h, "helped_team_id": g, "assists": n}
                      for h, g, n in report.flows],
            "plans": [{"plan": p.plan, "blends": [dict(vars(b)) for b in p.blends],
                       "reps": [{"rep_id": r, "scores": s} for r, s in p.reps]}
                      for p in report.plans]}


@analyze_app.command()
def balance(period: PeriodOption, team: TeamOption = None, fmt: FormatOption = "table",
            lang: LangOption = None, home: HomeOption = None) -> None:
    """Team and individual balance: each team's revenue from assisted deals, assists given,
    received and across teams, and how each plan's individual/team blend spreads the scores
    (replayed by the plan with other shares: who would gain or lose).
    团队与个人平衡：各团队协同成交金额占比、提供与获得的协助及跨团队协助，
    以及各方案个人/团队权重对得分分布的影响（按方案以其他权重重新评分：谁得谁失）。

    CSV columns: section (team or rep), id, revenue_won, assisted_revenue_won, assisted_share,
    assists_given, assists_received, cross_team_given (empty: unknown or not given for reps).
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        report = ws.owner().balance(period=period, team=team)
        zh = is_chinese(lang or ws.locale)
    key = "zh_CN" if zh else "en"
    match fmt:
        case "json":
            typer.echo(json.dumps(_balance_json(report), ensure_ascii=False, indent=1))
        case "csv":
            rows: list[list[Any]] = [
                ["team", t.team_id, t.revenue_won, t.assisted_revenue_won, t.assisted_share,
                 t.assists_given, t.assists_received, t.cross_team_given] for t in report.teams]
            rows += [["rep", r.rep_id, None, None, None, r.assists_given, r.assists_received,
                      r.cross_team_given] for r in report.reps]
            typer.echo(_csv(BALANCE_COLUMNS, rows), nl=False)
        case _:
            grid = Table(title=f"团队与个人平衡，{report.period}" if zh
                         else f"Team and individual balance, {report.period}")
            for i, head in enumerate(("团队", "赢单收入", "协同成交占比", "提供协助", "获得协助",
                                      "跨团队协助") if zh else
                                     ("Team", "Revenue won", "Assisted share", "Given",
                                      "Received", "Cross-team")):
                grid.add_column(head, justify="left" if i == 0 else "right")
            for t in report.teams:
                grid.add_row(t.team_id, _num2(t.revenue_won), _pct(t.assisted_share),
                             str(t.assists_given), str(t.assists_received),
                             str(t.cross_team_given))
            console.print(grid)
            for p in report.plans:
                blends = Table(title=f"方案 {p.plan} 的个人/团队权重" if zh
                               else f"Plan {p.plan}: individual/team blend")
                heads = ["销售" if zh else "Rep"] + [
                    f"{b.individual:.0%}/{b.team:.0%}{'*' if b.current else ''}"
                    for b in p.blends]
                for i, head in enumerate(heads):
                    blends.add_column(head, justify="left" if i == 0 else "right")
                blends.add_row("极差" if zh else "range", *[_days(b.range) for b in p.blends])
                blends.add_row("标准差" if zh else "s.d.", *[_days(b.stdev) for b in p.blends])
                for rep_id, scores in p.reps:
                    blends.add_row(rep_id, *[_days(s) for s in scores])
                console.print(blends)
            console.print(report.note.get(key), highlight=False)


# -- pipeline changes (issue 11, part 10) -------------------------------------------------------
PIPELINE_COLUMNS = ("section", "id", "name", "start", "new", "pulled_in", "up", "down",
                    "pushed", "won", "lost", "end", "deals", "unknown")
PIPELINE_HEADS = {
    "en": ("Start", "New", "Pulled in", "Amount up", "Amount down", "Pushed out", "Won", "Lost",
           "End"),
    "zh_CN": ("期初", "新增", "提前纳入", "金额增加", "金额减少", "推迟移出", "赢单", "输单",
              "期末"),
}


def _pipeline_json(report: Any) -> dict[str, Any]:
    def row(r: Any) -> dict[str, Any]:
        return {"kind": r.kind, "id": r.id, "name": r.name,
                **{k: float(v) for k, v in r.amounts().items()},
                "counts": r.counts, "deals": r.deals, "unknown": r.unknown}

    return {"start": report.start.isoformat(), "end": report.end.isoformat(),
            "close_from": report.close_from.isoformat(),
            "close_to": report.close_to.isoformat(), "close_period": report.close_period,
            "currency": report.currency, "total": row(report.total),
            "teams": [row(t) for t in report.teams], "reps": [row(r) for r in report.reps]}


@analyze_app.command()
def pipeline(
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD / 开始日期")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD / 结束日期")],
    close: Annotated[str | None, typer.Option(
        "--close", help="Expected close period (default: the quarter of --to) / 预计成交期间")
    ] = None,
    rep: RepOption = None, team: TeamOption = None, fmt: FormatOption = "table",
    lang: LangOption = None, home: HomeOption = None) -> None:
    """Pipeline changes from the first instant of --from to the last of --to, for the deals
    expected to close in --close: new, pulled in, amount up and down, pushed out, won, lost,
    per team and rep; start + new + pulled in + up − down − pushed − won − lost = end.
    管道变化：从 --from 当天开始到 --to 当天结束，预计在 --close 期间成交的商机：新增、提前纳入、
    金额增减、推迟移出、赢单、输单，按团队和销售列出；期初 + 新增 + 提前纳入 + 增加 − 减少 −
    推迟 − 赢单 − 输单 = 期末。

    CSV columns: section (total, team or rep), id, name, start, new, pulled_in, up, down,
    pushed, won, lost, end (amounts in the reporting currency), deals, unknown (deals that
    moved with an unknown amount, counted as 0).
    """
    from datetime import date

    _check_format(fmt)
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        err_console.print(f"--from and --to are days written YYYY-MM-DD, not {start!r}, "
                          f"{end!r} / --from 和 --to 须为 YYYY-MM-DD 格式的日期")
        raise typer.Exit(2) from None
    with open_workspace(home, read_only=True) as ws:
        report = ws.owner().pipeline_changes(start=first, end=last, close=close, rep=rep,
                                             team=team)
        zh = is_chinese(lang or ws.locale)
    match fmt:
        case "json":
            typer.echo(json.dumps(_pipeline_json(report), ensure_ascii=False, indent=1))
        case "csv":
            rows = [[r.kind, r.id, r.name, *r.amounts().values(), r.deals, r.unknown]
                    for r in [report.total, *report.teams, *report.reps]]
            typer.echo(_csv(PIPELINE_COLUMNS, rows), nl=False)
        case _:
            heads = PIPELINE_HEADS["zh_CN" if zh else "en"]
            title = (f"管道变化 {report.start} 至 {report.end}，预计成交 {report.close_period}"
                     f"（{report.currency}）" if zh else
                     f"Pipeline changes {report.start} to {report.end}, closing in "
                     f"{report.close_period} ({report.currency})")
            grid = Table(title=title)
            grid.add_column("团队 / 销售" if zh else "Team / rep")
            for head in heads:
                grid.add_column(head, justify="right")
            for r in [report.total, *report.teams, *report.reps]:
                label = ("合计" if zh else "Total") if r.kind == "total" else (
                    f"{r.id} {r.name or ''}".strip() if r.kind == "team"
                    else f"  {r.id} {r.name or ''}".rstrip())
                grid.add_row(label, *[f"{v:,.0f}" for v in r.amounts().values()])
            console.print(grid)
            console.print(
                "期初 + 新增 + 提前纳入 + 金额增加 − 金额减少 − 推迟移出 − 赢单 − 输单 = 期末"
                if zh else "start + new + pulled in + up − down − pushed − won − lost = end",
                highlight=False)
