"""``salescore forecast`` and ``salescore predict win``: the models, through the workspace.

``salescore forecast --by team`` prints revenue won per month ahead for each team (or rep,
company, product, channel, segment, region): the method chosen by backtest, its WAPE and MAPE
beside seasonal naive's, the reconciled forecast with its 80 % interval, the weighted pipeline
and their combination. ``salescore predict win`` lists the open opportunities with their win
probability and its top reasons, and the model's AUC, Brier score and reliability table.
``--format csv|json`` writes the same figures; an unknown figure is empty in CSV and null in
JSON, never 0. ``--as-of`` moves the cut-off back (default: the data's last day).

Registered in :mod:`salescore.cli.main` with ``register(app)``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from salescore.cli.common import HomeOption, console, err_console, open_workspace
from salescore.cli.plan import actor_name
from salescore.core.spreadsheet import neutralise
from salescore.core.text import is_chinese

__all__ = ["predict_app", "register"]

predict_app = typer.Typer(help="Predictions: win probability of open opportunities. "
                               "预测：在途商机的赢单概率。", no_args_is_help=True)

target_app = typer.Typer(help="Personalised targets: recommend, and accept into the targets "
                              "table. 个性化目标：推荐并写入目标表。", no_args_is_help=True)

FORMATS = ("table", "csv", "json")
MISSING = "—"
FormatOption = Annotated[str, typer.Option("--format", help="table | csv | json")]
LangOption = Annotated[str | None, typer.Option(
    "--lang", help="en or zh_CN (default: the organisation's) / 语言")]
AsOfOption = Annotated[str | None, typer.Option(
    "--as-of", help="The cut-off day, YYYY-MM-DD (default: the data's last day) / 截止日")]
FORECAST_COLUMNS = ("level", "key", "name", "month", "method", "forecast", "low", "high",
                    "pipeline", "combined", "wape", "mape", "baseline_wape", "baseline_mape",
                    "enough")
WIN_COLUMNS = ("opportunity_id", "owner_rep_id", "customer_id", "product", "stage", "amount",
               "expected_close_date", "probability", "baseline", "reasons")


def register(app: typer.Typer) -> None:
    """Add ``forecast`` and ``predict`` to the top-level command."""
    app.command("forecast")(forecast)
    app.command("recommend")(recommend)
    app.command("train")(train)
    app.add_typer(target_app, name="target")
    app.add_typer(predict_app, name="predict")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        err_console.print(f"[red]--format is one of {', '.join(FORMATS)} / "
                          f"--format 取值：{', '.join(FORMATS)}[/]")
        raise typer.Exit(2)


def _csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) if isinstance(v, str) else v
                         for v in row])
    return buffer.getvalue()


def _as_of(session: Any, text: str | None) -> date:
    if text:
        try:
            return date.fromisoformat(text)
        except ValueError:
            err_console.print(f"[red]--as-of is a day, YYYY-MM-DD, not {text!r} / "
                              "--as-of 应为日期 YYYY-MM-DD[/]")
            raise typer.Exit(2) from None
    last = session.data_last_day()
    return last if last is not None else date.today()


def _model_fields(record: Any) -> dict[str, Any]:
    """The stored model a prediction names (null before one is trained on this data)."""
    return {"model_id": None if record is None else record.id,
            "model_version": None if record is None else record.version,
            "model_kind": None if record is None else record.kind}


def _money(v: float | None) -> str:
    return MISSING if v is None else f"{v:,.0f}"


def _pct(v: float | None) -> str:
    return MISSING if v is None else f"{v * 100:.1f}%"


def _value(v: Any) -> str:
    return MISSING if v is None else f"{v:,.1f}" if isinstance(v, float) else str(v)


def _forecast_rows(report: Any) -> list[list[Any]]:
    rows = []
    for n in report.nodes:
        acc, base = n.base.accuracy, n.base.baseline
        for h, month in enumerate(report.ahead):
            rows.append([n.level, n.key, n.name, month, n.base.method, n.point[h], n.low[h],
                         n.high[h], None if n.pipeline is None else n.pipeline[h],
                         n.combined[h], acc.wape if acc else None, acc.mape if acc else None,
                         base.wape if base else None, base.mape if base else None,
                         n.base.enough])
    return rows


def forecast(by: Annotated[str, typer.Option(
                 "--by", help="rep, team, company, product, channel, segment or region / "
                              "按销售、团队、全公司、产品、渠道、客户分层或区域")] = "team",
             horizon: Annotated[int, typer.Option(
                 "--horizon", help="Months ahead / 预测月数")] = 3,
             as_of: AsOfOption = None, fmt: FormatOption = "table", lang: LangOption = None,
             home: HomeOption = None) -> None:
    """Sales forecast: revenue won per month ahead, chosen per series by backtest against
    seasonal naive, with 80 % intervals, the weighted pipeline and their combination.
    销售预测：未来每月赢单收入，按回测逐序列选模并与季节朴素法对比，
    含 80% 区间、加权管道及组合预测。

    CSV columns: level, key, name, month, method, forecast, low, high, pipeline, combined,
    wape, mape, baseline_wape, baseline_mape, enough.
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        session = ws.owner()
        report = session.ml.forecast(_as_of(session, as_of), by=by, horizon=horizon)
        zh = is_chinese(lang or ws.locale)
    rows = _forecast_rows(report)
    match fmt:
        case "json":
            typer.echo(json.dumps({
                "as_of": str(report.as_of), "by": report.by, "months": report.months,
                "ahead": report.ahead, "reconciled": report.reconciled,
                "enough": report.enough, "win_model": report.win_model,
                **_model_fields(report.record),
                "note": {"en": report.note.en, "zh": report.note.zh},
                "rows": [dict(zip(FORECAST_COLUMNS, r, strict=True)) for r in rows]},
                ensure_ascii=False, indent=1))
        case "csv":
            typer.echo(_csv(FORECAST_COLUMNS, rows), nl=False)
        case _:
            grid = Table(title=(f"销售预测（截至 {report.as_of}）" if zh
                                else f"Sales forecast (as of {report.as_of})"))
            heads = (("对象", "方法", "WAPE", "基线 WAPE", *report.ahead, "管道（首月）",
                      "组合（首月）") if zh else
                     ("Who", "Method", "WAPE", "Baseline WAPE", *report.ahead,
                      "Pipeline (1st)", "Combined (1st)"))
            for i, head in enumerate(heads):
                grid.add_column(head, justify="left" if i < 2 else "right")
            for n in report.nodes:
                acc, base = n.base.accuracy, n.base.baseline
                method = n.base.method if n.base.enough else (
                    f"{n.base.method} (数据不足)" if zh else f"{n.base.method} (not enough data)")
                cells = [f"{_money(p)} [{_money(lo)}–{_money(hi)}]"
                         for p, lo, hi in zip(n.point, n.low, n.high, strict=True)]
                grid.add_row(n.name if n.key is None else f"{n.name} ({n.key})", method,
                             _pct(acc.wape if acc else None), _pct(base.wape if base else None),
                             *cells, _money(n.pipeline[0] if n.pipeline else None),
                             _money(n.combined[0] if n.combined else None))
            console.print(grid)
            console.print(report.note.get("zh_CN" if zh else "en"), highlight=False)


