"""Demo recovery and timings of the models (issue 12): builds the demo organisation
(``salescore demo --scale small --seed 42``) in a temporary folder, then as the owner:

- the win model's time-split figures (AUC, Brier, ECE, beside the stage-rate baseline) and its
  training time;
- the sales forecast for every team and rep (time), and the honest check: forecasts made three
  months before the data's last month, from the history then, against what happened (WAPE of
  the chosen, reconciled methods beside seasonal naive, per level and pooled).

Writes the section of ``bench/results/ml.md`` for the scale. Re-run:
``PYTHONPATH=src .venv/bin/python bench/bench_ml.py [--scale small]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchlib import machine, update_section

HEADER = """# Models benchmark / 模型基准

`bench/bench_ml.py` builds the demo organisation, trains the win model and forecasts revenue
won for every team and rep, and records what the models recover (AUC on the held-out later
period, the forecast against seasonal naive on months it did not see) and how long each took.
`bench/bench_ml.py` 构建演示组织，训练赢单模型并预测每个团队与销售的赢单收入，记录模型的还原效果
（后期留出数据上的 AUC、对未见月份的预测与季节朴素法的对比）及耗时。

Before the training was made faster (2026-12-07 12:45, load average above 10): training with
evaluation took 325.5 s and the forecast of every team and rep 85.3 s. The runs below had a
lighter load (recorded with each), so the ratio overstates the gain; measured minutes apart
under the same load (about 9), gradient-boosting fits of a similar size took 0.7-1.8 s on one
thread and 13.6-50 s with OpenMP's threads. Now: one fit on one thread with isotonic
calibration on held-out deals, models kept per cut-off, the series fitted on one BLAS thread.
The targets' mix of potential (20/20/30/30) was chosen on 2026-Q2 among four mixes and is
reported here on 2026-Q3, which took no part in the choice.
改进前（负载高于 10）：训练加评估 325.5 秒，全部团队与销售的预测 85.3 秒；
以下运行负载较轻（见各节记录），故比值夸大了提升；同等负载下相隔数分钟的对比：
同等规模的梯度提升拟合单线程 0.7–1.8 秒，多线程 13.6–50 秒。
个性化目标的潜力权重在 2026-Q2 上选定，此处报告的是未参与选择的 2026-Q3。
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--home", type=Path, default=None,
                        help="an existing demo folder of that scale and seed (not rebuilt)")
    args = parser.parse_args()
    import sklearn
    import statsmodels

    from salescore.workspace import Workspace

    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp) / "demo"
        if args.home is None:
            subprocess.run([sys.executable, "-m", "salescore.cli.main", "demo", "--home", str(home),
                            "--scale", args.scale, "--seed", str(args.seed)], check=True,
                           stdout=subprocess.DEVNULL)
        with Workspace.open(home, read_only=True) as ws:
            session = ws.owner()
            as_of = session.data_last_day()
            assert as_of is not None
            started = time.perf_counter()
            model = session.ml.win_model(as_of)
            trained_only = time.perf_counter() - started
            started = time.perf_counter()
            model = session.ml.win_model(as_of, metrics=True)
            trained = time.perf_counter() - started + trained_only
            started = time.perf_counter()
            win = session.ml.win(as_of, limit=None, reasons=False)
            predicted = time.perf_counter() - started
            started = time.perf_counter()
            attainment = session.ml.attainment(as_of, grain="quarter")
            attainment_s = time.perf_counter() - started
            started = time.perf_counter()
            actions = session.ml.actions(as_of)
            actions_s = time.perf_counter() - started
            one_rep = next(r.rep_id for r in actions.reps if r.actions)
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                session.ml.actions(as_of, rep=one_rep)
                timings.append(time.perf_counter() - started)
            one_rep_s = sorted(timings)[2]
            started = time.perf_counter()
            potential = session.ml.customers(as_of, limit=10)
            potential_s = time.perf_counter() - started
            started = time.perf_counter()
            targets = session.ml.targets(as_of)
            targets_s = time.perf_counter() - started
            started = time.perf_counter()
            report = session.ml.forecast(as_of, by="all", horizon=3)
            forecast_s = time.perf_counter() - started
            started = time.perf_counter()
            check = session.ml.holdout(as_of, months=3)
            holdout_s = time.perf_counter() - started
    m = model.metrics
    assert m is not None
    chosen: dict[str, int] = {}
    for n in report.nodes:
        chosen[n.base.method] = chosen.get(n.base.method, 0) + 1
    lines = [
        f"<!-- scale:{args.scale} -->", f"## {args.scale}", "",
        f"- date / 日期: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC (as of {as_of}); "
        f"demo `--scale {args.scale} --seed {args.seed}`",
        *[f"- {k}: {v}" for k, v in machine({
            "scikit-learn / statsmodels": f"{sklearn.__version__} / {statsmodels.__version__}"
        }).items()],
        f"- load average (1 min) at the start / end: {load_start:.1f} / "
        f"{os.getloadavg()[0]:.1f} (the machine is shared with other jobs; times are upper "
        "bounds)", "",
        "### Win probability / 赢单概率", "",
        f"Time-based split: trained on snapshots before {m.split:%Y-%m-%d} ({m.train_rows} "
        f"rows), tested on the deals open at the first of each later month with a known outcome "
        f"({m.test_rows} snapshots).", "",
        "| figure | model | baseline (stage win rate) |", "|---|---:|---:|",
        f"| AUC | **{m.auc:.3f}** | {m.baseline_auc:.3f} |",
        f"| Brier score | {m.brier:.3f} | {m.baseline_brier:.3f} |",
        f"| expected calibration error | {m.ece:.3f} | |", "",
        "| bin | count | predicted | observed |", "|---|---:|---:|---:|",
        *[f"| {b.low:.1f}–{b.high:.1f} | {b.count} | "
          f"{'' if b.predicted is None else f'{b.predicted:.3f}'} | "
          f"{'' if b.observed is None else f'{b.observed:.3f}'} |" for b in m.reliability],
        "",
        f"Training: {trained_only:.1f} s ({model.train_rows} snapshots; one fit on one "
        f"thread, isotonic calibration on a quarter of the deals held out); with the "
        f"evaluation (a second model at the split): {trained:.1f} s; probabilities for all "
        f"{win.total} open opportunities (model kept): {predicted:.1f} s.",
        "",
        "### Attainment / 目标达成预测", "",
        f"Quarter {attainment.period} as of {as_of} ({attainment.checkpoint}/6 elapsed), "
        f"{len(attainment.reps)} reps, with the backtest: {attainment_s:.1f} s (win models "
        f"trained at each backtest quarter's start, kept). Backtest on "
        f"{', '.join(attainment.backtest.tested)} (weights fitted on the quarters before each): "
        f"error of the expected attainment beside the run-rate baseline's, and the at-risk "
        f"flag (expected below 80 %) against the reps who ended below 70 %.", "",
        "| elapsed | reps | MAE (points) | baseline MAE | ended < 70 % | flagged | recall | "
        "precision |", "|---:|---:|---:|---:|---:|---:|---:|---:|",
        *[f"| {c.checkpoint}/6 | {c.reps} | {c.mae * 100:.1f} | {c.baseline_mae * 100:.1f} | "
          f"{c.below} | {c.flagged} | {c.recall:.2f} | {c.precision:.2f} |"
          for c in attainment.backtest.checkpoints if c.mae is not None
          and c.baseline_mae is not None and c.recall is not None
          and c.precision is not None], "",
        "Reliable (error within 15 points from then on) from "
        + ("never" if attainment.backtest.reliable_from is None
           else f"{attainment.backtest.reliable_from}/6 of the quarter") + ".", "",
        "### Next best actions / 下一步行动", "",
        f"Every rep ({len(actions.reps)}, {sum(len(r.actions) for r in actions.reps)} "
        f"actions, models kept): {actions_s:.1f} s; one rep ({one_rep}), median of 5: "
        f"{one_rep_s * 1000:.0f} ms.", "",
        "### High-potential customers / 高潜力客户", "",
        f"Scores of {potential.total} customers with the check: {potential_s:.1f} s. Check one "
        f"horizon (180 days) back, over {potential.check.get('customers', 0):.0f} customers: "
        f"AUC of ordering in the next 180 days {potential.check.get('auc') or 0:.3f} (revenue "
        f"over the year alone: {potential.check.get('baseline_auc') or 0:.3f}); share of the "
        f"next 180 days' revenue from the top tenth by score "
        f"{potential.check.get('top_share') or 0:.3f} (revenue alone: "
        f"{potential.check.get('baseline_top_share') or 0:.3f}).", "",
        "### Personalised targets / 个性化目标", "",
        f"Recommended revenue targets for {targets.period} ({len(targets.rows)} reps, total "
        f"{targets.total:,.0f} from {targets.total_from}): {targets_s:.1f} s. Fairness on "
        f"{targets.fairness_period}: targets recommended from what was known at its start, "
        f"against the same total split evenly (flat) and the plan's targets; attainment = "
        f"actual revenue won / target.", "",
        "| scheme | reps | mean attainment | spread (sd) | Gini | below 70 % |",
        "|---|---:|---:|---:|---:|---:|",
        *[f"| {f.scheme} | {f.reps} | {f.mean:.2f} | {f.spread:.2f} | {f.gini:.3f} | "
          f"{f.below:.2f} |" for f in targets.fairness if f.mean is not None
          and f.spread is not None and f.gini is not None and f.below is not None], "",
        "### Sales forecast / 销售预测", "",
        f"Forecast of every team and rep (with the company), 3 months, backtest and "
        f"reconciliation: {forecast_s:.1f} s for {len(report.nodes)} series; methods chosen: "
        + ", ".join(f"{k} {v}" for k, v in sorted(chosen.items())) + ".", "",
        f"Honest check: forecasts made as of {check['from']} for {', '.join(check['months'])} "
        f"from the history then, against what happened ({holdout_s:.1f} s):", "",
        "| level | WAPE chosen (reconciled) | WAPE seasonal naive |", "|---|---:|---:|",
        *[f"| {lv} | {v['wape']:.3f} | {v['naive_wape']:.3f} |"
          for lv, v in check["levels"].items()],
        f"| pooled | **{check['wape']:.3f}** | {check['naive_wape']:.3f} |", "",
        f"<!-- /scale:{args.scale} -->"]
    update_section(Path(__file__).parent / "results" / "ml.md", HEADER, args.scale,
                   "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