@predict_app.command()
def win(rep: Annotated[str | None, typer.Option("--rep", help="A rep's id / 销售编号")] = None,
        top: Annotated[int, typer.Option("--top", help="How many deals / 显示商机数")] = 20,
        as_of: AsOfOption = None, fmt: FormatOption = "table", lang: LangOption = None,
        home: HomeOption = None) -> None:
    """Win probability of the open opportunities (the highest expected value first), with the
    top reasons, and the model's AUC, Brier score and reliability on a later held-out period.
    在途商机的赢单概率（按期望值排序）及主要原因；
    模型在后期留出数据上的 AUC、Brier 分数与可靠性表。

    CSV columns: opportunity_id, owner_rep_id, customer_id, product, stage, amount,
    expected_close_date, probability, baseline, reasons.
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        session = ws.owner()
        if rep is not None:
            session.require_rep(rep)
        report = session.ml.win(_as_of(session, as_of), reps=[rep] if rep else None,
                                limit=top)
        zh = is_chinese(lang or ws.locale)
    m = report.metrics

    def reasons(p: Any) -> str:
        return "; ".join(f"{r.feature}={_value(r.value)} ({r.effect * 100:+.0f} pt)"
                         for r in p.reasons)

    rows = [[p.opportunity_id, p.owner_rep_id, p.customer_id, p.product, p.stage, p.amount,
             None if p.expected_close_date is None else str(p.expected_close_date),
             p.probability, p.baseline, reasons(p)] for p in report.predictions]
    match fmt:
        case "json":
            typer.echo(json.dumps({
                "as_of": str(report.as_of), "model": report.model, "enough": report.enough,
                **_model_fields(report.record),
                "note": {"en": report.note.en, "zh": report.note.zh},
                "train_rows": report.train_rows, "total": report.total,
                "metrics": None if m is None else {
                    "split": str(m.split), "train_rows": m.train_rows, "test_rows": m.test_rows,
                    "auc": m.auc, "brier": m.brier, "ece": m.ece,
                    "baseline_auc": m.baseline_auc, "baseline_brier": m.baseline_brier,
                    "reliability": [{"low": b.low, "high": b.high, "count": b.count,
                                     "predicted": b.predicted, "observed": b.observed}
                                    for b in m.reliability]},
                "predictions": [dict(zip(WIN_COLUMNS, r[:-1], strict=False)) | {
                    "reasons": [{"feature": x.feature, "value": x.value, "effect": x.effect}
                                for x in p.reasons]}
                    for r, p in zip(rows, report.predictions, strict=True)]},
                ensure_ascii=False, indent=1, default=str))
        case "csv":
            typer.echo(_csv(WIN_COLUMNS, rows), nl=False)
        case _:
            grid = Table(title=(f"赢单概率（{report.model}，共 {report.total} 个在途商机）" if zh
                                else f"Win probability ({report.model}, {report.total} open)"))
            heads = ("商机", "负责人", "阶段", "金额", "预计成交", "概率", "基线", "原因") if zh \
                else ("Deal", "Owner", "Stage", "Amount", "Expected close", "Probability",
                      "Baseline", "Reasons")
            for i, head in enumerate(heads):
                grid.add_column(head, justify="right" if i in (3, 5, 6) else "left")
            for p in report.predictions:
                grid.add_row(p.opportunity_id, p.owner_rep_id or MISSING, p.stage or MISSING,
                             _money(p.amount), str(p.expected_close_date or MISSING),
                             _pct(p.probability), _pct(p.baseline), reasons(p))
            console.print(grid)
            console.print(report.note.get("zh_CN" if zh else "en"), highlight=False)
            if m is not None:
                console.print(
                    (f"留出期（{m.split:%Y-%m-%d} 起，{m.test_rows} 个快照）：AUC {m.auc:.3f}"
                     f"（基线 {m.baseline_auc or 0:.3f}），Brier {m.brier:.3f}，"
                     f"校准误差 ECE {m.ece:.3f}") if zh else
                    (f"Held-out later period (from {m.split:%Y-%m-%d}, {m.test_rows} snapshots): "
                     f"AUC {m.auc:.3f} (baseline {m.baseline_auc or 0:.3f}), "
                     f"Brier {m.brier:.3f}, calibration error (ECE) {m.ece:.3f}"),
                    highlight=False)
                rel = Table(title="可靠性表" if zh else "Reliability")
                for head in (("区间", "数量", "预测均值", "实际赢单率") if zh
                             else ("Bin", "Count", "Predicted", "Observed")):
                    rel.add_column(head, justify="right")
                for b in m.reliability:
                    rel.add_row(f"{b.low:.1f}–{b.high:.1f}", str(b.count), _pct(b.predicted),
                                _pct(b.observed))
                console.print(rel)


ATTAINMENT_COLUMNS = ("rep_id", "name", "team_id", "target", "won", "pipeline", "run_rate",
                      "expected", "attainment", "low", "high", "baseline", "at_risk")


@predict_app.command()
def attainment(grain: Annotated[str, typer.Option(
                   "--grain", help="month or quarter / 月或季度")] = "quarter",
               as_of: AsOfOption = None, fmt: FormatOption = "table", lang: LangOption = None,
               home: HomeOption = None) -> None:
    """Each rep's expected attainment of their revenue target at the period's end (won so far,
    weighted pipeline and run rate), its 80 % interval and the at-risk flag, with the backtest
    on past periods: error per checkpoint beside the run-rate baseline, and the flag's recall
    and precision for the reps who ended below 70 %.
    每位销售在周期末的预计目标达成率（已赢单、加权管道与日均赢单）、80% 区间与风险标记，
    以及历史周期回测：各检查点误差与基线对比、对最终低于 70% 者的召回率与精确率。

    CSV columns: rep_id, name, team_id, target, won, pipeline, run_rate, expected, attainment,
    low, high, baseline, at_risk.
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        session = ws.owner()
        report = session.ml.attainment(_as_of(session, as_of), grain=grain)
        zh = is_chinese(lang or ws.locale)
    rows = [[r.rep_id, r.name, r.team_id, r.target, r.won, r.pipeline, r.run, r.expected,
             r.attainment, r.low, r.high, r.baseline, r.at_risk] for r in report.reps]
    test = report.backtest
    match fmt:
        case "json":
            typer.echo(json.dumps({
                "as_of": str(report.as_of), "period": report.period, "grain": report.grain,
                "checkpoint": report.checkpoint, "elapsed": report.elapsed,
                "model": report.model, "win_model": report.win_model,
                **_model_fields(report.record),
                "enough": report.enough, "note": {"en": report.note.en, "zh": report.note.zh},
                "backtest": {"periods": test.periods, "tested": test.tested,
                             "reliable_from": test.reliable_from,
                             "checkpoints": [vars(c) for c in test.checkpoints]},
                "reps": [dict(zip(ATTAINMENT_COLUMNS, r, strict=True)) for r in rows]},
                ensure_ascii=False, indent=1))
        case "csv":
            typer.echo(_csv(ATTAINMENT_COLUMNS, rows), nl=False)
        case _:
            grid = Table(title=(f"预计目标达成（{report.period}，截至 {report.as_of}）" if zh
                                else f"Expected attainment ({report.period}, as of "
                                     f"{report.as_of})"))
            heads = (("销售", "目标", "已赢单", "加权管道", "预计", "预计达成", "80% 区间",
                      "基线", "风险") if zh else
                     ("Rep", "Target", "Won", "Weighted pipeline", "Expected", "Attainment",
                      "80 % interval", "Baseline", "At risk"))
            for i, head in enumerate(heads):
                grid.add_column(head, justify="left" if i in (0, 8) else "right")
            for r in report.reps:
                grid.add_row(f"{r.name} ({r.rep_id})", _money(r.target), _money(r.won),
                             _money(r.pipeline), _money(r.expected), _pct(r.attainment),
                             MISSING if r.low is None else f"{_pct(r.low)}–{_pct(r.high)}",
                             _pct(r.baseline),
                             MISSING if r.at_risk is None else
                             ("是" if zh else "yes") if r.at_risk else "")
            console.print(grid)
            console.print(report.note.get("zh_CN" if zh else "en"), highlight=False)
            if test.tested:
                back = Table(title=("回测：" if zh else "Backtest: ") + ", ".join(test.tested))
                for head in (("已过时间", "销售数", "误差", "基线误差", "召回率", "精确率") if zh
                             else ("Elapsed", "Reps", "Error", "Baseline error", "Recall",
                                   "Precision")):
                    back.add_column(head, justify="right")
                for c in test.checkpoints:
                    back.add_row(_pct(c.elapsed), str(c.reps), _pct(c.mae),
                                 _pct(c.baseline_mae), _pct(c.recall), _pct(c.precision))
                console.print(back)


ACTION_COLUMNS = ("rep_id", "rank", "kind", "stake", "title", "reason", "records", "link",
                  "course", "peer_rep_id")


def recommend(rep: Annotated[str | None, typer.Option(
                  "--rep", help="A rep's id (default: every rep in reach) / 销售编号")] = None,
              as_of: AsOfOption = None, fmt: FormatOption = "table", lang: LangOption = None,
              home: HomeOption = None) -> None:
    """Next best actions, ranked by the money at stake, each with its reason and where its
    records open: stale high-value deals, deals at risk, high-potential customers not
    contacted lately, and a course
    for the weakest KPI with a peer who excels at it.
    下一步最佳行动（按涉及金额排序），附原因与记录链接：停滞的高价值商机、风险商机、
    久未联系的高潜力客户，以及针对最弱指标的课程和擅长该指标的同事。

    CSV columns: rep_id, rank, kind, stake, title, reason, records, link, course, peer_rep_id.
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        session = ws.owner()
        if rep is not None:
            session.require_rep(rep)
        report = session.ml.actions(_as_of(session, as_of), rep=rep)
        zh = is_chinese(lang or ws.locale)
    key = "zh_CN" if zh else "en"
    rows = [[r.rep_id, i + 1, a.kind, a.stake, a.title.get(key), a.reason.get(key),
             " ".join(a.records), a.link, a.course, a.peer_rep_id]
            for r in report.reps for i, a in enumerate(r.actions)]
    match fmt:
        case "json":
            typer.echo(json.dumps({
                "as_of": str(report.as_of), "model": report.model, "enough": report.enough,
                **_model_fields(report.record),
                "note": {"en": report.note.en, "zh": report.note.zh},
                "reps": [{"rep_id": r.rep_id, "name": r.name, "team_id": r.team_id,
                          "actions": [{
                              "kind": a.kind, "stake": a.stake,
                              "title": {"en": a.title.en, "zh": a.title.zh},
                              "reason": {"en": a.reason.en, "zh": a.reason.zh},
                              "records": a.records, "link": a.link, "course": a.course,
                              "peer_rep_id": a.peer_rep_id} for a in r.actions]}
                         for r in report.reps]}, ensure_ascii=False, indent=1))
        case "csv":
            typer.echo(_csv(ACTION_COLUMNS, rows), nl=False)
        case _:
            grid = Table(title=(f"下一步行动（截至 {report.as_of}）" if zh
                                else f"Next best actions (as of {report.as_of})"))
            heads = (("销售", "#", "行动", "涉及金额", "原因", "链接") if zh else
                     ("Rep", "#", "Action", "At stake", "Reason", "Link"))
            for i, head in enumerate(heads):
                grid.add_column(head, justify="right" if i in (1, 3) else "left")
            for r in report.reps:
                for i, a in enumerate(r.actions):
                    grid.add_row(f"{r.name} ({r.rep_id})" if i == 0 else "", str(i + 1),
                                 a.title.get(key), _money(a.stake), a.reason.get(key), a.link)
            console.print(grid)
            console.print(report.note.get(key), highlight=False)


TARGET_COLUMNS = ("rep_id", "name", "team_id", "period", "current", "recommended",
                  "explanation")


@target_app.command("recommend")
def target_recommend(
        period: Annotated[str | None, typer.Option(
            "--period", help="2027-Q1 or 2027-01 (default: the quarter after the as-of day's) "
                             "/ 目标周期")] = None,
        accept_rep: Annotated[str | None, typer.Option(
            "--accept-rep", help="Write this rep's recommendation into the targets table "
                                 "(audited) / 采纳该销售的建议目标")] = None,
        accept_team: Annotated[str | None, typer.Option(
            "--accept-team", help="Write the recommendations of this team's reps (audited) / "
                                  "采纳该团队的建议目标")] = None,
        as_of: AsOfOption = None, fmt: FormatOption = "table", lang: LangOption = None,
        home: HomeOption = None) -> None:
    """Recommended revenue target per rep for a period, with its explanation, and the fairness
    report (spread and Gini of attainment on the last complete period) against flat and the
    plan's targets; --accept-rep / --accept-team write them into the targets table (audited).
    每位销售的建议收入目标及其解释，以及公平性报告（上一完整周期达成率的离散度与基尼系数，
    对比统一目标与计划目标）；--accept-rep / --accept-team 写入目标表（记入审计）。

    CSV columns: rep_id, name, team_id, period, current, recommended, explanation.
    """
    _check_format(fmt)
    writing = accept_rep is not None or accept_team is not None
    with open_workspace(home, read_only=not writing) as ws:
        session = ws.owner()
        day = _as_of(session, as_of)
        report = session.ml.targets(day, period=period)
        changes = session.ml.accept_targets(day, period=report.period, actor=actor_name(None),
                                            rep=accept_rep, team=accept_team) \
            if writing else []
        zh = is_chinese(lang or ws.locale)
    key = "zh_CN" if zh else "en"
    rows = [[r.rep_id, r.name, r.team_id, report.period, r.current, r.recommended,
             r.explanation.get(key)] for r in report.rows]
    match fmt:
        case "json":
            typer.echo(json.dumps({
                "as_of": str(report.as_of), "period": report.period, "total": report.total,
                "total_from": report.total_from, "enough": report.enough,
                "note": {"en": report.note.en, "zh": report.note.zh},
                "fairness_period": report.fairness_period,
                "fairness": [vars(f) for f in report.fairness],
                "accepted": [c.scope_id for c in changes],
                "rows": [dict(zip(TARGET_COLUMNS, r, strict=True)) for r in rows]},
                ensure_ascii=False, indent=1))
        case "csv":
            typer.echo(_csv(TARGET_COLUMNS, rows), nl=False)
        case _:
            grid = Table(title=(f"建议目标（{report.period}）" if zh
                                else f"Recommended targets ({report.period})"))
            for i, head in enumerate(("销售", "当前目标", "建议目标", "解释") if zh else
                                     ("Rep", "Current", "Recommended", "Explanation")):
                grid.add_column(head, justify="right" if i in (1, 2) else "left")
            for r in report.rows:
                grid.add_row(f"{r.name} ({r.rep_id})", _money(r.current),
                             _money(r.recommended), r.explanation.get(key))
            console.print(grid)
            console.print(report.note.get(key), highlight=False)
            if report.fairness:
                fair = Table(title=("公平性：" if zh else "Fairness: ")
                             + str(report.fairness_period))
                for head in (("方案", "销售数", "平均达成", "标准差", "基尼系数", "低于 70%")
                             if zh else ("Scheme", "Reps", "Mean attainment", "Spread (sd)",
                                         "Gini", "Below 70 %")):
                    fair.add_column(head, justify="right")
                for f in report.fairness:
                    fair.add_row(f.scheme, str(f.reps), _pct(f.mean), _pct(f.spread),
                                 MISSING if f.gini is None else f"{f.gini:.3f}", _pct(f.below))
                console.print(fair)
            for c in changes:
                console.print(("已写入目标：" if zh else "Target set: ")
                              + f"{c.scope_id} {c.period} {c.after}", highlight=False)


CUSTOMER_COLUMNS = ("customer_id", "name", "owner_rep_id", "segment", "score",
                    "revenue_year", "days_since_order", "reasons")


@predict_app.command()
def customers(top: Annotated[int, typer.Option("--top", help="How many / 显示数量")] = 20,
              as_of: AsOfOption = None, fmt: FormatOption = "table", lang: LangOption = None,
              home: HomeOption = None) -> None:
    """High-potential customers: the expected revenue of the next 180 days (probability of
    ordering from behaviour x typical order), the highest first, with the reasons, and the
    score's check one horizon back against revenue alone.
    高潜力客户：未来 180 天预期收入（基于行为的下单概率 x 典型订单金额），附原因，
    以及前一周期与仅按金额排序的基线对比。

    CSV columns: customer_id, name, owner_rep_id, segment, score, revenue_year,
    days_since_order, reasons.
    """
    _check_format(fmt)
    with open_workspace(home, read_only=True) as ws:
        session = ws.owner()
        report = session.ml.customers(_as_of(session, as_of), limit=top)
        zh = is_chinese(lang or ws.locale)
    key = "zh_CN" if zh else "en"
    rows = [[c.customer_id, c.name, c.owner_rep_id, c.segment, c.score, c.revenue_year,
             c.days_since_order, "; ".join(n.get(key) for _, n, _ in c.reasons)]
            for c in report.customers]
    match fmt:
        case "json":
            typer.echo(json.dumps({
                "as_of": str(report.as_of), "model": report.model, "enough": report.enough,
                **_model_fields(report.record),
                "note": {"en": report.note.en, "zh": report.note.zh}, "check": report.check,
                "total": report.total,
                "customers": [dict(zip(CUSTOMER_COLUMNS, r, strict=True)) for r in rows]},
                ensure_ascii=False, indent=1))
        case "csv":
            typer.echo(_csv(CUSTOMER_COLUMNS, rows), nl=False)
        case _:
            grid = Table(title=(f"高潜力客户（{report.model}，共 {report.total} 个）" if zh
                                else f"High-potential customers ({report.model}, "
                                     f"{report.total})"))
            for i, head in enumerate(("客户", "负责人", "分层", "预期收入", "近一年金额",
                                      "距上次下单天数", "原因") if zh else
                                     ("Customer", "Owner", "Segment", "Expected revenue",
                                      "Revenue (year)", "Days since order", "Reasons")):
                grid.add_column(head, justify="right" if i in (3, 4, 5) else "left")
            for c, r in zip(report.customers, rows, strict=True):
                grid.add_row(f"{c.name or MISSING} ({c.customer_id})", c.owner_rep_id or MISSING,
                             c.segment or MISSING, _money(c.score), _money(c.revenue_year),
                             MISSING if c.days_since_order is None
                             else f"{c.days_since_order:.0f}", str(r[-1]))
            console.print(grid)
            console.print(report.note.get(key), highlight=False)


KIND_NAMES = {"win": ("win probability", "赢单概率"), "forecast": ("sales forecast", "销售预测"),
              "attainment": ("attainment", "目标达成"), "potential": ("customer potential",
                                                                    "客户潜力")}


def _headline(record: Any) -> str:
    """The one figure that says how good a model is, beside its baseline's."""
    m = record.metrics
    if record.kind == "win" and m.get("auc") is not None:
        return (f"AUC {m['auc']:.3f} (baseline {m.get('baseline_auc') or 0:.3f}), "
                f"Brier {m.get('brier') or 0:.3f}, ECE {m.get('ece') or 0:.3f}")
    if record.kind == "forecast" and m.get("levels"):
        return "; ".join(f"{lv} WAPE {v['wape']:.3f} (naive {v['naive_wape']:.3f})"
                         for lv, v in m["levels"].items())
    if record.kind == "attainment" and m.get("checkpoints"):
        last = [c for c in m["checkpoints"] if c.get("mae") is not None]
        if last:
            c = last[len(last) // 2]
            return (f"MAE {c['mae'] * 100:.1f} pt at {c['checkpoint']}/6 (baseline "
                    f"{(c.get('baseline_mae') or 0) * 100:.1f}), recall {c.get('recall') or 0:.2f}")
    if record.kind == "potential" and m.get("auc") is not None:
        return f"AUC {m['auc']:.3f} (baseline {m.get('baseline_auc') or 0:.3f})"
    return MISSING


def _record_json(r: Any) -> dict[str, Any]:
    return {"id": r.id, "kind": r.kind, "version": r.version, "name": r.name,
            "enough": r.enough, "window_start": None if r.window_start is None
            else r.window_start.isoformat(), "cutoff": r.cutoff.isoformat(),
            "features": r.features, "params": r.params, "metrics": r.metrics,
            "note": {"en": r.note.en, "zh": r.note.zh}, "data_stamp": r.data_stamp,
            "rows": r.rows, "seconds": r.seconds, "trained_at": r.trained_at.isoformat(),
            "trained_by": r.trained_by}


def train(kind: Annotated[list[str] | None, typer.Option(
              "--kind", help="win, forecast, attainment or potential; repeat for several "
                             "(default: all) / 模型类型，可重复")] = None,
          budget: Annotated[float | None, typer.Option(
              "--budget", help="Seconds; the kinds not started by then are left out / "
                               "时间上限（秒）")] = None,
          as_of: AsOfOption = None, fmt: FormatOption = "table", lang: LangOption = None,
          home: HomeOption = None) -> None:
    """Train the models on the whole organisation's data up to the cut-off and store each as
    a new version in the app store, with its training window, features and metrics; a kind
    with too little history is stored as "not enough data" (its feature shows the baseline).
    训练模型（使用截至截止日的全组织数据），每个模型作为新版本存入应用库，
    记录训练窗口、特征与指标；历史不足的模型记为"数据不足"（功能显示基线）。

    JSON: the stored records (id, kind, version, name, enough, window, features, params,
    metrics, note, data stamp, rows, seconds, trained at and by) and the kinds left out.
    """
    _check_format(fmt)
    if fmt == "csv":
        err_console.print("[red]train writes a table or JSON / train 只输出表格或 JSON[/]")
        raise typer.Exit(2)
    with open_workspace(home, read_only=True) as ws:
        session = ws.owner()
        run = session.ml.train(_as_of(session, as_of), kinds=kind or list(KIND_NAMES),
                               actor=actor_name(None), budget=budget)
        zh = is_chinese(lang or ws.locale)
    if fmt == "json":
        typer.echo(json.dumps({"records": [_record_json(r) for r in run.records],
                               "skipped": run.skipped, "seconds": run.seconds},
                              ensure_ascii=False, indent=1))
        return
    grid = Table(title=(f"已训练模型（{run.seconds:.1f} 秒）" if zh
                        else f"Models trained ({run.seconds:.1f} s)"))
    heads = (("模型", "版本", "名称", "数据", "训练窗口", "特征数", "指标", "秒") if zh else
             ("Model", "Version", "Name", "Data", "Training window", "Features", "Metrics",
              "Seconds"))
    for i, head in enumerate(heads):
        grid.add_column(head, justify="right" if i in (1, 5, 7) else "left")
    for r in run.records:
        en, cn = KIND_NAMES[r.kind]
        window = (f"{'…' if r.window_start is None else f'{r.window_start:%Y-%m-%d}'} – "
                  f"{r.cutoff:%Y-%m-%d}")
        grid.add_row(cn if zh else en, f"v{r.version}", r.name,
                     ("足够" if zh else "enough") if r.enough else
                     ("数据不足（显示基线）" if zh else "not enough data (baseline shown)"),
                     window, str(len(r.features)), _headline(r), f"{r.seconds:.1f}")
    console.print(grid)
    for r in run.records:
        if not r.enough:
            console.print(f"{r.kind} v{r.version}: {r.note.get('zh_CN' if zh else 'en')}",
                          highlight=False)
    if run.skipped:
        console.print((f"超出时间上限，未训练：{', '.join(run.skipped)}" if zh else
                       f"Left out for the time budget: {', '.join(run.skipped)}"),
                      highlight=False)
